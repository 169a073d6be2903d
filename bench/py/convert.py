"""CSV -> LIBLINEAR (libsvm) or Vowpal Wabbit text format: the peers' conversion step.

  libsvm: features standardised with the mean and population std of the file itself (as logit
          and StandardScaler do), written as `y 1:v1 2:v2 ...` with %.7g, y in {0, 1};
  vw:     raw values copied as text, `y |f 1:v1 2:v2 ...`, y in {-1, 1} (VW's logistic labels).
The label column must be the last one (as in the benchmark's files). Prints one JSON line with
the standardisation parameters (libsvm) so that the evaluator can check them.

Usage: convert.py {libsvm|vw} DATA.csv OUT
"""
import json
import os
import sys

CHUNK = 20_000


def to_libsvm(data, out):
    import numpy as np
    import pandas as pd

    a = pd.read_csv(data).to_numpy(dtype=np.float64)
    y = a[:, -1].astype(np.int64)
    x = a[:, :-1]
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    p = x.shape[1]
    fmt = "%d " + " ".join(f"{j + 1}:%.7g" for j in range(p)) + "\n"
    with open(out, "w") as f:
        for s in range(0, x.shape[0], CHUNK):
            xs = (x[s:s + CHUNK] - mean) / std
            f.write("".join([fmt % (lab, *row)
                             for lab, row in zip(y[s:s + CHUNK].tolist(), xs.tolist())]))
    return {"rows": int(x.shape[0]), "features": p}


def to_vw(data, out):
    rows = 0
    with open(data) as src, open(out, "w") as f:
        header = src.readline().rstrip("\n").split(",")
        names = [str(j + 1) for j in range(len(header) - 1)]
        buf = []
        for line in src:
            *vals, lab = line.rstrip("\n").split(",")
            buf.append(("1 |f " if lab.strip() == "1" else "-1 |f ")
                       + " ".join([f"{n}:{v}" for n, v in zip(names, vals)]) + "\n")
            if len(buf) == CHUNK:
                f.write("".join(buf))
                rows += len(buf)
                buf = []
        f.write("".join(buf))
        rows += len(buf)
    return {"rows": rows, "features": len(names)}


def main():
    kind, data, out = sys.argv[1:4]
    tmp = out + ".part"
    info = {"libsvm": to_libsvm, "vw": to_vw}[kind](data, tmp)
    os.replace(tmp, out)
    print(json.dumps(info))


if __name__ == "__main__":
    sys.exit(main())
