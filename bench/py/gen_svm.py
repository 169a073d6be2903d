"""Generate the RCV1-like svmlight dataset R deterministically (run with the bench venv's python).

Recipe (issue 11, "Sparse"):
  * n rows x p features, target density d (default 200,000 x 50,000 at 0.2%: ~100 non-zeros
    per row, ~20 M in all);
  * power-law feature frequencies: feature of rank r (a random permutation of 1..p) is drawn
    with probability proportional to (r + 20)^-1.1, as words in documents; each row draws
    m_i ~ lognormal terms with replacement, repeats within a row are its term counts;
  * tf-idf-like positive values: (1 + log count) * log(n / df_j) (df_j = rows containing j),
    each row then scaled to unit L2 norm (RCV1's cosine normalisation), rounded to 6 decimals;
  * a sparse true weight vector: 1,000 features chosen at random (weighted by how often they
    occur, so that most of them matter), w ~ N(0, 1), scaled so the score has standard
    deviation 3; the intercept puts about 40% of the rows in the positive class;
    y = +1 with probability sigmoid(score), else -1 (not separable);
  * written as `label idx:val ...`, 1-based indices sorted, labels -1/1, values as 0.dddddd.
The per-row length m_i is calibrated once (mean distinct features per row = d * p).
Prints a JSON line with n, p, nnz, density, the share of positives and the CSR size.

Usage: gen_svm.py OUT.svm [--rows N] [--features P] [--density D]
"""
import argparse
import json
import sys

import numpy as np
import scipy.sparse as sp

SEED = 20261201


def distinct_mean(probs, m):
    """Expected number of distinct features in m draws with replacement."""
    return float(np.sum(1.0 - np.exp(m * np.log1p(-probs))))


def write_svmlight(path, x, y):
    """`label idx:val ...` with 1-based indices; values have at most 6 decimals, written as
    such (scikit-learn's dump_svmlight_file writes repr(), e.g. 0.07130300000000001)."""
    micro = np.round(x.data * 1e6).astype(np.int64)
    ind = x.indices + 1
    with open(path, "w") as f:
        for lo in range(0, x.shape[0], 10_000):
            hi = min(lo + 10_000, x.shape[0])
            lines = []
            for i in range(lo, hi):
                a, b = x.indptr[i], x.indptr[i + 1]
                toks = [f"{c}:{v // 1000000}.{v % 1000000:06d}".rstrip("0").rstrip(".")
                        for c, v in zip(ind[a:b].tolist(), micro[a:b].tolist())]
                lines.append(f"{y[i]} " + " ".join(toks))
            f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=50_000)
    ap.add_argument("--density", type=float, default=0.002)
    ap.add_argument("--informative", type=int, default=1000)
    a = ap.parse_args()
    n, p = a.rows, a.features
    rng = np.random.default_rng(SEED)

    rank = rng.permutation(p)
    j = int(np.argmin(rank))              # the most frequent feature gets the last index, so
    rank[[j, p - 1]] = rank[[p - 1, j]]   # that max index = p (every reader sees p features)
    probs = (rank + 20.0) ** -1.1
    probs /= probs.sum()
    target = a.density * p
    lo, hi = target, 50 * target          # draws needed for `target` distinct features
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if distinct_mean(probs, mid) < target else (lo, mid)
    m_mean = 0.5 * (lo + hi)
    sigma = 0.5
    m = np.maximum(1, np.round(rng.lognormal(np.log(m_mean) - sigma ** 2 / 2, sigma, n)))
    m = m.astype(np.int64)

    rows = np.repeat(np.arange(n, dtype=np.int64), m)
    cols = rng.choice(p, size=rows.size, p=probs).astype(np.int64)
    keys, counts = np.unique(rows * p + cols, return_counts=True)
    del rows, cols
    r, c = keys // p, keys % p
    df = np.bincount(c, minlength=p)
    idf = np.log(n / np.maximum(df, 1))
    v = (1.0 + np.log(counts)) * idf[c]
    v[v <= 0] = 1e-3                      # a feature in every row has idf 0: keep it positive
    x = sp.csr_matrix((v, (r, c)), shape=(n, p))
    del r, c, v, keys, counts
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))[:, 0])
    x = sp.diags(1.0 / norms) @ x
    x = x.tocsr()
    x.data = np.maximum(np.round(x.data, 6), 1e-6)
    x.sort_indices()

    w = np.zeros(p)
    occurs = np.flatnonzero(df)
    pick = rng.choice(occurs, size=min(a.informative, occurs.size), replace=False,
                      p=df[occurs] / df[occurs].sum())
    w[pick] = rng.standard_normal(pick.size)
    s = x @ w
    w *= 3.0 / s.std()
    s = x @ w
    b = -np.quantile(s, 0.6)             # ~40% positives before the Bernoulli draw
    prob = 1.0 / (1.0 + np.exp(-(s + b)))
    y = np.where(rng.random(n) < prob, 1, -1).astype(np.int64)

    write_svmlight(a.out, x, y)
    nnz = int(x.nnz)
    print(json.dumps({"rows": n, "features": p, "max_index": int(x.indices.max()) + 1,
                      "nnz": nnz, "density": nnz / (n * p), "positives": float(np.mean(y == 1)),
                      "csr_bytes": (n + 1) * 8 + nnz * (4 + 8), "informative": int(pick.size)}))


if __name__ == "__main__":
    sys.exit(main())
