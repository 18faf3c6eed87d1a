"""Domains no engine handles directly, answered by decomposition: a union of boxes.

A union U of boxes is cut into boxes with disjoint interiors (:func:`disjoint_boxes`); each
box is enumerated by an ordinary engine; the pieces are merged exactly across the walls the
boxes share:

1. *Pieces.* On a box B every region is ``C ∩ B`` for a cell C of constant code: convex, one
   per code. Adjacencies found inside B are adjacencies of U (their facets meet int B).
2. *Walls.* Where boxes B_i (side ``x_k <= c``) and B_j (side ``x_k >= c``) share a
   (D-1)-dimensional face W, the network restricted to the hyperplane ``x_k = c``
   (:func:`axis_slice`, exact) is enumerated on W, one dimension down (D = 1: W is a point).
   Each of its regions Z has an interior witness z; the codes of the cells touching z from
   the left and from the right (:func:`side_code`) name a piece of B_i and a piece of B_j.
   Equal codes: the two pieces are one region (glued); different codes: the pieces are
   adjacent across Z (a facet lying on the wall, which neither box's enumeration sees).
3. *Merge.* Regions are the connected components of the glue graph; two regions are
   adjacent when pieces of theirs are.

The proof that this gives the regions of U (connected pieces of cells in int U) and their
facet adjacencies is ``proofs/union-merge.md``; ``python -m vqgeom.regions.union_check --check``
runs its exact check.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Callable

import networkx as nx

from vqgeom.errors import CertificateError, RegionBudgetExceeded
from vqgeom.regions.boxunion import BoxUnion
from vqgeom.regions.geometry import axis_slice, shared_walls, side_code

__all__ = ["enumerate_box_union", "wall_points"]


def wall_points(net, axis: int, value, wall, enumerate_box: Callable) -> list[tuple]:
    """One exact interior point of every region of ``net`` on a wall ``x_axis = value``.

    Parameters
    ----------
    net : Network
        Exact.
    axis, value
        The wall's hyperplane.
    wall : Box or None
        The wall in the other D - 1 coordinates (None for D = 1: the wall is a point).
    enumerate_box : callable
        ``enumerate_box(net, box, engine, arithmetic, max_regions) -> Partition``.

    Returns
    -------
    list of tuple of Fraction
        Points of R^D, each strictly inside a (D-1)-dimensional cell of constant code of the
        restricted network and strictly inside the wall.
    """
    def lift(u):
        u = list(u)
        return tuple(u[:axis]) + (Fraction(value),) + tuple(u[axis:])

    if wall is None:
        return [(Fraction(value),)]
    sub, _ = axis_slice(net, axis, value)
    if sub is None:    # every first-layer neuron is constant on the wall: one code on all of it
        return [lift((a + b) / 2 for a, b in zip(wall.lower, wall.upper))]
    part = enumerate_box(sub, wall, "auto", "exact", None)
    return [lift(w) for w in part.witnesses]


def enumerate_box_union(net, union: BoxUnion, *, arithmetic: str, enumerate_box: Callable,
                        engine: str = "auto", max_regions: int | None = None, progress=None):
    """The partition of ``net`` on a union of boxes, by enumerating each box and merging.

    Parameters
    ----------
    net : Network
        In the requested arithmetic (the dispatcher converts).
    union : BoxUnion
    arithmetic : {"exact", "float"}
        The arithmetic of the per-box enumerations; the walls and the side codes are always
        exact.
    enumerate_box : callable
        ``enumerate_box(net, box, engine, arithmetic, max_regions) -> Partition`` (the
        dispatcher).
    engine : str
        The engine for the boxes (walls, one dimension down, use ``"auto"``).
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_pieces_so_far, "union")`` after each box.

    Returns
    -------
    Partition
        Its ``domain`` is ``union``; a code can repeat (a cell cut in two by a hole of U);
        every edge carries its flips and a facet witness.

    Raises
    ------
    CertificateError
        When a side code names no piece of its box (an engine missed a region).
    RegionBudgetExceeded
        When U has more than ``max_regions`` regions.

    Examples
    --------
    >>> from vqgeom import Network, enumerate_regions
    >>> from vqgeom.regions import Box, BoxUnion
    >>> net = Network([{"weight": [["1", "0"]], "bias": ["0"]}])     # the line x = 0
    >>> U = BoxUnion([Box([-1, -1], [0, 1]), Box([0, -1], [1, 1])])  # split along it
    >>> part = enumerate_regions(net, U)
    >>> part.n_regions, part.n_adjacencies          # the facet on the wall is found
    (2, 1)
    """
    from vqgeom.regions.partition import Partition

    start = time.perf_counter()
    exact_net = net.to_exact()
    boxes = union.disjoint_boxes()
    parts = []
    for box in boxes:
        parts.append(enumerate_box(net, box, engine, arithmetic, max_regions))
        if progress is not None:
            progress(sum(p.n_regions for p in parts), "union")
    glue = nx.Graph()
    glue.add_nodes_from((k, i) for k, p in enumerate(parts) for i in range(p.n_regions))
    crossing = []
    for k, p in enumerate(parts):
        for i, j, data in p.graph.edges(data=True):
            crossing.append(((k, i), (k, j), tuple(data["flips"]), data.get("facet_witness")))
    D = net.input_dim
    for a, b, axis, value, wall in shared_walls(boxes):
        normal = tuple(Fraction(int(r == axis)) for r in range(D))
        for z in wall_points(exact_net, axis, value, wall, enumerate_box):
            left = side_code(exact_net, z, tuple(-v for v in normal))
            right = side_code(exact_net, z, normal)
            i, j = parts[a].index_of_code(left), parts[b].index_of_code(right)
            if i is None or j is None:
                side, box = ("left", boxes[a]) if i is None else ("right", boxes[b])
                raise CertificateError(
                    f"the cell on the {side} of the wall point {tuple(map(str, z))} has a code that no "
                    f"region of the partition of {box!r} has; that enumeration is incomplete")
            if left == right:
                glue.add_edge((a, i), (b, j))
            else:
                flips = tuple((l, n) for l, (u, v) in enumerate(zip(left, right))
                              for n, (s, t) in enumerate(zip(u, v)) if s != t)
                facet = z if arithmetic == "exact" else tuple(float(v) for v in z)
                crossing.append(((a, i), (b, j), flips, facet))
    components = sorted(sorted(c) for c in nx.connected_components(glue))
    if max_regions is not None and len(components) > max_regions:
        raise RegionBudgetExceeded(len(components), max_regions)
    root = {node: r for r, comp in enumerate(components) for node in comp}
    codes = [parts[k].codes[i] for k, i in (comp[0] for comp in components)]
    witnesses = [parts[k].witnesses[i] for k, i in (comp[0] for comp in components)]
    edges = {}
    for u, v, flips, facet in crossing:
        r, s = root[u], root[v]
        if r != s:
            edges.setdefault((min(r, s), max(r, s)), (flips, facet))
    engines = sorted({p.engine for p in parts})
    return Partition(net, union, codes, witnesses, [(r, s, f, w) for (r, s), (f, w) in sorted(edges.items())],
                     arithmetic=arithmetic, engine=f"union[{','.join(engines)}]",
                     seconds=time.perf_counter() - start)

