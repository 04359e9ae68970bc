"""Plot RMSE against the number of measured cells for every method of an `evaluate --known 0,5,10,30 --json` run.

Usage: python3 notebooks/feature_curve.py RESULTS.json OUT.svg
(Debian's python3 with matplotlib; README.md's "Before fine-tuning" chart is made this way from the charlm-d run it quotes.)
"""
import json
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "forgetpredict"  # stable ids: the same run gives the same file


def main(results_path, out_path):
    with open(results_path, encoding="utf-8") as f:
        curve = json.load(f)["curve"]
    ks = [point["known"] for point in curve]
    names = [m["name"] for m in curve[0]["methods"]]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = plt.get_cmap("tab20").colors
    for i, name in enumerate(names):
        rmse = [next(m["rmse"] for m in point["methods"] if m["name"] == name) for point in curve]
        features = "features" in name or name == "representation"
        ax.plot(ks, rmse, marker="o", linestyle="-" if features else "--", linewidth=2.2 if name == "ensemble+features" else 1.3, color="black" if name == "ensemble+features" else colors[(2 * i) % 20 + (2 * i) // 20], label=name)
    ax.set_yscale("log")
    ax.set_xticks(ks)
    ax.set_xlabel("measured cells of the new task (k)")
    ax.set_ylabel("RMSE on unmeasured cells (log scale)")
    ax.set_title("charlm-d: 10 held-out tasks, 3 draws (dashed: no task features)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(out_path, metadata={"Date": None})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
