"""Task 13 (issue 13, hidden layers): train a network on 100,000 x 20, logit vs scikit-learn.

    python3 bench/task13.py [--rounds N] [--data DIR] [--rows N] [--logit PATH]
    (or bench/run.sh --task 13 ...)

Data: bench/py/gen_nn.py --bench (a teacher network's labels, 20 N(0,1) inputs) into
DATA/N13.csv (+ N13_test.csv, 20,000 rows), regenerated when the generator changes.
Both tools, end to end from the CSV, `--hidden 64`, relu, adam, at most 20 epochs, batch 200
(the default of both), learning rate 0.001, the same objective (logit --l2 L is scikit-learn's
alpha = L * batch_size for adam: see bench/py/sk_nn.py), seed 0, and the same early stopping:
scikit-learn's defaults tol = 1e-4, n_iter_no_change = 10 (the defaults of logit's adam too),
so either may stop before 20 epochs; the epochs each ran are recorded.
  logit         logit train N13.csv --target y --hidden 64 --solver adam --epochs 20 ...
  scikit-learn  bench/py/sk_mlp.py: pandas read_csv + StandardScaler + MLPClassifier; its
                process also scores N13_test.csv afterwards (20,000 rows, well under 1% of
                its time) for the quality columns.
Rounds alternate the two tools (side by side, same load); the load average before and after
is recorded. The goal: logit's median wall <= 1/4 of scikit-learn's (the CPU ratio is
recorded too: under load it is the steadier figure). Quality (not timed):
test accuracy / ROC AUC of both (logit's from `logit eval`). Writes bench/results-13-latest.md
and .json.
"""
import argparse
import datetime
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bench as B

ROWS = 100_000
HIDDEN, EPOCHS, BATCH, LR, L2, SEED = "64", 20, 200, 0.001, 5e-7, 0
GOAL = 1 / 4


def ensure_data(data, rows):
    csv = data / ("N13.csv" if rows == ROWS else f"N13-{rows}.csv")
    stamp = csv.with_name(csv.name + ".stamp")
    recipe = f"{rows}\n" + (B.PY / "gen_nn.py").read_text()
    if not (csv.exists() and stamp.exists() and stamp.read_text() == recipe):
        B.log(f"generating {csv}")
        B.run([B.VPY, B.PY / "gen_nn.py", "--bench", csv, "--rows", rows])
        stamp.write_text(recipe)
    return csv, csv.with_name(csv.stem + "_test.csv")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data", type=Path, default=B.BENCH / "data")
    ap.add_argument("--rows", type=int, default=ROWS)
    ap.add_argument("--logit", type=Path, default=B.LOGIT)
    run(ap.parse_args())


def run(a):
    """The task; `a` has rounds, data, rows and logit (bench.py --task 13 passes its own)."""
    if not a.logit.exists():
        sys.exit(f"task13: {a.logit} missing (cargo build --release)")
    data = a.data.resolve()
    out = data / "out13"
    out.mkdir(parents=True, exist_ok=True)
    train, test = ensure_data(data, a.rows)
    B.warm([train, test])
    load_before = B.loadavg()
    started = time.perf_counter()
    model = out / "logit-N13.json"
    logit = [a.logit, "train", train, "--target", "y", "--hidden", HIDDEN, "--activation",
             "relu", "--solver", "adam", "--epochs", EPOCHS, "--batch-size", BATCH,
             "--learning-rate", LR, "--l2", L2, "--seed", SEED, "-o", model, "-q"]
    sk_metrics = out / "sk-N13.json"
    sk = [B.VPY, B.PY / "sk_mlp.py", train, "--hidden", HIDDEN, "--epochs", EPOCHS,
          "--batch-size", BATCH, "--learning-rate", LR, "--alpha", L2 * BATCH, "--seed", SEED,
          "--test", test, "--metrics-out", sk_metrics]
    res = {"logit": [], "scikit-learn": []}
    for r in range(a.rounds):
        for name, cmd in (("logit", logit), ("scikit-learn", sk)):
            m = B.measure(cmd, out / f"{name}-{r}")
            m["load"] = B.loadavg()
            B.log(f"round {r} {name}: {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, "
                  f"rc {m['rc']}, load {m['load']}")
            if m["rc"] != 0:
                sys.exit(f"task13: {name} failed: see {out}/{name}-{r}.err")
            res[name].append(m)
    ev = subprocess.run([str(a.logit), "eval", str(model), str(test), "--json"],
                        capture_output=True, text=True, check=True)
    logit_q = json.loads(ev.stdout)
    sk_q = json.loads(sk_metrics.read_text())
    med = {k: statistics.median(m["wall"] for m in v) for k, v in res.items()}
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "machine": B.machine_info(), "rows": a.rows, "rounds": a.rounds,
            "load_before": load_before, "load_after": B.loadavg(),
            "duration_min": (time.perf_counter() - started) / 60,
            "logit_command": " ".join(map(str, logit)), "sklearn_command": " ".join(map(str, sk))}
    ratio = med["logit"] / med["scikit-learn"]
    cpu = {k: statistics.median(m["cpu"] for m in v) for k, v in res.items()}
    cpu_ratio = cpu["logit"] / cpu["scikit-learn"]
    logit_epochs = json.loads(model.read_text())["fit"]["iterations"]
    md = [f"Task 13, {meta['date']}, {a.rows} x 20, --hidden 64 relu adam {EPOCHS} epochs, "
          f"batch {BATCH}, lr {LR}, l2 {L2} (alpha {L2 * BATCH:g}); {a.rounds} rounds "
          f"alternating; load {load_before} before, {meta['load_after']} after",
          "", "| tool | median wall s | walls | median CPU s | peak RSS MiB | epochs run "
          "| test accuracy | test ROC AUC |", "|---|---|---|---|---|---|---|---|"]
    epochs = {"logit": logit_epochs, "scikit-learn": sk_q["epochs"]}
    for name, q in (("logit", logit_q), ("scikit-learn", sk_q)):
        v = res[name]
        md.append(f"| {name} | {med[name]:.2f} | {' '.join('%.2f' % m['wall'] for m in v)} | "
                  f"{statistics.median(m['cpu'] for m in v):.2f} | "
                  f"{max(m['rss_mib'] or 0 for m in v):.0f} | {epochs[name]} | "
                  f"{q['accuracy']:.4f} | "
                  f"{q['roc_auc']:.4f} |")
    md += ["", f"logit / scikit-learn wall: {ratio:.3f} (goal <= {GOAL:.2f}: "
           f"{'met' if ratio <= GOAL else 'MISSED'}); CPU: {cpu_ratio:.3f}"]
    text = "\n".join(md)
    print(text)
    (B.BENCH / "results-13-latest.md").write_text(text + "\n")
    (B.BENCH / "results-13-latest.json").write_text(json.dumps(
        {"meta": meta, "res": res, "logit_eval": logit_q, "sklearn": sk_q,
         "ratio": ratio, "cpu_ratio": cpu_ratio, "epochs": epochs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
