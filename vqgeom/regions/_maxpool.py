"""Cells of a max layer inside a convex cell: the argmax of each group, exactly (1-D and 2-D).

A max layer's code is the argmax of every group of rows, the lowest index on ties. On a
convex cell where the rows are affine, the set where candidate ``a`` wins,

    C_a = {x : f_a(x) >= f_j(x) for j > a, f_a(x) > f_j(x) for j < a},

is convex (an intersection of half-spaces), and the ``C_a`` of one group tile the cell.
The engines refine each cell group by group: a piece of the cell is split into the pieces
``piece ∩ C_a`` of positive measure. Only the strictness of the half-spaces for ``j < a``
matters for positive measure when ``f_a - f_j`` is constant: identically 0 gives ``j`` the
tie (``C_a`` is empty), as the point code does.

Splitting by the ``k - 1`` half-planes per candidate instead of by all pairwise lines
(a tournament) is what keeps Omega the cells of constant (ReLU code, argmax code): a pairwise
line that is not a wall of the upper envelope cuts no ``C_a``.
"""

from __future__ import annotations

from vqgeom.regions.geometry import interior_point, split_polygon

__all__ = ["polygon_argmax", "interval_argmax"]


def _constant_rule(delta_const, j, a):
    """Whether a constant difference ``f_a - f_j`` lets ``a`` beat ``j`` (ties: lowest index)."""
    return delta_const > 0 or (delta_const == 0 and j > a)


def polygon_argmax(poly, rows):
    """The pieces of a convex polygon where each candidate of one group wins.

    Parameters
    ----------
    poly : list of (x, y)
        Convex, counter-clockwise, positive area (exact numbers or floats).
    rows : list of (ax, ay, c)
        The candidates' affine maps ``f_j = ax x + ay y + c`` on the polygon.

    Returns
    -------
    list of (piece, a)
        The pieces of positive area and their winner's index in ``rows``, in index order.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> sq = [(F(-1), F(-1)), (F(1), F(-1)), (F(1), F(1)), (F(-1), F(1))]
    >>> [a for _, a in polygon_argmax(sq, [(1, 0, 0), (-1, 0, 0), (0, 0, 0)])]
    [0, 1]
    """
    k = len(rows)
    vals = [[ax * x + ay * y + c for x, y in poly] for ax, ay, c in rows]
    # the lowest candidate at least as large as every other at every vertex wins on the
    # whole polygon (the maps are affine); a lower one identical to it would come first
    for a in range(k):
        if all(all(u >= v for u, v in zip(vals[a], vals[j])) for j in range(k) if j != a):
            return [(poly, a)]
    out = []
    for a in range(k):
        piece = poly
        ax, ay, c = rows[a]
        for j in range(k):
            if j == a:
                continue
            bx, by, d = rows[j]
            dx, dy, dc = ax - bx, ay - by, c - d
            if dx == 0 and dy == 0:
                if not _constant_rule(dc, j, a):
                    piece = None
                    break
                continue
            piece, _ = split_polygon(piece, dx, dy, dc)
            if piece is None:
                break
        if piece is not None:
            out.append((piece, a))
    return out


def interval_argmax(lo, hi, anchor, rows, one):
    """The pieces of an interval where each candidate of one group wins (1-D).

    Parameters
    ----------
    lo, hi : numbers or None
        The ends (None: unbounded).
    anchor : number
        A finite end; the maps are ``f_j(x) = value_j + slope_j (x - anchor)``.
    rows : list of (value, slope)
    one : the number 1 in the arithmetic (exact or float)

    Returns
    -------
    breaks : list
        The points strictly inside (lo, hi) where the winner changes, increasing.
    winners : list of int
        The winner (index in ``rows``) on each of the ``len(breaks) + 1`` pieces.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> interval_argmax(F(-1), F(1), F(-1), [(F(-1), F(1)), (F(1), F(-1)), (F(0), F(0))], F(1))
    ([Fraction(0, 1)], [1, 0])
    """
    k = len(rows)
    cuts = set()
    for i in range(k):
        for j in range(i + 1, k):
            (vi, si), (vj, sj) = rows[i], rows[j]
            if si != sj:
                r = anchor + (vj - vi) / (si - sj)
                if (lo is None or r > lo) and (hi is None or r < hi):
                    cuts.add(r)
    cuts = sorted(cuts)
    ends = [lo, *cuts, hi]
    breaks, winners = [], []
    for t in range(len(ends) - 1):
        a, b = ends[t], ends[t + 1]
        x = interior_point(a, b, one)
        f = [v + s * (x - anchor) for v, s in rows]
        top = max(f)
        w = next(j for j in range(k) if f[j] == top)
        if winners and winners[-1] == w:
            continue
        if winners:
            breaks.append(a)
        winners.append(w)
    return breaks, winners
