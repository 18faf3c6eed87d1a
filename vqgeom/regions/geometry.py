"""Exact geometry shared by the engines and the result type: convex polygons, boxes, slices.

Nothing here enumerates regions. The functions are exact on rationals (Fractions or
python-flint ``fmpq``) and work on floats too where noted.

* Convex polygons (D = 2): :func:`box_polygon`, :func:`split_polygon`, :func:`clip_polygon`.
* Boxes: :func:`subtract_box` and :func:`disjoint_boxes` (a union of boxes as boxes with
  disjoint interiors), :func:`shared_walls` (the (D-1)-dimensional faces two boxes share).
* Axis-parallel slices: :func:`axis_slice` (the network restricted to ``x_k = c``, again a
  network, exactly) and :func:`side_code` (the code of the cell that touches a point of a
  hyperplane from one side).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from vqgeom.exact.arith import context, fmpq_matrix
from vqgeom.regions.domain import Box

__all__ = ["interior_point", "box_polygon", "split_polygon", "clip_polygon", "subtract_box", "disjoint_boxes",
           "shared_walls", "axis_slice", "side_code"]


def interior_point(a, b, one):
    """A point strictly inside the interval (a, b) of the line; None ends are infinite.

    Examples
    --------
    >>> interior_point(None, None, 1.0), interior_point(None, 2, 1), interior_point(0, 1, 1.0)
    (0.0, 1, 0.5)
    """
    if a is None and b is None:
        return one * 0
    if a is None:
        return b - one
    if b is None:
        return a + one
    return (a + b) / 2


def box_polygon(box: Box, *, exact: bool = True) -> list[tuple]:
    """The box's corners, counter-clockwise from the lower-left one.

    >>> box_polygon(Box(0, 1, dim=2))
    [(Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(1, 1)), (Fraction(0, 1), Fraction(1, 1))]
    """
    (x0, y0), (x1, y1) = box.lower, box.upper
    if not exact:
        x0, y0, x1, y1 = float(x0), float(y0), float(x1), float(y1)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def split_polygon(poly, a, b, c):
    """Split a convex polygon by the line ``a x + b y + c = 0``.

    Returns
    -------
    (plus, minus) : lists of vertices or None
        ``plus`` is the part where ``a x + b y + c >= 0`` and ``minus`` the part where it is
        ``<= 0``, each only when it has positive area (else None). When the function
        vanishes identically on the polygon, ``plus`` is the polygon and ``minus`` None
        (sign(0) = +1).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> sq = [(F(0), F(0)), (F(2), F(0)), (F(2), F(2)), (F(0), F(2))]
    >>> plus, minus = split_polygon(sq, 1, 0, -1)   # the line x = 1
    >>> [(str(x), str(y)) for x, y in plus]
    [('1', '0'), ('2', '0'), ('2', '2'), ('1', '2')]
    >>> split_polygon(sq, 1, 1, 0) == (sq, None)    # touches the corner (0, 0) only
    True
    """
    vals = [a * x + b * y + c for x, y in poly]
    has_pos = any(v > 0 for v in vals)
    has_neg = any(v < 0 for v in vals)
    if not has_neg:
        return poly, None
    if not has_pos:
        return None, poly
    plus, minus = [], []
    n = len(poly)
    for k in range(n):
        p, vp = poly[k], vals[k]
        q, vq = poly[(k + 1) % n], vals[(k + 1) % n]
        if vp > 0:
            plus.append(p)
        elif vp < 0:
            minus.append(p)
        else:
            plus.append(p)
            minus.append(p)
        if (vp > 0 and vq < 0) or (vp < 0 and vq > 0):
            t = vp / (vp - vq)
            r = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
            plus.append(r)
            minus.append(r)
    return plus, minus


def clip_polygon(poly, a, b, c):
    """The part of a convex polygon where ``a x + b y + c >= 0`` (an empty list when that
    part has no interior)."""
    plus, _ = split_polygon(poly, a, b, c)
    return plus if plus is not None else []


# ------------------------------------------------------------------------------- boxes
def _overlap(a: Box, b: Box) -> bool:
    """Whether the interiors of two boxes meet."""
    return all(max(l1, l2) < min(h1, h2) for l1, h1, l2, h2 in zip(a.lower, a.upper, b.lower, b.upper))


def subtract_box(b: Box, a: Box) -> list[Box]:
    """The closure of ``b`` minus ``a``, as at most 2 D boxes with disjoint interiors.

    Examples
    --------
    >>> pieces = subtract_box(Box([0], [3]), Box([1], [2]))
    >>> [(str(p.lower[0]), str(p.upper[0])) for p in pieces]
    [('0', '1'), ('2', '3')]
    """
    if not _overlap(a, b):
        return [b]
    out = []
    lo, hi = list(b.lower), list(b.upper)
    for i in range(len(lo)):
        if lo[i] < a.lower[i]:
            out.append(Box(lo[:i] + [lo[i]] + lo[i + 1:], hi[:i] + [a.lower[i]] + hi[i + 1:]))
            lo[i] = a.lower[i]
        if a.upper[i] < hi[i]:
            out.append(Box(lo[:i] + [a.upper[i]] + lo[i + 1:], hi[:i] + [hi[i]] + hi[i + 1:]))
            hi[i] = a.upper[i]
    return out          # what is left of b, [lo, hi], lies in a


def disjoint_boxes(boxes) -> list[Box]:
    """Boxes with pairwise disjoint interiors whose union is the union of ``boxes``.

    Each box keeps the part of it that no earlier box covers (:func:`subtract_box`), so
    boxes that already have disjoint interiors come back unchanged.

    Examples
    --------
    >>> len(disjoint_boxes([Box([0, 0], [2, 1]), Box([1, 0], [3, 1])]))
    2
    """
    out: list[Box] = []
    for b in boxes:
        pieces = [b]
        for a in out:
            pieces = [p for q in pieces for p in subtract_box(q, a)]
        out.extend(pieces)
    return out


def shared_walls(boxes) -> list[tuple]:
    """The (D-1)-dimensional faces shared by boxes with disjoint interiors.

    Returns
    -------
    list of (i, j, axis, value, wall)
        Box ``i`` lies on the side ``x_axis <= value``, box ``j`` on ``x_axis >= value``, and
        their intersection is ``wall``: a :class:`Box` in the other D - 1 coordinates (for
        D = 1, None: the wall is the point ``value``).

    Examples
    --------
    >>> boxes = [Box([0, 0], [1, 1]), Box([1, 0], [2, 1]), Box([2, 1], [3, 2])]   # the last touches a corner
    >>> [(i, j, k, str(v)) for i, j, k, v, _ in shared_walls(boxes)]
    [(0, 1, 0, '1')]
    """
    out = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes):
            if i == j:
                continue
            for k in range(len(a.lower)):
                if a.upper[k] != b.lower[k]:
                    continue
                rest = [r for r in range(len(a.lower)) if r != k]
                lo = [max(a.lower[r], b.lower[r]) for r in rest]
                hi = [min(a.upper[r], b.upper[r]) for r in rest]
                if all(x < y for x, y in zip(lo, hi)):
                    out.append((i, j, k, a.upper[k], Box(lo, hi) if rest else None))
    return out


# ------------------------------------------------------------------- axis-parallel slices
def axis_slice(net, axis: int, value):
    """The exact network of the other D - 1 coordinates that equals ``net`` on ``x_axis = value``.

    The first layer is composed with the embedding of the hyperplane. A first-layer neuron
    whose weight is a multiple of ``e_axis`` is constant on the hyperplane; it is dropped
    (a network's first layer has no all-zero rows) and its constant output folded into the
    layer's ``out_bias``. Every later layer and the readout are unchanged.

    Parameters
    ----------
    net : Network
        Exact, with input_dim >= 2.
    axis : int
    value : Fraction

    Returns
    -------
    sub : Network or None
        None when every first-layer neuron is constant on the hyperplane (then the network
        has one code on all of it).
    keep : list of int
        The first-layer neurons of ``net`` that ``sub``'s first layer holds, in order.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [["1", "1"], ["1", "0"]], "bias": ["0", "-1"]}])
    >>> sub, keep = axis_slice(net, 0, Fraction(2))
    >>> keep, [str(v) for v in sub.layers[0].weight.ravel()], [str(v) for v in sub.layers[0].bias]
    ([0], ['1'], ['2'])
    """
    from vqgeom.network import Network

    lay = net.layers[0]
    D = net.input_dim
    others = [r for r in range(D) if r != axis]
    W = lay.weight[:, others]
    pre_bias = lay.bias + lay.weight[:, axis] * value
    keep = [k for k in range(lay.n_neurons) if lay.is_max or any(v != 0 for v in W[k])]
    drop = [k for k in range(lay.n_neurons) if k not in keep]
    if not keep:
        return None, keep
    zero = Fraction(0)
    out = lay.out if lay.out is not None else np.array(
        [[Fraction(int(r == c)) for c in range(lay.n_units)] for r in range(lay.n_units)], dtype=object)
    out_bias = (lay.out_bias.copy() if lay.out_bias is not None
                else np.array([zero] * out.shape[0], dtype=object))
    if drop:
        out_bias = out_bias + out[:, drop] @ lay.sigma(pre_bias[drop])
    skip = None
    if lay.skip is not None:
        skip = lay.skip[:, others]
        out_bias = out_bias + lay.skip[:, axis] * value
    first = dict(weight=W[keep], bias=pre_bias[keep], activation=lay.activation,
                 negative_slope=lay.negative_slope, skip=skip, out=out if lay.is_max else out[:, keep],
                 out_bias=out_bias, groups=lay.groups)
    readout = None if net.readout is None else dict(weight=net.readout.weight, bias=net.readout.bias)
    return Network([first] + list(net.layers[1:]), readout, exact=True), keep


def side_code(net, point, direction) -> tuple:
    """The code of the cell that a point of a hyperplane touches from the side ``direction``.

    Layer by layer, with the affine maps of the earlier layers on that side: a neuron that
    does not vanish at ``point`` keeps its sign; one that vanishes takes the sign of its
    derivative along ``direction`` (+1 when that is 0 too). A max layer's window takes the
    row with the largest value, then the largest derivative, then the lowest index. This is the code of every point
    ``point + t direction + (small)`` for small t > 0 when ``point`` is a generic point of a
    (D-1)-dimensional face: every neuron vanishing there vanishes on the whole face, so a
    zero derivative across it means the neuron is identically zero on that side.

    Parameters
    ----------
    net : Network
        Exact.
    point, direction : sequence of Fraction, length D

    Returns
    -------
    tuple (per layer) of tuples of bool

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [["1"]], "bias": ["0"]}, {"weight": [["1"]], "bias": ["0"]}])
    >>> side_code(net, [Fraction(0)], [Fraction(-1)]), side_code(net, [Fraction(0)], [Fraction(1)])
    (((False,), (True,)), ((True,), (True,)))
    """
    ctx = context(net, "exact")
    xh = fmpq_matrix([Fraction(v) for v in point] + [1])        # homogeneous point [x; 1]
    uh = fmpq_matrix([Fraction(v) for v in direction] + [0])    # and direction [u; 0]
    state = ctx.start()
    code = []
    for l in range(net.depth):
        hmap = ctx.pre(l, state)
        value, slope = (hmap * xh).entries(), (hmap * uh).entries()
        lay = net.layers[l]
        if lay.is_max:      # per window the lexicographically largest (value, slope), lowest index
            signs, start = [], 0
            for size in lay.groups:
                keys = list(zip(value[start:start + size], slope[start:start + size]))
                best = max(keys)
                win = keys.index(best)
                signs.extend(t == win for t in range(size))
                start += size
            signs = tuple(signs)
        else:
            signs = tuple(bool(v > 0 or (v == 0 and s >= 0)) for v, s in zip(value, slope))
        code.append(signs)
        if l + 1 < net.depth:
            state = ctx.advance(l, hmap, state, signs)
    return tuple(code)
