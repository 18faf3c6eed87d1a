"""The compact piece results and the numpy merge of a distributed run.

Pieces send their codes, witnesses and edges as arrays (vqgeom.regions._compact); the caller
merges them with np.unique. These tests check the pieces of that: exact points rebuilt
exactly, the merge keeping the lowest piece's witness for a code and for an edge, the
canonical order, flips of several neurons, and the split's region estimate where sample
codes saturate.
"""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vqgeom import Network, enumerate_regions
from vqgeom.regions import Box
from vqgeom.regions._compact import Edges, Points, arrays_of
from vqgeom.regions.distributed import _merge, _Piece, _sample_density, canonical, split_box


def _points(rows, pivots):
    """Points for float rows with the pivot column of row r replaced by pivots[r] (a
    Fraction) where given."""
    F = np.array(rows, dtype=np.float64)
    piv = np.array([-1 if p is None else p[0] for p in pivots], dtype=np.int64)
    num = np.array([0 if p is None else p[1].numerator for p in pivots], dtype=object)
    den = np.array([1 if p is None else p[1].denominator for p in pivots], dtype=object)
    return Points(F, exact=True, pivot=piv, num=num, den=den)


floats = st.floats(-4, 4, allow_nan=False)
fracs = st.fractions(min_value=-4, max_value=4, max_denominator=10 ** 30)


@given(st.lists(st.tuples(st.tuples(floats, floats, floats), st.one_of(st.none(), st.tuples(
    st.integers(0, 2), fracs))), min_size=1, max_size=12), st.data())
def test_points_are_rebuilt_exactly(rows, data):
    pts = _points([r for r, _ in rows], [p for _, p in rows])
    want = []
    for r, p in rows:
        row = [Fraction(x) for x in r]
        if p is not None:
            row[p[0]] = p[1]
        want.append(tuple(row))
    assert pts.tolist() == want
    assert all(type(x) is Fraction for row in pts.tolist() for x in row)
    index = data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=20))
    assert pts.take(np.array(index, dtype=np.int64)).tolist() == [want[i] for i in index]
    both = Points.concat([pts, Points(np.array([[0.5, 0.25, 1.0]]), exact=True,
                                      explicit={0: (Fraction(1, 3),) * 3})], 3, exact=True)
    assert both.tolist() == want + [(Fraction(1, 3),) * 3]
    assert pickle.loads(pickle.dumps(both)).tolist() == both.tolist()


def test_float_points_stay_floats():
    pts = Points(np.array([[0.1, 0.2]]), exact=False)
    assert pts.tolist() == [(0.1, 0.2)] and type(pts.tolist()[0][0]) is float


def _net():
    """Two layers of two neurons on R^2 (codes of 4 bits)."""
    return Network([{"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "0"]},
                    {"weight": [["1", "1"], ["1", "-1"]], "bias": ["-1", "0"]}])


def _piece(codes, wits, edges, facets):
    bits = np.array(codes, dtype=bool)
    return _Piece(np.packbits(bits, axis=1), Points.from_rows(wits, 2, exact=True),
                  np.array([e[0] for e in edges], dtype=np.int32), np.array([e[1] for e in edges], dtype=np.int32),
                  Points.from_rows(facets, 2, exact=True), 0.0, 0.0, None)


def test_merge_keeps_the_first_piece_and_sorts():
    F = Fraction
    A, B, C = [1, 1, 0, 1], [0, 1, 0, 0], [1, 0, 0, 1]
    # piece 0 has B, A (in that order) and the edge B-A; piece 1 has A, C and edges A-C, C-A
    p0 = _piece([B, A], [(F(1), F(0)), (F(2), F(0))], [(0, 1)], [(F(3), F(0))])
    p1 = _piece([A, C], [(F(5), F(0)), (F(6), F(0))], [(0, 1), (1, 0)], [(F(7), F(0)), (F(8), F(0))])
    part = _merge(_net().to_exact(), Box(-1, 1, dim=2), [p0, p1], arithmetic="exact", engine="test")
    # canonical order: codes sorted as bit strings, 0 before 1: B < C < A
    assert [sum(c, ()) for c in part.codes] == [tuple(map(bool, c)) for c in (B, C, A)]
    assert part.witnesses == [(F(1), F(0)), (F(6), F(0)), (F(2), F(0))]  # A's from piece 0
    edges = list(part.graph.edges(data=True))
    assert [(i, j) for i, j, _ in edges] == [(0, 2), (1, 2)]
    # B-A flips neurons 0 and 3 (layers 0 and 1), C-A flips neuron 1
    assert edges[0][2]["flips"] == ((0, 0), (1, 1)) and edges[0][2]["facet_witness"] == (F(3), F(0))
    assert edges[1][2]["flips"] == ((0, 1),) and edges[1][2]["facet_witness"] == (F(7), F(0))
    # the same pieces in the other tile order: the witnesses follow the first piece
    swapped = _merge(_net().to_exact(), Box(-1, 1, dim=2), [p1, p0], arithmetic="exact", engine="test")
    assert swapped.codes == part.codes and swapped.witnesses[2] == (F(5), F(0))


def test_canonical_of_a_lazy_partition_builds_nothing_first():
    """canonical() reads the subdivision engine's arrays; the result equals the one built
    from the tuples."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    net = Network.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(),
                                                 torch.nn.Linear(6, 5), torch.nn.ReLU()))
    part = enumerate_regions(net, engine="subdivision")
    assert part._witnesses is None and part._graph is None
    lazy = canonical(part)
    assert part._witnesses is None and part._graph is None
    witnesses, a, b, facets = arrays_of(part)
    assert isinstance(witnesses, Points) and isinstance(part._edges_in, Edges)
    part.graph                                   # now canonical() goes through the graph
    built = canonical(part)
    assert lazy.codes == built.codes and lazy.witnesses == built.witnesses
    assert list(lazy.graph.edges(data=True)) == list(built.graph.edges(data=True))
    lazy.verify()
    assert pickle.loads(pickle.dumps(lazy)).witnesses == lazy.witnesses


def test_the_estimate_follows_the_density_where_codes_saturate():
    """3-40-40 (28,000 regions) has more regions than the 16384 samples resolve: the split
    uses the density of boundaries, and its two halves hold near-equal region counts (with
    distinct sample codes as the estimate they held 12,089 and 16,629)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = Network.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 40), torch.nn.ReLU(),
                                                 torch.nn.Linear(40, 40), torch.nn.ReLU()))
    box = Box(-1, 1, dim=3)
    P, ids, weight = _sample_density(net, box, 16384)
    assert ids is None and weight is not None
    counts = [enumerate_regions(net, t, arithmetic="float").n_regions for t in split_box(net, box, 2)]
    assert max(counts) / min(counts) < 1.2
