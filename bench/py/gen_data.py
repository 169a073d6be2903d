"""Generate the benchmark's synthetic CSV files deterministically (run with the bench venv's python).

Recipe (the same for every dataset; only n, p and the seed differ):
  * k = min(10, p) latent factors F ~ N(0, 1), loadings A ~ N(0, 1/k):  Z = F A + 0.5 E,
    E ~ N(0, 1), so the columns are correlated (pairwise correlations up to about 0.8);
  * true weights w ~ N(0, 1) scaled so that the linear score Z w has standard deviation 2,
    intercept -0.5; y ~ Bernoulli(sigmoid(Z w - 0.5)) (never separable);
  * column j is multiplied by a scale from 0.01 to 1000, log-uniformly spaced and shuffled
    across the columns;
  * floats written as %.7g, header x1..xp,y, y in {0, 1}.
Rows are produced in blocks of BLOCK rows, each block from its own generator seeded by
(SEED, dataset, block index), so the bytes do not depend on the number of worker processes.

With --classes K (K > 2) the label is drawn from a true multinomial model instead: K weight
vectors W_k ~ N(0, 1), each scaled so that its score Z W_k has standard deviation 2, intercepts
spread evenly over [-0.5, 0.5], y ~ Categorical(softmax(Z W^T + b)), y in {0, ..., K-1}
(never separable; every class frequent).

Usage: gen_data.py OUT.csv N_ROWS N_FEATURES DATASET_ID [--classes K] [--workers K]
"""
import argparse
import multiprocessing as mp
import os
import sys

import numpy as np

SEED = 20240611
BLOCK = 20_000


def model(p, ds_id, classes):
    rng = np.random.default_rng([SEED, ds_id, 0xFFFFFFFF])
    k = min(10, p)
    loadings = rng.standard_normal((k, p)) / np.sqrt(k)
    # Var(Z w) = w' (A'A + 0.25 I) w; scale w so that the score has standard deviation 2.
    cov = loadings.T @ loadings + 0.25 * np.eye(p)
    if classes > 2:
        w = rng.standard_normal((classes, p))
        w *= (2.0 / np.sqrt(np.einsum("kp,pq,kq->k", w, cov, w)))[:, None]
    else:
        w = rng.standard_normal(p)
        w *= 2.0 / np.sqrt(w @ cov @ w)
    scales = np.logspace(-2, 3, p)
    rng.shuffle(scales)
    return loadings, w, scales


def block_text(args):
    ds_id, b, rows, p = args
    loadings, w, scales = MODEL
    rng = np.random.default_rng([SEED, ds_id, b])
    k = loadings.shape[0]
    z = rng.standard_normal((rows, k)) @ loadings + 0.5 * rng.standard_normal((rows, p))
    if w.ndim == 2:  # multinomial: inverse-CDF draw from softmax(z W^T + b)
        score = z @ w.T + np.linspace(-0.5, 0.5, w.shape[0])
        prob = np.exp(score - score.max(axis=1, keepdims=True))
        cdf = np.cumsum(prob / prob.sum(axis=1, keepdims=True), axis=1)
        y = np.minimum((cdf < rng.random(rows)[:, None]).sum(axis=1), w.shape[0] - 1)
    else:
        score = z @ w - 0.5
        y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-score))).astype(np.int8)
    x = z * scales
    fmt = ",".join(["%.7g"] * p) + ",%d\n"
    return "".join([fmt % (*row, lab) for row, lab in zip(x.tolist(), y.tolist())])


MODEL = None


def init(p, ds_id, classes):
    global MODEL
    MODEL = model(p, ds_id, classes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("p", type=int)
    ap.add_argument("ds_id", type=int)
    ap.add_argument("--classes", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    blocks = [(a.ds_id, b, min(BLOCK, a.n - b * BLOCK), a.p)
              for b in range((a.n + BLOCK - 1) // BLOCK)]
    tmp = a.out + ".part"
    with open(tmp, "w") as f:
        f.write(",".join(f"x{j + 1}" for j in range(a.p)) + ",y\n")
        if a.workers > 1:
            with mp.Pool(a.workers, initializer=init, initargs=(a.p, a.ds_id, a.classes)) as pool:
                for text in pool.imap(block_text, blocks):
                    f.write(text)
        else:
            init(a.p, a.ds_id, a.classes)
            for blk in blocks:
                f.write(block_text(blk))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    sys.exit(main())
