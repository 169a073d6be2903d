#!/usr/bin/env python3
"""Issue 12 out-of-core acceptance on M: train in memory and with --max-memory, side by side
(one after the other, same binary, same machine state), polling each run's RssAnon from
/proc/<pid>/status every 2 ms, and compare the two models' coefficients.

Usage: bench/ooc_m.py [BINARY] [DATA] [LIMIT]
  (defaults: target/release/logit, /work/bench-data/M.csv, 100M)
Prints one line per run (wall time, peak RssAnon, peak VmRSS) and the largest relative
coefficient / objective difference; writes nothing outside a temporary directory."""
import json, os, subprocess, sys, tempfile, time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/logit"
data = sys.argv[2] if len(sys.argv) > 2 else "/work/bench-data/M.csv"
limit = sys.argv[3] if len(sys.argv) > 3 else "100M"


def field(pid, name):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run(args):
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    anon = rss = 0
    while p.poll() is None:
        a, r = field(p.pid, "RssAnon"), field(p.pid, "VmRSS")
        anon, rss = max(anon, a or 0), max(rss, r or 0)
        time.sleep(0.002)
    err = p.stderr.read().decode()
    wall = time.monotonic() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({p.returncode}):\n{err}")
    return wall, anon, rss, err


with tempfile.TemporaryDirectory(dir=".") as tmp:
    load = os.getloadavg()
    mem = os.path.join(tmp, "memory.json")
    ooc = os.path.join(tmp, "ooc.json")
    w1, a1, r1, _ = run([binary, "train", data, "--target", "y", "-q", "-o", mem])
    w2, a2, r2, err = run([binary, "train", data, "--target", "y", "-o", ooc,
                           "--max-memory", limit])
    m, o = json.load(open(mem)), json.load(open(ooc))
    def numbers(v):
        if isinstance(v, dict):
            return [x for k in sorted(v) for x in numbers(v[k])]
        if isinstance(v, list):
            return [x for item in v for x in numbers(item)]
        return [float(v)] if isinstance(v, (int, float)) and not isinstance(v, bool) else []
    # Every coefficient, intercept, mean and std the model stores (binary: features[] and
    # intercept; multiclass: coefficients[][] and intercepts[]).
    coef = lambda d: numbers([d.get(k) for k in ("features", "intercept", "coefficients", "intercepts")])
    a, b = coef(m), coef(o)
    scale = max(abs(v) for v in a)
    rel = max(abs(x - y) / max(abs(x), 1e-3 * scale) for x, y in zip(a, b))
    obj = abs(m["fit"]["objective"] - o["fit"]["objective"]) / abs(m["fit"]["objective"])
    note = next((l for l in err.splitlines() if l.startswith("design:")), "")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"in memory        : {w1:6.2f} s  peak RssAnon {a1 / 2**20:7.1f} MiB  peak VmRSS {r1 / 2**20:7.1f} MiB")
    print(f"--max-memory {limit:4}: {w2:6.2f} s  peak RssAnon {a2 / 2**20:7.1f} MiB  peak VmRSS {r2 / 2**20:7.1f} MiB")
    print(f"max relative coefficient difference {rel:.3e}, objective {obj:.3e}, "
          f"identical model files: {open(mem).read() == open(ooc).read()}")
    print(note)
    left = [n for n in os.listdir(tmp) if "logitcache" in n]
    print(f"cache files left: {left}")
