"""Evaluate every tool's fitted parameters on ONE objective definition (bench venv's python).

  objective(w, b) = (1/n) sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2/2) ||w||^2,
  z_i = x_i . w + b, x standardised with the data's mean and population std, b unpenalised,

in float64 with numpy (the same data, parsed once, for every tool). Parameter sources:
  logit:FILE      logit's model JSON (coefficient_standardized, intercept_standardized)
  params:FILE     {"w": [...], "b": ...} on the standardised scale (scikit-learn, linfa)
  liblinear:FILE  a LIBLINEAR model trained on the standardised features (bench/py/convert.py);
                  with -B B the last weight times B is the intercept; its sign follows the
                  first entry of its `label` line
With more than two classes in the target (labels 0..K-1) the objective is the multinomial one,
  (1/n) sum_i [logsumexp(z_i) - z_i,y_i] + (l2/2) ||W||^2,  z_i = W x_i + b,
read from logit's `coefficients_standardized` / `intercepts_standardized` (K x p, K) or
{"W": [[...]], "b": [...]} (scikit-learn).
Prints one JSON object {name: objective}; a source that cannot be read gives null.

Usage: objective.py DATA.csv --target y --l2 L NAME=KIND:FILE ...
"""
import argparse
import json
import sys

import numpy as np
import pandas as pd


def read_logit(path):
    m = json.load(open(path))
    if "classes" in m and len(m["classes"]) > 2:
        return (np.array(m["coefficients_standardized"], dtype=np.float64),
                np.array(m["intercepts_standardized"], dtype=np.float64))
    return (np.array([f["coefficient_standardized"] for f in m["features"]]),
            float(m["intercept_standardized"]))


def read_params(path):
    m = json.load(open(path))
    if "W" in m:
        return np.array(m["W"], dtype=np.float64), np.array(m["b"], dtype=np.float64)
    return np.array(m["w"], dtype=np.float64), float(m["b"])


def read_liblinear(path):
    header, weights = {}, []
    with open(path) as f:
        for line in f:
            if line.strip() == "w":
                weights = [float(l.split()[0]) for l in f if l.strip()]
                break
            key, *vals = line.split()
            header[key] = vals
    p = int(header["nr_feature"][0])
    bias = float(header["bias"][0])
    sign = 1.0 if header["label"][0] == "1" else -1.0
    w = sign * np.array(weights[:p])
    b = sign * weights[p] * bias if bias > 0 else 0.0
    return w, b


READERS = {"logit": read_logit, "params": read_params, "liblinear": read_liblinear}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--target", default="y")
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("sources", nargs="+")
    a = ap.parse_args()
    df = pd.read_csv(a.data)
    labels = df.pop(a.target).to_numpy()
    classes = np.unique(labels)
    multi = len(classes) > 2
    y = np.searchsorted(classes, labels) if multi else (labels == 1).astype(np.float64)
    x = df.to_numpy(dtype=np.float64, copy=True)
    del df
    x -= x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    x /= std
    result = {}
    for src in a.sources:
        name, rest = src.split("=", 1)
        kind, path = rest.split(":", 1)
        try:
            w, b = READERS[kind](path)
            if multi:
                z = x @ w.T + b
                zmax = z.max(axis=1, keepdims=True)
                lse = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
                loss = np.mean(lse - z[np.arange(len(y)), y])
                result[name] = float(loss + 0.5 * a.l2 * np.sum(w * w))
            else:
                z = x @ w + b
                result[name] = float(np.mean(np.logaddexp(0.0, z) - y * z)
                                     + 0.5 * a.l2 * (w @ w))
        except Exception as e:  # a missing or malformed output: reported, not fatal
            print(f"objective.py: {name}: {e}", file=sys.stderr)
            result[name] = None
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
