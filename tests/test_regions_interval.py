"""The 1-D engine: Zaslavsky's count, exact breakpoints, budget errors, and an exact certificate
of every region on random degenerate networks (duplicate/dead neurons, roots on the box ends)."""

from fractions import Fraction
from itertools import pairwise
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vqgeom import Network, enumerate_regions
from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.regions import Box
from vqgeom.regions.domain import Whole
from vqgeom.regions.interval import enumerate_partition


def _one_layer(slopes, biases):
    return Network([{"weight": [[s] for s in slopes], "bias": list(biases)}])


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=12, unique=True))
def test_distinct_roots_on_the_line_give_n_plus_one_intervals(roots):
    # n distinct points in general position on R: sum_{i<=1} C(n, i) = 1 + n regions
    slopes = [1 if k % 2 else -2 for k in range(len(roots))]
    biases = [-s * r for s, r in zip(slopes, roots)]
    part = enumerate_regions(_one_layer(slopes, biases), "whole")
    assert part.n_regions == comb(len(roots), 0) + comb(len(roots), 1)
    # the facet witnesses are the roots themselves, exactly, in increasing order
    facets = [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(part.n_regions - 1)]
    assert facets == sorted(Fraction(r) for r in roots)
    # every edge flips exactly one neuron and that neuron's root is the breakpoint
    for i in range(part.n_regions - 1):
        (l, j), = part.graph.edges[i, i + 1]["flips"]
        assert l == 0 and Fraction(roots[j]) == facets[i]


def test_coincident_roots_flip_together():
    # two neurons with the same root 1/3 (opposite orientation) and one at -2
    net = _one_layer(["1", "-3", "1"], ["-1/3", "1", "2"])
    part = enumerate_regions(net, "whole")
    assert part.n_regions == 3
    assert part.graph.edges[1, 2]["flips"] == ((0, 0), (0, 1))
    assert part.graph.edges[1, 2]["facet_witness"] == (Fraction(1, 3),)


def test_witness_codes_match():
    rng = np.random.default_rng(0)
    net = Network([{"weight": rng.normal(size=(6, 1)), "bias": rng.normal(size=6)},
                   {"weight": rng.normal(size=(5, 6)), "bias": rng.normal(size=5)}])
    part = enumerate_regions(net, "whole")
    exact = net.to_exact()
    for code, w in zip(part.codes, part.witnesses):
        got = tuple(tuple(bool(v) for v in layer[0]) for layer in exact.signs([w]))
        assert got == code
    # adjacent regions differ exactly in their listed flips
    for i, j, data in part.graph.edges(data=True):
        diff = {(l, k) for l, (u, v) in enumerate(zip(part.codes[i], part.codes[j]))
                for k, (a, b) in enumerate(zip(u, v)) if a != b}
        assert diff == set(data["flips"]) and diff


def test_deep_sawtooth_tent_map_gives_2_to_the_L_intervals():
    # tent map f(z) = 2z - 2 relu(2z - 1) on [0, 1], written as relu(2z) - relu(4z - 2)
    L = 5
    layers = [{"weight": [["2"], ["4"]], "bias": ["0", "-2"]}]
    for _ in range(L - 1):
        layers.append({"weight": [["2", "-2"], ["4", "-4"]], "bias": ["0", "-2"]})
    part = enumerate_regions(Network(layers), Box(0, 1))
    assert part.n_regions == 2 ** L


def test_box_versus_whole_and_float_mode():
    net = _one_layer([1.0, 1.0, 1.0], [0.0, -2.0, 3.0])
    assert enumerate_regions(net, "whole").n_regions == 4
    assert enumerate_regions(net).n_regions == 2          # [-1, 1] holds only the root 0
    fl = enumerate_regions(net, Box(-5, 5), arithmetic="float")
    assert fl.n_regions == 4 and fl.arithmetic == "float"
    assert all(isinstance(w[0], float) for w in fl.witnesses)


def test_root_on_the_box_boundary_does_not_split():
    net = _one_layer(["1"], ["1"])                         # root at -1, the box's lower end
    assert enumerate_regions(net, Box(-1, 1)).n_regions == 1


def test_budget_and_bad_arguments():
    net = _one_layer([1] * 7, [-k for k in range(7)])
    with pytest.raises(RegionBudgetExceeded) as info:
        enumerate_regions(net, "whole", max_regions=3)
    assert info.value.n_found > 3 and "found" in str(info.value)
    with pytest.raises(InvalidInputError, match="max_regions"):
        enumerate_regions(net, max_regions=0)
    with pytest.raises(InvalidInputError, match="arithmetic"):
        enumerate_regions(net, arithmetic="interval")
    with pytest.raises(InvalidInputError, match="'interval', 'polygon'"):
        enumerate_regions(net, engine="simplex")


# --------------------------------------------------------------------------------------
# The engine against an independent exact certificate. For every region (a, b) the layer
# maps of its code (Network.preactivation_maps, Fractions) are checked to keep every
# neuron's sign equal to the code on the whole open interval, layer by layer (so the map of
# layer l is valid there); neighbours must differ in code exactly by their flips, the
# intervals must tile the domain, and each witness must lie inside with the right code.

def _sign_holds(slope, value_at, a, b, positive):
    """Affine pre(x) has sign class ``positive`` (>= 0) / negative (< 0) on (a, b)."""
    ends = [value_at(t) for t in (a, b) if t is not None]
    if positive:
        ok = all(v >= 0 for v in ends)
        ok &= (a is not None or slope <= 0) and (b is not None or slope >= 0)
        return ok
    if slope == 0 and value_at(Fraction(0)) == 0:
        return False                          # identically zero is >= 0
    ok = all(v <= 0 for v in ends)
    ok &= (a is not None or slope >= 0) and (b is not None or slope <= 0)
    return ok


def _certify(part, net, domain):
    exact = net.to_exact()
    n = part.n_regions
    facets = [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(n - 1)]
    assert part.n_adjacencies == n - 1
    if isinstance(domain, Whole):
        ends = [None, *facets, None]
    else:
        ends = [domain.lower[0], *facets, domain.upper[0]]
    assert all(type(t) is Fraction for t in ends if t is not None)
    assert all(u < v for u, v in pairwise(ends) if u is not None and v is not None)
    for i, code in enumerate(part.codes):
        a, b = ends[i], ends[i + 1]
        maps = exact.preactivation_maps([np.array(c) for c in code])
        assert len(maps) == exact.depth
        for l, (A, c) in enumerate(maps):
            for j in range(len(c)):
                s, off = A[j, 0], c[j]
                assert _sign_holds(s, lambda t, s=s, off=off: s * t + off, a, b, code[l][j]), (i, l, j)
        (w,) = part.witnesses[i]
        assert type(w) is Fraction and (a is None or a < w) and (b is None or w < b)
        got = tuple(tuple(bool(v) for v in layer[0]) for layer in exact.signs([[w]]))
        assert got == code
    for i in range(n - 1):
        diff = {(l, k) for l, (u, v) in enumerate(zip(part.codes[i], part.codes[i + 1]))
                for k, (x, y) in enumerate(zip(u, v)) if x != y}
        assert diff and diff == set(part.graph.edges[i, i + 1]["flips"])


def _random_net(seed):
    """Small-integer exact networks, full of coincidences: duplicate and dead neurons, zero
    biases, roots on the box ends, leaky / abs / skip layers."""
    rng = np.random.default_rng(seed)
    layers, d = [], 1
    for l in range(int(rng.integers(1, 4))):
        n = int(rng.integers(1, 6))
        W = rng.integers(-3, 4, size=(n, d))
        b = rng.integers(-3, 4, size=n) * int(rng.integers(0, 2))       # sometimes all zero
        if l == 0:
            W[W[:, 0] == 0, 0] = 1
        else:
            dead = rng.random(n) < 0.2
            W[dead], b[dead] = 0, -1                                     # dead neurons
        if n > 1 and rng.random() < 0.4:                                 # a duplicate neuron
            W[-1], b[-1] = W[0] * int(rng.integers(1, 3)), b[0] * 1
        lay = {"weight": [[str(v) for v in row] for row in W], "bias": [str(v) for v in b],
               "activation": ["relu", "leaky_relu", "abs"][int(rng.integers(0, 3))],
               "negative_slope": "1/4"}
        if rng.random() < 0.3:
            e = int(rng.integers(1, 3))
            lay["skip"] = rng.integers(-2, 3, size=(e, d)).astype(str).tolist()
            lay["out"] = rng.integers(-2, 3, size=(e, n)).astype(str).tolist()
            lay["out_bias"] = rng.integers(-2, 3, size=e).astype(str).tolist()
            d = e
        else:
            d = n
        layers.append(lay)
    return Network(layers)


@given(st.integers(0, 2 ** 32 - 1))
def test_random_degenerate_networks_against_the_certificate(seed):
    net = _random_net(seed)
    W0, b0 = net.layers[0].weight, net.layers[0].bias
    root = -b0[0] / W0[0, 0]                              # a box end exactly on a breakpoint
    for domain in (Whole(), Box(-2, 3), Box(root, root + 2), Box(root - Fraction(1, 3), root)):
        _certify(enumerate_partition(net, domain), net, domain)


def test_coincidences_duplicates_and_dead_neurons():
    # layer 1: duplicate roots at 0 (also the box's lower end) and at 1/2; layer 2: a dead
    # neuron, a constant one (zero row, bias 0: pre = 0, sign +), and x - relu(4x - 2)
    # (leaky, slope 1/2), whose root 2/3 lies in the last first-layer piece
    net = Network([
        {"weight": [["1"], ["2"], ["-2"], ["4"]], "bias": ["0", "0", "1", "-2"]},
        {"weight": [["0", "0", "0", "0"], ["0", "0", "0", "0"], ["1", "0", "0", "-1"]],
         "bias": ["-1", "0", "0"], "activation": "leaky_relu", "negative_slope": "1/2"},
    ])
    for domain in (Whole(), Box(0, 1), Box(-1, 0)):
        part = enumerate_partition(net, domain)
        _certify(part, net, domain)
    part = enumerate_partition(net, Whole())
    assert [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(part.n_regions - 1)] == [
        Fraction(0), Fraction(1, 2), Fraction(2, 3)]
    assert all(code[1][:2] == (False, True) for code in part.codes)
    assert part.graph.edges[0, 1]["flips"] == ((0, 0), (0, 1))
    assert part.graph.edges[1, 2]["flips"] == ((0, 2), (0, 3))
    assert part.graph.edges[2, 3]["flips"] == ((1, 2),)
    assert enumerate_partition(net, Box(0, Fraction(1, 2))).n_regions == 1


def test_anchor_zero_on_the_line_is_a_breakpoint_only_when_one():
    # on R the engine starts from the point 0; it must survive exactly when a root is 0
    for biases, expected in ((["0"], [Fraction(0)]), (["1"], [Fraction(-1)]),
                             (["0", "-1"], [Fraction(0), Fraction(1)])):
        net = Network([{"weight": [["1"]] * len(biases), "bias": biases}])
        part = enumerate_partition(net, Whole())
        got = [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(part.n_regions - 1)]
        assert got == expected
        _certify(part, net, Whole())


def test_roots_beyond_the_last_breakpoints_on_the_line():
    # a second-layer root far left of every first-layer breakpoint, found from value + slope
    net = Network([{"weight": [["1"]], "bias": ["0"], "activation": "abs"},
                   {"weight": [["1"], ["-1"]], "bias": ["-100", "7"]}])
    part = enumerate_partition(net, Whole())
    got = [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(part.n_regions - 1)]
    assert got == [Fraction(-100), Fraction(-7), Fraction(0), Fraction(7), Fraction(100)]
    _certify(part, net, Whole())


def test_float_mode_matches_exact_on_generic_networks():
    rng = np.random.default_rng(3)
    net = Network([{"weight": rng.normal(size=(8, 1)), "bias": rng.normal(size=8)},
                   {"weight": rng.normal(size=(8, 8)), "bias": rng.normal(size=8), "activation": "abs"},
                   {"weight": rng.normal(size=(6, 8)), "bias": rng.normal(size=6)}])
    for domain in (Whole(), Box(-2, 2)):
        ex = enumerate_partition(net.to_exact(), domain)
        fl = enumerate_partition(net, domain, arithmetic="float")
        _certify(ex, net, domain)
        assert fl.codes == ex.codes
        assert np.allclose([w[0] for w in fl.witnesses], [float(w[0]) for w in ex.witnesses])


def test_progress_and_budget_per_layer():
    calls = []
    net = Network([{"weight": [["1"], ["1"]], "bias": ["0", "-1"]},
                   {"weight": [["1", "1"]], "bias": ["-3"]}])
    part = enumerate_partition(net, Whole(), progress=lambda n, stage: calls.append((n, stage)))
    assert calls == [(3, "layer 1/2"), (4, "layer 2/2")] and part.n_regions == 4
    with pytest.raises(RegionBudgetExceeded):
        enumerate_partition(net, Whole(), max_regions=3)
    assert enumerate_partition(net, Whole(), max_regions=4).n_regions == 4


def test_wide_shallow_sawtooth_equivalent():
    from vqgeom.catalogue import sawtooth, shallow_equivalent

    deep = enumerate_partition(sawtooth(6), Box(0, 1))
    sh = shallow_equivalent(sawtooth(6), Box(0, 1))
    part = enumerate_partition(sh, Box(0, 1))
    facets = [part.graph.edges[i, i + 1]["facet_witness"][0] for i in range(part.n_regions - 1)]
    assert facets == [Fraction(k, 64) for k in range(1, 64)] == [
        deep.graph.edges[i, i + 1]["facet_witness"][0] for i in range(deep.n_regions - 1)]
    _certify(part, sh, Box(0, 1))


def test_sawtooth_check_enumerates_the_1023_neuron_shallow_equivalent():
    # the "auto" shallow check now covers depth 10 (it was capped at 255 neurons)
    from vqgeom.lemmas.sawtooth import check_sawtooth

    v = check_sawtooth(10)
    assert v.holds and v.details["shallow_lemma1_checked"]
    assert v.details["shallow_neurons"] == 1023 and v.n_regions == 1024


def test_the_certificate_rejects_wrong_partitions():
    from vqgeom.regions.partition import Partition

    net = Network([{"weight": [["1"], ["1"]], "bias": ["0", "-1"]},
                   {"weight": [["1", "-2"]], "bias": ["-1/2"]}])
    good = enumerate_partition(net, Whole())
    _certify(good, net, Whole())
    edges = [(i, j, d["flips"], d["facet_witness"]) for i, j, d in good.graph.edges(data=True)]
    codes = [list(map(list, c)) for c in good.codes]
    codes[1][1][0] = not codes[1][1][0]                   # a wrong bit
    bad = Partition(net, Whole(), codes, good.witnesses, edges, arithmetic="exact", engine="x")
    with pytest.raises(AssertionError):
        _certify(bad, net, Whole())
    # a missed breakpoint: the first two regions merged
    merged = Partition(net, Whole(), good.codes[1:], good.witnesses[1:],
                       [(i - 1, j - 1, f, w) for i, j, f, w in edges[1:]], arithmetic="exact", engine="x")
    with pytest.raises(AssertionError):
        _certify(merged, net, Whole())
