#!/usr/bin/env python3
"""Reference numbers the C# tests must match, computed independently with numpy.

Usage: python3 notebooks/golden.py data/golden   (what `make golden` runs)

Writes
  charlm-b-analysis.json  R^2 of task-only, example-only and truncated SVD ranks 1..10 of data/charlm-b/z.npy,
                          with the definition of science.md section 2 (denominator: squares about the global mean).
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


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "golden")
    os.makedirs(out, exist_ok=True)
    charlm_analysis(out)
    print(f"wrote goldens to {out}")
