"""Accuracy of lasso paths on one definition: f(b, w) = (1/n) sum logloss + lambda ||w~||_1.

    l1_objective.py DATA.csv NAME=KIND:FILE ... [--reference NAME]

w~ = coefficients on features standardised with the mean and population std (glmnet's and
logit's scale), intercept unpenalised. KIND is `glmnet` (bench/r/glmnet_l1.R's JSON: a0, beta in
original units, lambda) or `logit` (`logit path --json`: fits[].lambda, intercept, coefficients
in original units). Every path is evaluated in float64 at each of its lambdas; per lambda the
reference value is the smallest any source reached there (or --reference's). Prints JSON:
per source {lambdas, objective[], gap[] (objective - best at that lambda, NaN where the
lambda is missing), max_gap, max_rel_gap (gap / best), nonzero[], max_coef_diff (standardised
units, against the reference source), nonzero_mismatch (lambdas whose zero pattern differs from
the reference's), reported_objective_diff (logit's own objective minus ours)}.
"""
import argparse
import json
import math

import numpy as np
import pandas as pd


def logit_fits(doc, features):
    """(lambda, intercept, coefficient vector in `features` order, reported objective)."""
    out = []
    order = [doc["features"].index(f) for f in features] if "features" in doc else None
    for fit in doc["fits"]:
        coef = fit["coefficients"]
        if order is not None and coef and not isinstance(coef[0], dict):
            coef = [coef[j] for j in order]
        if coef and isinstance(coef[0], dict):  # [{name, coefficient}] form
            by = {c["name"]: c["coefficient"] for c in coef}
            coef = [by.get(f, 0.0) for f in features]
        elif isinstance(coef, dict):
            coef = [coef.get(f, 0.0) for f in features]
        out.append((fit["lambda"], fit["intercept"], np.asarray(coef, float),
                    fit.get("objective")))
    return out


def glmnet_fits(doc, features):
    order = [doc["features"].index(f) for f in features]
    beta = np.asarray(doc["beta"], float)  # (lambdas, p)
    return [(lam, a0, beta[k][order], None)
            for k, (lam, a0) in enumerate(zip(doc["lambda"], doc["a0"]))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("sources", nargs="+")
    ap.add_argument("--reference")
    a = ap.parse_args()
    df = pd.read_csv(a.csv)
    y = df.pop("y").to_numpy(float)
    if "fold" in df:
        df.pop("fold")
    features = list(df.columns)
    x = df.to_numpy(float)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    xs = (x - mean) / sd

    def objective(lam, b, w_orig):
        w = w_orig * sd                       # standardised units
        b_std = b + float(w_orig @ mean)
        z = xs @ w + b_std
        loss = np.logaddexp(0.0, z) - y * z
        return math.fsum(loss) / len(y) + lam * float(np.abs(w).sum()), w

    paths = {}
    for spec in a.sources:
        name, rest = spec.split("=", 1)
        kind, path = rest.split(":", 1)
        doc = json.load(open(path))
        fits = logit_fits(doc, features) if kind == "logit" else glmnet_fits(doc, features)
        rows = {}
        for lam, b, w_orig, reported in fits:
            f, w = objective(lam, b, w_orig)
            rows[float(lam)] = (f, w, reported)
        paths[name] = rows

    lambdas = sorted({lam for rows in paths.values() for lam in rows}, reverse=True)

    def key(rows, lam):  # lambdas printed by different tools may differ in the last digit
        for k in rows:
            if abs(k - lam) <= 1e-12 * lam:
                return k
        return None

    best = {}
    for lam in lambdas:
        vals = [rows[k][0] for rows in paths.values() if (k := key(rows, lam)) is not None]
        best[lam] = min(vals)
    ref = paths.get(a.reference) if a.reference else None
    if ref:
        best = {lam: ref[k][0] if (k := key(ref, lam)) is not None else best[lam]
                for lam in lambdas}
    report = {}
    for name, rows in paths.items():
        lam_list = sorted(rows, reverse=True)
        gaps = [rows[lam][0] - best[key(best, lam)] for lam in lam_list]
        r = {"lambdas": lam_list, "objective": [rows[lam][0] for lam in lam_list], "gap": gaps,
             "max_gap": max(gaps), "max_rel_gap": max(g / best[key(best, lam)]
                                                     for g, lam in zip(gaps, lam_list)),
             "nonzero": [int(np.count_nonzero(rows[lam][1])) for lam in lam_list]}
        rep = [rows[lam][0] - rows[lam][2] for lam in lam_list if rows[lam][2] is not None]
        if rep:
            r["reported_objective_diff"] = max(rep, key=abs)
        if ref:
            diffs, mism = [], 0
            for lam in lam_list:
                k = key(ref, lam)
                if k is None:
                    continue
                w, wr = rows[lam][1], ref[k][1]
                diffs.append(float(np.abs(w - wr).max()))
                mism += int(((w == 0) != (wr == 0)).any())
            r["max_coef_diff"] = max(diffs) if diffs else None
            r["nonzero_mismatch"] = mism
        report[name] = r
    print(json.dumps(report))


if __name__ == "__main__":
    main()
