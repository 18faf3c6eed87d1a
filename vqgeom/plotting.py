"""Figures with matplotlib (imported only when a function here is called)."""

from __future__ import annotations

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["plot_partition"]


def plot_partition(part, ax=None, *, color_by: str = "code", source=None, edges: bool = True,
                   cmap: str | None = None, colorbar: bool = True, linewidth: float = 0.4):
    """Draw a 2-D partition's regions as filled polygons.

    Parameters
    ----------
    part : Partition
        Input dimension 2 (for the domain Whole the regions are clipped to ``part.frame``).
    ax : matplotlib Axes, optional
        Drawn on a new figure's axes when omitted.
    color_by : {"code", "distance", "vq"}
        ``"code"``: a colour per region (distinct codes, distinct colours);
        ``"distance"``: d_Omega from region ``source``; ``"vq"``: the VQ distance from
        region ``source``'s code.
    source : int, optional
        The region distances are measured from (``color_by="distance"`` or ``"vq"``);
        default 0.
    edges : bool
        Draw region boundaries.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidInputError
        If the partition is not 2-D or ``color_by`` is unknown.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if part.input_dim != 2:
        raise InvalidInputError(f"plot_partition needs input_dim=2, got {part.input_dim}")
    if color_by not in ("code", "distance", "vq"):
        raise InvalidInputError(f"color_by must be 'code', 'distance' or 'vq', got {color_by!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    polys = [np.array([[float(x), float(y)] for x, y in p]) for p in part.polygons()]
    n = part.n_regions
    if color_by == "code":
        rng = np.random.default_rng(12345)  # a fixed, local palette permutation (no global seed)
        values = rng.permutation(n).astype(float) if n else np.zeros(0)
        cm = cmap or "tab20"
        label = None
    else:
        src = 0 if source is None else source
        if color_by == "distance":
            values = part.region_distances([src])[0]
            label = f"d_Omega from region {src}"
        else:
            values = part.vq_distances(sources=[src])[0]
            label = f"VQ distance from region {src}"
        cm = cmap or "viridis"
    coll = PolyCollection(polys, array=np.where(np.isfinite(values), values, np.nan), cmap=cm,
                          edgecolors="k" if edges else "face", linewidths=linewidth if edges else 0)
    ax.add_collection(coll)
    if polys:
        allpts = np.concatenate(polys)
        ax.set_xlim(allpts[:, 0].min(), allpts[:, 0].max())
        ax.set_ylim(allpts[:, 1].min(), allpts[:, 1].max())
    ax.set_aspect("equal")
    if color_by != "code":
        if source is not None or n:
            w = part.witnesses[0 if source is None else source]
            ax.plot([float(w[0])], [float(w[1])], "r*", markersize=8)
        if colorbar:
            ax.figure.colorbar(coll, ax=ax, label=label, shrink=0.8)
    ax.set_title(f"{n} regions, {part.n_adjacencies} adjacencies")
    return ax
