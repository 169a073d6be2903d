"""scikit-learn reference numbers for issue 13's datasets (tests/fixtures/nn/, bench/py/gen_nn.py).

Run with the bench venv's python from the repository root:
    bench/.venv/bin/python bench/py/sk_nn.py [--only moons,xor] [--out tests/fixtures/nn/sklearn.json]

For every set and every case (layers, activation, l2, solver) below: StandardScaler (population
std, as logit's standardisation) then MLPClassifier with the same hidden layers and activation,
random_state = seed for seeds 0..4; test accuracy and ROC AUC (multiclass: macro one-vs-rest,
as logit eval) per seed and their medians; and the linear model's (LogisticRegression lbfgs,
C = 1 / (l2 * n_train), the same objective as `logit train --l2 l2`) on the same scaled inputs.

How the two objectives are matched:
  * logit minimises mean log loss + (l2 / 2) * ||all weights||^2 (biases unpenalised);
    MLPClassifier's lbfgs minimises mean log loss + alpha / (2 n) * ||weights||^2, so
    alpha = l2 * n_train.
  * MLPClassifier's adam adds alpha / (2 b) * ||W||^2 to each mini-batch of b rows (it divides
    by the batch's size, not n: _backprop's `values / sw_sum`), so the objective its steps
    follow is mean log loss + alpha / (2 b) ||W||^2 and the matching alpha is l2 * batch_size
    (n_train is a multiple of every batch size used, so every batch has b rows).
  * lbfgs: max_iter (scipy's maxiter) and tol (gtol) as given, max_fun 15000: run to
    convergence, not to scikit-learn's default 200 iterations.
  * adam: a fixed number of epochs (max_iter = epochs, n_iter_no_change = epochs, tol = 0:
    never stops early), shuffle on, learning_rate_init and batch_size as given, betas
    0.9/0.999, epsilon 1e-8 (scikit-learn's defaults).
  * initialisation: scikit-learn's Glorot uniform (bound sqrt(6 / (fan_in + fan_out)),
    sqrt(2 / ...) for logistic) from its own random stream: the same distribution as logit's,
    not the same draws, hence medians over seeds rather than per-seed equality.
"""
import argparse
import json
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

SEEDS = [0, 1, 2, 3, 4]
SK_ACTIVATION = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}

# name, set, hidden, activation, l2, solver, solver options
CASES = [
    ("moons-lbfgs", "moons", [16, 16], "relu", 1e-3, "lbfgs", {"max_iter": 3000, "tol": 1e-7}),
    ("moons-adam", "moons", [16, 16], "relu", 1e-3, "adam",
     {"epochs": 200, "batch_size": 50, "learning_rate": 0.01}),
    ("circles-lbfgs", "circles", [16], "tanh", 1e-3, "lbfgs", {"max_iter": 3000, "tol": 1e-7}),
    ("xor-lbfgs", "xor", [16], "tanh", 3e-3, "lbfgs", {"max_iter": 3000, "tol": 1e-7}),
    ("xor-sigmoid-lbfgs", "xor", [16], "sigmoid", 1e-3, "lbfgs",
     {"max_iter": 3000, "tol": 1e-7}),
    # spirals: 1000 iterations is where both stop (not converged; test accuracy has levelled)
    ("spirals-lbfgs", "spirals", [16, 16], "tanh", 1e-3, "lbfgs",
     {"max_iter": 1000, "tol": 1e-7}),
    ("rings3-lbfgs", "rings3", [16], "relu", 1e-3, "lbfgs", {"max_iter": 3000, "tol": 1e-7}),
    ("rings3-adam", "rings3", [32], "relu", 1e-3, "adam",
     {"epochs": 200, "batch_size": 50, "learning_rate": 0.01}),
]


def load(path):
    lines = Path(path).read_text().splitlines()
    header = lines[0].split(",")
    rows = [l.split(",") for l in lines[1:]]
    x = np.array([[float(v) for v in r[:-1]] for r in rows])
    y = np.array([r[-1] for r in rows])
    return header, x, y


def metrics(y_test, proba, classes):
    pred = classes[np.argmax(proba, axis=1)]
    acc = accuracy_score(y_test, pred)
    if len(classes) == 2:
        auc = roc_auc_score(y_test == classes[1], proba[:, 1])
    else:
        auc = roc_auc_score(y_test, proba, multi_class="ovr", average="macro", labels=classes)
    return float(acc), float(auc)


def mlp(hidden, activation, l2, solver, opts, n, seed):
    common = dict(hidden_layer_sizes=tuple(hidden), activation=SK_ACTIVATION[activation],
                  solver=solver, random_state=seed)
    if solver == "lbfgs":
        return MLPClassifier(alpha=l2 * n, max_iter=opts["max_iter"], tol=opts["tol"],
                             max_fun=15000, **common)
    return MLPClassifier(alpha=l2 * opts["batch_size"], batch_size=opts["batch_size"],
                         learning_rate_init=opts["learning_rate"], max_iter=opts["epochs"],
                         n_iter_no_change=opts["epochs"], tol=0.0, shuffle=True, **common)


def run_case(data, case):
    name, ds, hidden, activation, l2, solver, opts = case
    _, x_train, y_train = load(data / f"{ds}_train.csv")
    _, x_test, y_test = load(data / f"{ds}_test.csv")
    n = len(y_train)
    scaler = StandardScaler().fit(x_train)
    xs_train, xs_test = scaler.transform(x_train), scaler.transform(x_test)
    per_seed = []
    for seed in SEEDS:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m = mlp(hidden, activation, l2, solver, opts, n, seed).fit(xs_train, y_train)
        acc, auc = metrics(y_test, m.predict_proba(xs_test), m.classes_)
        per_seed.append({"seed": seed, "accuracy": acc, "roc_auc": auc,
                         "iterations": int(m.n_iter_), "train_loss": float(m.loss_),
                         "seconds": round(time.perf_counter() - t, 3)})
    lin = LogisticRegression(C=1.0 / (l2 * n), max_iter=10000, tol=1e-10).fit(xs_train, y_train)
    lin_acc, lin_auc = metrics(y_test, lin.predict_proba(xs_test), lin.classes_)
    return {
        "name": name, "set": ds, "hidden": hidden, "activation": activation, "l2": l2,
        "solver": solver, "options": opts,
        "sklearn_alpha": l2 * (n if solver == "lbfgs" else opts["batch_size"]),
        "n_train": n, "n_test": len(y_test),
        "per_seed": per_seed,
        "median_accuracy": statistics.median(r["accuracy"] for r in per_seed),
        "median_roc_auc": statistics.median(r["roc_auc"] for r in per_seed),
        "linear": {"accuracy": lin_acc, "roc_auc": lin_auc},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="tests/fixtures/nn")
    ap.add_argument("--out", default="tests/fixtures/nn/sklearn.json")
    ap.add_argument("--only", help="comma-separated case names (replaced in an existing --out)")
    a = ap.parse_args()
    data = Path(a.data)
    cases = [c for c in CASES if not a.only or c[0] in a.only.split(",")]
    results = []
    for c in cases:
        r = run_case(data, c)
        print(f"{r['name']:20s} acc {r['median_accuracy']:.4f} auc {r['median_roc_auc']:.4f}  "
              f"linear {r['linear']['accuracy']:.4f}/{r['linear']['roc_auc']:.4f}  seeds "
              + " ".join(f"{s['accuracy']:.3f}/{s['iterations']}" for s in r["per_seed"]),
              file=sys.stderr)
        results.append(r)
    doc = {
        "produced_by": "bench/.venv/bin/python bench/py/sk_nn.py (see its docstring for the "
                       "objective matching); data from bench/py/gen_nn.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "seeds": SEEDS,
        "cases": results,
    }
    if a.only and Path(a.out).exists():  # replace just these cases in the existing file
        old = json.loads(Path(a.out).read_text())
        new = {r["name"]: r for r in results}
        doc["cases"] = [new.pop(c["name"], c) for c in old["cases"]] + list(new.values())
    Path(a.out).write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
