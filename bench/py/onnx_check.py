#!/usr/bin/env python3
"""Issue 14, an independent check of `logit export`: onnxruntime scores a CSV with the exported
graph, compared with `logit predict` on the same CSV.

    bench/.venv/bin/python bench/py/onnx_check.py MODEL.json DATA.csv [--logit BIN]
        [--precision f64,f32]

For each precision: `logit export MODEL.json -o m.onnx --precision P`, `logit predict MODEL.json
DATA.csv`, then onnxruntime on the graph's input (the columns named in the graph's `features`
metadata, in that order; empty or NA cells as NaN), and prints the largest absolute difference
of a class probability and the number of rows whose label differs. For f32 it also runs
`logit predict` on the data rounded to float32 (each value written exactly), which separates
the graph's own float32 arithmetic from the rounding of its input. Not part of CI (onnxruntime
is a bench dependency: pip install onnxruntime into bench/.venv).
"""

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

MISSING = {"", "NA"}


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def graph_input(header, rows, features):
    """The graph's input rows: `features` in that order, a missing cell as NaN."""
    at = [header.index(f) for f in features]
    return np.array(
        [[math.nan if r[j].strip() in MISSING else float(r[j]) for j in at] for r in rows],
        dtype=np.float64,
    )


def predicted(path, classes, positive):
    """`logit predict` output as (probabilities [n, K] in class order, labels)."""
    header, rows = read_csv(path)
    pred = header.index("prediction")
    if positive is not None:
        col = header.index("probability")
        p = np.array([float(r[col]) for r in rows])
        probs = np.column_stack([p if c == positive else 1.0 - p for c in classes])
    else:
        cols = [header.index(f"probability_{c}") for c in classes]
        probs = np.array([[float(r[j]) for j in cols] for r in rows])
    return probs, [r[pred] for r in rows]


def write_rounded(path, features, x):
    """`x` rounded to float32, each value written exactly (repr of the float64 it equals)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(features)
        for r in x.astype(np.float32).astype(np.float64):
            w.writerow(["" if math.isnan(v) else repr(float(v)) for v in r])


def logit(bin_, *args):
    subprocess.run([bin_, *args], check=True, stderr=subprocess.DEVNULL)


def check(bin_, model, data, precision, tmp):
    graph = tmp / f"m_{precision}.onnx"
    logit(bin_, "export", model, "-o", graph, "--precision", precision)
    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    classes = json.loads(meta["classes"])
    features = json.loads(meta["features"])
    positive = meta.get("positive_class")
    header, rows = read_csv(data)
    x = graph_input(header, rows, features)
    dtype = np.float32 if precision == "f32" else np.float64
    probs, labels = session.run(["probabilities", "label"], {"features": x.astype(dtype)})
    probs = probs.astype(np.float64)
    out = tmp / "predict.csv"
    logit(bin_, "predict", model, data, "-o", out)
    want, want_labels = predicted(out, classes, positive)
    diff = np.abs(probs - want).max()
    flips = sum(classes[i] != w for i, w in zip(labels, want_labels))
    line = f"{precision}: {len(rows)} rows, max |onnxruntime - predict| {diff:.2e}"
    if precision == "f32":
        rounded = tmp / "rounded.csv"
        write_rounded(rounded, features, x)
        logit(bin_, "predict", model, rounded, "-o", out)
        want32, _ = predicted(out, classes, positive)
        line += f" (against predict on the float32-rounded input {np.abs(probs - want32).max():.2e})"
    line += f", labels differing {flips}"
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="model JSON written by logit train")
    ap.add_argument("data", help="CSV to score")
    ap.add_argument("--logit", default="target/release/logit", help="the logit binary")
    ap.add_argument("--precision", default="f64,f32", help="comma-separated: f64, f32")
    args = ap.parse_args()
    if not Path(args.logit).exists():
        sys.exit(f"onnx_check: {args.logit}: no such binary (cargo build --release, or --logit)")
    print(f"{args.model} on {args.data} (onnxruntime {ort.__version__}):")
    with tempfile.TemporaryDirectory() as tmp:
        for precision in args.precision.split(","):
            print("  " + check(args.logit, args.model, args.data, precision, Path(tmp)))


if __name__ == "__main__":
    main()
