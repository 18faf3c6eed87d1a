"""Non-convex domains: a union of boxes, and the partition of a network restricted to it.

A region of a network on a union U of boxes is a connected piece of (cell of constant code)
intersected with the interior of U. Two pieces are adjacent when their closures share a
(D-1)-dimensional facet inside U. Pieces with the same code can be different regions (the
cell is cut in two by a hole of U), which is exactly how Lemma 1 fails on non-convex domains.

The construction is exact and reuses the convex engines: the boxes' walls (x_i = const) are
added to the first layer as extra neurons that feed nothing forward; the augmented network
is enumerated on the bounding box; cells outside U are dropped; adjacent cells inside U whose
facet flips only walls are glued (union-find); every other facet between cells inside U is an
adjacency of the pieces.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError
from vqgeom.regions.domain import Box

__all__ = ["BoxUnion", "enumerate_union"]


class BoxUnion:
    """The union of finitely many closed boxes (a possibly non-convex domain).

    Parameters
    ----------
    boxes : sequence of Box or (lower, upper) pairs
        At least one box, all of the same dimension.

    Raises
    ------
    InvalidInputError
        If ``boxes`` is empty or the dimensions differ.

    Examples
    --------
    >>> U = BoxUnion([Box([0, 0], [3, 1]), Box([0, 0], [1, 3])])   # an L shape
    >>> U.dim, U.contains([2, 2]), U.contains([1/2, 2])
    (2, False, True)
    """

    def __init__(self, boxes):
        bs = []
        for i, b in enumerate(boxes):
            if isinstance(b, Box):
                bs.append(b)
            elif isinstance(b, (tuple, list)) and len(b) == 2:
                bs.append(Box(b[0], b[1]))
            else:
                raise InvalidInputError(f"boxes[{i}] must be a Box or a (lower, upper) pair, got {b!r}")
        if not bs:
            raise InvalidInputError("BoxUnion needs at least one box; got none")
        dims = {b.dim for b in bs}
        if None in dims:
            raise InvalidInputError("BoxUnion: give every box per-coordinate bounds (its dimension)")
        if len(dims) != 1:
            raise InvalidInputError(f"BoxUnion: the boxes have different dimensions {sorted(dims)}")
        self.boxes = tuple(bs)

    @property
    def dim(self) -> int:
        return self.boxes[0].dim

    def with_dim(self, dim: int) -> "BoxUnion":
        if dim != self.dim:
            raise InvalidInputError(f"domain has dimension {self.dim} but the network's input_dim is {dim}")
        return self

    def bounding_box(self) -> Box:
        lo = [min(b.lower[i] for b in self.boxes) for i in range(self.dim)]
        hi = [max(b.upper[i] for b in self.boxes) for i in range(self.dim)]
        return Box(lo, hi)

    def contains(self, x, *, strict: bool = False) -> bool:
        """Whether ``x`` lies in the union (``strict``: in the interior of one of the boxes)."""
        return any(b.contains(x, strict=strict) for b in self.boxes)

    def is_convex(self) -> bool:
        """True when the union equals its bounding box (so it is a box), decided exactly.

        A union of closed boxes is convex iff it is its bounding box. Cut the bounding box
        along every box coordinate; the union is the bounding box iff every cell's centre is
        in some box (e.g. two halves of a box, neither of them the bounding box).
        """
        import itertools

        cuts = [sorted({v for b in self.boxes for v in (b.lower[i], b.upper[i])}) for i in range(self.dim)]
        centres = [[(a + c) / 2 for a, c in zip(cs, cs[1:])] for cs in cuts]
        return all(self.contains(list(x)) for x in itertools.product(*centres))

    def to_dict(self) -> dict:
        return {"type": "union", "boxes": [b.to_dict() for b in self.boxes]}

    def __repr__(self) -> str:
        return f"BoxUnion({', '.join(repr(b) for b in self.boxes)})"


def _augment(net, walls):
    """``net`` (exact) with extra first-layer neurons x_i - c for every wall, feeding nothing."""
    from vqgeom.network import Network

    D = net.input_dim
    lay0 = net.layers[0]
    n0 = lay0.n_neurons
    one, zero = Fraction(1), Fraction(0)
    W = [list(r) for r in lay0.weight] + [[one if j == i else zero for j in range(D)] for i, c in walls]
    b = list(lay0.bias) + [-c for i, c in walls]
    out = (np.array([[one if j == k else zero for j in range(n0)] for k in range(n0)], dtype=object)
           if lay0.out is None else lay0.out)
    out = [list(r) + [zero] * len(walls) for r in out]
    first = dict(weight=W, bias=b, activation=lay0.activation, negative_slope=lay0.negative_slope,
                 skip=lay0.skip, out=out, out_bias=lay0.out_bias)
    rest = [dict(weight=l.weight, bias=l.bias, activation=l.activation, negative_slope=l.negative_slope,
                 skip=l.skip, out=l.out, out_bias=l.out_bias) for l in net.layers[1:]]
    readout = None if net.readout is None else dict(weight=net.readout.weight, bias=net.readout.bias)
    return Network([first] + rest, readout, exact=True)


def enumerate_union(net, union: BoxUnion, *, engine: str = "auto", max_regions: int | None = None):
    """The exact partition of ``net`` on a union of boxes (regions are connected pieces).

    Parameters
    ----------
    net : Network
    union : BoxUnion

    Returns
    -------
    Partition
        Its ``domain`` is ``union``; codes may repeat (a cell split by a hole of the union
        gives two regions with one code); edges carry ``flips`` and a facet witness.

    Examples
    --------
    >>> from vqgeom.network import Network
    >>> net = Network([{"weight": [[1]], "bias": [0]}])
    >>> part = enumerate_union(net, BoxUnion([Box([-2], [-1]), Box([1], [2])]))
    >>> part.n_regions, part.n_adjacencies   # two pieces, not connected
    (2, 0)
    """
    from vqgeom.network import load_network
    from vqgeom.regions import enumerate_regions
    from vqgeom.regions.partition import Partition

    net = load_network(net).to_exact()
    union = union.with_dim(net.input_dim)
    walls = sorted({(i, c) for b in union.boxes for i in range(union.dim) for c in (b.lower[i], b.upper[i])})
    aug = _augment(net, walls)
    n0 = net.layers[0].n_neurons
    part = enumerate_regions(aug, union.bounding_box(), arithmetic="exact", engine=engine,
                             max_regions=max_regions)
    inside = [union.contains(w, strict=True) for w in part.witnesses]
    parent = list(range(part.n_regions))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def strip(code):
        return (tuple(code[0][:n0]),) + tuple(code[1:])

    crossing = []
    for i, j, data in part.graph.edges(data=True):
        if not (inside[i] and inside[j]):
            continue
        real = tuple(f for f in data["flips"] if not (f[0] == 0 and f[1] >= n0))
        if not real and strip(part.codes[i]) == strip(part.codes[j]):
            parent[find(i)] = find(j)
        else:
            crossing.append((i, j, real, data.get("facet_witness")))
    roots = sorted({find(i) for i in range(part.n_regions) if inside[i]})
    index = {r: k for k, r in enumerate(roots)}
    codes = [strip(part.codes[r]) for r in roots]
    witnesses = [part.witnesses[r] for r in roots]
    edges = {}
    for i, j, real, facet in crossing:
        a, b = index[find(i)], index[find(j)]
        if a != b:
            edges.setdefault((min(a, b), max(a, b)), (real, facet))
    return Partition(net, union, codes, witnesses, [(a, b, f, w) for (a, b), (f, w) in edges.items()],
                     arithmetic="exact", engine=f"union[{part.engine}]")
