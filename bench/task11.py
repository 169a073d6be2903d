"""Task 11 of bench.py (issue 11): input formats and the sparse design, side by side.

Run as `bench/run.sh --task 11 [--rounds N] [--data DIR] [--only 'formats M,train R,train H']
[--skip sklearn,liblinear]`. Standard library only, like bench.py, whose measuring helpers it is
handed (see `Bench`). See bench/README.md, section "Task 11".

  formats M  logit train on M.csv, M.csv.zst, M.csv.gz and M.parquet (same flags as train M);
             the models must be the same to the last bit.
  train R    the RCV1-like svmlight set R (py/gen_svm.py): logit (standardised, the default;
             and --no-standardize = LIBLINEAR's problem), LIBLINEAR -s 0 (its default -e 0.01
             and -e 1e-6), scikit-learn load_svmlight_file + lbfgs (raw and column-scaled).
  train H    the 50,000-level one-hot case (py/gen_onehot.py): logit with its automatic design
             choice, scikit-learn + pandas (OneHotEncoder sparse + lbfgs).
"""
import json
import subprocess
import sys
import time

L2, TOL, MAX_ITER = 1e-4, 1e-10, 10_000
LOOSE_TOL = 1e-6   # a logit run about as far from the optimum as LIBLINEAR's default -e 0.01
R_ROWS = 200_000
H_ROWS = 60_000
PARQUET_GOAL, ZSTD_GOAL, LIBLINEAR_GOAL, CSR_RSS_GOAL = 0.5, 1.2, 0.5, 1.5
H_RSS_GOAL_MIB = 2048


class Bench:
    """What bench.py lends this task: its measuring, logging and setup helpers and paths."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _stamped(b, out, recipe, make):
    """Regenerate `out` only when its recipe (the generator's text and arguments) changed."""
    stamp = out.with_name(out.name + ".stamp")
    if out.exists() and stamp.exists() and stamp.read_text() == recipe:
        return
    b.log(f"generating {out}")
    t = time.perf_counter()
    make()
    stamp.write_text(recipe)
    b.log(f"generated {out}: {out.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s")


def ensure_data(b, data, quick):
    """M.csv (bench.py's), its .zst/.gz/.parquet copies, R.svm and H.csv."""
    m = b.ensure_dataset(data, "M")
    mtext = m.with_name(m.name + ".stamp").read_text()
    files = {"M.csv": m}
    for ext, cmd in ((".zst", ["zstd", "-q", "-3", "-f", m, "-o"]),
                     (".gz", None)):
        dst = data / f"M.csv{ext}"
        if cmd:
            _stamped(b, dst, mtext + "zstd -3", lambda: b.run(cmd + [dst]))
        else:
            def gz(dst=dst):
                with open(f"{dst}.tmp", "wb") as f:
                    subprocess.run(["gzip", "-6", "-c", str(m)], stdout=f, check=True)
                __import__("os").replace(f"{dst}.tmp", dst)
            _stamped(b, dst, mtext + "gzip -6", gz)
        files[f"M.csv{ext}"] = dst
    pq = data / "M.parquet"
    _stamped(b, pq, mtext + (b.PY / "to_parquet.py").read_text(),
             lambda: b.run([b.VPY, b.PY / "to_parquet.py", m, pq]))
    files["M.parquet"] = pq
    rows = 20_000 if quick else R_ROWS
    r = data / ("R.svm" if rows == R_ROWS else f"R{rows}.svm")
    info = r.with_name(r.name + ".info.json")

    def gen_r():
        p = subprocess.run([str(b.VPY), str(b.PY / "gen_svm.py"), str(r), "--rows", str(rows)],
                           capture_output=True, text=True, check=True)
        info.write_text(p.stdout)
    _stamped(b, r, f"{rows}" + (b.PY / "gen_svm.py").read_text(), gen_r)
    files["R"], files["R.info"] = r, json.loads(info.read_text())
    h = data / "H.csv"
    _stamped(b, h, f"{H_ROWS}" + (b.PY / "gen_onehot.py").read_text(),
             lambda: b.run([b.VPY, b.PY / "gen_onehot.py", h]))
    files["H"] = h
    return files


def plan(b, files, out, skip):
    """(task, tool, command, inputs, output file, objective source kind or None)."""
    L = b.LOGIT_RUN
    logit_m = ["--target", "y", "--l2", L2, "--tol", TOL]
    t = []
    for name in ("M.csv", "M.csv.zst", "M.csv.gz", "M.parquet"):
        o = out / f"logit-formats-{name}.json"
        t.append(("formats M", f"logit {name}", [L, "train", files[name], *logit_m, "-o", o],
                  [files[name]], o, None))
    r, n = files["R"], files["R.info"]["rows"]
    c = repr(1 / (L2 * n))
    o = {k: out / f"R-{k}" for k in ("logit.json", "logit-raw.json", "ll-0.01.model",
                                     "ll-1e-6.model", "sk-raw.json", "sk-std.json")}
    t.append(("train R", "logit (standardised)",
              [L, "train", r, "--l2", L2, "--tol", TOL, "-o", o["logit.json"]], [r],
              o["logit.json"], "std:logit"))
    t.append(("train R", "logit --no-standardize",
              [L, "train", r, "--l2", L2, "--tol", TOL, "--no-standardize",
               "-o", o["logit-raw.json"]], [r], o["logit-raw.json"], "raw:logit"))
    o["logit-raw-tol.json"] = out / "R-logit-raw-tol.json"
    t.append(("train R", f"logit --no-standardize --tol {LOOSE_TOL:g}",
              [L, "train", r, "--l2", L2, "--tol", LOOSE_TOL, "--no-standardize",
               "-o", o["logit-raw-tol.json"]], [r], o["logit-raw-tol.json"], "raw:logit"))
    if "liblinear" not in skip:
        for e in ("0.01", "1e-6"):
            t.append(("train R", f"LIBLINEAR -s 0 -e {e}",
                      ["liblinear-train", "-q", "-s", "0", "-c", c, "-B", "1", "-e", e, r,
                       o[f"ll-{e}.model"]], [r], o[f"ll-{e}.model"], "raw:liblinear"))
    if "sklearn" not in skip:
        t.append(("train R", "scikit-learn lbfgs (raw)",
                  [b.VPY, b.PY / "sk_svm.py", r, "--l2", L2, "--tol", TOL, "--max-iter",
                   MAX_ITER, "--params-out", o["sk-raw.json"]], [r], o["sk-raw.json"],
                  "raw:params"))
        t.append(("train R", "scikit-learn lbfgs (scaled)",
                  [b.VPY, b.PY / "sk_svm.py", r, "--l2", L2, "--tol", TOL, "--max-iter",
                   MAX_ITER, "--scale", "--params-out", o["sk-std.json"]], [r], o["sk-std.json"],
                  "std:params"))
    h = files["H"]
    t.append(("train H", "logit (design auto)",
              [L, "train", h, "--target", "y", "--l2", L2, "--tol", TOL, "-o",
               out / "H-logit.json"], [h], out / "H-logit.json", "std:logit"))
    if "sklearn" not in skip:
        t.append(("train H", "scikit-learn + pandas (OneHotEncoder, lbfgs)",
                  [b.VPY, b.PY / "sk_onehot.py", h, "--l2", L2, "--tol", TOL, "--max-iter",
                   MAX_ITER, "--params-out", out / "H-sk.json"], [h], out / "H-sk.json",
                  "std:params"))
    return t


def same_model(a, b_):
    """Bit-for-bit comparison of the fitted numbers of two logit model files."""
    try:
        ma, mb = json.load(open(a)), json.load(open(b_))
    except (OSError, ValueError) as e:
        return f"unreadable: {e}"
    keys = ("features", "intercept", "intercept_standardized")
    diff = [k for k in keys if ma.get(k) != mb.get(k)]
    fa, fb = ma.get("fit", {}), mb.get("fit", {})
    if fa.get("objective") != fb.get("objective"):
        diff.append("fit.objective")
    if fa.get("iterations") != fb.get("iterations"):
        diff.append("fit.iterations")
    return "identical" if not diff else "DIFFERENT: " + ", ".join(diff)


def run_task(b, data, rounds, slow, skip, only, quick, previous=None):
    """previous: the `res` of an earlier run (--reuse FILE): the rows this run leaves out
    (--skip logit or --skip peers) are taken from it, outputs included (still in out11/)."""
    files = ensure_data(b, data, quick)
    out, logs = data / "out11", data / "logs11"
    out.mkdir(parents=True, exist_ok=True)
    logs.mkdir(exist_ok=True)
    tools = [x for x in plan(b, files, out, skip) if not only or x[0] in only]
    run_now = [x for x in tools if not ("logit" in skip and x[1].startswith("logit")
                                        or "peers" in skip and not x[1].startswith("logit"))]
    results = {(task, tool): [] for task, tool, *_ in tools}
    errors = {}
    for task, tool, *_ in tools:
        key = f"{task}|{tool}"
        if previous and all(x[1] != tool for x in run_now):
            results[(task, tool)] = previous["results"].get(key, [])
            if key in previous.get("errors", {}):
                errors[key] = previous["errors"][key]
    for _, _, _, _, o, _ in run_now:   # no stale output of an earlier run is ever evaluated
        if o.exists():
            o.unlink()
    for rnd in range(1, rounds + 1):
        for task, tool, cmd, inputs, _, _ in run_now:
            done = results[(task, tool)]
            if rnd > 1 and done and (done[0]["wall"] > slow and not tool.startswith("logit")
                                     or done[0]["rc"] != 0):
                continue
            b.warm(inputs)
            slug = f"{task.replace(' ', '-')}-{tool.split(' (')[0].replace(' ', '_')}" \
                   f"-{abs(hash(tool)) % 10_000}-r{rnd}"
            m = b.measure(cmd, logs / slug)
            done.append(m)
            status = ""
            if m["rc"] != 0:
                err = (logs / f"{slug}.err").read_text().strip().splitlines()
                errors[f"{task}|{tool}"] = err[-1] if err else f"exit {m['rc']}"
                status = f"  FAILED rc={m['rc']}: {errors[f'{task}|{tool}'][:150]}"
            b.log(f"round {rnd}/{rounds} {task:9} {tool:44} wall {m['wall']:7.2f} s  "
                  f"cpu {m['cpu']:7.2f} s  rss {m['rss_mib'] or 0:6.0f} MiB{status}")
    # --- accuracy: bit-for-bit models (formats), objectives (R, H), of the last round's fits
    checks = {}
    fm = [x for x in tools if x[0] == "formats M"]
    ref = next((x for x in fm if x[1] == "logit M.csv"), None)
    for x in fm:
        if ref and x is not ref and ref[4].exists() and x[4].exists():
            checks[x[1]] = same_model(ref[4], x[4])
    objectives = {}
    for task, data_file in (("train R", files["R"]), ("train H", files["H"])):
        for kind in ("raw", "std"):
            srcs = [f"{tool}={src.split(':')[1]}:{o}" for t, tool, _, _, o, src in tools
                    if t == task and src and src.startswith(kind + ":") and o.exists()]
            if not srcs:
                continue
            p = subprocess.run([str(b.VPY), str(b.PY / "obj11.py"), str(data_file), "--l2",
                                str(L2), "--kind", kind] + srcs, capture_output=True, text=True)
            sys.stderr.write(p.stderr)
            got = json.loads(p.stdout) if p.returncode == 0 else {}
            objectives[f"{task}|{kind}"] = got
            b.log(f"objectives {task} ({kind}): {got}")
    return {"results": {f"{t}|{n}": v for (t, n), v in results.items()},
            "errors": errors, "checks": checks, "objectives": objectives,
            "kinds": {f"{t}|{n}": (s.split(":")[0] if s else None)
                      for t, n, _, _, _, s in tools},
            "r_info": files["R.info"], "sizes": {k: v.stat().st_size for k, v in files.items()
                                                 if hasattr(v, "stat")}}


def _median(xs):
    xs = sorted(xs)
    k = len(xs)
    return None if not k else (xs[k // 2] if k % 2 else 0.5 * (xs[k // 2 - 1] + xs[k // 2]))


def summarise(res):
    rows = []
    best = {}
    for key, objs in res["objectives"].items():
        vals = [v for v in objs.values() if v is not None]
        if vals:
            best[key] = min(vals)
    for key, recs in res["results"].items():
        task, tool = key.split("|", 1)
        ok = [r for r in recs if r["rc"] == 0]
        kind = res["kinds"].get(key)
        obj = res["objectives"].get(f"{task}|{kind}", {}).get(tool) if kind else None
        gap = obj - best[f"{task}|{kind}"] if obj is not None else None
        rows.append({"task": task, "tool": tool, "n": len(ok), "kind": kind,
                     "wall": _median([r["wall"] for r in ok]), "cpu": _median([r["cpu"] for r in ok]),
                     "rss": _median([r["rss_mib"] for r in ok if r["rss_mib"] is not None]),
                     "objective": obj, "gap": gap, "error": res["errors"].get(key),
                     "check": res["checks"].get(tool)})
    return rows


def _f(v, spec):
    return "n/a" if v is None else format(v, spec)


def goals(rows, res):
    by = {(r["task"], r["tool"]): r for r in rows}
    out = []

    def ratio(a, b_):
        ra, rb = by.get(a), by.get(b_)
        if not ra or not rb or ra["wall"] is None or rb["wall"] is None:
            return None, None
        return ra["wall"] / rb["wall"], ra["cpu"] / rb["cpu"]

    w, c = ratio(("formats M", "logit M.parquet"), ("formats M", "logit M.csv"))
    chk = (by.get(("formats M", "logit M.parquet")) or {}).get("check")
    out.append(("train M.parquet <= 0.5 x train M.csv wall, same model", PARQUET_GOAL, w, c, chk))
    w, c = ratio(("formats M", "logit M.csv.zst"), ("formats M", "logit M.csv"))
    chk = (by.get(("formats M", "logit M.csv.zst")) or {}).get("check")
    out.append(("train M.csv.zst <= 1.2 x train M.csv wall, same model", ZSTD_GOAL, w, c, chk))
    for ll, what in (("LIBLINEAR -s 0 -e 1e-6", "LIBLINEAR at its floor"),
                     ("LIBLINEAR -s 0 -e 0.01", "LIBLINEAR's default -e")):
        me = "logit --no-standardize" + ("" if ll.endswith("1e-6") else f" --tol {LOOSE_TOL:g}")
        w, c = ratio(("train R", me), ("train R", ll))
        lg, pg = (by.get(("train R", me)) or {}).get("gap"), \
            (by.get(("train R", ll)) or {}).get("gap")
        eq = None if lg is None or pg is None else \
            f"gaps: logit {lg:.1e}, LIBLINEAR {pg:.1e} ({'logit at least as close' if lg <= pg else 'LIBLINEAR closer'})"
        out.append((f"train R: {me} <= 0.5 x {ll} wall (same file; {what})",
                    LIBLINEAR_GOAL, w, c, eq))
    csr = res["r_info"]["csr_bytes"] / 2 ** 20
    for tool in ("logit (standardised)", "logit --no-standardize"):
        r = by.get(("train R", tool))
        rss = r["rss"] if r else None
        out.append((f"train R, {tool}: peak RSS <= 1.5 x CSR arrays ({csr:.0f} MiB -> "
                    f"{1.5 * csr:.0f} MiB)", 1.5, None if rss is None else rss / csr, None,
                    None if rss is None else f"{rss:.0f} MiB"))
    r = by.get(("train H", "logit (design auto)"))
    rss = r["rss"] if r else None
    out.append(("train H (50,000 levels x 60,000 rows): peak RSS < 2 GiB", 1.0,
                None if rss is None else rss / H_RSS_GOAL_MIB, None,
                None if rss is None else f"{rss:.0f} MiB, wall {r['wall']:.2f} s"))
    return out


def markdown(meta, res):
    rows = summarise(res)
    L = [f"# bench task 11 (issue 11), {meta['date']}", "",
         f"- machine: {meta['machine']}", f"- logit: {meta['git']}", f"- peers: {meta['peers']}",
         f"- rounds: {meta['rounds']}; load average before {meta['load_before']}, after "
         f"{meta['load_after']}; {meta['duration_min']:.1f} min",
         f"- R: {json.dumps(res['r_info'])}", f"- file sizes (bytes): {json.dumps(res['sizes'])}",
         "", "| task | tool | wall s | CPU s | peak RSS MiB | objective | gap | check / error |",
         "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        note = r["error"] or r["check"] or ""
        kind = f" [{r['kind']}]" if r["kind"] else ""
        runs = "" if r["n"] == meta["rounds"] else f" [{r['n']} run(s)]"
        L.append(f"| {r['task']} | {r['tool']}{kind}{runs} | {_f(r['wall'], '.2f')} | "
                 f"{_f(r['cpu'], '.2f')} | {_f(r['rss'], '.0f')} | {_f(r['objective'], '.15g')} | "
                 f"{_f(r['gap'], '.2e')} | {note} |")
    L += ["", "Objective: (1/n) sum logloss + (l2/2) sum (s_j w_j)^2 in original units, b free; "
          "[raw] s_j = 1 (LIBLINEAR's problem without its bias penalty), [std] s_j = population "
          "std (logit's default); gap = minus the best of that kind on that task "
          "(bench/py/obj11.py).", "", "| goal | measured wall ratio | CPU ratio | note | met |",
          "|---|---:|---:|---|---|"]
    for name, limit, w, c, note in goals(rows, res):
        met = "n/a" if w is None else ("yes" if w <= limit else "NO")
        if note and "DIFFERENT" in str(note):
            met = "NO (model differs)"
        L.append(f"| {name} | {_f(w, '.3f')} | {_f(c, '.3f')} | {note or ''} | {met} |")
    return "\n".join(L), rows
