"""Generate dataset L of issue 10 (lasso path and cv): n x p numeric, k informative, binary target.

Recipe (deterministic; run with the bench venv's python):
  * the same correlated design as gen_data.py: 10 latent factors F ~ N(0, 1), loadings
    A ~ N(0, 1/10), Z = F A + 0.5 E, E ~ N(0, 1);
  * k columns chosen at random are informative: w_j ~ N(0, 1) there, 0 elsewhere, scaled so
    that the score Z w has standard deviation 2; intercept -0.5; y ~ Bernoulli(sigmoid(Z w - 0.5));
    the other p - k columns are correlated with the informative ones through the factors but
    carry no signal of their own;
  * column j multiplied by a scale from 0.01 to 1000 (log-uniformly spaced, shuffled);
  * floats written as %.7g, header x1..xp,y; y in {0, 1}.
Writes OUT.csv and, with --folds-out, a copy with one more column `fold` = (0-based row
index mod FOLDS) + 1, the fold column that logit cv (--fold-column fold), cv.glmnet (foldid)
and scikit-learn (PredefinedSplit) all use. Rows are made in blocks of gen_data.BLOCK rows,
each from its own generator seeded by (SEED, dataset id, block), so the bytes do not depend on
the number of worker processes. Also writes OUT.truth.json: the informative columns and w.

Usage: gen_l1.py OUT.csv N P K DATASET_ID [--folds-out F.csv --folds 10] [--workers W]
"""
import argparse
import json
import multiprocessing as mp
import os
import sys

import numpy as np

from gen_data import BLOCK, SEED


def model(p, k, ds_id):
    rng = np.random.default_rng([SEED, ds_id, 0xFFFFFFFF])
    f = min(10, p)
    loadings = rng.standard_normal((f, p)) / np.sqrt(f)
    cov = loadings.T @ loadings + 0.25 * np.eye(p)
    informative = np.sort(rng.choice(p, size=k, replace=False))
    w = np.zeros(p)
    w[informative] = rng.standard_normal(k)
    w *= 2.0 / np.sqrt(w @ cov @ w)
    scales = np.logspace(-2, 3, p)
    rng.shuffle(scales)
    return loadings, w, scales, informative


MODEL = None


def init(p, k, ds_id):
    global MODEL
    MODEL = model(p, k, ds_id)


def block_text(args):
    ds_id, b, rows, p, folds = args
    loadings, w, scales, _ = MODEL
    rng = np.random.default_rng([SEED, ds_id, b])
    z = rng.standard_normal((rows, loadings.shape[0])) @ loadings \
        + 0.5 * rng.standard_normal((rows, p))
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(z @ w - 0.5)))).astype(np.int8)
    x = z * scales
    fmt = ",".join(["%.7g"] * p)
    lines = [fmt % tuple(row) for row in x.tolist()]
    plain = "".join(f"{line},{lab}\n" for line, lab in zip(lines, y.tolist()))
    if not folds:
        return plain, None
    start = b * BLOCK
    folded = "".join(f"{line},{lab},{(start + i) % folds + 1}\n"
                     for i, (line, lab) in enumerate(zip(lines, y.tolist())))
    return plain, folded


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("p", type=int)
    ap.add_argument("k", type=int)
    ap.add_argument("ds_id", type=int)
    ap.add_argument("--folds-out")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    folds = a.folds if a.folds_out else 0
    blocks = [(a.ds_id, b, min(BLOCK, a.n - b * BLOCK), a.p, folds)
              for b in range((a.n + BLOCK - 1) // BLOCK)]
    header = ",".join(f"x{j + 1}" for j in range(a.p)) + ",y"
    tmp, tmp_f = a.out + ".part", (a.folds_out + ".part") if a.folds_out else None
    with open(tmp, "w") as f, (open(tmp_f, "w") if tmp_f else open(os.devnull, "w")) as g:
        f.write(header + "\n")
        g.write(header + ",fold\n")
        if a.workers > 1:
            with mp.Pool(a.workers, initializer=init, initargs=(a.p, a.k, a.ds_id)) as pool:
                texts = pool.imap(block_text, blocks)
                for plain, folded in texts:
                    f.write(plain)
                    if folded:
                        g.write(folded)
        else:
            init(a.p, a.k, a.ds_id)
            for blk in blocks:
                plain, folded = block_text(blk)
                f.write(plain)
                if folded:
                    g.write(folded)
    _, w, scales, informative = model(a.p, a.k, a.ds_id)
    truth = {"informative": [f"x{j + 1}" for j in informative],
             "w_latent": [w[j] for j in informative],
             "w_original_units": [w[j] / scales[j] for j in informative], "intercept": -0.5}
    with open(a.out + ".truth.json", "w") as t:
        json.dump(truth, t, indent=1)
    os.replace(tmp, a.out)
    if tmp_f:
        os.replace(tmp_f, a.folds_out)


if __name__ == "__main__":
    sys.exit(main())
