#!/usr/bin/env python3
"""Issue 12, "MPI result equal to single-process", on the bench set M: train M as one process
and with `mpirun -np K --distributed` (K = 2, 3), predict M with every model, and print the
largest relative objective difference and the largest absolute probability difference against
the single-process model, with each fit's iterations and Newton steps.

Usage: bench/exact_m.py --bin BIN [--data M.csv] [--out DIR] [-- TRAIN OPTIONS...]
(BIN built with --features mpi; standard library only).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]


def timed(cmd):
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + cmd, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr[-3000:]}")
    last = r.stderr.strip().splitlines()[-1].split()
    return {"wall": float(last[0]), "cpu": float(last[1]) + float(last[2]),
            "rss_mib": int(last[3]) / 1024, "elapsed": time.perf_counter() - t}


def probabilities(path):
    with open(path) as f:
        rows = csv.reader(f)
        header = next(rows)
        cols = [i for i, c in enumerate(header) if c.startswith("p_") or c.startswith("prob")]
        return [float(r[i]) for r in rows for i in cols]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", default="/work/bench-data/M.csv")
    ap.add_argument("--out", default="/tmp/exact_m")
    ap.add_argument("--ranks", default="2,3")
    ap.add_argument("train_options", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    binary = os.path.abspath(a.bin)
    opts = ["--target", "y", "--quiet"] + a.train_options
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load {' '.join(load)}; train options {' '.join(a.train_options) or '(default)'}")
    runs = {"single": []}
    for k in [int(k) for k in a.ranks.split(",")]:
        runs[f"np{k}"] = MPIRUN + ["-np", str(k)]
    results = {}
    for name, prefix in runs.items():
        model = os.path.join(a.out, f"{name}.json")
        extra = ["--distributed"] if prefix else []
        t = timed(prefix + [binary, "train", a.data, "-o", model] + opts + extra)
        pred = os.path.join(a.out, f"{name}.csv")
        timed([binary, "predict", model, a.data, "-o", pred])
        fit = json.load(open(model))["fit"]
        results[name] = (fit, probabilities(pred))
        print(f"{name}: {fit['iterations']} iterations + {fit.get('newton_steps', 0)} Newton "
              f"steps, stop {fit['stop_reason']}, objective {fit['objective']!r}, gradient "
              f"{fit['gradient_norm']:.2e}; {t['wall']:.2f} s wall, {t['cpu']:.2f} s CPU")
    base_fit, base_p = results["single"]
    for name, (fit, p) in results.items():
        if name == "single":
            continue
        rel = abs(fit["objective"] - base_fit["objective"]) / abs(base_fit["objective"])
        worst = max(abs(u - v) for u, v in zip(p, base_p))
        print(f"{name} vs single: objective rel diff {rel:.2e}, max |probability diff| "
              f"{worst:.2e} over {len(p)} probabilities")


if __name__ == "__main__":
    main()
