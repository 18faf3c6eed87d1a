"""The 1-D engine: Zaslavsky's count for points on a line, exact breakpoints, budget errors."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Network, enumerate_regions
from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.regions import Box


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
