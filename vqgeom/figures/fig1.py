"""Fig. 1: the VQ-Kernel of an MLP trained on two moons, and on the same moons rotated by pi/6.

App. A.1: n = 150 points in the unit disc, 3 hidden layers of width 96, binary
cross-entropy. The top-3 eigenvectors of the classical-MDS matrix -(1/2) J K J of the
VQ-Kernel on the 96 x 96 grid of [-1, 1]^2 come from the low-rank route (SVD of the centred
codes, :func:`vqgeom.mds_embedding`); the paper's "JKJ normalised by its leading eigenvalue"
divides by zero (MATH.md), so eigenvalues are reported as fractions of the trace.

The claim "the learned geometry approximately commutes with the rotation" is measured on
the grid points of the unit disc G: the heat-kernel cosine (median heuristic) between the
plain model's kernel on G and the rotated model's kernel on R G, against two references:
the rotated model on G itself (no rotation) and a second plain model from another seed.
"""

from __future__ import annotations

import math

import numpy as np

from vqgeom.figures._common import (mark_smoke_run, mean_std, note, prepare_out, save_figure, to_network,
                                    top_eigen, write_json)

__all__ = ["run"]

ANGLE = math.pi / 6


def _train(X, y, width, epochs, seed):
    from vqgeom.training import mlp, train

    model = mlp(2, [width] * 3, 1, seed=seed)
    res = train(model, X, y, loss="bce", epochs=epochs, lr=3e-3)
    return to_network(model), res


def _subspace_overlap(A, B):
    """Mean squared cosine of the principal angles between the column spans of A and B."""
    qa, _ = np.linalg.qr(A - A.mean(0))
    qb, _ = np.linalg.qr(B - B.mean(0))
    return float(np.sum((qa.T @ qb) ** 2) / A.shape[1])


def run(out, *, seeds: int = 3, fast: bool = False, mnist_dir=None, progress=None) -> dict:
    """Draw Fig. 1 into ``out/fig1.png`` and write ``out/fig1.json``; returns the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vqgeom.datasets import grid, rotate, two_moons
    from vqgeom.heat import pairwise_kernel_cosine
    from vqgeom.kernels import vq_kernel

    out = prepare_out(out)
    width, epochs, n_grid = (16, 20, 20) if fast else (96, 600, 96)
    G = grid(n_grid)
    disc = G[np.sum(G * G, axis=1) <= 1.0]
    per_seed = []
    keep = None
    for s in range(seeds):
        X, y = two_moons(150, rng=s)
        Xr = rotate(X, ANGLE)
        note(progress, f"fig1: seed {s}, training three {width}-wide 3-layer MLPs ({epochs} steps)")
        net, res = _train(X, y, width, epochs, 10 * s + 1)
        net_r, res_r = _train(Xr, y, width, epochs, 10 * s + 1)
        net_2, res_2 = _train(X, y, width, epochs, 10 * s + 2)
        coords, eig, total = top_eigen(net, G, 3)
        coords_r, eig_r, total_r = top_eigen(net_r, G, 3)
        # the rotated model's eigenvectors on rotated grid points, against the plain model's on the grid
        c_on_rot, _, _ = top_eigen(net_r, rotate(disc, ANGLE), 3)
        c_plain, _, _ = top_eigen(net, disc, 3)
        c_norot, _, _ = top_eigen(net_r, disc, 3)
        c_seed, _, _ = top_eigen(net_2, disc, 3)
        note(progress, f"fig1: seed {s}, heat-kernel cosines on {disc.shape[0]} disc grid points")
        C = pairwise_kernel_cosine([(net, disc), (net_r, rotate(disc, ANGLE)), (net_r, disc), (net_2, disc)],
                                   sigma2="median")
        per_seed.append({
            "seed": s,
            "train_accuracy": {"plain": res.train_accuracy, "rotated": res_r.train_accuracy,
                               "plain_seed2": res_2.train_accuracy},
            "top3_eigen_fraction": {"plain": eig / total, "rotated": eig_r / total_r},
            "heat_cosine": {"rotated_model_on_rotated_points": C[0, 1],
                            "rotated_model_on_same_points": C[0, 2],
                            "second_seed_same_data": C[0, 3]},
            "top3_subspace_overlap": {"rotated_model_on_rotated_points": _subspace_overlap(c_plain, c_on_rot),
                                      "rotated_model_on_same_points": _subspace_overlap(c_plain, c_norot),
                                      "second_seed_same_data": _subspace_overlap(c_plain, c_seed)},
        })
        if keep is None:
            keep = (X, Xr, y, net, net_r, coords, coords_r, eig / total, eig_r / total_r)

    X, Xr, y, net, net_r, coords, coords_r, fr, fr_r = keep
    fig, axes = plt.subplots(2, 4, figsize=(15, 7.4), constrained_layout=True)
    order = np.argsort(y, kind="stable")
    for row, (pts, model, cds, frac, label) in enumerate(
            ((X, net, coords, fr, "two moons"), (Xr, net_r, coords_r, fr_r, "rotated by $\\pi/6$"))):
        for k in range(3):
            ax = axes[row, k]
            img = cds[:, k].reshape(n_grid, n_grid)
            lim = np.abs(img).max() or 1.0
            im = ax.imshow(img, origin="lower", extent=(-1, 1, -1, 1), cmap="RdBu_r", vmin=-lim, vmax=lim)
            fig.colorbar(im, ax=ax, shrink=0.8, label=f"MDS coordinate {k + 1}")
            for cls, color in ((0, "tab:blue"), (1, "tab:orange")):
                sel = y == cls
                ax.scatter(pts[sel, 0], pts[sel, 1], color=color, s=7, edgecolors="k", linewidths=0.2,
                           label=f"class {cls}")
            if k == 0:
                ax.legend(loc="lower left", fontsize=7, framealpha=0.8)
            ax.set_title(f"{label}: eigenvector {k + 1} ({100 * frac[k]:.1f}% of trace)", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        K = np.asarray(vq_kernel(model, pts[order]), dtype=np.float64)
        ax = axes[row, 3]
        im = ax.imshow(K, cmap="viridis")
        ax.set_title("VQ-Kernel on the training set (sorted by label)", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8, label="VQ distance")
    smoke = {}
    mark_smoke_run(fig, smoke, fast)
    png = save_figure(fig, out / "fig1.png")

    def agg(path):
        vals = [ps for ps in per_seed]
        for key in path:
            vals = [v[key] for v in vals]
        return mean_std(vals)

    summary = {
        group: {k: agg((group, k)) for k in per_seed[0][group]}
        for group in ("heat_cosine", "top3_subspace_overlap", "train_accuracy")
    }
    doc = {
        "figure": "fig1", "n_points": 150, "hidden_layers": 3, "width": width, "steps": epochs,
        "optimizer": "Adam lr 3e-3, full batch", "grid": n_grid, "n_disc_points": int(disc.shape[0]),
        "seeds": seeds, "summary": summary, "per_seed": per_seed,
        "paper": "Fig. 1 is qualitative: eigenvector images look alike up to the rotation",
        "files": [png.name], **smoke,
    }
    write_json(out / "fig1.json", doc)
    return doc
