"""Figures with matplotlib (imported only when a function here is called)."""

from __future__ import annotations

import numpy as np

from vqgeom.errors import InvalidInputError, MissingDependencyError

__all__ = ["plot_partition", "render_partition", "require_matplotlib"]

#: most regions drawn as SVG in a notebook (beyond, the SVG text grows too large; PNG only)
SVG_MAX_REGIONS = 2000


def require_matplotlib(what: str = "plotting"):
    """Import matplotlib, or raise :class:`MissingDependencyError` naming the extra to install.

    Raises
    ------
    MissingDependencyError
        When matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs matplotlib, which is not installed; install it with "
            "pip install 'vqgeom[plot]' (or 'vqgeom[apps]' for the figures too)") from None
    return matplotlib


def render_partition(part, fmt: str = "png", *, size: float = 4.0, dpi: int = 80):
    """The drawing of a 2-D partition as PNG bytes or SVG text (for notebooks).

    Drawn on a figure of its own (no pyplot, so nothing is left open). Returns None when
    there is nothing to draw: matplotlib is missing, the partition is not 2-D, or an SVG
    would hold more than ``SVG_MAX_REGIONS`` polygons.

    Examples
    --------
    >>> from vqgeom import Network, enumerate_regions
    >>> part = enumerate_regions(Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}]))
    >>> render_partition(part, "png")[1:4]
    b'PNG'
    >>> render_partition(part, "svg")[:5]
    '<?xml'
    """
    import io

    if fmt not in ("png", "svg"):
        raise InvalidInputError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    if part.input_dim != 2 or (fmt == "svg" and part.n_regions > SVG_MAX_REGIONS):
        return None
    try:
        require_matplotlib()
    except MissingDependencyError:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size, size), dpi=dpi)
    FigureCanvasAgg(fig)
    plot_partition(part, fig.add_subplot(), edges=part.n_regions <= 5000)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight")
    data = buf.getvalue()
    return data if fmt == "png" else data.decode("utf-8")


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
    MissingDependencyError
        If matplotlib is not installed (the message names the extra: ``vqgeom[plot]``).
    """
    require_matplotlib("Partition.plot")
    from matplotlib.collections import PolyCollection

    if part.input_dim != 2:
        raise InvalidInputError(f"plot_partition needs input_dim=2, got {part.input_dim}")
    if color_by not in ("code", "distance", "vq"):
        raise InvalidInputError(f"color_by must be 'code', 'distance' or 'vq', got {color_by!r}")
    if ax is None:
        import matplotlib.pyplot as plt

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
