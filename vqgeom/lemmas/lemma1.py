"""Lemma 1 (one hidden layer, a hyperplane arrangement): d_H = d_Omega on every pair of regions.

Holds for distinct hyperplanes, a convex open domain and facet adjacency, in any dimension and
without general position (proof: ``proofs/lemma1.md``). :func:`check_lemma1` checks it
exhaustively over all pairs of regions and explains every failure when a hypothesis is dropped:
a hyperplane listed twice (also as (a, b) and (-a, -b)), adjacency read as "touching", or a
non-convex domain (:class:`~vqgeom.regions.boxunion.BoxUnion`).

Run ``python -m vqgeom.lemmas.lemma1 --check`` for the exact check that ``proofs/lemma1.md`` cites.
"""

from __future__ import annotations

import functools
import itertools
import time
from fractions import Fraction

import networkx as nx

from vqgeom.errors import InvalidInputError
from vqgeom.lemmas._case import CatalogueEntry, catalogue_lines
from vqgeom.lemmas._check import main, report
from vqgeom.lemmas._pairs import MAX_WITNESSES, witness_simplifier, compare_pairs, graph_distances
from vqgeom.lemmas.verdict import Verdict
from vqgeom.regions.boxunion import BoxUnion

__all__ = ["check_lemma1", "duplicate_hyperplanes", "touching_graph", "partition_of", "ADJACENCIES"]

ADJACENCIES = ("facet", "touching")


def partition_of(net, domain=None, *, engine: str = "auto", max_regions: int | None = None):
    """Exact partition of ``net`` on ``domain`` (a Box, "whole", None or a BoxUnion: regions are
    then the connected pieces of cells)."""
    from vqgeom.regions import enumerate_regions

    return enumerate_regions(net, domain, arithmetic="exact", engine=engine, max_regions=max_regions)


def duplicate_hyperplanes(net, layer: int = 0) -> list:
    """Pairs of neurons of one layer whose rows (a, b) are proportional: the same hyperplane.

    Returns
    -------
    list of (i, j, c) with row_j = c * row_i, c a nonzero Fraction (c < 0: opposite orientation).

    Examples
    --------
    >>> from vqgeom.network import Network
    >>> net = Network([{"weight": [[1, 2], [-2, -4], [0, 1]], "bias": [1, -2, 0]}])
    >>> duplicate_hyperplanes(net)
    [(0, 1, Fraction(-2, 1))]
    """
    net = net.to_exact()
    lay = net.layers[layer]
    groups = {}
    for k in range(lay.n_neurons):
        row = list(lay.weight[k]) + [lay.bias[k]]
        p = next((v for v in row if v != 0), None)
        if p is None:
            continue
        key = tuple(v / p for v in row)
        groups.setdefault(key, []).append((k, p))
    out = []
    for members in groups.values():
        for (i, pi), (j, pj) in itertools.combinations(members, 2):
            out.append((i, j, Fraction(pj) / pi))
    return sorted(out)


def touching_graph(part) -> nx.Graph:
    """The graph in which two regions are joined when their closures share at least a point.

    Only for one-hidden-layer networks in D = 2 on a box: every nonempty intersection of two
    closed regions contains a vertex of the arrangement together with the box's edges, so it
    suffices to test those vertices (exactly).

    Raises
    ------
    InvalidInputError
        For a deep network, D != 2 (D = 1: touching is facet adjacency) or a non-box domain.
    """
    from vqgeom.regions.domain import Box

    net = part.net.to_exact()
    if net.depth != 1:
        raise InvalidInputError("touching_graph handles one-hidden-layer networks only (an arrangement)")
    if net.input_dim == 1:
        return nx.Graph(part.graph)
    if net.input_dim != 2:
        raise InvalidInputError(f"touching_graph handles D = 2 (and D = 1), got D = {net.input_dim}")
    if not isinstance(part.domain, Box):
        raise InvalidInputError("touching_graph needs a Box domain")
    lay = net.layers[0]
    lines = [(lay.weight[k][0], lay.weight[k][1], lay.bias[k]) for k in range(lay.n_neurons)]
    box = part.domain
    one, zero = Fraction(1), Fraction(0)
    walls = [(one, zero, -box.lower[0]), (one, zero, -box.upper[0]),
             (zero, one, -box.lower[1]), (zero, one, -box.upper[1])]
    cands = lines + walls
    vertices = set()
    for (a1, b1, c1), (a2, b2, c2) in itertools.combinations(cands, 2):
        det = a1 * b2 - a2 * b1
        if det == 0:
            continue
        x = (-c1 * b2 + c2 * b1) / det
        y = (-a1 * c2 + a2 * c1) / det
        if box.contains((x, y)):
            vertices.add((Fraction(x), Fraction(y)))
    g = nx.Graph(part.graph)
    codes = [code[0] for code in part.codes]
    for v in vertices:
        pre = [a * v[0] + b * v[1] + c for a, b, c in lines]
        members = [r for r, code in enumerate(codes)
                   if all(p == 0 or (p > 0) == s for p, s in zip(pre, code))]
        for i, j in itertools.combinations(members, 2):
            if not g.has_edge(i, j):
                g.add_edge(i, j, flips=tuple((0, k) for k in range(len(pre)) if codes[i][k] != codes[j][k]),
                           facet_witness=None, touching_at=v)
    return g


def _path_flips(graph, path):
    counts = {}
    multi = []
    for a, b in zip(path, path[1:]):
        data = graph.edges[a, b]
        flips = data.get("flips", ())
        for f in flips:
            counts[f] = counts.get(f, 0) + 1
        if len(flips) != 1 or data.get("touching_at") is not None:
            multi.append((a, b, flips, data.get("touching_at")))
    return counts, multi


def _neuron(f):
    return f"neuron {f[1]}" if f[0] == 0 else f"neuron ({f[0]}, {f[1]})"


def check_lemma1(net, domain=None, *, adjacency: str = "facet", engine: str = "auto",
                 max_witnesses: int = MAX_WITNESSES, partition=None, name: str | None = None) -> Verdict:
    """Check Lemma 1, d_H(x, y) = d_Omega(x, y), on every pair of regions, exactly.

    Parameters
    ----------
    net : Network
        A one-hidden-layer network (its first layer's rows are the hyperplanes).
    domain : Box, "whole", None, BoxUnion, Plane or Line
        None is [-1, 1]^D. A :class:`BoxUnion` that is not a box drops the convexity hypothesis.
        On a slice the check runs on the restricted network (:func:`vqgeom.restrict`) over the
        slice's (u, v) box; witnesses are in slice coordinates.
    adjacency : {"facet", "touching"}
        How d_Omega's graph joins regions: sharing a (D-1)-dimensional facet (the lemma's), or
        closures sharing any point (drops a hypothesis; D <= 2 only).
    engine : str
        Region engine (see :func:`vqgeom.regions.enumerate_regions`).
    max_witnesses : int
        Violations stored with witnesses (all are counted).
    partition : Partition, optional
        A partition already computed for ``net`` and ``domain``.
    name : str, optional
        How to name the input in the verdict.

    Returns
    -------
    Verdict
        ``holds`` is True when d = d_Omega on every pair; the hypotheses are
        ``one_layer``, ``distinct_hyperplanes``, ``convex_domain``, ``facet_adjacency``.

    Raises
    ------
    InvalidInputError
        For an unknown ``adjacency`` or a touching graph outside D <= 2 on a box.

    Examples
    --------
    >>> from vqgeom.network import Network
    >>> net = Network([{"weight": [[1], [1]], "bias": [0, "-1/2"]}])
    >>> v = check_lemma1(net)
    >>> v.holds, v.n_regions, v.pairs_checked, v.n_equal
    (True, 3, 3, 3)
    >>> twice = Network([{"weight": [[1], [-1]], "bias": [0, 0]}])   # x = 0 listed twice
    >>> v = check_lemma1(twice)
    >>> v.holds, v.hypotheses["distinct_hyperplanes"], v.violations[0].d, v.violations[0].d_omega
    (False, False, Fraction(2, 1), 1)
    """
    from vqgeom.network import load_network

    start = time.perf_counter()
    if adjacency not in ADJACENCIES:
        raise InvalidInputError(f"adjacency must be one of {', '.join(map(repr, ADJACENCIES))}, got {adjacency!r}")
    from vqgeom.regions.slices import on_slice

    net, domain = on_slice(net, domain)  # a Plane / Line: the restricted network on its (u, v) box
    net = load_network(net).to_exact()
    part = partition if partition is not None else partition_of(net, domain, engine=engine)
    dups = duplicate_hyperplanes(net)
    convex = not (isinstance(part.domain, BoxUnion) and not part.domain.is_convex())
    hyp = {
        "one_layer": net.depth == 1,
        "distinct_hyperplanes": not dups,
        "convex_domain": convex,
        "facet_adjacency": adjacency == "facet",
    }
    notes = []
    if not hyp["one_layer"]:
        notes.append(f"the network has {net.depth} layers; Lemma 1 is about one hidden layer (see Lemma 2)")
    for i, j, c in dups:
        notes.append(f"neurons {i} and {j} are one hyperplane (row {j} = {c} * row {i}"
                     f"{', opposite orientation' if c < 0 else ''}): every facet on it flips both")
    if not convex:
        notes.append(f"the domain {part.domain!r} is not convex: a cell can be cut into pieces that "
                     f"a region path must walk around")
    graph = touching_graph(part) if adjacency == "touching" else part.graph
    if adjacency == "touching":
        extra = graph.number_of_edges() - part.graph.number_of_edges()
        notes.append(f"adjacency read as touching: {extra} pairs of regions that meet only at a point "
                     f"are joined")
    n = part.n_regions
    D = graph_distances(graph, n)

    def path_of(i, j):
        return nx.shortest_path(graph, i, j)

    def explain(i, j, d, dom):
        if dom < 0:
            return "the two regions lie in different connected components of the domain"
        path = path_of(i, j)
        counts, multi = _path_flips(graph, path)
        parts = []
        for a, b, flips, at in multi:
            if at is not None:
                parts.append(f"regions {a} and {b} only touch at the point ({at[0]}, {at[1]}) yet "
                             f"are separated by {len(flips)} hyperplanes")
            else:
                parts.append(f"the facet between regions {a} and {b} flips "
                             f"{', '.join(_neuron(f) for f in flips)} at once")
        again = [f for f, c in counts.items() if c > 1]
        if again and d < dom:
            parts.append("every shortest region path crosses "
                         + ", ".join(f"{_neuron(f)} {counts[f]} times" for f in again)
                         + ", which d counts by parity only")
        return "; ".join(parts)

    res = compare_pairs(part.codes, part.witnesses, net.widths,
                        [Fraction(0) if lay.is_max else Fraction(1) for lay in net.layers], D, path_of,
                        relation="equal", max_witnesses=max_witnesses, explain=explain,
                        point_of=witness_simplifier(part))
    subject = name or f"{net!r} on {part.domain!r}"
    return Verdict("lemma1", subject, holds=res["n_violations"] == 0, hypotheses=hyp, n_regions=n,
                   pairs_checked=res["pairs_checked"], n_less=res["n_less"], n_equal=res["n_equal"],
                   n_greater=res["n_greater"], n_violations=res["n_violations"],
                   violations=res["violations"], notes=notes,
                   details={"adjacency": adjacency, "engine": part.engine,
                            "max_d": res["max_d"], "max_d_omega": res["max_d_omega"]},
                   seconds=time.perf_counter() - start)


def _cases() -> dict:
    """This claim's cases of the registry (:data:`vqgeom.lemmas.claims.CATALOGUE`)."""
    from vqgeom.catalogue import (arrangement, box as _box, sawtooth, shallow_equivalent, u_shape as
                                  _u_shape)

    E = functools.partial(CatalogueEntry, checker=check_lemma1)
    entries = [
        # ------------------------------------------- Lemma 1, hypotheses met
        E("arrangement-1d", "lemma1", "4 points on [-1, 1] (mixed orientations)",
          lambda: (arrangement([[1], [-1], [2], [1]], [0, "1/3", -1, "3/4"]), _box(-1, 1, 1))),
        E("arrangement-2d-general", "lemma1", "5 lines in general position on [-2, 2]^2",
          lambda: (arrangement([[1, 2], [-2, 1], [1, -1], [3, 1], [0, 1]], [0, 1, "1/2", -1, "-1/3"]),
                   _box(-2, 2, 2))),
        E("arrangement-2d-concurrent", "lemma1",
          "not general position: 3 lines through the origin and 2 parallel lines",
          lambda: (arrangement([[1, 0], [0, 1], [1, 1], [1, -1], [1, -1]], [0, 0, 0, "1/2", "-1/2"]),
                   _box(-1, 1, 2))),
        E("arrangement-2d-whole", "lemma1", "4 lines on all of R^2",
          lambda: (arrangement([[1, 0], [0, 1], [1, 1], [1, -2]], [0, -1, 1, "1/2"]), "whole")),
        E("arrangement-3d-general", "lemma1", "5 planes in general position on [-1, 1]^3",
          lambda: (arrangement([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, -2, 1]],
                               ["1/3", "-1/4", "1/5", "-1/2", "1/7"]), _box(-1, 1, 3))),
        E("arrangement-3d-pencil", "lemma1",
          "not general position: 3 planes through one line, plus 2 parallel planes, in [-1, 1]^3",
          lambda: (arrangement([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]],
                               [0, 0, 0, "1/2", "-1/2"]), _box(-1, 1, 3))),
        E("paper-fig5-wide-shallow", "lemma1",
          "Fig. 5's wide shallow network: the shallow equivalent of the depth-4 tent sawtooth (15 neurons)",
          lambda: (shallow_equivalent(sawtooth(4), _box(0, 1, 1)), _box(0, 1, 1))),
        # ------------------------------------------- Lemma 1, hypothesis dropped
        E("arrangement-duplicate", "lemma1", "a line listed twice with the same orientation",
          lambda: (arrangement([[1, 1], [1, -1], [1, 1]], [0, "1/2", 0]), _box(-1, 1, 2)),
          expect_holds=False, relaxed="distinct_hyperplanes"),
        E("arrangement-opposite", "lemma1", "a line listed twice as (a, b) and (-a, -b)",
          lambda: (arrangement([[1, 2], [0, 1], [-1, -2]], ["1/3", 0, "-1/3"]), _box(-1, 1, 2)),
          expect_holds=False, relaxed="distinct_hyperplanes"),
        E("arrangement-touching", "lemma1", "two crossing lines, adjacency read as touching",
          lambda: (arrangement([[1, 0], [0, 1]], [0, 0]), _box(-1, 1, 2)),
          options={"adjacency": "touching"}, expect_holds=False, relaxed="facet_adjacency"),
        E("arrangement-nonconvex", "lemma1", "the line y = 0 on a U-shaped union of 3 boxes",
          lambda: (arrangement([[0, 1]], [0]), _u_shape()),
          expect_holds=False, relaxed="convex_domain"),
    ]
    return {e.name: e for e in entries}


#: name -> CatalogueEntry: this claim's cases (networks built only when a case runs)
CASES = _cases()


def _check_main() -> int:
    """Exact check cited by proofs/lemma1.md: every case of this claim in the registry."""
    return report("lemma1", catalogue_lines(CASES.values()))


if __name__ == "__main__":  # pragma: no cover
    main("lemma1", _check_main)
