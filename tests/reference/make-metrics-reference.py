#!/usr/bin/python3
"""Writes metrics.json, the scikit-learn reference that tests/test-training.c
compares Convolve's ROC and precision-recall curves with.

Run from anywhere with Debian's python3-sklearn:

    /usr/bin/python3 tests/reference/make-metrics-reference.py

Each case is a list of scores (probabilities of the positive class) with
their labels, chosen for what breaks curves: ties across the classes, an
imbalanced split, perfect and inverted separation.  For each: roc_auc_score,
average_precision_score, roc_curve (drop_intermediate=False) and
precision_recall_curve, and the confusion matrix at three thresholds
(positive when score >= threshold).
"""

import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (average_precision_score, confusion_matrix,
                             precision_recall_curve, roc_auc_score, roc_curve)

HERE = os.path.dirname(os.path.abspath(__file__))


def formula(n, seed):
    """u_i = ((i·2654435761 + seed·40503 + 12345) mod 2^32) / 2^32."""
    return [((i * 2654435761 + seed * 40503 + 12345) % 2**32) / 2**32
            for i in range(n)]


def case(name, scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    fpr, tpr, roc_thresholds = roc_curve(labels, scores,
                                         drop_intermediate=False)
    precision, recall, pr_thresholds = precision_recall_curve(labels, scores)
    matrices = {}
    for t in (0.3, 0.5, 0.7):
        tn, fp, fn, tp = confusion_matrix(labels, scores >= t,
                                          labels=[0, 1]).ravel()
        matrices[str(t)] = {"tp": int(tp), "fp": int(fp), "tn": int(tn),
                            "fn": int(fn)}
    return {
        "name": name,
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        # roc_curve's first threshold is +inf (max + 1 before 1.3); the
        # test skips it and checks the rest point by point.
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(),
                "thresholds": roc_thresholds[1:].tolist()},
        # precision_recall_curve lists increasing thresholds and ends with
        # the point (recall 0, precision 1).
        "pr": {"precision": precision.tolist(), "recall": recall.tolist(),
               "thresholds": pr_thresholds.tolist()},
        "confusion": matrices,
    }


def main():
    random = formula(40, 7)
    # Labels unrelated to the scores' formula: a fixed pattern of 2 in 5.
    noisy_labels = [1 if (i * 7 + 3) % 5 < 2 else 0 for i in range(40)]
    cases = [
        case("ties", [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.1],
             [0, 0, 1, 1, 1, 0, 1, 1]),
        case("random", [round(u, 6) for u in random], noisy_labels),
        case("imbalanced", [round(u, 6) for u in formula(30, 9)],
             [1 if i % 10 == 0 else 0 for i in range(30)]),
        case("separated", [0.05, 0.2, 0.3, 0.7, 0.8, 0.95],
             [0, 0, 0, 1, 1, 1]),
        case("inverted", [0.9, 0.8, 0.6, 0.4, 0.2], [0, 0, 0, 1, 1]),
    ]
    path = os.path.join(HERE, "metrics.json")
    with open(path, "w") as f:
        json.dump({"sklearn_version": sklearn.__version__, "cases": cases}, f,
                  indent=None, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
