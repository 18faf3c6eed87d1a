"""Fig. 2: high-dimensional two moons (App. A.3): MDS of the VQ-Kernel vs of the Euclidean distance.

Each two-moons point u becomes (0.1 u, z) on the unit sphere of R^100 (z uniform on the
sphere of the remaining radius in R^98); a ReLU MLP with 3 hidden layers of width 64 is
trained with binary cross-entropy, on the data and on the data with its signal plane
rotated by pi/6 (same z). The 2-D classical-MDS embeddings of the VQ-Kernel on the training
data come from the low-rank route; the Euclidean MDS is the PCA of the points (classical MDS
of the Euclidean distance matrix).

Numbers: the fraction of the MDS trace in the top 2 eigenvalues (low-rank structure), and
how well the 2-D embeddings separate the classes: leave-one-out 1-nearest-neighbour accuracy
and the training accuracy of a least-squares linear classifier on the 2-D coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from vqgeom.figures._common import (mark_smoke_run, mean_std, note, prepare_out, save_figure, to_network,
                                    top_eigen, write_json)

__all__ = ["run"]

ANGLE = math.pi / 6


def _knn1_loo(Z, y):
    D = np.sum((Z[:, None, :] - Z[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(D, np.inf)
    return float(np.mean(y[np.argmin(D, axis=1)] == y))


def _linear_acc(Z, y):
    A = np.concatenate([Z, np.ones((Z.shape[0], 1))], axis=1)
    t = 2.0 * y - 1.0
    w, *_ = np.linalg.lstsq(A, t, rcond=None)
    return float(np.mean((A @ w >= 0) == (y == 1)))


def _euclid_mds(X, k):
    Xc = X - X.mean(0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    return U[:, :k] * s[:k], s ** 2, float(np.sum(s ** 2))


def run(out, *, seeds: int = 3, fast: bool = False, mnist_dir=None, progress=None) -> dict:
    """Draw Fig. 2 into ``out/fig2.png`` and write ``out/fig2.json``; returns the numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vqgeom.datasets import high_dim_two_moons, rotate
    from vqgeom.kernels import vq_kernel
    from vqgeom.training import mlp, train

    out = prepare_out(out)
    # --fast: fewer, larger Adam steps, so that the smoke run still learns the moons
    width, epochs, lr, lr_text = (16, 20, 1e-2, "1e-2") if fast else (64, 500, 1e-3, "1e-3")
    per_seed, keep = [], None
    for s in range(seeds):
        X, y = high_dim_two_moons(150, 100, rng=s)
        Xr = rotate(X, ANGLE)
        embs = {}
        acc = {}
        for name, data in (("vq", X), ("vq_rotated", Xr)):
            note(progress, f"fig2: seed {s}, training a 3-layer width-{width} MLP on the {name[3:] or 'plain'} data")
            model = mlp(100, [width] * 3, 1, seed=10 * s + 1)
            res = train(model, data, y, loss="bce", epochs=epochs, lr=lr)
            net = to_network(model)
            coords, eig, total = top_eigen(net, data, 2)
            embs[name] = (coords, eig, total, net, data)
            acc[name] = res.train_accuracy
        coords, eig, total = _euclid_mds(X, 2)
        embs["euclidean"] = (coords, eig[:2], total, None, X)
        row = {"seed": s, "train_accuracy": acc}
        for name, (Z, ev, tot, _, _) in embs.items():
            row[name] = {"top2_trace_fraction": float(np.sum(ev[:2]) / tot),
                         "knn1_loo_accuracy": _knn1_loo(Z, y), "linear_accuracy": _linear_acc(Z, y)}
        per_seed.append(row)
        if keep is None:
            keep = (embs, y)

    embs, y = keep
    order = np.argsort(y, kind="stable")
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.2), constrained_layout=True)
    titles = {"vq": "VQ-Kernel MDS", "vq_rotated": "VQ-Kernel MDS (rotated data)",
              "euclidean": "Euclidean MDS"}
    for c, name in enumerate(("vq", "vq_rotated", "euclidean")):
        Z, ev, tot, net, data = embs[name]
        ax = axes[0, c]
        ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="coolwarm", s=10, edgecolors="k", linewidths=0.2)
        r = per_seed[0][name]
        ax.set_title(f"{titles[name]}\ntop-2 {100 * r['top2_trace_fraction']:.0f}% of trace, "
                     f"1-NN {100 * r['knn1_loo_accuracy']:.0f}%", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if net is not None:
            M = np.asarray(vq_kernel(net, data[order]), dtype=np.float64)
            lab = "VQ distance"
        else:
            P = data[order]
            M = np.sqrt(np.clip(np.sum((P[:, None] - P[None]) ** 2, axis=-1), 0, None))
            lab = "Euclidean distance"
        im = axes[1, c].imshow(M, cmap="viridis")
        axes[1, c].set_title(f"{lab} (sorted by label)", fontsize=9)
        fig.colorbar(im, ax=axes[1, c], shrink=0.8, label=lab)
    smoke = {}
    mark_smoke_run(fig, smoke, fast)
    png = save_figure(fig, out / "fig2.png")
    summary = {name: {k: mean_std([ps[name][k] for ps in per_seed])
                      for k in ("top2_trace_fraction", "knn1_loo_accuracy", "linear_accuracy")}
               for name in ("vq", "vq_rotated", "euclidean")}
    doc = {
        "figure": "fig2", "n_points": 150, "ambient_dim": 100, "signal_scale": 0.1,
        "hidden_layers": 3, "width": width, "steps": epochs, "optimizer": f"Adam lr {lr_text}, full batch",
        "seeds": seeds, "summary": summary, "per_seed": per_seed,
        "paper": "Fig. 2 is qualitative: VQ MDS separates the moons, Euclidean MDS does not",
        "files": [png.name], **smoke,
    }
    write_json(out / "fig2.json", doc)
    return doc
