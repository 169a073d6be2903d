#!/usr/bin/env python3
"""`mpirun -np K logit train|eval|cv --distributed` against the single-process commands on the
shared reference data (issue 12, "Distributed, on MPI").

train, for every case and K in (2, 3): the distributed model's objective equals the
single-process model's to 1e-14 relative, and `logit predict` of both models on the case's test
file gives the same probabilities to 1e-12. Also: a shard directory, and a bad cell on one rank,
which must stop every rank with exit 2, that rank's file and line, and no model written.

eval (binary, multinomial, one-vs-rest, weighted), K in (2, 3): the `--json` report equals the
single-process one, integers (counts, n) and the unweighted ROC AUC exactly, every other number
to 1e-14 relative; gates give the single-process exit status.

cv, K in (2, 3): the `--json` report and the model file equal the single-process ones exactly.

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


def close(a, b, rtol, at, exact=()):
    """Where two JSON values differ beyond `rtol` (integers, strings and the keys in `exact`
    must be equal), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{at}: keys {list(a)} vs {list(b)}"
        for k in a:
            why = close(a[k], b[k], 0.0 if k in exact else rtol, f"{at}.{k}", exact)
            if why:
                return why
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{at}: {len(a)} vs {len(b)} items"
        for i, (u, v) in enumerate(zip(a, b)):
            why = close(u, v, rtol, f"{at}[{i}]", exact)
            if why:
                return why
        return None
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
            return None if a == b else f"{at}: {a!r} vs {b!r}"
        err = abs(a - b) / max(abs(a), abs(b), 1e-300)
        return None if err <= rtol or a == b else f"{at}: {a!r} vs {b!r} (rel {err:.1e})"
    return None if a == b else f"{at}: {a!r} vs {b!r}"


# (model's training file, its train options, test file, eval options)
EVAL_CASES = [
    ("pima_train.csv", ["--target", "type"], "pima_test.csv",
     ["--target", "type", "--thresholds", "--grid", "all", "--pick", "f1"]),
    ("breast_cancer_train.csv", ["--target", "diagnosis", "--positive", "malignant", "--l2", "0.1"],
     "breast_cancer_test.csv", ["--target", "diagnosis", "--threshold", "0.3"]),
    ("multi/pima_w_train.csv", ["--target", "type", "--weight", "w"], "multi/pima_w_test.csv",
     ["--target", "type", "--weight", "w"]),
    ("multi/iris_train.csv", ["--target", "Species", "--l2", "0.01"], "multi/iris_test.csv",
     ["--target", "Species"]),
    ("multi/iris_train.csv", ["--target", "Species", "--l2", "0.01", "--multiclass", "ovr"],
     "multi/iris_test.csv", ["--target", "Species"]),
    ("multi/wine_train.csv", ["--target", "cultivar", "--l2", "0.1"], "multi/wine_test.csv",
     ["--target", "cultivar"]),
    ("multi/esoph_train.csv", ["--target", "case", "--weight", "count", "--l2", "0.01"],
     "multi/esoph_test.csv", ["--target", "case", "--weight", "count"]),
]


def eval_checks(binary, shared, tmp):
    """eval --distributed: the single-process JSON report from the ranks' merged tallies."""
    for train, train_opts, test, opts in EVAL_CASES:
        model = os.path.join(tmp, "eval_model.json")
        r = run([binary, "train", os.path.join(shared, train), "-o", model, "--quiet"] + train_opts)
        if r.returncode != 0:
            check(False, f"eval model {train}: {r.stderr.strip()}")
            continue
        test_path = os.path.join(shared, test)
        what = f"eval {test} {' '.join(train_opts[2:] + [o for o in opts[2:] if o not in train_opts])}"
        want = run([binary, "eval", model, test_path, "--json"] + opts)
        weighted = "--weight" in opts
        exact = () if weighted else ("roc_auc", "pr_auc")
        for k in (2, 3):
            got = run(MPIRUN + ["-np", str(k), binary, "eval", model, test_path, "--json",
                                "--distributed"] + opts)
            if want.returncode != 0 or got.returncode != 0:
                check(False, f"{what} np={k}: exit {want.returncode}/{got.returncode} "
                             f"{(want.stderr + got.stderr).strip()[-500:]}")
                continue
            why = close(json.loads(got.stdout), json.loads(want.stdout), 1e-14, "report", exact)
            check(why is None, f"{what} np={k}: the single-process JSON report"
                               f"{'' if why is None else ': ' + why}")
        # Gates: one that passes, one that fails, the same exit status as one process.
        for gate in (["--min", "accuracy=0.5"], ["--min", "roc_auc=0.9999", "--max", "log_loss=0.01"]):
            want = run([binary, "eval", model, test_path] + opts + gate)
            got = run(MPIRUN + ["-np", "2", binary, "eval", model, test_path, "--distributed"]
                      + opts + gate)
            check(got.returncode == want.returncode and want.returncode in (0, 1)
                  and got.stderr.count("gate failed") == want.stderr.count("gate failed"),
                  f"{what} {' '.join(gate)} np=2: exit {got.returncode}, single {want.returncode}")


# (training file, cv options)
CV_CASES = [
    ("pima_train.csv", ["--target", "type", "--folds", "5", "--seed", "3"]),
    ("multi/pima_w_train.csv", ["--target", "type", "--weight", "w", "--l1-ratio", "0.5",
                                "--metric", "roc_auc", "--choose", "1se", "--n-lambda", "30"]),
    ("multi/iris_train.csv", ["--target", "Species", "--folds", "4", "--n-lambda", "25",
                              "--metric", "log_loss"]),
]


def cv_checks(binary, shared, tmp):
    """cv --distributed: the folds across ranks give the single-process report and model."""
    for train, opts in CV_CASES:
        data = os.path.join(shared, train)
        single = os.path.join(tmp, "cv_single.json")
        want = run([binary, "cv", data, "-o", single, "--json", "--quiet"] + opts)
        if want.returncode != 0:
            check(False, f"cv {train} single-process: {want.stderr.strip()}")
            continue
        for k in (2, 3):
            dist = os.path.join(tmp, f"cv_dist{k}.json")
            got = run(MPIRUN + ["-np", str(k), binary, "cv", data, "-o", dist, "--json", "--quiet",
                                "--distributed"] + opts)
            if got.returncode != 0:
                check(False, f"cv {train} np={k}: exit {got.returncode}: {got.stderr.strip()[-800:]}")
                continue
            same_model = open(single).read() == open(dist).read()
            check(got.stdout == want.stdout and same_model,
                  f"cv {train} {' '.join(opts[2:])} np={k}: the single-process report "
                  f"({'same' if got.stdout == want.stdout else 'different'}) and model file "
                  f"({'same' if same_model else 'different'})")
    r = run(MPIRUN + ["-np", "2", binary, "cv", os.path.join(shared, "pima_train.csv"), "--target",
                      "type", "-o", "-", "--distributed"])
    check(r.returncode == 2 and "-o - is not supported with --distributed" in r.stderr,
          f"cv --distributed -o -: exit {r.returncode}, {r.stderr.strip()[:200]!r}")


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

        eval_checks(binary, shared, tmp)
        cv_checks(binary, shared, tmp)

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
