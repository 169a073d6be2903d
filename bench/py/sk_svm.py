"""scikit-learn peer for `logit train` on an svmlight file (bench venv's python).

load_svmlight_file (scikit-learn's Cython reader) -> CSR matrix, then LogisticRegression(lbfgs,
C = 1/(l2 n)) on it, which minimises mean log loss + (l2/2) ||w||^2 with the intercept free.
--scale divides every column by its population std first (StandardScaler(with_mean=False):
sparse stays sparse; zero-variance columns keep scale 1), which with a free intercept is
logit's default standardised objective (centring only moves the intercept). Labels: 1 is the
positive class. Writes {"w": [...], "b": ...} in ORIGINAL units (w / std when scaled).

Usage: sk_svm.py DATA.svm --l2 L --tol T --max-iter N --params-out P.json [--scale]
"""
import argparse
import json
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--tol", type=float, required=True)
    ap.add_argument("--max-iter", type=int, default=100_000)
    ap.add_argument("--params-out", required=True)
    ap.add_argument("--scale", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    x, y = load_svmlight_file(a.data)
    t1 = time.perf_counter()
    scale = None
    if a.scale:
        sc = StandardScaler(with_mean=False)
        x = sc.fit_transform(x)
        scale = sc.scale_
    t2 = time.perf_counter()
    n = x.shape[0]
    clf = LogisticRegression(C=1.0 / (a.l2 * n), tol=a.tol, max_iter=a.max_iter)
    clf.fit(x, (y == 1).astype(np.int64))
    t3 = time.perf_counter()
    w = clf.coef_[0].copy()
    if scale is not None:
        w /= scale
    with open(a.params_out, "w") as f:
        json.dump({"w": w.tolist(), "b": float(clf.intercept_[0])}, f)
    print(json.dumps({"iterations": int(clf.n_iter_[0]), "shape": list(x.shape), "nnz": int(x.nnz),
                      "phases": {"read": t1 - t0, "scale": t2 - t1, "fit": t3 - t2}}))


if __name__ == "__main__":
    sys.exit(main())
