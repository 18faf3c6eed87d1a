"""Lemma 2 (deep networks): d(x, y; N) <= d_Omega(x, y) on every pair of regions.

Hypotheses (``proofs/lemma2.md``): (i) genericity -- the set of inputs where two or more
neurons vanish has dimension <= D - 2, and no neuron vanishes identically on a full-dimensional
set, so adjacent regions differ in exactly one neuron; (ii) layer weights w_l <= 1; (iii) Omega
is the activation partition (not the affine pieces of the output map).

:func:`genericity` decides (i) exactly for a network on a domain; :func:`check_lemma2` checks the
inequality on every pair of regions and explains each violation when a hypothesis is dropped.

Run ``python -m vqgeom.lemmas.lemma2 --check`` for the exact check ``proofs/lemma2.md`` cites.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx
import numpy as np

from vqgeom.errors import InvalidInputError
from vqgeom.exact.arith import ExactContext, context
from vqgeom.lemmas._case import CatalogueEntry, catalogue_lines
from vqgeom.lemmas._check import main, report
from vqgeom.lemmas._pairs import MAX_WITNESSES, witness_simplifier, as_layer_weights, compare_pairs, graph_distances
from vqgeom.lemmas.lemma1 import partition_of
from vqgeom.lemmas.verdict import Verdict

__all__ = ["check_lemma2", "genericity", "Genericity", "output_map", "affine_pieces", "OMEGAS"]

OMEGAS = ("activation", "affine")


def _neuron(f):
    return f"neuron ({f[0]}, {f[1]})"


@dataclass
class Genericity:
    """Whether a partition is generic, with the exact reasons when it is not.

    Attributes
    ----------
    generic : bool
    multi_flip_facets : list of (i, j, flips)
        Facets across which more than one neuron changes sign.
    multi_vanish_facets : list of (i, j, neurons)
        Facets on which two or more neurons vanish identically (a (D-1)-dimensional set).
    vanishing : list of (region, neuron)
        Neurons whose pre-activation is identically 0 on a whole region (e.g. a neuron fed only
        by dead units, with zero bias): its sign there is the +1 convention, not geometry.
    """

    generic: bool
    multi_flip_facets: list = field(default_factory=list)
    multi_vanish_facets: list = field(default_factory=list)
    vanishing: list = field(default_factory=list)

    def reasons(self, limit: int = 3) -> list:
        out = []
        for i, j, flips in self.multi_flip_facets[:limit]:
            out.append(f"the facet between regions {i} and {j} flips {len(flips)} neurons: "
                       + ", ".join(_neuron(f) for f in flips))
        if len(self.multi_flip_facets) > limit:
            out.append(f"... {len(self.multi_flip_facets)} such facets in all")
        flipped = {(i, j) for i, j, _ in self.multi_flip_facets}
        extra = [t for t in self.multi_vanish_facets if (t[0], t[1]) not in flipped]
        for i, j, ns in extra[:limit]:
            out.append(f"on the facet between regions {i} and {j}, {len(ns)} neurons vanish: "
                       + ", ".join(_neuron(f) for f in ns))
        seen = set()
        for r, f in self.vanishing:
            if f in seen:
                continue
            seen.add(f)
            out.append(f"{_neuron(f)} is identically 0 on region {r} (a full-dimensional set)")
            if len(seen) >= limit:
                break
        return out


def _maps(net, code):
    return net.preactivation_maps(code)


def genericity(part) -> Genericity:
    """Decide genericity (i) of ``part.net`` on ``part.domain``, exactly.

    A facet's neurons vanish identically on it when their affine pre-activation maps (on a
    region containing the facet) are multiples of the map of a neuron that flips there.

    Examples
    --------
    >>> from vqgeom.network import Network
    >>> from vqgeom.regions import enumerate_regions
    >>> dead = Network([{"weight": [[1]], "bias": [0]}, {"weight": [[-1]], "bias": [0]}])
    >>> g = genericity(enumerate_regions(dead))   # layer 2 is -relu(x): 0 on x < 0
    >>> g.generic, g.multi_flip_facets[0][2]
    (False, ((0, 0), (1, 0)))
    """
    net = part.net.to_exact()
    maps = [_maps(net, code) for code in part.codes]
    relu = set(net.relu_layers)      # a max layer's rows are candidates, not units with walls at 0
    index = [(l, k) for l, k in net.neuron_index if l in relu]
    zero = Fraction(0)
    vanishing = []
    for r, ms in enumerate(maps):
        for l, (A, c) in enumerate(ms):
            if l not in relu:
                continue
            for k in range(A.shape[0]):
                if c[k] == 0 and all(v == 0 for v in A[k]):
                    vanishing.append((r, (l, k)))
    multi_flip, multi_vanish = [], []
    for i, j, data in part.graph.edges(data=True):
        # argmax walls of max layers flip no unit of d: a facet may change any number of
        # argmaxes along with at most one ReLU-type neuron (proofs/maxpool.md)
        flips = [f for f in data["flips"] if f[0] in relu]
        if len(flips) > 1 or not data["flips"]:
            multi_flip.append((min(i, j), max(i, j), tuple(data["flips"])))
        if not flips:
            continue
        f = flips[0]
        side = i
        a_f, c_f = maps[i][f[0]][0][f[1]], maps[i][f[0]][1][f[1]]
        if all(v == 0 for v in a_f):
            side = j
            a_f, c_f = maps[j][f[0]][0][f[1]], maps[j][f[0]][1][f[1]]
        p = next((k for k, v in enumerate(a_f) if v != zero), None)
        if p is None:
            continue
        vanish = []
        for (l, k) in index:
            a_m, c_m = maps[side][l][0][k], maps[side][l][1][k]
            lam = a_m[p] / a_f[p]
            if c_m == lam * c_f and all(x == lam * y for x, y in zip(a_m, a_f)):
                vanish.append((l, k))
        if len(vanish) > 1:
            multi_vanish.append((min(i, j), max(i, j), tuple(vanish)))
    generic = not (multi_flip or multi_vanish or vanishing)
    return Genericity(generic, sorted(multi_flip), sorted(multi_vanish), vanishing)


def output_map(net, code):
    """The exact affine map ``x -> M @ x + m`` of the network's output on the region of ``code``.

    Returns
    -------
    (M, m) : object arrays of Fractions, shapes (output_dim, D) and (output_dim,)
    """
    net = net.to_exact()
    H = ExactContext.to_fractions(context(net, "exact").output_map([np.asarray(s, dtype=bool) for s in code]))
    return H[:, :-1], H[:, -1]


def affine_pieces(part) -> tuple:
    """Merge facet-adjacent regions with equal affine output maps (exact comparison).

    Returns
    -------
    piece_of : list of int, the piece of each region
    graph : networkx.Graph on the pieces (adjacent when some of their regions are)
    """
    net = part.net.to_exact()
    keys = []
    for code in part.codes:
        M, m = output_map(net, code)
        keys.append((tuple(M.ravel()), tuple(m)))
    same = nx.Graph()
    same.add_nodes_from(range(part.n_regions))
    same.add_edges_from((i, j) for i, j in part.graph.edges() if keys[i] == keys[j])
    piece_of = [0] * part.n_regions
    for p, comp in enumerate(sorted(nx.connected_components(same), key=min)):
        for r in comp:
            piece_of[r] = p
    g = nx.Graph()
    g.add_nodes_from(range(max(piece_of, default=-1) + 1))
    g.add_edges_from((piece_of[i], piece_of[j]) for i, j in part.graph.edges() if piece_of[i] != piece_of[j])
    return piece_of, g


def _layer_weights(net, weights) -> list:
    """Per-layer weights of d: the given ones (one per ReLU-type layer) on the ReLU-type
    layers, 0 on max layers (d does not count a window's argmax)."""
    relu = net.relu_layers
    given = iter(as_layer_weights(weights, len(relu)))
    return [next(given) if l in relu else Fraction(0) for l in range(net.depth)]


def check_lemma2(net, domain=None, *, weights=None, omega: str = "activation", engine: str = "auto",
                 max_witnesses: int = MAX_WITNESSES, partition=None, name: str | None = None) -> Verdict:
    """Check Lemma 2, d(x, y; N) <= d_Omega(x, y), on every pair of regions, exactly.

    Parameters
    ----------
    net : Network
    domain : Box, "whole", None, BoxUnion, Plane or Line
        None is [-1, 1]^D. On a slice the check runs on the restricted network
        (:func:`vqgeom.restrict`) over the slice's (u, v) box; witnesses are in slice coordinates.
    weights : sequence of numbers, one per ReLU-type layer, optional
        The layer weights w_l > 0 of d (default 1). Any w_l > 1 drops hypothesis (ii). Max
        layers have no weight: d does not count a window's argmax (``details["weights"]``
        lists 0 for them).
    omega : {"activation", "affine"}
        The partition d_Omega is measured on: activation regions (the lemma's) or the affine
        pieces of the output map (adjacent regions with equal maps merged; drops (iii)).
    engine, max_witnesses, partition, name
        As in :func:`~vqgeom.lemmas.lemma1.check_lemma1`.

    Returns
    -------
    Verdict
        Hypotheses ``generic``, ``weights_le_1``, ``activation_partition`` (no convexity: the
        proof only uses the triangle inequality along a region path, so Lemma 2 holds on a
        union of boxes too); ``holds`` is True when no pair has d > d_Omega.

    Raises
    ------
    InvalidInputError
        For an unknown ``omega`` or bad ``weights``.

    Examples
    --------
    >>> from vqgeom.catalogue import sawtooth
    >>> from vqgeom.regions import Box
    >>> v = check_lemma2(sawtooth(3), Box(0, 1))
    >>> v.holds, v.n_regions, v.n_less > 0, v.details["max_d"], v.details["max_d_omega"]
    (True, 8, True, Fraction(3, 1), 7)
    >>> check_lemma2(sawtooth(3), Box(0, 1), weights=[1, 2, 1]).holds
    False
    """
    from vqgeom.network import load_network

    start = time.perf_counter()
    if omega not in OMEGAS:
        raise InvalidInputError(f"omega must be one of {', '.join(map(repr, OMEGAS))}, got {omega!r}")
    from vqgeom.regions.slices import on_slice

    net, domain = on_slice(net, domain)  # a Plane / Line: the restricted network on its (u, v) box
    net = load_network(net).to_exact()
    w = _layer_weights(net, weights)
    part = partition if partition is not None else partition_of(net, domain, engine=engine)
    gen = genericity(part)
    hyp = {
        "generic": gen.generic,
        "weights_le_1": all(v <= 1 for v in w),
        "activation_partition": omega == "activation",
    }
    notes = gen.reasons()
    heavy = [l for l, v in enumerate(w) if v > 1]
    if heavy:
        notes.append("layer weights above 1: " + ", ".join(f"w_{l} = {w[l]}" for l in heavy))
    n = part.n_regions
    if omega == "affine":
        piece_of, pgraph = affine_pieces(part)
        Dp = graph_distances(pgraph, pgraph.number_of_nodes())
        D = Dp[np.ix_(piece_of, piece_of)] if n else np.zeros((0, 0), dtype=np.int64)
        notes.append(f"Omega taken as the {pgraph.number_of_nodes()} affine pieces of the output map "
                     f"instead of the {n} activation regions")

        def path_of(i, j):
            return nx.shortest_path(pgraph, piece_of[i], piece_of[j])
    else:
        piece_of, pgraph = None, part.graph
        D = graph_distances(part.graph, n)

        def path_of(i, j):
            return nx.shortest_path(part.graph, i, j)

    def explain(i, j, d, dom):
        parts = []
        if omega == "affine":
            if piece_of[i] == piece_of[j]:
                parts.append(f"regions {i} and {j} have different codes but lie in one affine piece "
                             f"(piece {piece_of[i]}) of the output map, so d_Omega = 0")
            else:
                parts.append(f"the path runs through affine pieces {path_of(i, j)}; merging regions "
                             f"with equal output maps shortens it below the code distance")
            return "; ".join(parts)
        path = path_of(i, j)
        for a, b in zip(path, path[1:]):
            flips = [f for f in part.graph.edges[a, b]["flips"] if not net.layers[f[0]].is_max]
            if len(flips) > 1:
                parts.append(f"the facet between regions {a} and {b} flips {len(flips)} neurons "
                             f"({', '.join(_neuron(f) for f in flips)})")
            elif flips and w[flips[0][0]] > 1:
                parts.append(f"the facet between regions {a} and {b} flips {_neuron(flips[0])} of "
                             f"layer {flips[0][0]} with weight {w[flips[0][0]]} > 1")
        if dom < 0:
            parts.append("the regions lie in different components of the domain")
        return "; ".join(parts[:4])

    res = compare_pairs(part.codes, part.witnesses, net.widths, w, D, path_of, relation="le",
                        max_witnesses=max_witnesses, explain=explain,
                        point_of=witness_simplifier(part))
    subject = name or f"{net!r} on {part.domain!r}"
    details = {"engine": part.engine, "max_d": res["max_d"], "max_d_omega": res["max_d_omega"],
               "weights": w, "omega": omega}
    if omega == "affine":
        details["n_pieces"] = pgraph.number_of_nodes()
    return Verdict("lemma2", subject, holds=res["n_violations"] == 0, hypotheses=hyp, n_regions=n,
                   pairs_checked=res["pairs_checked"], n_less=res["n_less"], n_equal=res["n_equal"],
                   n_greater=res["n_greater"], n_violations=res["n_violations"],
                   violations=res["violations"], notes=notes, details=details,
                   seconds=time.perf_counter() - start)


def _cases() -> dict:
    """This claim's cases of the registry (:data:`vqgeom.lemmas.claims.CATALOGUE`)."""
    from vqgeom.catalogue import (box as _box, deep as _deep, generic_1d as _generic_1d, generic_2d
                                  as _generic_2d, maxpool_2d as _maxpool_2d, sawtooth,
                                  shared_facet_2d as _shared_facet_2d, u_shape as _u_shape)

    E = functools.partial(CatalogueEntry, checker=check_lemma2)
    entries = [
        # ------------------------------------------- Lemma 2, hypotheses met
        E("deep-1d-generic", "lemma2", "a generic 1-3-3-2 network on [-2, 2]",
          lambda: (_generic_1d(), _box(-2, 2, 1))),
        E("deep-2d-generic", "lemma2", "a generic 2-4-3 network on [-2, 2]^2",
          lambda: (_generic_2d(), _box(-2, 2, 2))),
        E("deep-2d-generic-weighted", "lemma2", "the same with layer weights (1, 1/2)",
          lambda: (_generic_2d(), _box(-2, 2, 2)), options={"weights": [1, "1/2"]}),
        E("deep-2d-maxpool", "lemma2",
          "ReLU, max pooling in pairs, ReLU on [-2, 2]^2: d counts the ReLU units (proofs/maxpool.md)",
          lambda: (_maxpool_2d(), _box(-2, 2, 2))),
        E("sawtooth-tent-5-lemma2", "lemma2", "the tent sawtooth of depth 5 on [0, 1] (strict d < d_Omega)",
          lambda: (sawtooth(5), _box(0, 1, 1))),
        E("sawtooth-printed-5-lemma2", "lemma2", "the printed sawtooth of depth 5 on [0, 1]",
          lambda: (sawtooth(5, "as_printed"), _box(0, 1, 1))),
        E("deep-2d-generic-nonconvex", "lemma2",
          "the generic 2-4-3 network on a U-shaped union of boxes (Lemma 2 needs no convexity)",
          lambda: (_generic_2d(), _u_shape())),
        E("deep-constant-neuron", "lemma2",
          "a pruned neuron in layer 2 (zero weights, bias 1/2): constant, never flips",
          lambda: (_deep([{"weight": [[1, 2], [-1, 1]], "bias": [0, "1/3"]},
                          {"weight": [[0, 0], [1, -1]], "bias": ["1/2", "-1/5"]}]), _box(-1, 1, 2))),
        E("deep-zero-neuron", "lemma2",
          "a layer-2 neuron with zero weights and zero bias vanishes everywhere: not generic, "
          "yet its sign never changes and the lemma still holds",
          lambda: (_deep([{"weight": [[1, 2], [-1, 1]], "bias": [0, "1/3"]},
                          {"weight": [[0, 0], [1, -1]], "bias": [0, "-1/5"]}]), _box(-1, 1, 2)),
          expect_hypotheses_met=False),
        # ------------------------------------------- Lemma 2, hypothesis dropped
        E("deep-shared-facet", "lemma2",
          "neurons of layers 1 and 2 vanish on one facet {x = 0, y < 0} (not generic)",
          lambda: (_shared_facet_2d(), _box(-1, 1, 2)), expect_holds=False, relaxed="generic"),
        E("deep-dead-input", "lemma2",
          "layer 2 is -relu(x): a dead input with zero bias, identically 0 on x < 0",
          lambda: (_deep([{"weight": [[1]], "bias": [0]}, {"weight": [[-1]], "bias": [0]}]), _box(-1, 1, 1)),
          expect_holds=False, relaxed="generic"),
        E("deep-duplicate-neuron", "lemma2", "a layer-2 neuron listed twice",
          lambda: (_deep([{"weight": [[1], [-1]], "bias": [0, "-1/2"]},
                          {"weight": [[1, 0], [1, 0]], "bias": ["-1/2", "-1/2"]}]), _box(-1, 1, 1)),
          expect_holds=False, relaxed="generic"),
        E("deep-weights-above-1", "lemma2", "the generic 2-4-3 network with layer weights (1, 2)",
          lambda: (_generic_2d(), _box(-2, 2, 2)), options={"weights": [1, 2]},
          expect_holds=False, relaxed="weights_le_1"),
        E("sawtooth-printed-affine-pieces", "lemma2",
          "the printed sawtooth (depth 4) with Omega = affine pieces (its output is 1 on [1/16, 1])",
          lambda: (sawtooth(4, "as_printed"), _box(0, 1, 1)), options={"omega": "affine"},
          expect_holds=False, relaxed="activation_partition"),
    ]
    return {e.name: e for e in entries}


#: name -> CatalogueEntry: this claim's cases (networks built only when a case runs)
CASES = _cases()


def _check_main() -> int:
    """Exact check cited by proofs/lemma2.md: every case of this claim in the registry."""
    return report("lemma2", catalogue_lines(CASES.values()))


if __name__ == "__main__":  # pragma: no cover
    main("lemma2", _check_main)
