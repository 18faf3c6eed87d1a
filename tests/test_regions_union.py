"""Unions of boxes through ``enumerate_regions``: regions are connected pieces of cells."""

from fractions import Fraction as F

import numpy as np
import pytest

from vqgeom import Network
from vqgeom.lemmas import BoxUnion
from vqgeom.regions import Box, enumerate_regions


def _net(dim, seed=0, widths=(4, 3)):
    rng = np.random.default_rng(seed)
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": [[str(F(int(v), 2)) for v in row] for row in rng.integers(-3, 4, (w, d))],
                       "bias": [str(F(int(v), 4)) for v in rng.integers(-3, 4, w)]})
        d = w
    return Network(layers, exact=True)


def _halves(dim):
    lo, hi = [-1] * dim, [1] * dim
    mid_hi = [0] + [1] * (dim - 1)
    mid_lo = [0] + [-1] * (dim - 1)
    return BoxUnion([Box(lo, mid_hi), Box(mid_lo, hi)])


def _same_partition(a, b):
    """Same codes (as a multiset) and the same adjacency graph up to relabelling by code."""
    assert sorted(a.codes) == sorted(b.codes)
    assert len(set(a.codes)) == a.n_regions
    ea = {frozenset((a.codes[i], a.codes[j])) for i, j in a.graph.edges}
    eb = {frozenset((b.codes[i], b.codes[j])) for i, j in b.graph.edges}
    assert ea == eb


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_two_halves_of_a_cube_give_the_cube_partition(dim):
    net = _net(dim, seed=dim, widths=(4, 3))
    box = enumerate_regions(net, Box(-1, 1, dim=dim))
    union = enumerate_regions(net, _halves(dim))
    assert isinstance(union.domain, BoxUnion)
    _same_partition(union, box)


def _l_shape(dim):
    """[0, 2] x [0, 1] x [0, 1]^(dim-2) and [0, 1] x [0, 2] x [0, 1]^(dim-2), shifted to -1; D = 1: a gap."""
    if dim == 1:
        return BoxUnion([Box([-1], [0]), Box(["1/2"], [1])])
    rest = [1] * (dim - 2)
    return BoxUnion([Box([-1] * dim, [1, 0] + rest), Box([-1] * dim, [0, 1] + rest)])


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_a_non_convex_union_is_answered_as_the_wall_construction_answers(dim):
    from vqgeom.lemmas.union import enumerate_union

    net = _net(dim, seed=10 + dim, widths=(4, 2))
    got = enumerate_regions(net, _l_shape(dim))
    ref = enumerate_union(net, _l_shape(dim))
    assert got.n_regions == ref.n_regions and got.n_adjacencies == ref.n_adjacencies
    assert sorted(got.codes) == sorted(ref.codes)
    got.verify()
