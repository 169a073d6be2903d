"""Bench task 13's peer: pandas read_csv, StandardScaler, MLPClassifier (adam).

    sk_mlp.py TRAIN.csv --hidden 64 --epochs 20 --batch-size 200 --learning-rate 0.001
              --alpha A --seed S [--tol 1e-4 --n-iter-no-change 10]
              [--test TEST.csv --metrics-out M.json]

End to end as a user runs it: the timed process reads the CSV, scales, fits (max_iter = epochs;
early stopping on the training loss by scikit-learn's own rule, tol and n_iter_no_change at its
defaults 1e-4 and 10 unless given: logit's adam applies the same rule with the same defaults),
and writes nothing but the optional metrics file. With --test, the test accuracy, ROC AUC, the
final training loss and the epochs run go to --metrics-out (computed after the fit; tiny next
to it).
"""
import argparse
import json
import time
import warnings

import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("--target", default="y")
    ap.add_argument("--hidden", default="64")
    ap.add_argument("--activation", default="relu")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--learning-rate", type=float, default=0.001)
    ap.add_argument("--alpha", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--n-iter-no-change", type=int, default=10)
    ap.add_argument("--test")
    ap.add_argument("--metrics-out")
    a = ap.parse_args()
    t0 = time.perf_counter()
    df = pd.read_csv(a.train)
    y = df.pop(a.target).to_numpy()
    scaler = StandardScaler().fit(df.to_numpy())
    x = scaler.transform(df.to_numpy())
    m = MLPClassifier(hidden_layer_sizes=tuple(int(h) for h in a.hidden.split(",")),
                      activation=a.activation, solver="adam", alpha=a.alpha,
                      batch_size=a.batch_size, learning_rate_init=a.learning_rate,
                      max_iter=a.epochs, n_iter_no_change=a.n_iter_no_change, tol=a.tol, shuffle=True,
                      random_state=a.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(x, y)
    fit_seconds = time.perf_counter() - t0
    if a.test and a.metrics_out:
        dt = pd.read_csv(a.test)
        yt = dt.pop(a.target).to_numpy()
        p = m.predict_proba(scaler.transform(dt.to_numpy()))[:, 1]
        json.dump({"accuracy": float(accuracy_score(yt, (p > 0.5).astype(yt.dtype))),
                   "roc_auc": float(roc_auc_score(yt, p)), "train_loss": float(m.loss_),
                   "epochs": int(m.n_iter_), "read_and_fit_seconds": fit_seconds},
                  open(a.metrics_out, "w"))


if __name__ == "__main__":
    main()
