"""How close an evaluate run's methods are to what the training tasks can explain at all.

    python3 notebooks/oracle_floor.py MATRIX.npy PREDICTIONS.csv [--method auto]

PREDICTIONS.csv is `forgetpredict evaluate MATRIX.npy ... --predictions PREDICTIONS.csv` (task ids are the matrix's row
numbers, as for any .npy). The training tasks are the rows the file does not predict. On the unrevealed cells, as evaluate
reports RMSE (per reveal draw, then the mean over draws), it prints:

- each method's RMSE (the numbers evaluate prints);
- "per-task best": for every test task and reveal draw the method with the least error on that task's own unrevealed
  cells, chosen with hindsight (what a perfect per-task choice between the methods could reach);
- "METHOD + level and scale": METHOD's row shifted and scaled per task by least squares on the task's unrevealed cells;
- "whole row, rank r": each test row fitted on all its unrevealed cells as a + b * (training mean) + the first r
  principal directions of the centred training rows (the best any fold-in over those directions could do from k cells).
"""

import argparse

import numpy as np
import pandas as pd


def rmse(squared_error_sum: float, count: int) -> float:
    return float(np.sqrt(squared_error_sum / count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("matrix")
    parser.add_argument("predictions")
    parser.add_argument("--method", default="auto", help="the method the level-and-scale oracle corrects")
    parser.add_argument("--ranks", default="4,8", help="ranks of the whole-row fits")
    args = parser.parse_args()

    z = np.load(args.matrix).astype(np.float64)
    if np.isnan(z).any():
        raise SystemExit(f"{args.matrix}: has missing cells; the whole-row fits need a complete matrix.")
    rows, columns = z.shape
    cells = pd.read_csv(args.predictions)
    cells = cells[~cells["revealed"]]
    test = np.unique(cells["task"].astype(int))
    train = np.setdiff1d(np.arange(rows), test)
    methods = sorted(cells["method"].unique())
    if args.method not in methods:
        raise SystemExit(f"{args.predictions}: no '{args.method}' predictions; methods there: {', '.join(methods)}.")

    predicted = cells.pivot_table(index=["seed", "task", "example"], columns="method", values="predicted")
    actual = cells[cells["method"] == methods[0]].set_index(["seed", "task", "example"])["actual"].loc[predicted.index]
    training = z[train]
    mean = training.mean(axis=0)
    _, _, directions = np.linalg.svd(training - mean, full_matrices=False)
    ranks = [int(r) for r in args.ranks.split(",")]
    labels = methods + ["per-task best", f"{args.method} + level and scale"] + [f"whole row, rank {r}" for r in ranks]
    per_seed = {label: [] for label in labels}
    for _, draw in predicted.groupby(level="seed"):
        sums = dict.fromkeys(labels, 0.0)
        for method in methods:
            sums[method] = ((draw[method] - actual.loc[draw.index]) ** 2).sum()
        for (_, task), group in draw.groupby(level=["seed", "task"]):
            truth = actual.loc[group.index].to_numpy()
            sums["per-task best"] += min(((group[m].to_numpy() - truth) ** 2).sum() for m in methods)
            design = np.column_stack([np.ones(len(group)), group[args.method].to_numpy()])
            coefficients, *_ = np.linalg.lstsq(design, truth, rcond=None)
            sums[f"{args.method} + level and scale"] += ((truth - design @ coefficients) ** 2).sum()
            examples = group.index.get_level_values("example").to_numpy()
            for r in ranks:
                basis = np.column_stack([np.ones(columns), mean, directions[:r].T])[examples]
                coefficients, *_ = np.linalg.lstsq(basis, z[task, examples], rcond=None)
                sums[f"whole row, rank {r}"] += ((z[task, examples] - basis @ coefficients) ** 2).sum()
        for label in labels:
            per_seed[label].append(rmse(sums[label], len(draw)))

    # Like evaluate: each draw's RMSE over its unrevealed cells, then the mean over draws.
    for label in labels:
        print(f"{label:<28} {np.mean(per_seed[label]):.4f}")

if __name__ == "__main__":
    main()
