"""Array-sigmoid micro-benchmark, NumPy side, and the ulp check (bench venv's python).

  scores Z_FILE N        write N f64 scores, uniform on [-40, 40] (fixed seed), raw little-endian
  time Z_FILE REPS       best-of-REPS time of 1/(1+np.exp(-x)) (plus, for information, the same
                         with preallocated buffers and scipy.special.expit); one JSON line
  ulps Z_FILE OUT_FILE   max and mean relative error of OUT_FILE (f64 results for Z_FILE) in ulps
                         against a reference computed in 80-bit long double (glibc expl), and the
                         same for NumPy's expression; one JSON line

Run `time` single-threaded (OMP/OPENBLAS_NUM_THREADS=1; bench.py also unsets OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE for that command).
"""
import json
import sys
import time

import numpy as np

SEED = 20240611


def scores(path, n):
    rng = np.random.default_rng(SEED)
    rng.uniform(-40.0, 40.0, n).astype("<f8").tofile(path)


def best_of(reps, fn):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def timing(path, reps):
    from scipy.special import expit

    x = np.fromfile(path, dtype="<f8")
    out = np.empty_like(x)

    def inplace():
        np.negative(x, out=out)
        np.exp(out, out=out)
        np.add(out, 1.0, out=out)
        np.divide(1.0, out, out=out)

    result = {"n": int(x.size)}
    for name, fn in [("expression", lambda: 1 / (1 + np.exp(-x))),
                     ("preallocated", inplace),
                     ("scipy_expit", lambda: expit(x, out=out))]:
        fn()  # warm-up
        best = best_of(reps, fn)
        result[name] = {"best_seconds": best, "values_per_second": x.size / best}
    print(json.dumps(result))


def ulp_errors(values, ref):
    spacing = np.spacing(np.abs(ref.astype(np.float64)))
    err = np.abs(values.astype(np.longdouble) - ref) / spacing.astype(np.longdouble)
    return float(err.max()), float(err.mean())


def ulps(zpath, outpath):
    assert np.finfo(np.longdouble).nmant >= 63, "needs 80-bit long double for the reference"
    z = np.fromfile(zpath, dtype="<f8")
    out = np.fromfile(outpath, dtype="<f8")
    assert z.size == out.size
    zl = z.astype(np.longdouble)
    ref = 1 / (1 + np.exp(-zl))  # long double: ~11 bits more than f64, error << 0.01 ulp
    mx, mean = ulp_errors(out, ref)
    nmx, nmean = ulp_errors(1 / (1 + np.exp(-z)), ref)
    print(json.dumps({"max_ulps": mx, "mean_ulps": mean,
                      "numpy_max_ulps": nmx, "numpy_mean_ulps": nmean}))


def main():
    cmd = sys.argv[1]
    if cmd == "scores":
        scores(sys.argv[2], int(sys.argv[3]))
    elif cmd == "time":
        timing(sys.argv[2], int(sys.argv[3]))
    elif cmd == "ulps":
        ulps(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main())
