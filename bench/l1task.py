"""Task L of bench.py (issue 10): lasso path and 10-fold cv against R's glmnet and scikit-learn.

Run as `bench/run.sh --task L [--rounds N] [--data DIR] [--skip sklearn] [--l1-equal-tol T]`.
Standard library only, like bench.py, whose measuring helpers it is handed (see `Bench`).
See bench/README.md, section "Task L".
"""
import json
import math
import shutil
import subprocess
from pathlib import Path

# Dataset L: rows, features, informative features, generator stream id (bench/py/gen_l1.py).
L_ROWS, L_FEATURES, L_INFORMATIVE, L_STREAM, L_FOLDS = 100_000, 200, 20, 5, 10
GLMNET_THRESH = 1e-7        # glmnet's default
REF_THRESH = 1e-14          # the untimed reference path (glmnet at a far tighter thresh)
# logit at a tolerance giving about glmnet's accuracy at thresh 1e-7 (calibrated once on L,
# see RESULTS.md "issue 10"; --l1-equal-tol overrides it, 0 leaves the variant out).
EQUAL_TOL = 3e-5
SAGA_EVERY, SAGA_TOL, SAGA_MAX_ITER = 10, 1e-4, 100   # scikit-learn's cap (see README)
# Time caps (seconds) on runs that may not finish in reasonable time; --l1-cap overrides.
DEFAULT_CAPS = {"logit-path": 900, "logit-cv": 600}
PATH_GOAL, CV_GOAL = 1.0, 1.0   # logit / glmnet wall-time ratios the issue asks for


class Bench:
    """What bench.py lends this task: its measuring, logging and setup helpers and paths."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def ensure_r(b):
    """Rscript with glmnet and data.table; Debian's r-cran-glmnet / r-cran-data.table if not."""
    check = ["Rscript", "-e", "suppressPackageStartupMessages({library(glmnet); "
             "library(data.table)}); cat(as.character(packageVersion('glmnet')), "
             "as.character(packageVersion('data.table')), R.version$major, R.version$minor)"]

    def probe():
        if not shutil.which("Rscript"):
            return None
        p = subprocess.run(check, capture_output=True, text=True)
        return p.stdout.split() if p.returncode == 0 else None

    got = probe()
    if got is None:
        for pkg in ("r-cran-glmnet", "r-cran-data.table"):
            b.apt_install(pkg)
        got = probe()
    if got is None:
        return None
    return f"R {got[2]}.{got[3]}, glmnet {got[0]}, data.table {got[1]} (Debian packages)"


def ensure_data(b, data, rows):
    name = "L" if rows == L_ROWS else f"L{rows}"
    csv, folds = data / f"{name}.csv", data / f"{name}_folds.csv"
    stamp = data / f"{name}.csv.stamp"
    recipe = json.dumps({"rows": rows, "features": L_FEATURES, "informative": L_INFORMATIVE,
                         "stream": L_STREAM, "folds": L_FOLDS,
                         "generator": (b.PY / "gen_l1.py").read_text(),
                         "gen_data": (b.PY / "gen_data.py").read_text()})
    if csv.exists() and folds.exists() and stamp.exists() and stamp.read_text() == recipe:
        return csv, folds
    b.log(f"generating {csv} and {folds}")
    b.run([b.VPY, b.PY / "gen_l1.py", csv, rows, L_FEATURES, L_INFORMATIVE, L_STREAM,
           "--folds-out", folds, "--folds", L_FOLDS])
    stamp.write_text(recipe)
    return csv, folds


def lambdas_of(glmnet_json):
    return json.loads(Path(glmnet_json).read_text())["lambda"]


def run_task(b, data, rounds, slow, skip, equal_tol, rows=L_ROWS, caps=None):
    """The rounds of task L; `rows` < L_ROWS (bench.py --quick: 10,000) for a smoke test.

    caps: {output key: seconds}: such a run is killed (GNU `timeout`) after that long and
    reported as not finished, with the cap as a lower bound of its time."""
    caps = {**DEFAULT_CAPS, **(caps or {})}
    r_version = ensure_r(b)
    if r_version is None:
        raise SystemExit("bench: task L needs R with glmnet and data.table "
                         "(apt-get install r-cran-glmnet r-cran-data.table)")
    csv, folds_csv = ensure_data(b, data, rows)
    out, logs = data / "out", data / "logs"
    out.mkdir(parents=True, exist_ok=True)
    logs.mkdir(exist_ok=True)
    R = b.BENCH / "r" / "glmnet_l1.R"
    lam_file = out / "L-lambdas.txt"
    saga_lam_file = out / "L-lambdas-saga.txt"
    lam = {}  # filled after glmnet's first path run

    def lam_arg():
        return ",".join(repr(v) for v in lam["all"])

    def logit_path(tol):
        extra = ["--tol", tol] if tol else []
        return lambda: [b.LOGIT_RUN, "path", csv, "--target", "y", "--lambdas", lam_arg(),
                        "--json", *extra]

    def logit_cv(tol, model):
        extra = ["--tol", tol] if tol else []
        return lambda: [b.LOGIT_RUN, "cv", folds_csv, "--target", "y", "--fold-column", "fold",
                        "--lambdas", lam_arg(), "-o", model, "--json", *extra]

    # (task, tool, command or callable giving it, inputs, JSON output file or None = stdout)
    tools = [("path L", "glmnet (R, fread)",
              lambda r: ["Rscript", R, "path", csv, out / f"glmnet-path-r{r}.json",
                         "--thresh", GLMNET_THRESH], [csv], "glmnet-path")]
    if equal_tol:
        tools.append(("path L", f"logit --tol {equal_tol:g}",
                      lambda r: logit_path(equal_tol)(), [csv], "logit-path-tol"))
    tools.append(("path L", "logit", lambda r: logit_path(None)(), [csv], "logit-path"))
    tools += [("cv L", "cv.glmnet (R, fread)",
               lambda r: ["Rscript", R, "cv", folds_csv, out / f"glmnet-cv-r{r}.json",
                          "--lambdas", lam_file, "--thresh", GLMNET_THRESH], [folds_csv],
               "glmnet-cv"),
              ]
    if equal_tol:
        tools.append(("cv L", f"logit --tol {equal_tol:g}",
                      lambda r: logit_cv(equal_tol, out / "logit-cv-model-tol.json")(),
                      [folds_csv], "logit-cv-tol"))
    tools.append(("cv L", "logit", lambda r: logit_cv(None, out / "logit-cv-model.json")(),
                  [folds_csv], "logit-cv"))
    if "sklearn" not in skip:
        tools.append(("cv L", f"scikit-learn saga (every {SAGA_EVERY}th lambda)",
                      lambda r: [b.VPY, b.PY / "sk_l1cv.py", folds_csv, out / f"sklearn-cv-r{r}.json",
                                 "--lambdas", saga_lam_file, "--every", 1, "--tol", SAGA_TOL,
                                 "--max-iter", SAGA_MAX_ITER], [folds_csv], "sklearn-cv"))

    tools = [t for t in tools if t[4] not in skip]   # --skip logit-path etc. (output keys)
    results = {(t, name): [] for t, name, *_ in tools}
    outputs = {}
    for r in range(1, rounds + 1):
        for task, name, make, inputs, key in tools:
            done = results[(task, name)]
            if r > 1 and done and (done[0]["wall"] > slow and not name.startswith("logit")
                                   or done[0].get("timed_out")):
                continue
            if key != "glmnet-path" and "all" not in lam:
                b.log(f"skipping {name}: glmnet's path gave no lambdas")
                continue
            b.warm(inputs)
            slug = f"L-{key}-r{r}"
            cmd = make(r)
            if caps.get(key):
                cmd = ["timeout", "-s", "TERM", str(caps[key])] + cmd
            m = b.measure(cmd, logs / slug)
            m["cap"] = caps.get(key)
            m["timed_out"] = bool(caps.get(key)) and m["rc"] == 124
            done.append(m)
            status = "" if m["rc"] == 0 else f"  FAILED rc={m['rc']}, see {logs / slug}.err"
            b.log(f"round {r}/{rounds} {task:7} {name:38} wall {m['wall']:7.2f} s  "
                  f"cpu {m['cpu']:7.2f} s  rss {m['rss_mib'] or 0:6.0f} MiB{status}")
            if m["rc"] != 0:
                continue
            if key.startswith("logit"):   # --json goes to stdout
                shutil.copy(logs / f"{slug}.out", out / f"{key}.json")
                outputs[key] = out / f"{key}.json"
            else:
                outputs[key] = out / f"{key}-r{r}.json"
            if key == "glmnet-path" and "all" not in lam:
                lam["all"] = lambdas_of(outputs[key])
                lam_file.write_text("".join(f"{v!r}\n" for v in lam["all"]))
                saga_lam_file.write_text("".join(f"{v!r}\n" for v in lam["all"][::SAGA_EVERY]))
    accuracy = evaluate(b, csv, out, outputs, lam.get("all", []))
    return {"results": {f"{t}|{n}": v for (t, n), v in results.items()},
            "outputs": {k: str(v) for k, v in outputs.items()}, "accuracy": accuracy,
            "caps": caps, "rows": rows, "r_version": r_version, "equal_tol": equal_tol, "lambdas": len(lam.get("all", [])),
            "saga": {"every": SAGA_EVERY, "tol": SAGA_TOL, "max_iter": SAGA_MAX_ITER}}


def reference_path(b, csv, out, lambdas):
    """glmnet at thresh 1e-14 on the same lambdas, untimed; cached while the lambdas agree."""
    ref = out / "glmnet-path-ref.json"
    if ref.exists():
        try:
            if json.loads(ref.read_text())["lambda"] == lambdas:
                return ref
        except (ValueError, KeyError):
            pass
    b.log(f"reference path: glmnet thresh {REF_THRESH:g} on the same lambdas (untimed)")
    b.run(["Rscript", b.BENCH / "r" / "glmnet_l1.R", "path", csv, ref, "--lambdas",
           out / "L-lambdas.txt", "--thresh", REF_THRESH])
    return ref


def evaluate(b, csv, out, outputs, lambdas):
    acc = {}
    if not lambdas:
        return acc
    try:
        ref = reference_path(b, csv, out, lambdas)
    except subprocess.CalledProcessError:
        ref = None
    srcs = [f"glmnet=glmnet:{outputs['glmnet-path']}"]
    for key in ("logit-path", "logit-path-tol"):
        if key in outputs:
            srcs.append(f"{key}=logit:{outputs[key]}")
    if ref:
        srcs.append(f"reference=glmnet:{ref}")
    b.warm([csv])
    p = subprocess.run([str(b.VPY), str(b.PY / "l1_objective.py"), str(csv), *srcs]
                       + (["--reference", "reference"] if ref else []),
                       capture_output=True, text=True)
    if p.returncode == 0:
        acc["path"] = {k: {f: v[f] for f in ("max_gap", "max_rel_gap", "max_coef_diff",
                                              "nonzero_mismatch", "reported_objective_diff")
                           if f in v} | {"lambdas": len(v["lambdas"]),
                                         "nonzero_last": v["nonzero"][-1]}
                       for k, v in json.loads(p.stdout).items()}
    else:
        b.log("l1_objective.py failed: " + p.stderr[-2000:])
    gcv = json.loads(Path(outputs["glmnet-cv"]).read_text()) if "glmnet-cv" in outputs else None
    if gcv:
        acc["cv"] = {"cv.glmnet": {"lambda_min": gcv["lambda_min"],
                                   "lambda_1se": gcv["lambda_1se"]}}
        for key in ("logit-cv", "logit-cv-tol"):
            if key not in outputs:
                continue
            d = json.loads(Path(outputs[key]).read_text())
            rel = [abs(a - g) / abs(g) for a, g in zip(d["cvm"], gcv["cvm"])]
            rel_sd = [abs(a - g) / abs(g) for a, g in zip(d["cvsd"], gcv["cvsd"]) if g]
            acc["cv"][key] = {"lambda_min": d["lambda_min"], "lambda_1se": d["lambda_1se"],
                              "same_min": math.isclose(d["lambda_min"], gcv["lambda_min"],
                                                       rel_tol=1e-12),
                              "same_1se": math.isclose(d["lambda_1se"], gcv["lambda_1se"],
                                                       rel_tol=1e-12),
                              "cvm_max_rel_diff": max(rel), "cvsd_max_rel_diff": max(rel_sd),
                              "lambdas": len(d["cvm"])}
        if "sklearn-cv" in outputs:
            s = json.loads(Path(outputs["sklearn-cv"]).read_text())
            idx = [min(range(len(gcv["lambda"])), key=lambda i: abs(gcv["lambda"][i] - v))
                   for v in s["lambdas"]]
            rel = [abs(a - gcv["cvm"][i]) / gcv["cvm"][i] for a, i in zip(s["cvm"], idx)]
            acc["cv"]["sklearn"] = {"lambda_min": s["lambda_min"], "lambdas": len(s["lambdas"]),
                                    "cvm_max_rel_diff": max(rel), "n_iter_max": s["n_iter_max"],
                                    "hit_max_iter": s["hit_max_iter"], "fits": s["fits"],
                                    "convergence_warnings": s["convergence_warnings"]}
    return acc


# ----------------------------------------------------------------------------- report

def _median(xs):
    xs = sorted(xs)
    return None if not xs else (xs[len(xs) // 2] if len(xs) % 2 else
                                (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2)


def _fitted(res, task, tool):
    """How many lambdas the tool fitted, from its saved output."""
    o = res["outputs"]
    try:
        if task == "path L":
            key = "glmnet-path" if tool.startswith("glmnet") else \
                ("logit-path-tol" if "--tol" in tool else "logit-path")
            d = json.loads(Path(o[key]).read_text())
            return len(d["lambda"]) if "lambda" in d else len(d["fits"])
        key = "glmnet-cv" if tool.startswith("cv.glmnet") else "sklearn-cv" \
            if tool.startswith("scikit") else ("logit-cv-tol" if "--tol" in tool else "logit-cv")
        d = json.loads(Path(o[key]).read_text())
        return len(d["lambdas"] if "lambdas" in d and key != "glmnet-cv" else d["lambda"])
    except (KeyError, OSError, ValueError):
        return None


def summarise(res):
    rows = []
    for key, ms in res["results"].items():
        task, tool = key.split("|")
        ok = [m for m in ms if m["rc"] == 0]
        timed_out = [m for m in ms if m.get("timed_out")]
        rows.append({"task": task, "tool": tool, "n": len(ok),
                     "failed": len(ms) - len(ok) - len(timed_out),
                     "timed_out": timed_out[0]["cap"] if timed_out and not ok else None,
                     "wall": _median([m["wall"] for m in ok]),
                     "cpu": _median([m["cpu"] for m in ok]),
                     "rss": _median([m["rss_mib"] or 0 for m in ok]),
                     "fitted": _fitted(res, task, tool)})
    for r in rows:
        logit = next((x for x in rows if x["task"] == r["task"] and x["tool"] == "logit"), None)
        for k, col in (("ratio", "wall"), ("ratio_cpu", "cpu")):
            r[k] = logit[col] / r[col] if logit and logit[col] and r[col] and \
                not r["tool"].startswith("logit") else None
    return rows


def _accuracy_cell(res, r):
    acc = res["accuracy"]
    if r["task"] == "path L":
        key = "glmnet" if r["tool"].startswith("glmnet") else \
            ("logit-path-tol" if "--tol" in r["tool"] else "logit-path")
        a = acc.get("path", {}).get(key)
        if not a:
            return "n/a"
        s = f"max gap {a['max_gap']:.1e} (rel {a['max_rel_gap']:.1e})"
        if a.get("max_coef_diff") is not None:
            s += f", max coef diff {a['max_coef_diff']:.1e}"
        return s
    cv = acc.get("cv", {})
    if r["tool"].startswith("cv.glmnet"):
        return "reference for cvm" if cv else "n/a"
    if r["tool"].startswith("scikit"):
        a = cv.get("sklearn")
        return "n/a" if not a else (f"cvm max rel diff {a['cvm_max_rel_diff']:.1e} (its lambdas); "
                                    f"{a['hit_max_iter']}/{a['fits']} fits hit max_iter")
    a = cv.get("logit-cv-tol" if "--tol" in r["tool"] else "logit-cv")
    if not a:
        return "n/a"
    same = "same lambda.min and 1se" if a["same_min"] and a["same_1se"] else \
        f"lambda.min {'same' if a['same_min'] else 'DIFFERS'}, 1se " \
        f"{'same' if a['same_1se'] else 'DIFFERS'}"
    return f"cvm max rel diff {a['cvm_max_rel_diff']:.1e}, cvsd {a['cvsd_max_rel_diff']:.1e}; {same}"


def goals(rows):
    by = {(r["task"], r["tool"]): r for r in rows}
    out = []
    for task, peer, limit in (("path L", "glmnet (R, fread)", PATH_GOAL),
                              ("cv L", "cv.glmnet (R, fread)", CV_GOAL)):
        for r in rows:
            if r["task"] != task or not r["tool"].startswith("logit"):
                continue
            p = by.get((task, peer))
            if not p or not p["wall"]:
                continue
            if r.get("timed_out"):
                out.append((f"{task}: {r['tool']} <= {limit:g} x {peer} wall",
                            f"> {r['timed_out'] / p['wall']:.2f} (killed after "
                            f"{r['timed_out']} s)", False, "did not finish"))
                continue
            if not r["wall"]:
                continue
            ratio, ratio_cpu = r["wall"] / p["wall"], r["cpu"] / p["cpu"]
            out.append((f"{task}: {r['tool']} <= {limit:g} x {peer} wall", f"{ratio:.3f} (CPU "
                        f"{ratio_cpu:.3f})", ratio <= limit,
                        "" if ratio <= limit else f"needs {ratio / limit:.2f}x faster"))
    return out


def markdown(meta, res):
    rows = summarise(res)
    L = [f"# logit benchmark, task L (issue 10): results of {meta['date']}", "",
         f"- machine: {meta['machine']}", f"- logit: {meta['git']}",
         f"- peers: {res['r_version']}; {meta['peers']}",
         f"- data: L.csv {res.get('rows', L_ROWS):,} x {L_FEATURES}, {L_INFORMATIVE} informative (bench/py/gen_l1.py);"
         f" cv on L_folds.csv (+ column fold = row mod {L_FOLDS} + 1)",
         f"- lambdas: glmnet's default sequence as glmnet returned it ({res['lambdas']} values); "
         f"every other tool gets exactly those (scikit-learn every {SAGA_EVERY}th: "
         f"{math.ceil(res['lambdas'] / SAGA_EVERY)}, tol {SAGA_TOL:g}, max_iter {SAGA_MAX_ITER})",
         f"- rounds: {meta['rounds']} (median; slow peers once); glmnet thresh {GLMNET_THRESH:g}",
         f"- load average before / after: {meta['load_before']} / {meta['load_after']}",
         f"- total time of the run: {meta['duration_min']:.1f} min", "",
         "| task | tool | wall s | CPU s | peak RSS MiB | lambdas fitted | accuracy "
         "| logit/peer wall | logit/peer CPU |",
         "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        tool = r["tool"] + (f" ({r['failed']} failed)" if r["failed"] else "") + \
            (f" [{r['n']} round{'s' if r['n'] != 1 else ''}]" if r["n"] != meta["rounds"] else "")
        f = lambda v, s: "n/a" if v is None else format(v, s)  # noqa: E731
        if r.get("timed_out"):
            L.append(f"| {r['task']} | {r['tool']} | > {r['timed_out']} (killed, not finished) "
                     f"| | | | | | |")
            continue
        L.append(f"| {r['task']} | {tool} | {f(r['wall'], '.2f')} | {f(r['cpu'], '.2f')} | "
                 f"{f(r['rss'], '.0f')} | {f(r['fitted'], 'd')} | {_accuracy_cell(res, r)} | "
                 f"{'' if r['ratio'] is None else f(r['ratio'], '.3f')} | "
                 f"{'' if r['ratio_cpu'] is None else f(r['ratio_cpu'], '.3f')} |")
    L += ["", "Path accuracy: f = (1/n) sum logloss + lambda ||w~||_1 (standardised units) at "
          "every lambda, evaluated by bench/py/l1_objective.py in float64 on each tool's "
          f"coefficients; gap = f minus the reference (glmnet at thresh {REF_THRESH:g}, untimed, "
          "or the smallest value reached); coef diff = max |w~ - w~_ref|. cv: cvm/cvsd against "
          "cv.glmnet's at every lambda.", ""]
    g = goals(rows)
    if g:
        L += ["| goal | measured | met |", "|---|---:|---|"]
        L += [f"| {a} | {m} | {'yes' if ok else 'NO, ' + how} |" for a, m, ok, how in g]
        L.append("")
    return "\n".join(L), rows
