"""Issue 11: every tool's fit on ONE objective, for an svmlight file or the one-hot CSV H.

  f(w, b) = (1/n) sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2/2) sum_j (s_j w_j)^2,
  z_i = x_i . w + b in ORIGINAL units, y_i = [label_i = 1], b free,
  s_j = 1 (--kind raw: LIBLINEAR's problem, logit --no-standardize) or the population std of
  column j, 0 -> 1 (--kind std: logit's default; centring does not change f with b free).
Sources (all in original units):
  logit:FILE      logit's model JSON (features[].name / coefficient, intercept)
  params:FILE     {"w": [...], "b": ...} (and "names" for CSV data) from the scikit-learn scripts
  liblinear:FILE  a LIBLINEAR model file (-B B: last weight x B is the intercept; the sign
                  follows the first entry of its `label` line; the intercept IS in its penalty,
                  which f leaves out: that is the floor of its gap, see RESULTS.md)
For .svm data, feature j is named f<j> (1-based), as logit names them.
Prints one JSON object {name: f} (null when a source cannot be read).

Usage: obj11.py DATA (.svm | .csv) --l2 L --kind raw|std [--target y] NAME=KIND:FILE ...
"""
import argparse
import json
import sys

import numpy as np


def load(path, target):
    if path.endswith((".svm", ".libsvm", ".svmlight")):
        from sklearn.datasets import load_svmlight_file
        x, y = load_svmlight_file(path)
        return x.tocsr(), (y == 1).astype(np.float64), [f"f{j + 1}" for j in range(x.shape[1])]
    import pandas as pd
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from sk_onehot import design
    df = pd.read_csv(path)
    y = (df.pop(target).to_numpy() == 1).astype(np.float64)
    x, names = design(df)
    return x, y, names


def read_logit(path, index):
    m = json.load(open(path))
    w = np.zeros(len(index))
    for f in m["features"]:
        w[index[f["name"]]] = f["coefficient"]
    return w, float(m["intercept"])


def read_params(path, index):
    m = json.load(open(path))
    w = np.array(m["w"], dtype=np.float64)
    if "names" in m:
        out = np.zeros(len(index))
        for name, v in zip(m["names"], w):
            out[index[name]] = v
        w = out
    return w, float(m["b"])


def read_liblinear(path, index):
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
    w = np.zeros(len(index))
    w[:p] = sign * np.array(weights[:p])
    b = sign * weights[p] * bias if bias > 0 else 0.0
    return w, b


READERS = {"logit": read_logit, "params": read_params, "liblinear": read_liblinear}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--target", default="y")
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--kind", choices=["raw", "std"], required=True)
    ap.add_argument("sources", nargs="+")
    a = ap.parse_args()
    x, y, names = load(a.data, a.target)
    index = {nm: j for j, nm in enumerate(names)}
    if a.kind == "std":
        mean = np.asarray(x.mean(axis=0))[0]
        sq = np.asarray(x.multiply(x).mean(axis=0))[0]
        s = np.sqrt(np.maximum(sq - mean * mean, 0.0))
        s[s == 0] = 1.0
    else:
        s = np.ones(x.shape[1])
    out = {}
    for src in a.sources:
        name, rest = src.split("=", 1)
        kind, path = rest.split(":", 1)
        try:
            w, b = READERS[kind](path, index)
            z = x @ w + b
            sw = s * w
            out[name] = float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * a.l2 * (sw @ sw))
        except Exception as e:  # a missing or malformed output: reported, not fatal
            print(f"obj11.py: {name}: {e!r}", file=sys.stderr)
            out[name] = None
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
