"""Figures and summaries of a network on a slice (a plane or a line through data points).

:func:`slack_histogram` counts the region pairs of a partition by their Lemma 2 slack
``d_Omega - d`` (exact integer counts); :func:`slice_summary` collects the numbers the
``vqgeom slice`` command prints; :func:`slice_figure` draws the regions coloured by
d_Omega from one data point's region, the decision boundary, the data points, and the
slack histogram. matplotlib is imported only by the plotting functions.
"""

from __future__ import annotations

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["slack_histogram", "slice_summary", "slice_figure", "plot_slice", "plot_slack", "save_figure", "region_beside"]


def slack_histogram(part, *, weights=None, chunk: int = 512) -> dict:
    """Counts of unordered region pairs ``{i, j}`` (i < j) by ``d_Omega - d``.

    Parameters
    ----------
    part : Partition
    weights : sequence of numbers, optional
        Layer weights of d (default 1); integer weights give integer slacks.
    chunk : int
        Source regions per block (memory ``chunk * n_regions`` floats).

    Returns
    -------
    dict
        ``{slack: count}`` sorted by slack; a negative slack is a pair with d > d_Omega
        (a Lemma 2 violation, possible only off its hypotheses). Pairs in different
        components (d_Omega infinite) are counted under ``inf``.

    Examples
    --------
    >>> from vqgeom import Network, enumerate_regions
    >>> net = Network([{"weight": [["1"], ["1"]], "bias": ["0", "-1/2"]}])
    >>> slack_histogram(enumerate_regions(net))
    {0: 3}
    """
    n = part.n_regions
    counts: dict = {}
    for start in range(0, n, chunk):
        src = np.arange(start, min(n, start + chunk))
        dO = part.region_distances(src)
        d = part.vq_distances(weights, sources=src)
        upper = np.arange(n)[None, :] > src[:, None]
        s = (dO - d)[upper]
        finite = np.isfinite(s)
        if (~finite).any():
            counts[float("inf")] = counts.get(float("inf"), 0) + int((~finite).sum())
        vals, cnt = np.unique(s[finite], return_counts=True)
        for v, c in zip(vals.tolist(), cnt.tolist()):
            key = int(v) if float(v).is_integer() else v
            counts[key] = counts.get(key, 0) + c
    return dict(sorted(counts.items()))


def slice_summary(part, *, points=None, labels=None, decision=None, histogram=True) -> dict:
    """The numbers ``vqgeom slice`` reports for a partition of a slice.

    Parameters
    ----------
    part : SlicePartition
    points : array-like (n, D), optional
        The data points the slice goes through (their regions and d_Omega to the first).
    labels : sequence, optional
        Their labels (reported alongside).
    decision : DecisionRegions, optional
    histogram : bool
        Include the Lemma 2 slack histogram over all region pairs.
    """
    info = {
        "slice": part.slice.kind if hasattr(part, "slice") else None,
        "n_regions": part.n_regions,
        "n_adjacencies": part.n_adjacencies,
        "widths": list(part.net.widths),
        "arithmetic": part.arithmetic,
        "engine": part.engine,
        "generic": part.is_generic,
        "seconds": round(float(part.seconds or 0.0), 6),
    }
    if points is not None:
        regions = part.region_of(points, on_boundary="mark")
        info["point_regions"] = regions.tolist()
        if (regions == -1).any() and hasattr(part, "slice"):   # on a wall: the region beside it
            info["points_on_walls"] = np.flatnonzero(regions == -1).tolist()
            regions = np.array([region_beside(part, points, i) if r == -1 else r for i, r in enumerate(regions)])
            info["point_regions_beside"] = regions.tolist()
        if regions[0] >= 0 and (regions >= 0).all():
            dO = part.region_distances([int(regions[0])])[0]
            d = part.vq_distances(sources=[int(regions[0])])[0]
            info["d_omega_from_first"] = [int(dO[r]) if np.isfinite(dO[r]) else None for r in regions]
            info["d_from_first"] = [int(d[r]) for r in regions]
        if labels is not None:
            info["labels"] = [int(v) if isinstance(v, (int, np.integer)) else str(v) for v in labels]
    if decision is not None:
        info["n_decision_regions"] = decision.n_decision_regions
        info["n_pieces"] = decision.n_pieces
        info["classes"] = decision.classes
        info["n_boundary_segments"] = len(decision.boundary)
    if histogram:
        hist = slack_histogram(part)
        info["slack_histogram"] = {str(k): v for k, v in hist.items()}
        finite = [k for k in hist if k != float("inf")]
        info["lemma2_holds"] = bool(not finite or min(finite) >= 0)
        info["max_slack"] = max(finite) if finite else None
    return info


def _intervals(part):
    """The intervals of a 1-D partition, left to right, as (lo, hi, region)."""
    lo, hi = part.domain.lower[0], part.domain.upper[0]
    cuts = sorted({data["facet_witness"][0] for _, _, data in part.graph.edges(data=True)})
    ends = [lo] + cuts + [hi]
    mids = np.array([[(a + b) / 2] for a, b in zip(ends, ends[1:])], dtype=object)
    regions = part.region_of_uv(mids) if hasattr(part, "region_of_uv") else part.region_of(mids)
    return [(float(a), float(b), int(r)) for a, b, r in zip(ends, ends[1:], regions)]


def region_beside(part, points, i: int) -> int:
    """The region of ``points[i]`` or, when it lies on a wall, of the point a hair from it toward
    the points' centroid (slice coordinates ``u + t (c - u)``, t = 2^-20, 2^-21, ..., exact): e.g.
    a digit on a max pool's wall (two candidates over blank patches both equal the bias there).
    Returns -1 when none of those points is off the walls, -2 when ``points[i]`` is outside."""
    from fractions import Fraction

    U = np.array(part.slice.coordinates(points), dtype=object)
    first = int(part.region_of_uv(U[i:i + 1], on_boundary="mark")[0])
    if first != -1 or len(U) < 2:
        return first
    c = U.sum(axis=0) / len(U)
    for e in range(20, 40):
        t = Fraction(1, 2**e)
        r = int(part.region_of_uv((U[i] + t * (c - U[i]))[None, :], on_boundary="mark")[0])
        if r >= 0:
            return r
    return -1


def plot_slice(part, ax, *, points=None, labels=None, decision=None, source_point: int = 0):
    """Draw a slice's regions coloured by d_Omega from the region of ``points[source_point]``
    (region 0 without points), the decision boundary and the points, on ``ax`` (a plane);
    on a line, d_Omega and d from that region along u, the decision boundary as dashed lines."""
    from matplotlib.collections import LineCollection

    from vqgeom.plotting import plot_partition

    source = 0
    uv = None
    if points is not None:
        uv = np.array(part.slice.coordinates(points), dtype=object).astype(np.float64)
        regions = part.region_of(points, on_boundary="mark")
        if not 0 <= source_point < len(regions):
            raise InvalidInputError(f"source_point must be in [0, {len(regions)}), got {source_point}")
        source = region_beside(part, points, source_point) if regions[source_point] == -1 else int(
            regions[source_point])
        if source < 0:
            raise InvalidInputError(f"points[{source_point}] lies on a region boundary or outside the slice's box")
    if part.input_dim == 2:
        plot_partition(part, ax=ax, color_by="distance", source=source, linewidth=0.15)
        if decision is not None and decision.boundary:
            segs = [[[float(a[0]), float(a[1])], [float(b[0]), float(b[1])]] for a, b in decision.boundary]
            ax.add_collection(LineCollection(segs, colors="w", linewidths=2.2))
            ax.add_collection(LineCollection(segs, colors="k", linewidths=1.0))
        if uv is not None:
            ax.plot(uv[:, 0], uv[:, 1], "o", ms=7, mfc="w", mec="k")
            for k, (u, v) in enumerate(uv):
                ax.annotate(str(labels[k]) if labels is not None else f"x{k}", (u, v), xytext=(4, 4),
                            textcoords="offset points", fontsize=11, fontweight="bold")
        ax.set_xlabel("u")
        ax.set_ylabel("v")
        return ax
    dO = part.region_distances([source])[0]
    d = part.vq_distances(sources=[source])[0]
    for a, b, r in _intervals(part):
        ax.plot([a, b], [dO[r], dO[r]], "C0-", lw=2)
        ax.plot([a, b], [d[r], d[r]], "C1-", lw=2)
    ax.plot([], [], "C0-", label="d_Omega")
    ax.plot([], [], "C1-", label="d (VQ)")
    if decision is not None:
        for t, _ in decision.boundary:
            ax.axvline(float(t[0]), color="k", ls="--", lw=0.8)
    if uv is not None:
        ax.plot(uv[:, 0], np.zeros(len(uv)), "ko")
    ax.set_xlabel("u")
    ax.legend()
    ax.set_title(f"{part.n_regions} intervals; distances from x{source_point}'s region")
    return ax


def plot_slack(hist, ax):
    """Bar chart (log counts) of a :func:`slack_histogram`; negative slacks in red."""
    keys = [k for k in hist if k != float("inf")]
    ax.bar(keys, [hist[k] for k in keys], color=["C3" if k < 0 else "C0" for k in keys])
    ax.set_yscale("log")
    ax.set_xlabel("d_Omega - d  (Lemma 2 slack)")
    ax.set_ylabel("region pairs")
    ax.set_title(f"{sum(hist.values())} region pairs; min slack {min(keys) if keys else '-'}")
    return ax


def save_figure(fig, path, *, dpi: int = 130) -> None:
    """Save ``fig`` to ``path`` through a temporary file renamed at the end."""
    from vqgeom._paths import check_output_file

    out = check_output_file(path, "path")
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix or '.png'}")
    try:
        fig.savefig(tmp, dpi=dpi)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def slice_figure(part, *, points=None, labels=None, decision=None, source_point: int = 0, hist=None,
                 path=None, title: str | None = None):
    """Draw a slice: regions coloured by d_Omega from a data point's region, the decision
    boundary, the data points, and the Lemma 2 slack histogram.

    Parameters
    ----------
    part : SlicePartition
        On a plane (2-D) or a line (1-D).
    points : array-like (n, D), optional
        Data points on the slice (drawn at their slice coordinates).
    labels : sequence, optional
        Their labels (annotations).
    decision : DecisionRegions, optional
        Its boundary is drawn (plane only).
    source_point : int
        d_Omega is measured from the region of ``points[source_point]`` (region 0 without
        points).
    hist : dict, optional
        A precomputed :func:`slack_histogram`.
    path : str or path, optional
        Save the figure there (PNG, via a temporary file renamed at the end).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, axh) = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1.2, 1]})
    plot_slice(part, ax, points=points, labels=labels, decision=decision, source_point=source_point)
    plot_slack(slack_histogram(part) if hist is None else hist, axh)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
