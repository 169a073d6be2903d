"""Generate the non-linear datasets of issue 13 (hidden layers) into tests/fixtures/nn/.

Deterministic; run with the bench venv's python from the repository root:
    bench/.venv/bin/python bench/py/gen_nn.py [OUT_DIR]      (default tests/fixtures/nn)

Every set is made once (train and test rows from one draw, then split: the first N_TRAIN rows
train, the rest test), each from its own numpy generator `default_rng([SEED, id])`; floats are
written as %.6f; header x1..xp,y. Binary targets are 0/1 (positive class 1); the multiclass
target is a/b/c. The recipes:

  moons     (id 1) scikit-learn's make_moons(noise=0.25): two interleaved half circles with
            Gaussian noise of sd 0.25 on both coordinates; classes balanced.
  circles   (id 2) make_circles(noise=0.1, factor=0.5): two concentric circles (radii 1 and
            0.5) with Gaussian noise of sd 0.1; a linear model is at chance.
  xor       (id 3) noisy XOR: x1, x2 ~ U(-1, 1), y = [x1 * x2 > 0], 5% of labels flipped at
            random, and three irrelevant columns x3..x5 ~ N(0, 1) (noise inputs).
  spirals   (id 4) two interleaved spirals: t ~ U(0, 1), angle = 1.75 turns * t (+ pi for
            class 1), radius = 0.2 + t, then Gaussian noise of sd 0.05 on both coordinates.
  rings3    (id 5) multiclass, 4 inputs: make_gaussian_quantiles(n_features=4, n_classes=3):
            x ~ N(0, I_4), the class is the tercile of |x|^2 (nested shells; classes a, b, c
            from the inside out); a linear softmax is at chance.

With --bench OUT.csv [--rows N] it writes instead the data of bench task 13 (issue 13's speed
goal): N rows (default 100,000) x 20 inputs x1..x20 ~ N(0, 1) and y ~ Bernoulli(sigmoid(s)),
where s comes from a fixed random "teacher" network (one tanh layer of 8 units, weights
N(0, 1/20) into it and N(0, 4/8) out of it, from default_rng([SEED, 100])): a non-linear
target that a linear model fits poorly. OUT_test.csv gets 20,000 more rows of the same draw.

scikit-learn's generators are called with random_state drawn from the set's generator, so the
files depend only on SEED and the scikit-learn/numpy versions (printed into MANIFEST.json).
"""
import json
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import make_circles, make_gaussian_quantiles, make_moons

SEED = 13
N_TRAIN, N_TEST = 600, 2000


def moons(rng, n):
    x, y = make_moons(n_samples=n, noise=0.25, random_state=int(rng.integers(2**31)))
    return x, y


def circles(rng, n):
    x, y = make_circles(n_samples=n, noise=0.1, factor=0.5,
                        random_state=int(rng.integers(2**31)))
    return x, y


def xor(rng, n):
    s = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (s[:, 0] * s[:, 1] > 0).astype(int)
    flip = rng.random(n) < 0.05
    y[flip] = 1 - y[flip]
    noise = rng.standard_normal((n, 3))
    return np.hstack([s, noise]), y


def spirals(rng, n):
    y = (np.arange(n) % 2).astype(int)
    rng.shuffle(y)
    t = rng.random(n)
    angle = 2 * np.pi * 1.75 * t + np.pi * y
    r = 0.2 + t
    x = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    x += rng.normal(0.0, 0.05, size=x.shape)
    return x, y


def rings3(rng, n):
    x, y = make_gaussian_quantiles(n_samples=n, n_features=4, n_classes=3,
                                   random_state=int(rng.integers(2**31)))
    return x, np.array(["abc"[k] for k in y])


SETS = {"moons": (1, moons), "circles": (2, circles), "xor": (3, xor),
        "spirals": (4, spirals), "rings3": (5, rings3)}


def write(path, x, y):
    p = x.shape[1]
    lines = [",".join([f"x{j + 1}" for j in range(p)] + ["y"])]
    for row, label in zip(x, y):
        lines.append(",".join([f"{v:.6f}" for v in row] + [str(label)]))
    path.write_text("\n".join(lines) + "\n")


def bench(out, rows):
    rng = np.random.default_rng([SEED, 100])
    w1 = rng.normal(0.0, np.sqrt(1 / 20), size=(20, 8))
    w2 = rng.normal(0.0, np.sqrt(4 / 8), size=8)
    test = out.with_name(out.stem + "_test.csv")
    for path, n, stream in ((out, rows, 101), (test, 20_000, 102)):
        r = np.random.default_rng([SEED, stream])
        x = r.standard_normal((n, 20))
        s = np.tanh(x @ w1 * 2.0) @ w2
        y = (r.random(n) < 1 / (1 + np.exp(-s))).astype(int)
        tmp = path.with_name(path.name + ".tmp")
        write(tmp, x, y)
        tmp.replace(path)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        rows = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--rows" else 100_000
        return bench(Path(sys.argv[2]), rows)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/nn")
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"generator": "bench/py/gen_nn.py", "seed": SEED, "n_train": N_TRAIN,
                "n_test": N_TEST, "numpy": np.__version__, "sklearn": sklearn.__version__,
                "sets": {}}
    for name, (ds_id, make) in SETS.items():
        rng = np.random.default_rng([SEED, ds_id])
        x, y = make(rng, N_TRAIN + N_TEST)
        write(out / f"{name}_train.csv", x[:N_TRAIN], y[:N_TRAIN])
        write(out / f"{name}_test.csv", x[N_TRAIN:], y[N_TRAIN:])
        classes, counts = np.unique(y[:N_TRAIN], return_counts=True)
        manifest["sets"][name] = {"id": ds_id, "features": x.shape[1],
                                  "train_class_counts": dict(zip(map(str, classes),
                                                                 map(int, counts)))}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
