"""scikit-learn + pandas peer for the one-hot case H (bench venv's python).

pandas.read_csv, OneHotEncoder(sparse_output=True) on the string column(s) (every level, as
logit), the numeric columns beside it in one CSR matrix, StandardScaler(with_mean=False)
(population std; centring is left to the free intercept, which gives the same optimum as
logit's centred standardisation), LogisticRegression(lbfgs, C = 1/(l2 n)). Writes
{"names": [...], "w": [...], "b": ...} in ORIGINAL units, names as logit's (`col=level`).

Usage: sk_onehot.py DATA.csv --target y --l2 L --tol T --max-iter N --params-out P.json
"""
import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def design(df):
    """CSR design and feature names: numeric columns as they are, string columns one-hot."""
    cat = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("string", "str")]
    num = [c for c in df.columns if c not in cat]
    enc = OneHotEncoder(sparse_output=True, dtype=np.float64)
    blocks, names = [], []
    for c in df.columns:
        if c in num:
            blocks.append(sp.csr_matrix(df[[c]].to_numpy(dtype=np.float64)))
            names.append(c)
    if cat:
        blocks.append(enc.fit_transform(df[cat]).tocsr())
        for c, levels in zip(cat, enc.categories_):
            names += [f"{c}={lv}" for lv in levels]
    return sp.hstack(blocks, format="csr"), names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--target", default="y")
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--tol", type=float, required=True)
    ap.add_argument("--max-iter", type=int, default=100_000)
    ap.add_argument("--params-out", required=True)
    a = ap.parse_args()
    t0 = time.perf_counter()
    df = pd.read_csv(a.data)
    y = df.pop(a.target).to_numpy()
    x, names = design(df)
    t1 = time.perf_counter()
    sc = StandardScaler(with_mean=False)
    xs = sc.fit_transform(x)
    n = xs.shape[0]
    clf = LogisticRegression(C=1.0 / (a.l2 * n), tol=a.tol, max_iter=a.max_iter)
    clf.fit(xs, (y == 1).astype(np.int64))
    t2 = time.perf_counter()
    w = clf.coef_[0] / sc.scale_
    with open(a.params_out, "w") as f:
        json.dump({"names": names, "w": w.tolist(), "b": float(clf.intercept_[0])}, f)
    print(json.dumps({"iterations": int(clf.n_iter_[0]), "shape": list(xs.shape),
                      "phases": {"read+encode": t1 - t0, "fit": t2 - t1}}))


if __name__ == "__main__":
    sys.exit(main())
