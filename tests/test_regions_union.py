"""Unions of boxes through ``enumerate_regions``: regions are connected pieces of cells."""

from fractions import Fraction as F

import networkx as nx
import numpy as np
import pytest

from vqgeom import Network
from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.exact.certificates import check_facet
from vqgeom.lemmas import BoxUnion
from vqgeom.regions import Box, enumerate_regions

try:  # cddlib's exact LPs: the optional extra vqgeom[exact]
    import cdd.gmp  # noqa: F401
    needs_cdd = pytest.mark.skipif(False, reason="")
except ImportError:
    needs_cdd = pytest.mark.skip(reason="pycddlib with GMP (vqgeom[exact]) is not installed")


def _net(dim, seed=0, widths=(4, 3)):
    rng = np.random.default_rng(seed)
    layers, d = [], dim
    for w in widths:
        W = rng.integers(-3, 4, (w, d))
        W[~W.any(axis=1), 0] = 1                     # a first-layer neuron needs a hyperplane
        layers.append({"weight": [[str(F(int(v), 2)) for v in row] for row in W],
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
    assert nx.is_isomorphic(got.graph, ref.graph, node_match=lambda a, b: a["code"] == b["code"])
    for i, j, data in got.graph.edges(data=True):           # every facet witness is exact
        check_facet(net, got.codes[i], got.codes[j], data["facet_witness"])
    got.verify()


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_a_facet_lying_on_the_wall_between_boxes_is_found(dim):
    # the first neuron's hyperplane x_0 = 0 is the wall; a deeper neuron bends along it
    W0 = [[1] + [0] * (dim - 1), [1] * dim]
    net = Network([{"weight": W0, "bias": [0, "1/3"]}, {"weight": [[1, -1]], "bias": ["1/5"]}], exact=True)
    box = enumerate_regions(net, Box(-1, 1, dim=dim))
    union = enumerate_regions(net, _halves(dim))
    _same_partition(union, box)
    on_wall = [d for _, _, d in union.graph.edges(data=True) if d["facet_witness"][0] == 0]
    assert on_wall and all((0, 0) in d["flips"] for d in on_wall)


def test_overlapping_boxes_are_made_disjoint_first():
    net = _net(2, seed=7)
    U = BoxUnion([Box([-1, -1], ["1/2", 1]), Box(["-1/3", -1], [1, 1]), Box([0, 0], ["1/2", "1/2"])])
    _same_partition(enumerate_regions(net, U), enumerate_regions(net, Box(-1, 1, dim=2)))


def test_an_engine_that_does_not_support_a_domain_says_so():
    from vqgeom.regions import lp

    net = _net(3)
    assert not lp.supports(net, _halves(3), "exact") and lp.supports(net, Box(-1, 1, dim=3), "exact")
    with pytest.raises(InvalidInputError, match="Box or Whole"):
        lp.enumerate_partition(net, _halves(3))


@pytest.mark.parametrize("engine", ["lp", "polygon", "planar", pytest.param("cdd", marks=needs_cdd)])
def test_a_named_engine_enumerates_each_box(engine):
    net = _net(2, seed=3)
    part = enumerate_regions(net, _halves(2), engine=engine)
    assert part.engine == f"union[{engine}]"
    _same_partition(part, enumerate_regions(net, Box(-1, 1, dim=2)))


def test_the_budget_counts_merged_regions():
    net = _net(2, seed=3)
    n = enumerate_regions(net, Box(-1, 1, dim=2)).n_regions
    with pytest.raises(RegionBudgetExceeded):
        enumerate_regions(net, _halves(2), max_regions=n - 1)
    assert enumerate_regions(net, _halves(2), max_regions=n).n_regions == n


def test_moved_names_still_work():
    import vqgeom
    import vqgeom.catalogue as catalogue
    from vqgeom.lemmas.claims import CATALOGUE
    from vqgeom.regions import engines, polygon

    assert vqgeom.BoxUnion is BoxUnion and vqgeom.CATALOGUE is CATALOGUE
    with pytest.warns(DeprecationWarning, match="vqgeom.lemmas.claims"):
        assert catalogue.CATALOGUE is CATALOGUE
    assert callable(engines.progress_reporter) and callable(polygon.clip_polygon)


def test_save_npy_writes_atomically(tmp_path):
    from vqgeom.kernels import save_npy

    save_npy(np.arange(6.0).reshape(2, 3), tmp_path / "k.npy")
    assert np.load(tmp_path / "k.npy").tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(InvalidInputError, match=".npy"):
        save_npy(np.zeros(2), tmp_path / "k.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.npy"]


def test_verify_catches_a_wrong_union_partition():
    from vqgeom.errors import CertificateError
    from vqgeom.regions import Partition

    net = _net(2, seed=12, widths=(4, 2))
    part = enumerate_regions(net, _l_shape(2))
    part.verify()
    outside = (F(1, 2), F(1, 2))                     # in the bounding box, not in the L
    bad = Partition(net, part.domain, part.codes, [outside] + part.witnesses[1:],
                    [(i, j, d["flips"], d["facet_witness"]) for i, j, d in part.graph.edges(data=True)],
                    arithmetic="exact", engine="test")
    with pytest.raises(CertificateError):
        bad.verify()


@pytest.mark.parametrize("cut", [0, F(1, 3)])
def test_a_layer_with_skip_and_out_sliced_on_a_wall_that_is_a_non_generic_facet(cut):
    # layer 2's neuron x - relu(y) vanishes on {x = 0, y < 0}, a facet of layer 1's neuron x;
    # the halves meet exactly there (cut = 0), or beside it
    from vqgeom.catalogue import shared_facet_2d

    net = shared_facet_2d()
    U = BoxUnion([Box([-1, -1], [cut, 1]), Box([cut, -1], [1, 1])])
    part = enumerate_regions(net, U)
    _same_partition(part, enumerate_regions(net, Box(-1, 1, dim=2)))
    part.verify()
    assert any(len(d["flips"]) == 2 for _, _, d in part.graph.edges(data=True))   # the non-generic facet
