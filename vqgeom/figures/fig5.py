"""Fig. 5: a shallow and a deep network with the same partition of [0, 1], and their distances.

The deep network is the tent-map sawtooth of depth L (``vqgeom.catalogue.sawtooth``,
MATH.md's corrected App. B.2: 2^L intervals from L neurons); the shallow one is its
``shallow_equivalent`` (one neuron per breakpoint). :func:`vqgeom.compare_partitions`
certifies, exactly, that the partitions are the same; the VQ distance of the shallow network
equals d_Omega (Lemma 1), the deep one's is smaller (Lemma 2's shortcuts).
"""

from __future__ import annotations

import numpy as np

from vqgeom.figures._common import mark_smoke_run, note, prepare_out, save_figure, write_json

__all__ = ["run"]


def _table(depths):
    from vqgeom.catalogue import sawtooth, shallow_equivalent
    from vqgeom.compare import compare_partitions
    from vqgeom.regions import Box, enumerate_regions

    dom = Box(0, 1)
    rows = []
    for L in depths:
        deep = sawtooth(L)
        cmp = compare_partitions(shallow_equivalent(deep, dom), deep, domain=dom)
        printed = enumerate_regions(sawtooth(L, "as_printed"), dom)
        s = cmp.summary()
        rows.append({
            "depth": L, "n_regions": s["n_regions_q"], "same_partition": s["same"],
            "shallow_width": int(cmp.p.net.n_neurons), "deep_neurons": int(deep.n_neurons),
            "max_d_shallow": s["max_d_p"], "max_d_deep": s["max_d_q"], "max_d_omega": s["max_d_omega_q"],
            "pairs_d_deep_below_d_omega": s["pairs_d_q_below_d_omega_q"],
            "n_region_pairs": s["n_regions_q"] * (s["n_regions_q"] - 1) // 2,
            "as_printed_n_regions": printed.n_regions,
        })
    return rows


def run(out, *, seeds: int = 3, fast: bool = False, mnist_dir=None, progress=None) -> dict:
    """Draw Fig. 5 into ``out/fig5.png`` and write ``out/fig5.json``; returns the numbers.

    ``seeds`` and ``mnist_dir`` are accepted for a uniform interface (nothing is random).
    ``fast`` shortens the depth table (depths 1..3 instead of 1..7).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vqgeom.catalogue import sawtooth, shallow_equivalent
    from vqgeom.compare import compare_partitions
    from vqgeom.regions import Box

    out = prepare_out(out)
    L = 3
    dom = Box(0, 1)
    note(progress, f"fig5: comparing the depth-{L} sawtooth with its shallow equivalent")
    deep = sawtooth(L)
    shallow = shallow_equivalent(deep, dom)
    cmp = compare_partitions(shallow, deep, domain=dom)
    breaks = sorted(-float(b) for b in shallow.layers[0].bias)

    fig, axes = plt.subplots(3, 2, figsize=(9.5, 10), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.6, 1]})
    x = np.linspace(0, 1, 801)[:, None]
    # shallow: its neurons relu(x - t)
    ax = axes[0, 0]
    pre = shallow.to_float().preactivations(x)[0]
    for j in range(pre.shape[1]):
        ax.plot(x[:, 0], np.maximum(pre[:, j], 0), lw=1)
    ax.set_title(f"shallow: {shallow.n_neurons} neurons in one layer, relu(x - t)")
    ax.set_ylabel("neuron output relu(x - t)")
    # partition strip
    ax = axes[1, 0]
    edges = [0.0, *breaks, 1.0]
    cmap = plt.get_cmap("tab10")
    for i in range(len(edges) - 1):
        ax.axvspan(edges[i], edges[i + 1], color=cmap(i % 10), alpha=0.55)
        ax.text(0.5 * (edges[i] + edges[i + 1]), 0.5, str(i), ha="center", va="center")
    ax.set_yticks([])
    ax.set_ylabel("interval (region)")
    ax.set_title(f"the same partition of [0, 1]: {cmp.n_regions_common} intervals (certified exactly)")
    # deep: layer outputs F^(l)
    ax = axes[2, 0]
    for l in range(1, L + 1):
        ax.plot(x[:, 0], sawtooth(l).to_float().forward(x)[:, 0], lw=1.2, label=f"$F^{{({l})}}$")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"deep: {L} layers of one neuron (tent map)")
    ax.set_ylabel("layer output $F^{(l)}(x)$")
    for ax in axes[:, 0]:
        ax.set_xlabel("input x")
        ax.set_xlim(0, 1)
        for b in breaks:
            ax.axvline(b, color="k", lw=0.5, ls=":")
    vmax = float(max(cmp.d_p.max(), cmp.d_omega_p.max()))
    mats = [(cmp.d_p, "d (shallow) = $d_\\Omega$ (Lemma 1)"), (cmp.d_omega_q, "$d_\\Omega$ between intervals"),
            (cmp.d_q, "d (deep) <= $d_\\Omega$ (Lemma 2)")]
    for ax, (M, title) in zip(axes[:, 1], mats):
        im = ax.imshow(M, vmin=0, vmax=vmax, cmap="viridis")
        for (i, j), v in np.ndenumerate(M):
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7,
                    color="w" if v < 0.6 * vmax else "k")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("interval")
        ax.set_ylabel("interval")
    fig.colorbar(im, ax=list(axes[:, 1]), shrink=0.5, label="distance between intervals")
    smoke = {}
    mark_smoke_run(fig, smoke, fast)
    png = save_figure(fig, out / "fig5.png")

    depths = range(1, 4) if fast else range(1, 8)
    note(progress, f"fig5: depth table for depths {depths.start}..{depths.stop - 1}")
    doc = {
        "figure": "fig5",
        "deep": "sawtooth(3, 'tent') on [0, 1]",
        "comparison": cmp.summary(),
        "d_shallow": cmp.d_p, "d_omega": cmp.d_omega_q, "d_deep": cmp.d_q,
        "breakpoints": breaks,
        "depth_table": _table(depths),
        "paper": "Fig. 5 is qualitative: identical partitions, deep VQ distances smaller than d_Omega",
        "files": [png.name], **smoke,
    }
    write_json(out / "fig5.json", doc)
    return doc
