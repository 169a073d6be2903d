"""Generate dataset H, the high-cardinality one-hot case of issue 11 (bench venv's python).

60,000 rows: numeric columns x1..x5 (N(0, 1) times scales 0.1, 1, 10, 100, 1000, written %.7g),
one categorical column `cat` with 50,000 levels `c00000`..`c49999` (every level occurs: the first
50,000 rows take each level once, the other 10,000 rows draw levels uniformly, then the rows are
shuffled; so most levels occur once or twice, as IDs do), and y in {0, 1} drawn from a true
logistic model: score = x . w (sd ~1.5) + level effect (N(0, 1.5^2)) - 0.3.
Dense, its one-hot design would be 60,000 x 50,005 f64 = 24 GB; as CSR it is 60,000 x 6 non-zeros.

Usage: gen_onehot.py OUT.csv [--rows N] [--levels L]
"""
import argparse
import sys

import numpy as np

SEED = 20261202


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=60_000)
    ap.add_argument("--levels", type=int, default=50_000)
    a = ap.parse_args()
    n, k = a.rows, a.levels
    rng = np.random.default_rng(SEED)
    level = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    level = level[rng.permutation(n)]
    z = rng.standard_normal((n, 5))
    w = rng.standard_normal(5)
    w *= 1.5 / np.linalg.norm(w)
    effect = 1.5 * rng.standard_normal(k)
    score = z @ w + effect[level] - 0.3
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-score))).astype(int)
    x = z * np.array([0.1, 1.0, 10.0, 100.0, 1000.0])
    with open(a.out, "w") as f:
        f.write("x1,x2,x3,x4,x5,cat,y\n")
        for i in range(n):
            f.write(",".join(f"{v:.7g}" for v in x[i]) + f",c{level[i]:05d},{y[i]}\n")


if __name__ == "__main__":
    sys.exit(main())
