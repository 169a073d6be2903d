"""scikit-learn's LogisticRegressionCV(saga, L1) on the issue-10 task, end to end from the CSV.

    sk_l1cv.py DATA_FOLDS.csv OUT.json --lambdas FILE [--tol 1e-4] [--max-iter 100]
               [--every K] [--n-jobs N] [--fold-column fold]

pandas.read_csv, StandardScaler on all rows (population std, as logit and glmnet; scikit-learn
has no per-fold re-standardisation inside LogisticRegressionCV, so the folds see a scaler fitted
on all rows: a small leak the other tools do not have), then
LogisticRegressionCV(solver="saga", l1_ratios=(1,), Cs = 1 / (lambda * n_fold_train),
cv = PredefinedSplit(fold column), scoring="neg_log_loss", tol, max_iter, refit=True).
scikit-learn minimises C sum_i loss_i + ||w||_1 over a fold's training rows, i.e.
(mean loss + lambda ||w||_1) * C n_train: C = 1/(lambda n_train) is glmnet's lambda on the fold
fits (n_train = rows outside the fold, equal for every fold here); the refit on all n rows then
solves lambda * n_train / n. --every K keeps every K-th lambda only (to cap saga's time).
OUT.json: lambdas, per-fold held-out log loss, cvm as mean deviance (2 x log loss; cv.glmnet's
measure without its 1e-5 clipping), the chosen lambda, n_iter, seconds per phase.
"""
import argparse
import json
import sys
import time
import warnings

t_start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import PredefinedSplit  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--lambdas", required=True)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--n-jobs", type=int, default=None)
    ap.add_argument("--fold-column", default="fold")
    a = ap.parse_args()
    t_imported = time.perf_counter()
    df = pd.read_csv(a.csv)
    fold = df.pop(a.fold_column).to_numpy()
    y = df.pop("y").to_numpy()
    x = StandardScaler().fit_transform(df.to_numpy(dtype=np.float64))
    del df
    t_read = time.perf_counter()
    lambdas = [float(v) for v in open(a.lambdas).read().split()][::a.every]
    folds = np.unique(fold)
    n_train = len(y) - np.sum(fold == folds[0])
    if any(len(y) - np.sum(fold == f) != n_train for f in folds):
        sys.exit("sk_l1cv.py: folds of unequal size; one C per lambda cannot match every fold")
    cs = [1.0 / (lam * n_train) for lam in lambdas]
    model = LogisticRegressionCV(Cs=cs, l1_ratios=(1.0,), solver="saga", cv=PredefinedSplit(fold),
                                 scoring="neg_log_loss", tol=a.tol, max_iter=a.max_iter,
                                 n_jobs=a.n_jobs, refit=True, use_legacy_attributes=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    t_fit = time.perf_counter()
    scores = np.asarray(model.scores_).reshape(len(folds), len(cs))  # (folds, Cs): -log loss
    n_iter = np.asarray(model.n_iter_).reshape(len(folds), len(cs))
    best = int(np.argmax(scores.mean(axis=0)))
    out = {
        "lambdas": lambdas, "Cs": cs, "n_train": int(n_train), "n": len(y),
        "tol": a.tol, "max_iter": a.max_iter, "every": a.every,
        "fold_log_loss": (-scores).tolist(), "cvm": (-2 * scores.mean(axis=0)).tolist(),
        "lambda_min": lambdas[best], "C_": float(model.C_),
        "n_iter_max": int(n_iter.max()), "n_iter_mean": float(n_iter.mean()),
        "hit_max_iter": int((n_iter >= a.max_iter).sum()), "fits": int(n_iter.size),
        "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning) for w in caught),
        "intercept": float(model.intercept_[0]), "coef_standardized": model.coef_[0].tolist(),
        "nonzero": int(np.count_nonzero(model.coef_[0])),
        "seconds": {"imports": t_imported - t_start, "read": t_read - t_imported,
                    "fit": t_fit - t_read},
    }
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
