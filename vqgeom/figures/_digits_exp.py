"""The experiment behind Figs. 3 and 4 (the paper's Sec. 3.1 / App. A.2).

Two ReLU MLPs, 4 and 6 hidden layers of width 16, are trained with cross-entropy on the
same training set; their VQ-Kernels on the test set, trained and at initialisation, are
compared through the cosine similarity of their heat kernels, for a sweep of sigma^2 and
for the per-kernel median heuristic, with both heat-kernel variants.
"""

from __future__ import annotations

import copy

import numpy as np

from vqgeom.errors import DegenerateInputError
from vqgeom.figures._common import mean_std, note, to_network

__all__ = ["NAMES", "PAIRS", "SIGMA2_PLAIN", "SIGMA2_SQUARED", "run_experiment"]

NAMES = ["Trained (4)", "Trained (6)", "Init. (4)", "Init. (6)"]
PAIRS = [(i, j) for i in range(4) for j in range(i + 1, 4)]
SIGMA2_PLAIN = np.logspace(-1, 3, 25)
SIGMA2_SQUARED = np.logspace(0, 5, 26)
BATCH = 256
LR = 5e-3


def _data(seed, fast, mnist_dir):
    from vqgeom import datasets

    if mnist_dir is not None:
        if fast:
            return datasets.mnist(mnist_dir, n_train=600, n_test=150, rng=seed)
        return datasets.mnist(mnist_dir, n_train=8000, n_test=2000, rng=seed)
    if fast:
        return datasets.digits(n_train=400, n_test=150, rng=seed)
    return datasets.digits(n_test=500, rng=seed)


def _median(codes, squared):
    """The kernel's median heuristic, or None when it is 0 (most test points share a region)."""
    from vqgeom.heat import median_heuristic

    try:
        return median_heuristic(codes, squared=squared)
    except DegenerateInputError:
        return None


def _geomean(values):
    vals = [v for v in values if v is not None]
    return float(np.exp(np.mean(np.log(vals)))) if vals else None


def _sweep(codes, grid, medians, squared):
    """(len(grid) + 1, 4, 4): the grid, then each kernel at its own median (NaN if undefined)."""
    from vqgeom.heat import pairwise_kernel_cosine

    ok = all(m is not None for m in medians)
    out = pairwise_kernel_cosine(codes, sigma2=[*grid, "median"] if ok else list(grid), squared=squared)
    if not ok:
        out = np.concatenate([out, np.full((1, 4, 4), np.nan)])
    return out


def run_experiment(*, seeds: int, fast: bool, mnist_dir=None, progress=None) -> dict:
    """Train, compute the four kernels' similarities for every seed; returns raw numbers.

    Returns
    -------
    dict with ``per_seed`` (list of dicts), ``plain`` / ``squared`` arrays of shape
    (seeds, len(grid) + 1, 4, 4) (the last setting is each kernel's own median heuristic;
    NaN, and the median None in ``per_seed``, when a kernel's median distance is 0),
    ``plain_common`` / ``squared_common`` (seeds, 4, 4) at one scale shared by the four
    kernels (the geometric mean of their median heuristics), ``raw`` (seeds, 4, 4) the
    cosines of the kernels themselves, ``codes`` (per seed, the four kernels' test-set
    :class:`~vqgeom.Codes`, in ``NAMES`` order) and the settings.
    """
    from vqgeom.codes import activation_codes
    from vqgeom.heat import pairwise_kernel_cosine
    from vqgeom.training import accuracy, mlp, train

    epochs = 4 if fast else (40 if mnist_dir is not None else 200)
    per_seed, plain, squared, raw, all_codes = [], [], [], [], []
    plain_common, squared_common = [], []
    for s in range(seeds):
        data = _data(s, fast, mnist_dir)
        D = data.X_train.shape[1]
        nets, inits, accs = {}, {}, {}
        for depth in (4, 6):
            model = mlp(D, [16] * depth, 10, seed=1000 * s + depth)
            inits[depth] = to_network(copy.deepcopy(model))
            note(progress, f"{data.name}: seed {s}, training the {depth}-layer MLP ({epochs} epochs)")
            res = train(model, data.X_train, data.y_train, loss="ce", epochs=epochs, batch_size=BATCH,
                        lr=LR, seed=1000 * s + depth)
            nets[depth] = to_network(model)
            accs[depth] = {"train": res.train_accuracy,
                           "test": accuracy(model, data.X_test, data.y_test, loss="ce"),
                           "final_loss": res.losses[-1] if res.losses else None}
        codes = [activation_codes(n, data.X_test) for n in (nets[4], nets[6], inits[4], inits[6])]
        all_codes.append(codes)
        note(progress, f"{data.name}: seed {s}, heat-kernel cosines on {data.X_test.shape[0]} test points")
        med_p = [_median(c, False) for c in codes]
        med_q = [_median(c, True) for c in codes]
        p = _sweep(codes, SIGMA2_PLAIN, med_p, False)
        q = _sweep(codes, SIGMA2_SQUARED, med_q, True)
        try:
            r = pairwise_kernel_cosine(codes)
        except DegenerateInputError:  # an all-zero kernel (every test point in one region)
            r = np.full((4, 4), np.nan)
        # one scale shared by all four kernels: the geometric mean of their median heuristics
        common_p, common_q = _geomean(med_p), _geomean(med_q)
        plain_common.append(pairwise_kernel_cosine(codes, sigma2=common_p) if common_p else np.full((4, 4), np.nan))
        squared_common.append(pairwise_kernel_cosine(codes, sigma2=common_q, squared=True)
                              if common_q else np.full((4, 4), np.nan))
        per_seed.append({
            "seed": s, "accuracy": {f"{d}-layer": accs[d] for d in (4, 6)},
            "median_sigma2_plain": med_p, "median_sigma2_squared": med_q,
            "common_sigma2_plain": common_p, "common_sigma2_squared": common_q,
        })
        plain.append(p)
        squared.append(q)
        raw.append(r)
    return {
        "dataset": data.name, "n_train": int(data.X_train.shape[0]), "n_test": int(data.X_test.shape[0]),
        "epochs": epochs, "batch_size": BATCH, "lr": LR, "optimizer": "Adam", "seeds": seeds, "per_seed": per_seed,
        "plain": np.stack(plain), "squared": np.stack(squared), "raw": np.stack(raw),
        "plain_common": np.stack(plain_common), "squared_common": np.stack(squared_common),
        "codes": all_codes,
    }


def summarise_matrix(stack) -> dict:
    """Mean and std (over seeds) of a (seeds, 4, 4) stack, and per-pair summaries."""
    return {
        "mean": stack.mean(axis=0), "std": stack.std(axis=0),
        "pairs": {f"{NAMES[i]} vs {NAMES[j]}": mean_std(stack[:, i, j]) for i, j in PAIRS},
    }
