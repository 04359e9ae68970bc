"""Plain biased ALS in numpy, the whole-process baseline of process-times.sh.

Usage: numpy_als.py Z.npy [RANK] [SWEEPS]. Reads the matrix, fits mu + a_i + b_j + U_i . V_j (rank 5, 10 sweeps, L2 1.0)
by alternating ridge solves (every row shares one Gram matrix, as Z is complete), prints the training R^2 and saves the
factors, as a numpy user's hand-written fit would. Missing cells (NaN) are filled with their column's mean."""
import sys
import time

import numpy as np


def main():
    path = sys.argv[1]
    rank = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sweeps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    started = time.perf_counter()
    z = np.load(path).astype(np.float64)
    if np.isnan(z).any():
        z = np.where(np.isnan(z), np.nanmean(z, axis=0), z)
    m, n = z.shape
    rng = np.random.default_rng(0)
    mu = z.mean()
    a, b = np.zeros(m), z.mean(axis=0) - mu
    u, v = rng.normal(0, 0.1, (m, rank)), rng.normal(0, 0.1, (n, rank))
    lam = 1.0
    for _ in range(sweeps):
        # Rows: [a_i, U_i] from Z_i - mu - b against the design [1, V].
        design = np.hstack([np.ones((n, 1)), v])
        gram = design.T @ design + lam * np.eye(rank + 1)
        solved = np.linalg.solve(gram, design.T @ (z - mu - b).T).T
        a, u = solved[:, 0], solved[:, 1:]
        # Columns: [b_j, V_j] from Z_j - mu - a against the design [1, U].
        design = np.hstack([np.ones((m, 1)), u])
        gram = design.T @ design + lam * np.eye(rank + 1)
        solved = np.linalg.solve(gram, design.T @ (z - mu - a[:, None]))
        b, v = solved[0], solved[1:].T
    fitted = mu + a[:, None] + b[None, :] + u @ v.T
    r2 = 1 - ((z - fitted) ** 2).sum() / ((z - z.mean()) ** 2).sum()
    np.savez(path + ".numpy-als.npz", mu=mu, a=a, b=b, u=u, v=v)
    print(f"numpy ALS rank {rank}, {sweeps} sweeps on {m} x {n}: R^2 {r2:.4f}, fit {time.perf_counter() - started:.2f} s in process")


if __name__ == "__main__":
    main()
