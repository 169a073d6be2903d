"""scikit-learn + pandas peer for `logit train` (run with the bench venv's python).

The pipeline a Python user would write: pandas.read_csv, StandardScaler (population std, as
logit), LogisticRegression(lbfgs, C = 1/(l2 n)). scikit-learn's lbfgs minimises
mean log loss + 1/(2 C n) ||w||^2 = mean log loss + (l2/2) ||w||^2 with the intercept
unpenalised, i.e. exactly logit's objective, and its `tol` is the same max-abs-gradient test
on that (mean) objective. With more than two classes scikit-learn (>= 1.5) fits the symmetric
multinomial model (one weight row per class, the whole matrix penalised), again logit's
objective. Prints one JSON line: objective, iterations, phase times.

Usage: sk_train.py DATA.csv --target y --l2 L --tol T --max-iter N --params-out P.json
                   [--model-out MODEL.pkl]
"""
import argparse
import json
import pickle
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--target", default="y")
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--tol", type=float, required=True)
    ap.add_argument("--max-iter", type=int, default=100_000)
    ap.add_argument("--params-out", required=True)
    ap.add_argument("--model-out")
    a = ap.parse_args()

    t0 = time.perf_counter()
    df = pd.read_csv(a.data)
    y = df.pop(a.target).to_numpy()
    x = df.to_numpy(dtype=np.float64)
    del df
    t1 = time.perf_counter()
    scaler = StandardScaler()
    xs = scaler.fit_transform(x)
    del x
    t2 = time.perf_counter()
    n = xs.shape[0]
    # --l2 0 (logit's default): no penalty at all, C = inf.
    c = np.inf if a.l2 == 0 else 1.0 / (a.l2 * n)
    clf = LogisticRegression(C=c, tol=a.tol, max_iter=a.max_iter)
    clf.fit(xs, y)
    t3 = time.perf_counter()

    if len(clf.classes_) > 2:
        # logit's multinomial objective: mean -log softmax(z)_y + (l2/2) ||W||^2.
        w, b = clf.coef_, clf.intercept_
        z = xs @ w.T + b
        zmax = z.max(axis=1, keepdims=True)
        lse = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
        idx = np.searchsorted(clf.classes_, y)
        objective = float(np.mean(lse - z[np.arange(len(y)), idx]) + 0.5 * a.l2 * np.sum(w * w))
        params = {"W": w.tolist(), "b": b.tolist()}
    else:
        # logit's objective at the fitted parameters (positive class = 1).
        w = clf.coef_[0]
        b = float(clf.intercept_[0])
        z = xs @ w + b
        objective = float(np.mean(np.logaddexp(0.0, z) - (y == 1) * z) + 0.5 * a.l2 * (w @ w))
        params = {"w": w.tolist(), "b": b}
    with open(a.params_out, "w") as f:
        json.dump(params, f)
    if a.model_out:
        with open(a.model_out, "wb") as f:
            pickle.dump({"scaler": scaler, "clf": clf, "target": a.target}, f)
    print(json.dumps({
        "objective": objective,
        "iterations": int(clf.n_iter_[0]),
        "phases": {"read": t1 - t0, "scale": t2 - t1, "fit": t3 - t2,
                   "after": time.perf_counter() - t3},
    }))


if __name__ == "__main__":
    sys.exit(main())
