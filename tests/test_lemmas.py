"""Lemma 1 and Lemma 2 as laws (hypothesis), their hypotheses' counterexamples, exact witnesses."""

import json
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vqgeom import Network
from vqgeom.catalogue import arrangement
from vqgeom.lemmas.claims import CATALOGUE
from vqgeom.errors import InvalidInputError
from vqgeom.lemmas import (BoxUnion, check_lemma1, check_lemma2, duplicate_hyperplanes, genericity,
                           touching_graph)
from vqgeom.lemmas._pairs import graph_distances, layer_hamming
from vqgeom.regions import Box, enumerate_regions
from vqgeom.testing import arrangements, deep_networks, in_general_position


def _check_witness(net, v, part_graph=None):
    """Every stored violation is an exact, self-consistent witness."""
    for w in v.violations:
        sx = [tuple(bool(s) for s in layer[0]) for layer in net.to_exact().signs([list(w.x)])]
        sy = [tuple(bool(s) for s in layer[0]) for layer in net.to_exact().signs([list(w.y)])]
        assert tuple(sx) == tuple(w.code_x) and tuple(sy) == tuple(w.code_y)
        assert all(isinstance(c, Fraction) for c in w.x + w.y)
        ham = sum(a != b for la, lb in zip(w.code_x, w.code_y) for a, b in zip(la, lb))
        if v.claim == "lemma1":
            assert w.d == ham
        if w.d_omega >= 0 and part_graph is not None:
            assert len(w.path) == w.d_omega + 1
            assert all(part_graph.has_edge(a, b) for a, b in zip(w.path, w.path[1:]))


# ------------------------------------------------------------------------------- Lemma 1
# in 1-D distinct points are always in general position: only "any" there
@pytest.mark.parametrize("dim, kind", [(1, "any"), (2, "any"), (2, "general_position"), (2, "degenerate")])
@given(data=st.data())
def test_lemma1_equality_any_position(dim, kind, data):
    net = data.draw(arrangements(dim=dim, min_size=2 if kind == "degenerate" else 1, max_size=5, kind=kind))
    v = check_lemma1(net, Box(-2, 2, dim=dim))
    assert v.hypotheses_met
    assert v.holds and v.n_less == 0 and v.n_greater == 0
    assert v.n_equal == v.pairs_checked == v.n_regions * (v.n_regions - 1) // 2


@settings(max_examples=8)
@given(net=arrangements(dim=3, max_size=4, kind="any"))
def test_lemma1_equality_3d(net):
    v = check_lemma1(net, Box(-1, 1, dim=3))
    assert v.holds and v.n_equal == v.pairs_checked


@settings(max_examples=8)
@given(net=arrangements(dim=2, min_size=2, max_size=4, kind="degenerate"))
def test_lemma1_on_whole_plane(net):
    v = check_lemma1(net, "whole")
    assert v.holds and v.n_regions >= 2


@pytest.mark.parametrize("dim", [1, 2])
@given(data=st.data())
def test_lemma1_duplicate_hyperplane_is_caught(dim, data):
    net = data.draw(arrangements(dim=dim, max_size=3, kind="duplicated"))
    part = enumerate_regions(net, Box(-3, 3, dim=dim))
    v = check_lemma1(net, partition=part)
    assert not v.hypotheses["distinct_hyperplanes"]
    assert duplicate_hyperplanes(net)
    # the duplicated hyperplane may miss the box; when it cuts it, a facet flips both copies
    cut = any(len(f) > 1 for _, _, f in part.graph.edges(data="flips"))
    assert (not v.holds) == cut
    if cut:
        assert v.n_greater > 0 and "at once" in v.violations[0].explanation
        _check_witness(net, v, part.graph)


def test_duplicate_detection_both_orientations():
    net = arrangement([[1, 2], [0, 1], [-2, -4], [3, 6]], [1, 0, -2, 3])
    assert duplicate_hyperplanes(net) == [(0, 2, Fraction(-2)), (0, 3, Fraction(3)),
                                          (2, 3, Fraction(-3, 2))]
    assert duplicate_hyperplanes(arrangement([[1, 2], [1, 3]], [0, 0])) == []


def test_touching_graph_adds_exactly_the_vertex_pairs():
    net = arrangement([[1, 0], [0, 1], [1, 1]], [0, 0, "-1/2"])
    part = enumerate_regions(net, Box(-1, 1, dim=2))
    g = touching_graph(part)
    extra = [(i, j) for i, j in g.edges() if not part.graph.has_edge(i, j)]
    assert extra  # e.g. the quadrants (+, -) and (-, +) meet at the origin only
    for i, j in extra:
        ci, cj = part.codes[i][0], part.codes[j][0]
        assert sum(a != b for a, b in zip(ci, cj)) >= 2
    v = check_lemma1(net, partition=part, adjacency="touching")
    assert not v.holds and not v.hypotheses["facet_adjacency"] and v.n_greater >= len(extra)
    assert v.n_less == 0  # touching only adds edges: d_Omega can only shrink
    assert "only touch at the point" in v.violations[0].explanation


def test_touching_needs_a_planar_box():
    net = arrangement([[1, 0, 0]], [0])
    with pytest.raises(InvalidInputError, match="D = 2"):
        check_lemma1(net, Box(-1, 1, dim=3), adjacency="touching")
    with pytest.raises(InvalidInputError, match="adjacency"):
        check_lemma1(arrangement([[1]], [0]), adjacency="near")


def test_nonconvex_union_violates_lemma1():
    net, dom = CATALOGUE["arrangement-nonconvex"].build()
    v = check_lemma1(net, dom, max_witnesses=100)
    assert not v.holds and not v.hypotheses["convex_domain"] and v.n_less > 0 and v.n_greater == 0
    same = [w for w in v.violations if w.code_x == w.code_y]  # one cell, two regions
    assert same and all(w.d == 0 and w.d_omega == 2 for w in same)


def test_unreachable_regions_count_as_d_below_d_omega():
    # two separate strips, each cut by x = 1/2: 4 regions, only the 2 pairs inside a strip connected
    net = arrangement([[1, 0]], ["-1/2"])
    U = BoxUnion([Box([0, 0], [1, 1]), Box([0, 2], [1, 3])])
    v = check_lemma1(net, U, max_witnesses=10)
    assert v.n_regions == 4 and v.pairs_checked == 6
    assert (v.n_less, v.n_equal, v.n_greater) == (4, 2, 0)       # d_Omega = infinity on 4 pairs
    assert not v.holds and not v.hypotheses["convex_domain"]
    assert sorted(w.d for w in v.violations) == [0, 0, 1, 1] and all(w.d_omega == -1 for w in v.violations)
    assert all(w.path == () for w in v.violations)
    v2 = check_lemma2(net, U)                                      # d <= infinity: no violation
    assert v2.holds and (v2.n_less, v2.n_equal, v2.n_greater) == (4, 2, 0)


def test_union_of_a_single_box_is_the_box():
    net = arrangement([[1, 2], [-1, 1]], [0, "1/3"])
    U = BoxUnion([Box([-1, -1], [1, 1])])
    a = check_lemma1(net, U)
    b = check_lemma1(net, Box(-1, 1, dim=2))
    assert a.hypotheses["convex_domain"] and a.n_regions == b.n_regions and a.holds
    # splitting the box into two touching halves changes nothing either
    halves = BoxUnion([Box([-1, -1], [0, 1]), Box([0, -1], [1, 1])])
    c = check_lemma1(net, halves)
    assert c.n_regions == b.n_regions and c.holds
    assert c.hypotheses["convex_domain"] and c.hypotheses_met   # the union is the box itself


@pytest.mark.parametrize("boxes, convex", [
    ([([-1, -1], [0, 1]), ([0, -1], [1, 1])], True),             # two halves of a box
    ([([0, 0], [2, 1]), ([1, 0], [3, 1]), ([0, 1], [3, 2])], True),  # overlapping pieces of [0,3]x[0,2]
    ([([0, 0], [3, 1]), ([0, 0], [1, 3])], False),               # an L shape
    ([([0, 0], [1, 1]), ([0, 2], [1, 3])], False),               # a gap
    ([([0, 0], [1, 1]), ([1, 1], [2, 2])], False),               # two boxes touching at a corner
    ([([0], [1]), (["1/2"], [2])], True),
    ([([0], [1]), ([2], [3])], False),
])
def test_boxunion_convexity_is_decided_exactly(boxes, convex):
    assert BoxUnion(boxes).is_convex() == convex


def test_boxunion_rejects_bad_input():
    with pytest.raises(InvalidInputError, match="at least one"):
        BoxUnion([])
    with pytest.raises(InvalidInputError, match="dimensions"):
        BoxUnion([Box([0], [1]), Box([0, 0], [1, 1])])


# ------------------------------------------------------------------------------- Lemma 2
@pytest.mark.parametrize("dim", [1, 2])
@given(data=st.data())
def test_lemma2_on_generic_deep_networks(dim, data):
    net = data.draw(deep_networks(dim=dim, width=(1, 3), generic=True))
    part = enumerate_regions(net, Box(-1, 1, dim=dim))
    v = check_lemma2(net, partition=part)
    assert v.hypotheses_met and v.holds and v.n_greater == 0
    # law: adjacent regions of a generic network differ in exactly one neuron
    for i, j, flips in part.graph.edges(data="flips"):
        ci = [s for layer in part.codes[i] for s in layer]
        cj = [s for layer in part.codes[j] for s in layer]
        assert len(flips) == 1 and sum(a != b for a, b in zip(ci, cj)) == 1
    # any weights w_l <= 1 keep it
    w = data.draw(st.lists(st.fractions(Fraction(1, 4), 1, max_denominator=4), min_size=net.depth,
                           max_size=net.depth))
    assert check_lemma2(net, partition=part, weights=w).holds


@settings(max_examples=6)
@given(net=deep_networks(dim=3, depth=(2, 2), width=(1, 3), generic=True))
def test_lemma2_3d(net):
    assert check_lemma2(net).holds


@given(net=deep_networks(dim=2, width=(1, 3), generic=True))
def test_lemma2_weights_above_one_break_it_when_a_later_layer_cuts(net):
    part = enumerate_regions(net)
    w = [1] * (net.depth - 1) + [2]
    v = check_lemma2(net, partition=part, weights=w)
    cut_last = any(f[0][0] == net.depth - 1 for _, _, f in part.graph.edges(data="flips"))
    assert not v.hypotheses["weights_le_1"]
    assert (not v.holds) == cut_last


@given(net=deep_networks(dim=2, width=(1, 3)))
def test_pseudometric_axioms(net):
    part = enumerate_regions(net)
    n = part.n_regions
    Do = graph_distances(part.graph, n)
    d = sum(layer_hamming(part.codes, net.widths))
    for M in (d, Do):
        assert (M >= 0).all() and (np.diag(M) == 0).all() and (M == M.T).all()
        assert (M[:, None, :] <= M[:, :, None] + M[None, :, :]).all()  # d(i,k) <= d(i,j) + d(j,k)
    # d_Omega agrees with networkx and with the Partition's own distances
    ref = dict(nx.all_pairs_shortest_path_length(part.graph))
    assert all(Do[i, j] == ref[i][j] for i in range(n) for j in range(n))


def test_genericity_detects_dead_input_and_shared_facets():
    g = genericity(enumerate_regions(CATALOGUE["deep-dead-input"].build()[0], Box(-1, 1, dim=1)))
    assert not g.generic and g.vanishing and g.vanishing[0][1] == (1, 0)
    net, dom = CATALOGUE["deep-shared-facet"].build()
    g = genericity(enumerate_regions(net, dom))
    assert not g.generic and any(set(f) == {(0, 0), (1, 0)} for _, _, f in g.multi_flip_facets)
    net, dom = CATALOGUE["deep-2d-generic"].build()
    assert genericity(enumerate_regions(net, dom)).generic


def test_genericity_sees_vanishing_without_flip():
    # layer 2: relu(x) - relu(-x) ... built as x = relu(x) - relu(-x) vanishes with both layer-1 neurons;
    # layer 1 neurons x and -x are one hyperplane: two neurons vanish on x = 0
    net = Network([{"weight": [[1], [-1]], "bias": [0, 0]},
                   {"weight": [[1, -1]], "bias": [0]}], exact=True)
    g = genericity(enumerate_regions(net))
    assert not g.generic
    assert any(len(ns) == 3 for _, _, ns in g.multi_vanish_facets)


def test_genericity_sees_a_neuron_vanishing_on_a_facet_it_does_not_cross():
    # layer 1 is |x|, layer 2 reads it: on x = 0 two neurons vanish, only one flips (the
    # layer-2 neuron is >= 0 on both sides); no other reason for non-genericity is present
    net = Network([{"weight": [[1, 0]], "bias": [0], "activation": "abs"}, {"weight": [[1]], "bias": [0]}],
                  exact=True)
    g = genericity(enumerate_regions(net))
    assert not g.generic and not g.multi_flip_facets and not g.vanishing
    assert [ns for _, _, ns in g.multi_vanish_facets] == [((0, 0), (1, 0))]
    # moved off the facet (bias -1/2) the two zero sets only cross: generic
    moved = Network([{"weight": [[1, 0]], "bias": [0], "activation": "abs"}, {"weight": [[1]], "bias": ["-1/2"]}],
                    exact=True)
    assert genericity(enumerate_regions(moved)).generic


def test_affine_pieces_break_lemma2():
    v = CATALOGUE["sawtooth-printed-affine-pieces"].check()
    assert not v.holds and not v.hypotheses["activation_partition"]
    assert v.details["n_pieces"] == 2 and v.n_regions == 5
    w = v.violations[0]
    assert w.d == 4 and w.d_omega == 1
    # with the activation partition the same network satisfies the lemma with equality
    net, dom = CATALOGUE["sawtooth-printed-affine-pieces"].build()
    v2 = check_lemma2(net, dom)
    assert v2.holds and v2.n_equal == v2.pairs_checked


def test_lemma2_needs_no_convexity():
    v = CATALOGUE["deep-2d-generic-nonconvex"].check()
    assert v.holds and v.hypotheses_met and isinstance(CATALOGUE["deep-2d-generic-nonconvex"].build()[1], BoxUnion)


@pytest.mark.parametrize("name", [n for n, e in CATALOGUE.items() if not e.expect_holds])
def test_every_relaxed_case_shows_and_explains_its_violation(name):
    entry = CATALOGUE[name]
    net, dom = entry.build()
    v = entry.check()
    assert not v.holds and v.n_violations > 0 and v.violations
    assert v.hypotheses[entry.relaxed] is False
    assert v.notes and all(w.explanation for w in v.violations)
    graph = None
    if entry.claim == "lemma1" and entry.options.get("adjacency") != "touching" and not isinstance(dom, BoxUnion):
        graph = enumerate_regions(net, dom).graph
    _check_witness(net, v, graph)
    doc = json.loads(json.dumps(v.to_dict()))
    assert doc["n_violations"] == v.n_violations and doc["violations"][0]["d"] == str(v.violations[0].d)


def test_verdict_caps_witnesses_but_counts_all():
    entry = CATALOGUE["deep-weights-above-1"]
    net, dom = entry.build()
    v = check_lemma2(net, dom, weights=[1, 2], max_witnesses=2)
    assert len(v.violations) == 2 and v.n_violations > 2
    gaps = [w.d - w.d_omega for w in v.violations]
    assert gaps == sorted(gaps, reverse=True)


def test_bad_arguments():
    net = CATALOGUE["deep-2d-generic"].build()[0]
    with pytest.raises(InvalidInputError, match="omega"):
        check_lemma2(net, omega="pieces")
    with pytest.raises(InvalidInputError, match="weights"):
        check_lemma2(net, weights=[1])
    with pytest.raises(InvalidInputError, match=r"weights\[1\] must be > 0"):
        check_lemma2(net, weights=[1, 0])


def test_in_general_position_oracle():
    assert in_general_position([[1, 0], [0, 1]], [0, 0])
    assert not in_general_position([[1, 0], [2, 0]], [0, 1])  # parallel
