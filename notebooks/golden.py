#!/usr/bin/env python3
"""Reference numbers the C# tests must match, computed independently with numpy, scipy and scikit-learn.

Usage: python3 notebooks/golden.py data/golden   (what `make golden` runs)

Writes
  charlm-b-analysis.json  R^2 of task-only, example-only and truncated SVD ranks 1..10 of data/charlm-b/z.npy,
                          with the definition of science.md section 2 (denominator: squares about the global mean).
  metrics.json            Seeded truth/prediction vectors (continuous, with ties, and binary) and their RMSE, MAE,
                          Spearman (scipy), precision@K, ROC-AUC, precision, recall and F1 (scikit-learn).
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def r2(z, zhat):
    return float(1 - np.mean((z - zhat) ** 2) / np.mean((z - z.mean()) ** 2))


def charlm_analysis(out):
    z = np.load(os.path.join(ROOT, "data", "charlm-b", "z.npy")).astype(np.float64)
    s = np.linalg.svd(z, compute_uv=False)
    total = (z ** 2).sum()
    centred = ((z - z.mean()) ** 2).sum()
    svd = [float(1 - (total - (s[:r] ** 2).sum()) / centred) for r in range(1, 11)]
    result = {
        "source": "data/charlm-b/z.npy",
        "rows": int(z.shape[0]),
        "cols": int(z.shape[1]),
        "task_only": r2(z, np.broadcast_to(z.mean(axis=1, keepdims=True), z.shape)),
        "example_only": r2(z, np.broadcast_to(z.mean(axis=0, keepdims=True), z.shape)),
        "svd": svd,
        "singular_values": [float(x) for x in s[:10]],
    }
    with open(os.path.join(out, "charlm-b-analysis.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def top_k(truth, predicted, k, labels=False):
    # Precision@K and recall@K. Ties count alike whatever the cells' order: a pick is a hit when its truth is at least the
    # k-th largest truth (with 0/1 labels: when it is forgotten, 1), and the cells tied with the k-th largest prediction share
    # the picks left equally (the expected hits of a random tie-break). Recall divides the hits by the cells that count as
    # hits (NaN, here None, when there are none).
    hit = truth >= 0.5 if labels else truth >= np.sort(truth)[-k]
    predicted_cut = np.sort(predicted)[-k]
    above = predicted > predicted_cut
    tied = predicted == predicted_cut
    hits = hit[above].sum() + (hit[tied].sum() * (k - above.sum()) / tied.sum() if tied.any() else 0)
    return float(hits / k), (float(hits / hit.sum()) if hit.any() else None)


def metrics(out):
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    rng = np.random.default_rng(20230828)
    cases = []
    for name, n in [("small", 12), ("medium", 500), ("ties", 300)]:
        truth = rng.normal(0.03, 0.2, n)
        predicted = truth + rng.normal(0, 0.1, n)
        if name == "ties":
            truth = np.round(truth, 1)
            predicted = np.round(predicted, 1)
        k = max(1, n // 10)
        cases.append({
            "name": name,
            "truth": truth.tolist(),
            "predicted": predicted.tolist(),
            "k": k,
            "rmse": float(np.sqrt(np.mean((predicted - truth) ** 2))),
            "mae": float(np.mean(np.abs(predicted - truth))),
            "spearman": float(spearmanr(truth, predicted).correlation),
            "precision_at_k": top_k(truth, predicted, k)[0],
            "recall_at_k": top_k(truth, predicted, k)[1],
        })
    labels = (rng.random(400) < 0.15).astype(float)
    scores = np.clip(0.3 * labels + rng.normal(0.2, 0.2, 400), 0, 1)
    scores[::7] = np.round(scores[::7], 1)  # some ties
    binary = {
        "labels": labels.tolist(),
        "scores": scores.tolist(),
        "threshold": 0.5,
        "auc": float(roc_auc_score(labels, scores)),
        "precision": float(precision_score(labels, scores > 0.5, zero_division=0)),
        "recall": float(recall_score(labels, scores > 0.5, zero_division=0)),
        "f1": float(f1_score(labels, scores > 0.5, zero_division=0)),
        "k": 40,
        "precision_at_k": top_k(labels, scores, 40, labels=True)[0],
        "recall_at_k": top_k(labels, scores, 40, labels=True)[1],
    }
    # Fewer forgotten cells (5) than K (10): the K-th largest truth is 0, which every cell reaches, so only the labels tell
    # a hit: at most 0.5, and recall the share of the 5 found.
    few = np.zeros(100)
    few[rng.choice(100, 5, replace=False)] = 1
    few_scores = np.round(0.15 * few + 0.7 * rng.random(100), 2)
    binary["few"] = {
        "labels": few.tolist(),
        "scores": few_scores.tolist(),
        "k": 10,
        "precision_at_k": top_k(few, few_scores, 10, labels=True)[0],
        "recall_at_k": top_k(few, few_scores, 10, labels=True)[1],
    }
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"continuous": cases, "binary": binary}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "golden")
    os.makedirs(out, exist_ok=True)
    charlm_analysis(out)
    metrics(out)
    print(f"wrote goldens to {out}")
