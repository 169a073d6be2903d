#!/usr/bin/env python3
"""`mpirun -np K logit train --distributed` against the single-process `logit train` on the
shared reference data (issue 12, "Distributed, on MPI").

For every case and K in (2, 3): the distributed model's objective equals the single-process
model's to 1e-14 relative, and `logit predict` of both models on the case's test file gives
the same probabilities to 1e-12. Also: a shard directory, and a bad cell on one rank, which
must stop every rank with exit 2, that rank's file and line, and no model written.

Usage: python3 .ci/mpi_check.py --bin target/release/logit --shared ../shared/reference
(the binary built with `--features mpi`). Standard library only.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]

# (train file, test file, train options). L2 > 0 where the classes are separated without it.
CASES = [
    ("pima_train.csv", "pima_test.csv", ["--target", "type"]),
    ("spector_train.csv", "spector_test.csv", ["--target", "GRADE"]),
    ("computers_train.csv", "computers_test.csv", ["--target", "premium"]),
    ("breast_cancer_train.csv", "breast_cancer_test.csv", ["--target", "diagnosis", "--positive", "malignant", "--l2", "0.1"]),
    ("multi/iris_train.csv", "multi/iris_test.csv", ["--target", "Species", "--l2", "0.01"]),
    ("multi/wine_train.csv", "multi/wine_test.csv", ["--target", "cultivar", "--l2", "0.1"]),
    # esoph is quasi-completely separated at l2 = 0 (see separation_cases).
    ("multi/esoph_train.csv", "multi/esoph_test.csv", ["--target", "case", "--weight", "count", "--l2", "0.01"]),
    ("multi/pima_w_train.csv", "multi/pima_w_test.csv", ["--target", "type", "--weight", "w"]),
    ("pima_train.csv", "pima_test.csv", ["--target", "type", "--solver", "newton"]),
]

FAILURES = []
PASSED = 0


def check(ok, what):
    global PASSED
    if ok:
        PASSED += 1
        print(f"ok   {what}")
    else:
        FAILURES.append(what)
        print(f"FAIL {what}")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def probabilities(binary, model, test, tmp):
    out = os.path.join(tmp, "p.csv")
    r = run([binary, "predict", model, test, "-o", out])
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    with open(out) as f:
        rows = list(csv.DictReader(f))
    cols = [c for c in rows[0] if c.startswith("p_") or c.startswith("prob")]
    return [[float(r[c]) for c in cols] for r in rows], cols


def compare(binary, single_model, dist_model, test, tmp, what):
    a, b = json.load(open(single_model)), json.load(open(dist_model))
    oa, ob = a["fit"]["objective"], b["fit"]["objective"]
    rel = abs(oa - ob) / max(abs(oa), 1e-300)
    check(rel <= 1e-14, f"{what}: objective {ob!r} vs {oa!r} (rel {rel:.1e})")
    pa, cols = probabilities(binary, single_model, test, tmp)
    pb, _ = probabilities(binary, dist_model, test, tmp)
    worst = max(abs(u - v) for ra, rb in zip(pa, pb) for u, v in zip(ra, rb))
    check(cols and len(pa) == len(pb) and worst <= 1e-12,
          f"{what}: {len(pa)} rows x {len(cols)} probabilities, max diff {worst:.1e}")
    return rel, worst


def separation_cases(binary, shared, tmp):
    """Separated data at --l2 0: the distributed fit gives the single-process diagnosis (stop
    reason "separation", the same certificate found over every rank's rows)."""
    # Quasi-complete: y = 1 exactly when x2 > 0, both labels at x2 = 0; x1 noise. The rows of
    # each label are spread over the file, so no rank holds a separated part of its own only.
    quasi = os.path.join(tmp, "quasi.csv")
    with open(quasi, "w") as f:
        f.write("x1,x2,y\n")
        for i in range(90):
            x1 = ((i * 37) % 23) / 7.0 - 1.5
            x2 = (i % 9) - 4
            y = 1 if x2 > 0 else 0 if x2 < 0 else i % 2
            f.write(f"{x1},{x2},{y}\n")
    # Complete: y = 1 exactly when x1 + x2 > 0.
    complete = os.path.join(tmp, "complete.csv")
    with open(complete, "w") as f:
        f.write("x1,x2,y\n")
        for i in range(90):
            x1 = ((i * 37) % 23) / 7.0 - 1.5
            x2 = ((i * 11) % 17) / 5.0 - 1.7
            if abs(x1 + x2) < 0.2:
                continue
            f.write(f"{x1},{x2},{1 if x1 + x2 > 0 else 0}\n")
    cases = [
        (os.path.join(shared, "multi/esoph_train.csv"), ["--target", "case", "--weight", "count"]),
        (quasi, ["--target", "y"]),
        (complete, ["--target", "y"]),
    ]
    for path, opts in cases:
        name = os.path.basename(path)
        single = os.path.join(tmp, "sep_single.json")
        r = run([binary, "train", path, "-o", single, "--quiet", "--l2", "0"] + opts)
        if r.returncode != 0:
            check(False, f"{name} --l2 0 single-process train: {r.stderr.strip()}")
            continue
        want = json.load(open(single))["fit"]["stop_reason"]
        check(want == "separation", f"{name} --l2 0 single process: stop reason {want}")
        for k in (2, 3):
            dist = os.path.join(tmp, f"sep_dist{k}.json")
            r = run(MPIRUN + ["-np", str(k), binary, "train", path, "-o", dist, "--quiet",
                              "--distributed", "--l2", "0"] + opts)
            got = json.load(open(dist))["fit"]["stop_reason"] if r.returncode == 0 else None
            check(got == want, f"{name} --l2 0 np={k}: stop reason {got} (single process "
                               f"{want}) {r.stderr.strip()[-300:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shared", required=True)
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    shared = args.shared
    with tempfile.TemporaryDirectory() as tmp:
        for train, test, opts in CASES:
            train_path, test_path = os.path.join(shared, train), os.path.join(shared, test)
            single = os.path.join(tmp, "single.json")
            r = run([binary, "train", train_path, "-o", single, "--quiet"] + opts)
            if r.returncode != 0:
                check(False, f"{train} single-process train: {r.stderr.strip()}")
                continue
            for k in (2, 3):
                dist = os.path.join(tmp, f"dist{k}.json")
                r = run(MPIRUN + ["-np", str(k), binary, "train", train_path, "-o", dist,
                                  "--quiet", "--distributed"] + opts)
                if r.returncode != 0:
                    check(False, f"{train} {' '.join(opts)} np={k}: exit {r.returncode}: "
                                 f"{r.stderr.strip()[-2000:]}")
                    continue
                compare(binary, single, dist, test_path, tmp, f"{train} {' '.join(opts)} np={k}")

        # Shards: the pima training rows cut into three files, read by two ranks.
        shard_dir = os.path.join(tmp, "shards")
        os.mkdir(shard_dir)
        with open(os.path.join(shared, "pima_train.csv")) as f:
            lines = f.readlines()
        header, body = lines[0], lines[1:]
        for i in range(3):
            part = body[i * len(body) // 3:(i + 1) * len(body) // 3]
            with open(os.path.join(shard_dir, f"part-{i}.csv"), "w") as f:
                f.write(header + "".join(part))
        single = os.path.join(tmp, "single.json")
        run([binary, "train", os.path.join(shared, "pima_train.csv"), "--target", "type",
             "-o", single, "--quiet"])
        dist = os.path.join(tmp, "shards.json")
        r = run(MPIRUN + ["-np", "2", binary, "train", shard_dir, "--target", "type", "-o", dist,
                          "--quiet", "--distributed"])
        if r.returncode == 0:
            compare(binary, single, dist, os.path.join(shared, "pima_test.csv"), tmp,
                    "pima as 3 shards on np=2")
        else:
            check(False, f"shards np=2: {r.stderr.strip()}")

        # eval: the same report (every metric, ROC AUC included) from the gathered rows.
        test = os.path.join(shared, "pima_test.csv")
        want = run([binary, "eval", single, test, "--target", "type", "--json"])
        for k in (2, 3):
            got = run(MPIRUN + ["-np", str(k), binary, "eval", single, test, "--target", "type",
                                "--json", "--distributed"])
            check(want.returncode == 0 and got.returncode == 0 and got.stdout == want.stdout,
                  f"eval --distributed np={k}: the single-process JSON report "
                  f"(exit {got.returncode}) {got.stderr.strip()[-300:]}")
        gate = run(MPIRUN + ["-np", "2", binary, "eval", single, test, "--target", "type",
                             "--min", "roc_auc=0.999", "--distributed"])
        check(gate.returncode == 1, f"eval --distributed failed gate: exit {gate.returncode}")

        # A bad cell in the last third: rank 2 of 3 fails, every rank exits 2, nothing written.
        bad = os.path.join(tmp, "bad.csv")
        body2 = list(body)
        at = len(body2) - 5
        cells = body2[at].split(",")
        cells[1] = "oops"
        body2[at] = ",".join(cells)
        with open(bad, "w") as f:
            f.write(header + "".join(body2))
        out = os.path.join(tmp, "bad.json")
        r = run(MPIRUN + ["-np", "3", binary, "train", bad, "--target", "type", "-o", out,
                          "--distributed"])
        line = at + 2
        check(r.returncode == 2 and "rank 2 of 3" in r.stderr and f"line {line}" in r.stderr
              and "oops" in r.stderr and not os.path.exists(out),
              f"bad cell on rank 2: exit {r.returncode}, message {r.stderr.strip()[:300]!r}")

        separation_cases(binary, shared, tmp)

    print(f"{PASSED} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
