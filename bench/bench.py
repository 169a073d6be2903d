#!/usr/bin/env python3
"""Benchmark logit against scikit-learn + pandas, LIBLINEAR, linfa-logistic and Vowpal Wabbit.

One command from a fresh clone:  bench/run.sh [--quick] [--rounds N] [--data DIR]
(or python3 bench/bench.py ...). Standard library only: NumPy, pandas and scikit-learn live in
the venv bench/.venv and run only inside the scripts of bench/py/. See bench/README.md.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PY = BENCH / "py"
VENV = BENCH / ".venv"
VPY = VENV / "bin" / "python"
CARGO_TARGET = BENCH / ".target"
LOGIT = REPO / "target" / "release" / "logit"
LOGIT_RUN = LOGIT  # the copy of LOGIT that is measured (see snapshot_logit)
LINFA = CARGO_TARGET / "release" / "linfa-harness"
SIGMOID = CARGO_TARGET / "release" / "sigmoid-harness"
VW_REQUIREMENT = "vowpalwabbit==9.11.9"

L2 = 1e-4          # lambda of the objective, for every tool
TOL = 1e-10        # max-abs-gradient tolerance of logit and scikit-learn (linfa: tol * n, L2 norm)
MAX_ITER = 10_000
LIBLINEAR_EPS = 1e-6

# name: (rows, features, generator stream id)
DATASETS = {"M": (1_000_000, 50, 1), "W": (20_000, 1_000, 2), "S": (100_000, 20, 3),
            "C": (500_000, 50, 4)}
# Datasets with a multiclass target: name -> number of classes (the others are binary).
CLASSES = {"C": 5}
SIGMOID_N = 10_000_000

# Goals of the performance issue: (task, peer row, max logit/peer wall ratio).
RATIO_GOALS = [
    ("train M", "scikit-learn + pandas", 1 / 4),
    ("train M", "LIBLINEAR end to end", 1 / 10),
    ("train M", "LIBLINEAR train only", 1 / 10),
    ("train M", "linfa-logistic", 1 / 8),
    ("train W", "scikit-learn + pandas", 1 / 4),
    ("train S", "linfa-logistic", 1 / 2),
    ("predict M", "scikit-learn + pandas", 1 / 4),
    ("predict M", "Vowpal Wabbit end to end", 1 / 2.5),
    ("predict M", "Vowpal Wabbit predict only", 1 / 2.5),
    ("train C", "scikit-learn + pandas", 1 / 4),
    ("predict C", "scikit-learn + pandas", 1 / 4),
]
# Multiclass goal: equal accuracy means an objective gap to the best tool of at most this.
MULTICLASS_GAP_GOAL = 1e-10
PREDICT_RSS_GOAL_MIB = 32
TRAIN_RSS_GOAL_FACTOR = 1.5      # x the design matrix in f64 (rows * features * 8 bytes)
SIGMOID_SPEED_GOAL = 3.0
SIGMOID_ULP_GOAL = 4.0


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    """Run a setup command, echoing it; raise on failure."""
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ----------------------------------------------------------------------------- setup

def ensure_logit():
    if not LOGIT.exists():
        run(["cargo", "build", "--release"], cwd=REPO)
    return LOGIT.exists()


def snapshot_logit(data):
    """Copy the binary, so that a rebuild by someone else during the run changes nothing."""
    global LOGIT_RUN
    LOGIT_RUN = data / "logit-under-test"
    shutil.copy2(LOGIT, LOGIT_RUN)
    return hashlib.sha256(LOGIT_RUN.read_bytes()).hexdigest()[:12]


def ensure_venv():
    """bench/.venv with the pinned packages of requirements.txt; reinstalled only if they change."""
    req = (BENCH / "requirements.txt").read_text()
    stamp = VENV / ".bench-requirements"
    if VPY.exists() and stamp.exists() and stamp.read_text() == req:
        return
    if not VPY.exists():
        run([sys.executable, "-m", "venv", VENV])
    run([VPY, "-m", "pip", "install", "-q", "-r", BENCH / "requirements.txt"])
    stamp.write_text(req)


_apt_updated = False


def apt_install(package):
    global _apt_updated
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"cannot apt-get install {package} (not root or no apt-get)")
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if not _apt_updated:
            run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
            _apt_updated = True
        run(["apt-get", "install", "-y", "-q", package], env=env, stdout=subprocess.DEVNULL)
        return True
    except subprocess.CalledProcessError:
        log(f"apt-get install {package} failed")
        return False


def ensure_liblinear():
    if not shutil.which("liblinear-train"):
        apt_install("liblinear-tools")
    return bool(shutil.which("liblinear-train") and shutil.which("liblinear-predict"))


def vw_command():
    """How to run Vowpal Wabbit's command-line driver, or None when it cannot be installed."""
    if shutil.which("vw"):
        return ["vw"]
    check = [str(VPY), "-c", "import vowpalwabbit"]
    if subprocess.run(check, stderr=subprocess.DEVNULL).returncode != 0:
        try:
            run([VPY, "-m", "pip", "install", "-q", VW_REQUIREMENT])
        except subprocess.CalledProcessError:
            if apt_install("vowpal-wabbit") and shutil.which("vw"):
                return ["vw"]
    if subprocess.run(check, stderr=subprocess.DEVNULL).returncode == 0:
        # The PyPI package's `python -m vowpalwabbit ARGS` runs VW's C++ driver on the file.
        return [str(VPY), "-m", "vowpalwabbit"]
    return None


def cargo_build(manifest, features=()):
    cmd = ["cargo", "build", "--release", "-q", "--manifest-path", manifest,
           "--target-dir", CARGO_TARGET]
    if features:
        cmd += ["--features", ",".join(features)]
    try:
        run(cmd)
        return True
    except subprocess.CalledProcessError:
        log(f"building {manifest} failed")
        return False


def sigmoid_features():
    """Use sigmoid_slice_fast when the library exports it (see sigmoid-harness/Cargo.toml)."""
    src = (REPO / "src" / "fit" / "numerics" / "mod.rs").read_text()
    return ["fast"] if "pub fn sigmoid_slice_fast(" in src else []


# ----------------------------------------------------------------------------- data

def ensure_dataset(data, name):
    rows, features, stream = DATASETS[name]
    csv = data / f"{name}.csv"
    stamp = data / f"{name}.csv.stamp"
    recipe = json.dumps({"rows": rows, "features": features, "stream": stream,
                         "generator": (PY / "gen_data.py").read_text()})
    if csv.exists() and stamp.exists() and stamp.read_text() == recipe:
        return csv
    classes = CLASSES.get(name, 2)
    recipe = json.dumps({"rows": rows, "features": features, "stream": stream,
                         "classes": classes, "generator": (PY / "gen_data.py").read_text()}) \
        if classes > 2 else recipe
    if csv.exists() and stamp.exists() and stamp.read_text() == recipe:
        return csv
    log(f"generating {csv} ({rows} x {features}, {classes} classes)")
    t = time.perf_counter()
    run([VPY, PY / "gen_data.py", csv, rows, features, stream, "--classes", classes])
    stamp.write_text(recipe)
    log(f"generated {csv}: {csv.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s")
    return csv


def warm(paths):
    """Read the files so that every tool finds them in the page cache."""
    for p in paths:
        if Path(p).exists():
            with open(p, "rb") as f:
                while f.read(1 << 23):
                    pass


# ----------------------------------------------------------------------------- measuring

TIME = "/usr/bin/time"


def measure(cmd, logbase):
    """Run one whole process: wall time (perf_counter), user+sys CPU time and peak RSS.

    The peak RSS comes from GNU time's %M, i.e. wait4() in the small `time` process: a child
    forked (or vforked) straight from this Python process would inherit its resident set until
    exec, and Linux keeps that high-water mark in ru_maxrss, so every small tool would seem to
    use as much memory as this orchestrator (~40 MiB)."""
    timing = f"{logbase}.time"
    with open(f"{logbase}.out", "w") as out, open(f"{logbase}.err", "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([TIME, "-f", "%U %S %M", "-o", timing] + [str(c) for c in cmd],
                                stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:  # the last line (GNU time writes "Command exited with non-zero status" before it)
        user, sys_, rss_kib = open(timing).read().split("\n")[-2].split()
        user, sys_, rss_mib = float(user), float(sys_), int(rss_kib) / 1024
    except (OSError, ValueError, IndexError):
        user, sys_, rss_mib = ru.ru_utime, ru.ru_stime, None
    return {"wall": wall, "cpu": user + sys_, "user": user, "sys": sys_, "rss_mib": rss_mib,
            "rc": proc.returncode}


class Step:
    def __init__(self, label, cmd, inputs):
        self.label, self.cmd, self.inputs = label, cmd, inputs


class Tool:
    """A peer (or logit) in one task: one or two timed steps (a format conversion, then the
    tool itself). Two-step tools are reported per step and end to end."""

    def __init__(self, name, steps, prepare=None):
        self.name, self.steps, self.prepare = name, steps, prepare


def train_tools(d, csv, out, peers):
    n = DATASETS[d][0]
    svm, llmodel = out / f"{d}.svm", out / f"liblinear-{d}.model"
    tools = [
        Tool("logit", [Step("train", [LOGIT_RUN, "train", csv, "--target", "y", "--l2", L2,
                                      "--tol", TOL, "-o", out / f"logit-{d}.json"], [csv])]),
        Tool("scikit-learn + pandas", [Step("train", [
            VPY, PY / "sk_train.py", csv, "--l2", L2, "--tol", TOL, "--max-iter", MAX_ITER,
            "--params-out", out / f"sklearn-{d}.params.json",
            "--model-out", out / f"sklearn-{d}.pkl"], [csv])]),
    ]
    if d in CLASSES:
        return tools
    if peers["liblinear"]:
        tools.append(Tool("LIBLINEAR", [
            Step("convert", [VPY, PY / "convert.py", "libsvm", csv, svm], [csv]),
            Step("train", ["liblinear-train", "-s", "0", "-c", repr(1 / (L2 * n)), "-B", "1",
                           "-e", LIBLINEAR_EPS, svm, llmodel], [svm])]))
    if peers["linfa"]:
        tools.append(Tool("linfa-logistic", [Step("train", [
            LINFA, csv, "--target", "y", "--l2", L2, "--tol", TOL, "--max-iter", MAX_ITER,
            "--params-out", out / f"linfa-{d}.params.json"], [csv])]))
    return tools


def predict_tools(d, csv, out, peers):
    svm, vwdata, vwmodel = out / f"{d}.svm", out / f"{d}.vw", out / f"vw-{d}.model"
    tools = [
        Tool("logit", [Step("predict", [LOGIT_RUN, "predict", out / f"logit-{d}.json", csv,
                                        "-o", out / f"pred-logit-{d}.csv"], [csv])]),
        Tool("scikit-learn + pandas", [Step("predict", [
            VPY, PY / "sk_predict.py", out / f"sklearn-{d}.pkl", csv,
            out / f"pred-sklearn-{d}.csv"], [csv])]),
    ]
    if d in CLASSES:
        return tools
    vw = peers["vw"]
    if vw:
        def prepare():  # an untimed VW model (logistic loss, one pass) to predict with
            if not vwmodel.exists():
                run([VPY, PY / "convert.py", "vw", csv, vwdata], stdout=subprocess.DEVNULL)
                run(vw + ["-d", vwdata, "--loss_function", "logistic", "-f", vwmodel,
                          "--quiet"])
        tools.append(Tool("Vowpal Wabbit", [
            Step("convert", [VPY, PY / "convert.py", "vw", csv, vwdata], [csv]),
            Step("predict", vw + ["-d", vwdata, "-t", "-i", vwmodel, "--link", "logistic",
                                  "-p", out / f"pred-vw-{d}.txt", "--quiet"], [vwdata])],
            prepare))
    if peers["liblinear"]:
        tools.append(Tool("LIBLINEAR", [
            Step("convert", [VPY, PY / "convert.py", "libsvm", csv, svm], [csv]),
            Step("predict", ["liblinear-predict", "-b", "1", svm, out / f"liblinear-{d}.model",
                             out / f"pred-liblinear-{d}.txt"], [svm])]))
    return tools


def sigmoid_round(data, reps, have_harness):
    """One round of the array-sigmoid micro-benchmark (each side: best of `reps` in-process)."""
    z, res = data / "sigmoid-z.f64", data / "sigmoid-out.f64"
    if not z.exists():
        run([VPY, PY / "sigmoid_numpy.py", "scores", z, SIGMOID_N])
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    out = {}
    warm([z])
    p = subprocess.run([str(VPY), str(PY / "sigmoid_numpy.py"), "time", str(z), str(reps)],
                       env=env, capture_output=True, text=True, check=True)
    out["numpy"] = json.loads(p.stdout)
    if have_harness:
        p = subprocess.run([str(SIGMOID), str(z), str(res), str(reps)],
                           capture_output=True, text=True, check=True)
        out["logit"] = json.loads(p.stdout)
    return out


# ----------------------------------------------------------------------------- report

def median(xs):
    return statistics.median(xs) if xs else None


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def machine_info():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        mem = f"{mem / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        mem = "unknown"
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {platform.platform()}"


def loadavg():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def git_info(sha):
    def git(*a):
        return subprocess.run(["git", "-C", str(REPO), *a], capture_output=True,
                              text=True).stdout.strip()
    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock")
    newest_src = max((p.stat().st_mtime for p in (REPO / "src").rglob("*.rs")), default=0)
    built = LOGIT_RUN.stat().st_mtime
    note = " + uncommitted changes in src/ or Cargo.*" if dirty else ""
    if built < newest_src:
        note += " (the binary is OLDER than some file in src/)"
    stamp = datetime.datetime.fromtimestamp(built).strftime("%Y-%m-%d %H:%M:%S")
    return (f"commit {commit}{note}; binary target/release/logit built {stamp}, sha256 {sha}..., "
            "copied at the start of the run and measured as it was")


def peer_versions(vw):
    code = ("import numpy, pandas, sklearn; print(f'numpy {numpy.__version__}, pandas "
            "{pandas.__version__}, scikit-learn {sklearn.__version__}')")
    py = subprocess.run([str(VPY), "-c", code], capture_output=True, text=True).stdout.strip()
    ll = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "liblinear-tools"],
                        capture_output=True, text=True).stdout.strip() or "?"
    parts = [py, f"LIBLINEAR (liblinear-tools {ll})", "linfa-logistic 0.8.1"]
    if vw:
        v = subprocess.run(vw + ["--version"], capture_output=True, text=True).stdout.strip()
        parts.append(f"Vowpal Wabbit {v.splitlines()[0] if v else '?'}")
    return ", ".join(parts)


def summarise(results, objectives):
    """Rows (task, tool-row, medians...) from the per-round measurements."""
    rows = []
    for task, tools in results.items():
        d = task.split()[-1]
        objs = objectives.get(d, {})
        valid = [v for v in objs.values() if v is not None]
        best = min(valid) if valid else None
        logit = None
        for tool, steps in tools.items():
            rounds = [r for r in zip(*steps.values())]  # per round: one record per step
            ok = [r for r in rounds if all(s["rc"] == 0 for s in r)]
            gap = None
            if task.startswith("train") and best is not None and objs.get(tool) is not None:
                gap = objs[tool] - best

            def add(label, recs):
                rows.append({
                    "task": task, "tool": label, "n": len(recs),
                    "wall": median([sum(s["wall"] for s in r) for r in recs]),
                    "cpu": median([sum(s["cpu"] for s in r) for r in recs]),
                    "rss": median([max(s["rss_mib"] or 0 for s in r) for r in recs]),
                    "gap": gap, "objective": objs.get(tool) if task.startswith("train") else None,
                    "failed": len(rounds) - len(recs)})

            names = list(steps)
            if len(names) == 1:
                add(tool, ok)
            else:
                for i, step in enumerate(names):
                    add(f"{tool} {step} only", [(r[i],) for r in ok])
                    if step == "convert":
                        rows[-1]["gap"] = None
                add(f"{tool} end to end", ok)
        for row in rows:
            if row["task"] == task and row["tool"] == "logit":
                logit = row
        for row in rows:
            if row["task"] == task:
                for key, col in (("ratio", "wall"), ("ratio_cpu", "cpu")):
                    row[key] = (logit[col] / row[col]
                                if logit and logit[col] and row[col] else None)
    return rows


def goals(rows, sig):
    out = []
    by = {(r["task"], r["tool"]): r for r in rows}
    for task, tool, limit in RATIO_GOALS:
        r = by.get((task, tool))
        if r is None or r["ratio"] is None:
            continue
        out.append((f"{task}: logit <= {limit:.3g} x {tool} wall",
                    f"{r['ratio']:.3f} (CPU {fmt(r['ratio_cpu'], '.3f')})",
                    r["ratio"] <= limit, f"needs {r['ratio'] / limit:.1f}x faster"
                    if r["ratio"] > limit else ""))
    for d in ("M", "C"):
        r = by.get((f"predict {d}", "logit"))
        if r and r["rss"] is not None:
            out.append((f"predict {d}: logit peak RSS <= {PREDICT_RSS_GOAL_MIB} MiB",
                        f"{r['rss']:.1f} MiB", r["rss"] <= PREDICT_RSS_GOAL_MIB, ""))
        r = by.get((f"train {d}", "logit"))
        if r and r["rss"] is not None:
            rows_, p, _ = DATASETS[d]
            limit = TRAIN_RSS_GOAL_FACTOR * rows_ * p * 8 / 2**20
            out.append((f"train {d}: logit peak RSS <= {TRAIN_RSS_GOAL_FACTOR} x design matrix "
                        f"({limit:.0f} MiB)", f"{r['rss']:.0f} MiB", r["rss"] <= limit,
                        f"{r['rss'] / limit:.2f}x the limit" if r["rss"] > limit else ""))
    for r in rows:
        if r["task"] == "train C" and r["gap"] is not None and "convert" not in r["tool"]:
            out.append((f"train C: {r['tool']} objective gap <= {MULTICLASS_GAP_GOAL:g}",
                        f"{r['gap']:.1e}", r["gap"] <= MULTICLASS_GAP_GOAL, ""))
    if sig.get("speedup") is not None:
        out.append((f"array sigmoid >= {SIGMOID_SPEED_GOAL:g} x NumPy 1/(1+np.exp(-x))",
                    f"{sig['speedup']:.2f}x", sig["speedup"] >= SIGMOID_SPEED_GOAL,
                    f"needs {SIGMOID_SPEED_GOAL / sig['speedup']:.2f}x more"
                    if sig["speedup"] < SIGMOID_SPEED_GOAL else ""))
    if sig.get("max_ulps") is not None:
        out.append((f"array sigmoid error <= {SIGMOID_ULP_GOAL:g} ulp", f"{sig['max_ulps']:.2f} ulp",
                    sig["max_ulps"] <= SIGMOID_ULP_GOAL, ""))
    return out


def markdown(meta, rows, sig, goal_rows):
    L = [f"# logit benchmark: results of {meta['date']}", "",
         f"- machine: {meta['machine']}",
         f"- logit: {meta['git']}",
         f"- peers: {meta['peers']}",
         f"- rounds: {meta['rounds']} (median of rounds; logit and the peers alternate within "
         f"each round); lambda = {L2:g}; tol = {TOL:g} (logit, scikit-learn), "
         f"LIBLINEAR -s 0 -B 1 -e {LIBLINEAR_EPS:g}",
         f"- load average before / after: {meta['load_before']} / {meta['load_after']}",
         f"- total time of the run: {meta['duration_min']:.1f} min", ""]
    if meta.get("unavailable"):
        L += [f"- unavailable: {', '.join(meta['unavailable'])}", ""]
    L += ["| task | tool | wall s | CPU s | peak RSS MiB | objective gap | logit/peer wall "
          "| logit/peer CPU |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        gap = "n/a" if r["gap"] is None else ("0 (best)" if r["gap"] == 0 else f"{r['gap']:.1e}")
        tool = r["tool"] + (f" ({r['failed']} failed)" if r["failed"] else "") + \
            (f" [{r['n']} round{'s' if r['n'] != 1 else ''}]" if r["n"] != meta["rounds"] else "")
        L.append(f"| {r['task']} | {tool} | {fmt(r['wall'], '.2f')} | {fmt(r['cpu'], '.2f')} | "
                 f"{fmt(r['rss'], '.0f')} | {gap} | "
                 + " | ".join("" if r["tool"] == "logit" or "convert" in r["tool"]
                              else fmt(r.get(k), ".3f") for k in ("ratio", "ratio_cpu")) + " |")
    L += ["", "Objective gap: (1/n) sum logloss + (lambda/2)||w||^2 on standardised features, "
          "intercept unpenalised (train C: mean -log softmax + (lambda/2)||W||^2), evaluated by bench/py/objective.py in float64 on each tool's "
          "parameters, minus the best value any tool reached on that dataset. "
          "Gaps below ~1e-13 are rounding noise.", ""]
    if sig:
        L += ["## Array sigmoid, 10,000,000 f64 uniform on [-40, 40], one thread, best of "
              f"{sig['reps']} x {meta['rounds']} rounds", "",
              "| implementation | M values/s | max error (ulp) |", "|---|---:|---:|"]
        for name, key in [("NumPy 1/(1+np.exp(-x))", "expression"),
                          ("NumPy, preallocated buffers (np.exp(out=...))", "preallocated"),
                          ("scipy.special.expit", "scipy_expit")]:
            err = fmt(sig.get("numpy_max_ulps"), ".2f") if key == "expression" else ""
            L.append(f"| {name} | {sig[key] / 1e6:.0f} | {err} |")
        if sig.get("logit") is not None:
            L.append(f"| logit::fit::numerics::{sig['kernel']} | {sig['logit'] / 1e6:.0f} | "
                     f"{fmt(sig.get('max_ulps'), '.2f')} |")
            L += ["", f"logit / NumPy expression: {sig['speedup']:.2f}x; error against an "
                  "80-bit long double reference (glibc expl); the harness's max difference from "
                  f"the scalar logit::fit::numerics::sigmoid: {sig['vs_scalar']:.1f} ulp.", ""]
    if goal_rows:
        L += ["## Goals", "", "Judged on the wall-time ratio of medians; the CPU-time ratio is "
              "shown too (less sensitive to other load on the machine).", "",
              "| goal | measured | met |", "|---|---:|---|"]
        for g, m, ok, how in goal_rows:
            L.append(f"| {g} | {m} | {'yes' if ok else 'NO' + (', ' + how if how else '')} |")
        L.append("")
    return "\n".join(L)


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: dataset S only, one round")
    ap.add_argument("--rounds", type=int, help="rounds of alternating runs (default 3)")
    ap.add_argument("--data", type=Path,
                    default=Path(os.environ.get("BENCH_DATA", BENCH / "data")),
                    help="where the generated data and outputs go (default $BENCH_DATA or "
                         "bench/data)")
    ap.add_argument("--only", help="comma-separated subset of tasks, e.g. 'train M,sigmoid'")
    ap.add_argument("--slow", type=float, default=100.0,
                    help="a peer whose first round of a task took longer than this many seconds "
                         "is not run again in later rounds (default 100)")
    ap.add_argument("--skip", default="",
                    help="comma-separated tools to leave out (logit is always run), e.g. linfa; "
                         "task L: sklearn, or a run's key (logit-path, logit-cv, ...; see "
                         "--l1-cap)")
    ap.add_argument("--report", type=Path, metavar="RESULTS.json",
                    help="only re-render the tables from a saved results-latest.json "
                         "(or results-l1-latest.json)")
    ap.add_argument("--task", choices=["L", "11", "13"],
                    help="run task L (issue 10: lasso path and cv against R's glmnet and "
                         "scikit-learn's saga) or task 11 (issue 11: compressed CSV, Parquet, "
                         "svmlight against LIBLINEAR and scikit-learn, the one-hot case) "
                         "or task 13 (issue 13: a network, adam, against MLPClassifier; "
                         "bench/task13.py) instead of the others; see README 'Task L' and "
                         "'Task 11'")
    ap.add_argument("--reuse", type=Path, metavar="RESULTS.json",
                    help="task 11: rows that --skip logit / --skip peers leave out are taken "
                         "from this earlier results-11-latest.json (copy it first)")
    ap.add_argument("--l1-cap", action="append", default=[], metavar="KEY=SECONDS",
                    help="task L: kill that run after SECONDS and report it as not finished "
                         "(KEY: logit-path, logit-path-tol, logit-cv, logit-cv-tol, sklearn-cv, "
                         "glmnet-path, glmnet-cv); repeatable")
    ap.add_argument("--l1-equal-tol", type=float, default=None,
                    help="task L: also run logit at this --tol (default: l1task.EQUAL_TOL; "
                         "0 = leave that variant out)")
    a = ap.parse_args()
    if a.report and a.task == "L":
        import l1task
        saved = json.loads(a.report.read_text())
        print(l1task.markdown(saved["meta"], saved["l1"])[0])
        return
    if a.report and a.task == "11":
        import task11
        saved = json.loads(a.report.read_text())
        print(task11.markdown(saved["meta"], saved["res"])[0])
        return
    if a.task == "L":
        return main_l1(a)
    if a.task == "11":
        return main_11(a)
    if a.task == "13":  # issue 13 (hidden layers): bench/task13.py, on its own
        import task13
        if not ensure_logit():
            sys.exit("bench: target/release/logit could not be built")
        ensure_venv()
        a.rows, a.logit, a.rounds = task13.ROWS, LOGIT, a.rounds or (1 if a.quick else 3)
        return task13.run(a)
    if a.report:
        saved = json.loads(a.report.read_text())
        rows = summarise(saved["raw"], saved["objectives"])
        print(markdown(saved["meta"], rows, saved["sigmoid"], goals(rows, saved["sigmoid"])))
        return
    rounds = a.rounds or (1 if a.quick else 3)
    names = ["S"] if a.quick else ["M", "W", "S", "C"]
    predict_on = ["S"] if a.quick else ["M", "C"]
    tasks = [f"train {d}" for d in names] + [f"predict {d}" for d in predict_on] + ["sigmoid"]
    if a.only:
        wanted = [t.strip() for t in a.only.split(",")]
        tasks = [t for t in tasks if t in wanted]
        for d in predict_on:  # predict needs the models of train
            if f"predict {d}" in tasks and f"train {d}" not in tasks:
                tasks.insert(0, f"train {d}")
    skip = {s.strip().lower() for s in a.skip.split(",") if s.strip()}
    started = time.perf_counter()
    load_before = loadavg()

    # --- setup: install what is missing
    log("setup")
    if not os.access(TIME, os.X_OK):
        apt_install("time")
    if not os.access(TIME, os.X_OK):
        sys.exit("bench: needs GNU time at /usr/bin/time (Debian package `time`)")
    if not ensure_logit():
        sys.exit("bench: target/release/logit could not be built")
    ensure_venv()
    peers = {
        "liblinear": "liblinear" not in skip and ensure_liblinear(),
        "linfa": "linfa" not in skip and cargo_build(BENCH / "linfa-harness" / "Cargo.toml"),
        "vw": None if "vw" in skip else vw_command(),
    }
    kernel_features = sigmoid_features()
    have_sigmoid = "sigmoid" in tasks and cargo_build(BENCH / "sigmoid-harness" / "Cargo.toml",
                                                      kernel_features)
    unavailable = [n for n, k in [("LIBLINEAR", "liblinear"), ("linfa-logistic", "linfa"),
                                  ("Vowpal Wabbit", "vw")] if not peers[k]]
    if "sigmoid" in tasks and not have_sigmoid:
        unavailable.append("sigmoid harness (build failed)")
    for u in unavailable:
        log(f"unavailable or skipped: {u}")

    data = a.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    logit_info = git_info(snapshot_logit(data))
    out = data / "out"
    logs = data / "logs"
    out.mkdir(parents=True, exist_ok=True)
    logs.mkdir(exist_ok=True)
    csvs = {d: ensure_dataset(data, d) for d in names
            if any(t.endswith(f" {d}") for t in tasks)}

    plan = {}
    for t in tasks:
        if t == "sigmoid":
            continue
        kind, d = t.split()
        make = train_tools if kind == "train" else predict_tools
        plan[t] = make(d, csvs[d], out, peers)
    results = {t: {tool.name: {s.label: [] for s in tool.steps} for tool in tools}
               for t, tools in plan.items()}
    sig_rounds = []
    reps = 3 if a.quick else 10

    # --- the rounds
    for r in range(1, rounds + 1):
        for t, tools in plan.items():
            for tool in tools:
                done = results[t][tool.name]
                if r > 1 and tool.name != "logit" and \
                        sum(m[0]["wall"] for m in done.values()) > a.slow:
                    continue  # a very slow peer: its first round only (reported as such)
                if tool.prepare:
                    tool.prepare()
                for s in tool.steps:
                    warm(s.inputs)
                    slug = f"{t}-{tool.name}-{s.label}-r{r}".replace(" ", "_").replace("+", "")
                    m = measure(s.cmd, logs / slug)
                    results[t][tool.name][s.label].append(m)
                    status = "" if m["rc"] == 0 else f"  FAILED rc={m['rc']}, see {logs / slug}.err"
                    log(f"round {r}/{rounds} {t:10} {tool.name:22} {s.label:8} "
                        f"wall {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s  "
                        f"rss {fmt(m['rss_mib'], '6.0f')} MiB{status}")
        if "sigmoid" in tasks:
            sr = sigmoid_round(data, reps, have_sigmoid)
            sig_rounds.append(sr)
            log(f"round {r}/{rounds} sigmoid: numpy {sr['numpy']['expression']['values_per_second'] / 1e6:.0f} M/s"
                + (f", logit {sr['logit']['values_per_second'] / 1e6:.0f} M/s" if "logit" in sr else ""))

    # --- objectives, on one definition, of the last round's fits
    objectives = {}
    for t in plan:
        kind, d = t.split()
        if kind != "train":
            continue
        srcs = [f"logit=logit:{out / f'logit-{d}.json'}",
                f"scikit-learn + pandas=params:{out / f'sklearn-{d}.params.json'}"]
        if d in CLASSES:
            pass
        elif peers["liblinear"]:
            srcs.append(f"LIBLINEAR=liblinear:{out / f'liblinear-{d}.model'}")
        if peers["linfa"] and d not in CLASSES:
            srcs.append(f"linfa-logistic=params:{out / f'linfa-{d}.params.json'}")
        warm([csvs[d]])
        p = subprocess.run([str(VPY), str(PY / "objective.py"), str(csvs[d]), "--l2", str(L2)]
                           + srcs, capture_output=True, text=True)
        sys.stderr.write(p.stderr)
        objectives[d] = json.loads(p.stdout) if p.returncode == 0 else {}
        log(f"objectives on {d}: {objectives[d]}")

    sig = {}
    if sig_rounds:
        sig["reps"] = reps
        for key in ("expression", "preallocated", "scipy_expit"):
            sig[key] = max(s["numpy"][key]["values_per_second"] for s in sig_rounds)
        if have_sigmoid:
            sig["logit"] = max(s["logit"]["values_per_second"] for s in sig_rounds)
            sig["kernel"] = sig_rounds[-1]["logit"]["kernel"]
            sig["vs_scalar"] = sig_rounds[-1]["logit"]["max_ulps_vs_scalar_sigmoid"]
            sig["speedup"] = sig["logit"] / sig["expression"]
            p = subprocess.run([str(VPY), str(PY / "sigmoid_numpy.py"), "ulps",
                                str(data / "sigmoid-z.f64"), str(data / "sigmoid-out.f64")],
                               capture_output=True, text=True, check=True)
            sig.update(json.loads(p.stdout))

    rows = summarise(results, objectives)
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine_info(), "git": logit_info, "peers": peer_versions(peers["vw"]),
        "rounds": rounds, "load_before": load_before,
        "load_after": loadavg(),
        "duration_min": (time.perf_counter() - started) / 60, "unavailable": unavailable,
    }
    md = markdown(meta, rows, sig, goals(rows, sig))
    print("\n" + md)
    (BENCH / "results-latest.md").write_text(md + "\n")
    (BENCH / "results-latest.json").write_text(json.dumps(
        {"meta": meta, "rows": rows, "sigmoid": sig, "objectives": objectives,
         "raw": results}, indent=1) + "\n")
    log(f"written {BENCH / 'results-latest.md'} and results-latest.json")


def main_l1(a):
    """Task L (issue 10), on its own: setup, the rounds, the report (bench/l1task.py)."""
    import l1task
    started, load_before = time.perf_counter(), loadavg()
    if not os.access(TIME, os.X_OK):
        apt_install("time")
    if not os.access(TIME, os.X_OK):
        sys.exit("bench: needs GNU time at /usr/bin/time (Debian package `time`)")
    if not ensure_logit():
        sys.exit("bench: target/release/logit could not be built")
    ensure_venv()
    data = a.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    logit_info = git_info(snapshot_logit(data))
    helpers = l1task.Bench(measure=measure, warm=warm, log=log, run=run,
                           apt_install=apt_install, LOGIT_RUN=LOGIT_RUN, VPY=VPY, PY=PY,
                           BENCH=BENCH)
    equal_tol = l1task.EQUAL_TOL if a.l1_equal_tol is None else a.l1_equal_tol
    skip = {s.strip().lower() for s in a.skip.split(",") if s.strip()}
    res = l1task.run_task(helpers, data, a.rounds or (1 if a.quick else 3), a.slow, skip,
                          equal_tol, 10_000 if a.quick else l1task.L_ROWS,
                          {k: int(v) for k, v in (c.split("=") for c in a.l1_cap)})
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "machine": machine_info(), "git": logit_info,
            "peers": peer_versions(None).split(", LIBLINEAR")[0],
            "rounds": a.rounds or (1 if a.quick else 3), "load_before": load_before,
            "load_after": loadavg(), "duration_min": (time.perf_counter() - started) / 60}
    md, rows = l1task.markdown(meta, res)
    print("\n" + md)
    (BENCH / "results-l1-latest.md").write_text(md + "\n")
    (BENCH / "results-l1-latest.json").write_text(
        json.dumps({"meta": meta, "l1": res, "rows": rows}, indent=1) + "\n")
    log(f"written {BENCH / 'results-l1-latest.md'} and results-l1-latest.json")


def main_11(a):
    """Task 11 (issue 11), on its own: setup, the rounds, the report (bench/task11.py)."""
    import task11
    started, load_before = time.perf_counter(), loadavg()
    if not os.access(TIME, os.X_OK):
        apt_install("time")
    if not os.access(TIME, os.X_OK):
        sys.exit("bench: needs GNU time at /usr/bin/time (Debian package `time`)")
    if not ensure_logit():
        sys.exit("bench: target/release/logit could not be built")
    ensure_venv()
    skip = {s.strip().lower() for s in a.skip.split(",") if s.strip()}
    if "liblinear" not in skip and not ensure_liblinear():
        skip.add("liblinear")
    for tool in ("zstd", "gzip"):
        if not shutil.which(tool):
            apt_install(tool)
    data = a.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    logit_info = git_info(snapshot_logit(data))
    helpers = task11.Bench(measure=measure, warm=warm, log=log, run=run,
                           ensure_dataset=ensure_dataset, LOGIT_RUN=LOGIT_RUN, VPY=VPY, PY=PY,
                           BENCH=BENCH)
    only = {t.strip() for t in a.only.split(",")} if a.only else None
    rounds = a.rounds or (1 if a.quick else 3)
    previous = json.loads(a.reuse.read_text())["res"] if a.reuse else None
    res = task11.run_task(helpers, data, rounds, a.slow, skip, only, a.quick, previous)
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "machine": machine_info(), "git": logit_info,
            "peers": peer_versions(None), "rounds": rounds, "load_before": load_before,
            "load_after": loadavg(), "duration_min": (time.perf_counter() - started) / 60}
    md, rows = task11.markdown(meta, res)
    print("\n" + md)
    (BENCH / "results-11-latest.md").write_text(md + "\n")
    (BENCH / "results-11-latest.json").write_text(
        json.dumps({"meta": meta, "res": res, "rows": rows}, indent=1) + "\n")
    log(f"written {BENCH / 'results-11-latest.md'} and results-11-latest.json")


if __name__ == "__main__":
    main()
