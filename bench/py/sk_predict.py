"""scikit-learn + pandas peer for `logit predict` (run with the bench venv's python).

Loads the pickled StandardScaler + LogisticRegression written by sk_train.py, reads the CSV
with pandas (dropping the label column when present), and writes probability,prediction
with DataFrame.to_csv, like `logit predict` (multiclass: probability_<class> per class, then
prediction).

Usage: sk_predict.py MODEL.pkl DATA.csv OUT.csv
"""
import json
import pickle
import sys
import time

import pandas as pd


def main():
    model_path, data, out = sys.argv[1:4]
    t0 = time.perf_counter()
    with open(model_path, "rb") as f:
        m = pickle.load(f)
    df = pd.read_csv(data)
    df.pop(m["target"]) if m["target"] in df.columns else None
    x = df.to_numpy(dtype="float64")
    del df
    t1 = time.perf_counter()
    clf = m["clf"]
    proba = clf.predict_proba(m["scaler"].transform(x))
    t2 = time.perf_counter()
    if len(clf.classes_) > 2:
        frame = pd.DataFrame(proba, columns=[f"probability_{c}" for c in clf.classes_])
        frame["prediction"] = clf.classes_[proba.argmax(axis=1)]
    else:
        p = proba[:, 1]
        frame = pd.DataFrame({"probability": p, "prediction": (p >= 0.5).astype(int)})
    frame.to_csv(out, index=False)
    t3 = time.perf_counter()
    print(json.dumps({"phases": {"read": t1 - t0, "score": t2 - t1, "write": t3 - t2}}))


if __name__ == "__main__":
    sys.exit(main())
