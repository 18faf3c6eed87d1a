"""The exact 2-D engine: convex-polygon splitting, neuron by neuron, layer by layer.

Start from the domain box (for the domain Whole: the box of
:func:`vqgeom.regions.lp.enclosing_box`, which strictly contains every vertex of the complex).
Each cell carries its polygon, the code of the layers seen so far and the affine map of the
current layer's input. A neuron's pre-activation is affine on a cell; its line splits every
piece it crosses (strictly positive and strictly negative vertices on both sides) into two
convex polygons of positive area. A piece it does not cross keeps the sign of its interior
(sign(0) = +1 when the pre-activation vanishes identically). A max layer splits each piece
into the convex cells where each candidate of a group wins (:mod:`vqgeom.regions._maxpool`),
group by group. All arithmetic is exact: the
cell maps come from the arithmetic core (:class:`vqgeom.exact.arith.ExactContext`), the
polygons are split in python-flint's ``fmpq`` or in :class:`fractions.Fraction`.

Adjacency: two final polygons are adjacent when edges of theirs lie on the same line and
overlap in a segment of positive length (touching at a vertex does not count); the facet
witness is the midpoint of the overlap.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.exact.arith import context
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions._maxpool import polygon_argmax
from vqgeom.regions.geometry import box_polygon, clip_polygon, split_polygon

__all__ = ["enumerate_partition", "supports", "clip_polygon", "split_polygon", "box_polygon",
           "shared_edges"]


def supports(net, domain, arithmetic) -> bool:
    """True for 2-D networks on a box or on all of R^2 (max layers: on a box; the enclosing box
    of R^2 comes from the lp engine, which has no max layers)."""
    return net.input_dim == 2 and (isinstance(domain, Box) or isinstance(domain, Whole) and not net.has_max)


def _number_type(exact: bool):
    """The scalar type used for exact work: flint.fmpq when available, else Fraction."""
    if not exact:
        return float
    try:
        from flint import fmpq
    except ImportError:  # pragma: no cover - python-flint is a dependency
        return Fraction
    return fmpq


def _to_number(value, kind):
    if kind is float:
        return float(value)
    if kind is Fraction:
        return Fraction(value)
    f = Fraction(value)
    return kind(f.numerator, f.denominator)


def _to_fraction(value):
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return value
    return Fraction(int(value.p), int(value.q))


def _centroid(poly):
    """The vertex average: strictly inside a convex polygon of positive area."""
    n = len(poly)
    return (sum((p[0] for p in poly[1:]), poly[0][0]) / n, sum((p[1] for p in poly[1:]), poly[0][1]) / n)


def _line_key(p, q):
    """A canonical key of the line through p != q and a coordinate that orders points on it."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    if dx != 0:
        slope = dy / dx
        return (0, slope, p[1] - slope * p[0]), 0   # y = slope x + icpt; order by x
    return (1, p[0]), 1                              # vertical line x = p.x; order by y


def shared_edges(polygons):
    """Pairs of polygons sharing an edge segment of positive length.

    Parameters
    ----------
    polygons : list of vertex lists (convex, counter-clockwise)

    Returns
    -------
    dict mapping ``(i, j)`` (i < j) to the midpoint of one shared segment

    Examples
    --------
    >>> a = [(0, 0), (1, 0), (1, 1), (0, 1)]
    >>> b = [(1, 0), (2, 0), (2, 1), (1, 1)]
    >>> c = [(1, 1), (2, 1), (2, 2), (1, 2)]   # touches a at the vertex (1, 1) only
    >>> sorted(shared_edges([a, b, c]))
    [(0, 1), (1, 2)]
    """
    by_line: dict = {}
    for idx, poly in enumerate(polygons):
        n = len(poly)
        for k in range(n):
            p, q = poly[k], poly[(k + 1) % n]
            if p == q:
                continue
            key, axis = _line_key(p, q)
            s, t = p[axis], q[axis]
            if s > t:
                s, t = t, s
            by_line.setdefault(key, []).append((s, t, idx, p, q, axis))
    out = {}
    for segs in by_line.values():
        if len(segs) < 2:
            continue
        segs.sort(key=lambda e: e[0])
        active = []  # segments whose end is beyond the current start
        for seg in segs:
            s, t, idx = seg[0], seg[1], seg[2]
            active = [e for e in active if e[1] > s]
            for e in active:
                if e[2] == idx:
                    continue
                lo, hi = s, min(t, e[1])
                if hi > lo:
                    key = (min(idx, e[2]), max(idx, e[2]))
                    if key not in out:
                        out[key] = _point_on(seg, (lo + hi) / 2)
            active.append(seg)
    return out


def _point_on(seg, coord):
    """The point of a segment's line whose ordering coordinate is ``coord``."""
    _, _, _, p, q, axis = seg
    other = 1 - axis
    t = (coord - p[axis]) / (q[axis] - p[axis])
    val = p[other] + t * (q[other] - p[other])
    return (coord, val) if axis == 0 else (val, coord)


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None,
                        number_type: str = "auto"):
    """Enumerate the activation regions of a 2-D network by exact polygon splitting.

    Parameters
    ----------
    net : Network
        Input dimension 2.
    domain : Box or Whole
        For Whole, the enclosing box of :func:`vqgeom.regions.lp.enclosing_box` is used
        (and kept as the partition's ``frame``).
    arithmetic : {"exact", "float"}
        Both modes split exactly; float mode returns float witnesses and polygons.
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_cells, stage)`` during the run.
    number_type : {"auto", "fmpq", "fraction"}
        The exact scalar type ("auto": python-flint's fmpq, 2-5x faster than Fraction).

    Returns
    -------
    Partition
        With polygons (exact Fractions in exact mode) and facet witnesses.

    Raises
    ------
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist (checked after each layer).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "0"]}])
    >>> part = enumerate_partition(net, Box(-1, 1, dim=2))
    >>> part.n_regions, part.n_adjacencies, part.is_generic
    (4, 4, True)
    """
    from vqgeom.regions.partition import Partition

    if net.input_dim != 2:
        raise InvalidInputError(f"the polygon engine needs input_dim=2, got {net.input_dim}")
    start = time.perf_counter()
    exact_net = net.to_exact()
    if number_type not in ("auto", "fmpq", "fraction"):
        raise InvalidInputError(f"number_type must be 'auto', 'fmpq' or 'fraction', got {number_type!r}")
    kind = Fraction if number_type == "fraction" else _number_type(True)
    frame = None
    if isinstance(domain, Whole):
        try:
            from vqgeom.regions.lp import enclosing_box
        except ImportError as exc:
            raise InvalidInputError(
                f"domain 'whole' in 2-D needs vqgeom.regions.lp.enclosing_box, which cannot be "
                f"imported ({exc}); give a Box instead") from None
        frame = enclosing_box(exact_net, max_regions=max_regions)
        box = frame
    elif isinstance(domain, Box):
        box = domain
    else:
        raise InvalidInputError(f"the polygon engine needs a Box or Whole domain, got {domain!r}")

    ctx = context(exact_net, "exact")
    number = _to_fraction if kind is Fraction else None
    # cell: (polygon, code, map of the current layer input, homogeneous in (x, y, 1))
    poly0 = [(_to_number(x, kind), _to_number(y, kind)) for x, y in box_polygon(box, exact=True)]
    cells = [(poly0, (), ctx.start())]
    depth = exact_net.depth
    groups = [None if not lay.is_max else list(zip(np.cumsum((0,) + lay.groups[:-1]).tolist(),
                                                    np.cumsum(lay.groups).tolist()))
              for lay in exact_net.layers]
    for l in range(depth):
        new_cells = []
        for poly, code, state in cells:
            # pre-activation maps of this layer on the cell: a_j . x + c_j
            hmap = ctx.pre(l, state)
            e = hmap.entries() if number is None else [number(v) for v in hmap.entries()]
            maps = [(e[i], e[i + 1], e[i + 2]) for i in range(0, len(e), 3)]
            pieces = [(poly, [])]
            if groups[l] is not None:    # a max layer: split by each group's argmax cells
                for g0, g1 in groups[l]:
                    pieces = [(piece, signs + [t == a for t in range(g1 - g0)])
                              for pc, signs in pieces
                              for piece, a in polygon_argmax(pc, maps[g0:g1])]
                maps = []
            for ax, ay, c in maps:
                nxt = []
                for pc, signs in pieces:
                    if ax == 0 and ay == 0:
                        nxt.append((pc, signs + [c >= 0]))
                        continue
                    plus, minus = split_polygon(pc, ax, ay, c)
                    if plus is not None:
                        nxt.append((plus, signs + [True]))
                    if minus is not None:
                        nxt.append((minus, signs + [False]))
                pieces = nxt
            for pc, signs in pieces:
                nxt = ctx.advance(l, hmap, state, signs) if l + 1 < depth else None
                new_cells.append((pc, code + (tuple(signs),), nxt))
            if progress is not None:
                progress(len(new_cells), f"layer {l + 1}/{depth}")
        cells = new_cells
        if max_regions is not None and len(cells) > max_regions:
            raise RegionBudgetExceeded(len(cells), max_regions)

    out = _to_fraction if arithmetic == "exact" else (lambda v: float(_to_fraction(v)))
    polys = [[(out(x), out(y)) for x, y in cell[0]] for cell in cells]
    codes = [cell[1] for cell in cells]
    witnesses = [tuple(out(v) for v in _centroid(cell[0])) for cell in cells]
    pairs = shared_edges([cell[0] for cell in cells])
    edges = []
    for (i, j), mid in sorted(pairs.items()):
        flips = tuple((l, k) for l, (u, v) in enumerate(zip(codes[i], codes[j]))
                      for k, (a, b) in enumerate(zip(u, v)) if a != b)
        edges.append((i, j, flips, tuple(out(v) for v in mid)))
    return Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic, engine="polygon",
                     seconds=time.perf_counter() - start, polygons=polys, frame=frame)
