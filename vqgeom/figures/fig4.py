"""Fig. 4: the heat-kernel cosine similarities of Fig. 3 across a sweep of sigma^2.

Both heat-kernel variants; one streamed pass per variant gives every sigma^2 exactly (the
joint histogram of the two kernels' integer values, see :mod:`vqgeom.heat`).
"""

from __future__ import annotations

import numpy as np

from vqgeom.figures._common import mark_smoke_run, mean_std, prepare_out, save_figure, write_json
from vqgeom.figures._digits_exp import NAMES, PAIRS, SIGMA2_PLAIN, SIGMA2_SQUARED
from vqgeom.figures.fig3 import experiment

__all__ = ["run"]


def run(out, *, seeds: int = 3, fast: bool = False, mnist_dir=None, progress=None, cache=None) -> dict:
    """Draw Fig. 4 into ``out/fig4.png`` and write ``out/fig4.json``; returns the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = prepare_out(out)
    res = experiment(seeds, fast, mnist_dir, progress, cache)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), constrained_layout=True, sharey=True)
    doc = {"figure": "fig4", "dataset": res["dataset"], "n_test": res["n_test"], "seeds": res["seeds"],
           "names": NAMES, "sweeps": {}}
    colors = plt.get_cmap("tab10")
    for ax, key, grid, label in ((axes[0], "plain", SIGMA2_PLAIN, "exp(-K/$\\sigma^2$)"),
                                 (axes[1], "squared", SIGMA2_SQUARED, "exp(-K$^2$/$\\sigma^2$)")):
        stack = res[key][:, :-1]  # (seeds, n_sigma, 4, 4), median setting dropped
        sweep = {"sigma2": grid, "pairs": {}}
        for c, (i, j) in enumerate(PAIRS):
            vals = stack[:, :, i, j]
            m, s = vals.mean(0), vals.std(0)
            style = "-" if (i, j) in ((0, 1), (2, 3)) else "--"
            ax.plot(grid, m, style, color=colors(c), label=f"{NAMES[i]} vs {NAMES[j]}")
            ax.fill_between(grid, m - s, m + s, color=colors(c), alpha=0.2)
            sweep["pairs"][f"{NAMES[i]} vs {NAMES[j]}"] = {"mean": m, "std": s}
        med = [m for ps in res["per_seed"] for m in ps[f"median_sigma2_{key}"] if m is not None]
        if med:
            ax.axvspan(np.min(med), np.max(med), color="grey", alpha=0.15, label="median heuristic range")
        ax.set_xscale("log")
        ax.set_xlabel("$\\sigma^2$")
        ax.set_title(f"{label}, {res['dataset']} test set (n={res['n_test']}), mean ± std over {res['seeds']} seeds",
                     fontsize=9)
        ax.grid(alpha=0.3)
        sweep["median_sigma2_range"] = [float(np.min(med)), float(np.max(med))] if med else None
        doc["sweeps"][key] = sweep
    axes[0].set_ylabel("cosine similarity of heat kernels")
    axes[1].legend(fontsize=7, loc="lower right")
    mark_smoke_run(fig, doc, fast)
    png = save_figure(fig, out / "fig4.png")
    # where the trained pair is most above the init pair (a scale-free summary)
    gaps = {}
    for key, grid in (("plain", SIGMA2_PLAIN), ("squared", SIGMA2_SQUARED)):
        st = res[key][:, :-1]
        gap = st[:, :, 0, 1] - st[:, :, 2, 3]
        k = int(np.argmax(gap.mean(0)))
        gaps[key] = {"sigma2": float(grid[k]), "trained_minus_init": mean_std(gap[:, k])}
    doc["largest_trained_vs_init_gap"] = gaps
    doc["files"] = [png.name]
    write_json(out / "fig4.json", doc)
    return doc
