"""Non-convex domains: a union of boxes, and the partition of a network restricted to it.

A region of a network on a union U of boxes is a connected piece of (cell of constant code)
intersected with the interior of U. Two pieces are adjacent when their closures share a
(D-1)-dimensional facet inside U. Pieces with the same code can be different regions (the
cell is cut in two by a hole of U), which is exactly how Lemma 1 fails on non-convex domains.

:func:`vqgeom.regions.enumerate_regions` answers unions of boxes by enumerating each box and
merging the pieces across the walls between boxes (:mod:`vqgeom.regions.decompose`). This
module keeps a second, independent construction, used as an oracle in the tests.
``BoxUnion`` itself lives in :mod:`vqgeom.regions.boxunion` (importable from here too).

The construction is exact and reuses the convex engines: the boxes' walls (x_i = const) are
added to the first layer as extra neurons that feed nothing forward; the augmented network
is enumerated on the bounding box; cells outside U are dropped; adjacent cells inside U whose
facet flips only walls are glued (connected components); every other facet between cells
inside U is an adjacency of the pieces.
"""

from __future__ import annotations

from fractions import Fraction

import networkx as nx
import numpy as np

from vqgeom.regions.boxunion import BoxUnion

__all__ = ["BoxUnion", "enumerate_union"]


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
    return Network([first, *net.layers[1:]], net.readout, exact=True)


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
    >>> from vqgeom.regions import Box
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

    def strip(code):
        return (tuple(code[0][:n0]),) + tuple(code[1:])

    glue = nx.Graph()
    glue.add_nodes_from(i for i in range(part.n_regions) if inside[i])
    crossing = []
    for i, j, data in part.graph.edges(data=True):
        if not (inside[i] and inside[j]):
            continue
        real = tuple(f for f in data["flips"] if not (f[0] == 0 and f[1] >= n0))
        if not real and strip(part.codes[i]) == strip(part.codes[j]):
            glue.add_edge(i, j)
        else:
            crossing.append((i, j, real, data.get("facet_witness")))
    components = sorted(sorted(c) for c in nx.connected_components(glue))
    root = {i: k for k, comp in enumerate(components) for i in comp}
    codes = [strip(part.codes[comp[0]]) for comp in components]
    witnesses = [part.witnesses[comp[0]] for comp in components]
    edges = {}
    for i, j, real, facet in crossing:
        a, b = root[i], root[j]
        if a != b:
            edges.setdefault((min(a, b), max(a, b)), (real, facet))
    return Partition(net, union, codes, witnesses, [(a, b, f, w) for (a, b), (f, w) in edges.items()],
                     arithmetic="exact", engine=f"union[{part.engine}]")
