"""The fast paths behind slice enumeration: each against a plain exact computation.

* ``ExactContext.rows`` on sparse weights (a convolution's), which multiplies only the
  non-zero entries, and on dense ones (float64 products of integer limbs), against the cell
  maps of ``Network.preactivation_maps``;
* the planar engine (float and certified exact) against the exact polygon engine on sparse
  integer networks (concurrent lines, lines through vertices, zero rows and columns);
* the exact conversions (``fraction_array``, the filter's float rounding of rationals).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vqgeom import Network
from vqgeom.errors import InvalidInputError
from vqgeom.exact import fraction_array
from vqgeom.exact.arith import _float_and_error, context
from vqgeom.regions import planar, polygon
from vqgeom.regions.domain import Box


def _sparse(rng, shape, density, scale=1.0):
    W = rng.normal(size=shape) * scale
    W[rng.random(shape) > density] = 0.0
    return W


@pytest.mark.parametrize("density", [0.3, 1.0])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
def test_sparse_and_dense_rows_are_the_region_maps(activation, density):
    # sparse weights (a convolution's) multiply only their non-zero entries; dense ones go
    # through exact float64 products of integer limbs (weights of very different exponents,
    # so the integers span many limbs)
    rng = np.random.default_rng(7)
    W1 = _sparse(rng, (6, 9), density) * 10.0 ** rng.integers(-12, 12, size=(6, 9))
    W1[2] = 0.0                       # a neuron with no weight at all
    W2 = _sparse(rng, (4, 6), density).astype(np.float32).astype(np.float64)
    net = Network([{"weight": rng.normal(size=(9, 2)), "bias": rng.normal(size=9)},
                   {"weight": W1, "bias": np.where(rng.random(6) < 0.5, 0.0, 1.5),
                    "activation": activation, "negative_slope": 0.125},
                   {"weight": W2, "bias": rng.normal(size=4)}]).to_exact()
    inet = context(net, "exact")
    assert (inet._support(1).mean() < 0.5) == (density < 0.5)   # the path under test runs
    for _ in range(5):
        code = [rng.random(w) < 0.5 for w in net.widths[:2]]
        maps = net.preactivation_maps(code)
        prefix = np.concatenate(code)[None, :]
        for l in range(3):
            n = net.widths[l]
            G, c, den = inet.rows(l, np.arange(n), np.repeat(prefix[:, :sum(net.widths[:l])], n, 0))
            A, b = maps[l]
            assert [[Fraction(int(v), den) for v in row] for row in G] == A.tolist()
            assert [Fraction(int(v), den) for v in c] == b.tolist()


@st.composite
def sparse_integer_networks(draw, sparse=True):
    """2-D networks with integer weights in [-2, 2], most of them 0 after the first layer
    (``sparse``; else about 1 in 5): concurrent and parallel lines, lines through vertices
    and corners, dead neurons."""
    layers, d_in = [], 2
    for l in range(draw(st.integers(2, 3))):
        n = draw(st.integers(2, 6))
        entry = (st.sampled_from([0, 0, 0, 0, 1, -1, 2]) if sparse and l > 0 else st.integers(-2, 2))
        W = [draw(st.lists(entry, min_size=d_in, max_size=d_in)) for _ in range(n)]
        if l == 0:
            W = [row if any(row) else [1, 0] for row in W]
        b = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
        layers.append({"weight": W, "bias": b, "activation": draw(st.sampled_from(["relu", "leaky_relu"]))})
        d_in = n
    return Network(layers)


def _signature(part):
    return set(part.codes), {(frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
                             for i, j, d in part.graph.edges(data=True)}


@settings(max_examples=40, deadline=None)
@given(st.booleans().flatmap(lambda sparse: sparse_integer_networks(sparse)))
def test_planar_matches_polygon_on_sparse_and_dense_integer_networks(net):
    box = Box(-2, 2, dim=2)
    ref = polygon.enumerate_partition(net.to_exact(), box, arithmetic="exact")
    ex = planar.enumerate_partition(net.to_exact(), box, arithmetic="exact")
    fl = planar.enumerate_partition(net.to_float(), box, arithmetic="float")
    # certified (a wrong exact line or sign would fail the certificate and hand the work to
    # the polygon engine: these nets are all certified with correct rows)
    assert ex.engine == "planar", getattr(ex, "fallback_reason", None)
    assert _signature(ex) == _signature(ref) and _signature(fl) == _signature(ref)
    ex.verify()
    for i, j, d in ex.graph.edges(data=True):   # facet witnesses: exact midpoints, on the wall
        f = d["facet_witness"]
        assert all(type(v) is Fraction for v in f)
        assert ex.region_of([f], on_boundary="mark")[0] < 0


def test_fraction_array_fast_paths_are_exact():
    vals = np.array([0.1, -3.0, 1e-300, 5e-324, 2.0 ** 60], dtype=np.float64)
    for arr in (vals, vals.astype(np.float32)):
        got = fraction_array(arr.reshape(5, 1))
        assert got.shape == (5, 1) and [type(v) for v in got.ravel()] == [Fraction] * 5
        assert got.ravel().tolist() == [Fraction(float(v)) for v in arr]
    fr = np.array([Fraction(1, 3), Fraction(-2)], dtype=object)
    got = fraction_array(fr)
    assert got is not fr and got.tolist() == fr.tolist()
    with pytest.raises(InvalidInputError, match=r"W\[1\]"):
        fraction_array(np.array([1.0, np.inf]), name="W")


def test_filter_rounding_of_rationals_is_bounded_and_exact_where_it_says_so():
    vals = [Fraction(1, 3), Fraction(3, 4), Fraction(2 ** 53 + 1), Fraction(2 ** 53), Fraction(1, 2 ** 1074),
            Fraction(1, 2 ** 1075), Fraction(-7, 2 ** 60), 5, Fraction(10 ** 30, 7)]
    f, err = _float_and_error(np.array(vals, dtype=object))
    for x, e, v in zip(f.tolist(), err.tolist(), vals):
        assert abs(Fraction(x) - v) <= Fraction(e)
        if e == 0:
            assert Fraction(x) == v
    assert err[1] == 0 and err[6] == 0 and err[4] == 0 and err[0] > 0
    assert _float_and_error(np.array([Fraction(10 ** 400)], dtype=object)) is None


def test_filtered_context_of_a_restriction_uses_the_models_floats_exactly():
    # an exact restriction of a float model knows its later layers are floats exactly; the
    # filter built from that knowledge is the one built by checking every entry
    from vqgeom import Plane, restrict
    from vqgeom.exact.arith import FilteredContext
    from vqgeom.regions.slices import SliceNetwork

    rng = np.random.default_rng(3)
    model = Network([{"weight": rng.normal(size=(8, 5)), "bias": rng.normal(size=8)},
                     {"weight": rng.normal(size=(6, 8)), "bias": rng.normal(size=6), "skip": rng.normal(size=(6, 8)),
                      "activation": "leaky_relu", "negative_slope": 0.1},
                     {"weight": rng.normal(size=(4, 6)) / 3, "bias": rng.normal(size=4)}])
    sub = restrict(model, Plane(*rng.normal(size=(3, 5))))
    assert sub.float_exact_layers == {1, 2}
    plain = SliceNetwork.from_dict(sub.to_dict())
    assert plain.float_exact_layers == frozenset()
    X, E = rng.normal(size=(50, 2)), np.abs(rng.normal(size=(50, 2))) * 1e-15
    for (p, b), (q, c) in zip(FilteredContext(sub).bounds(X, E), FilteredContext(plain).bounds(X, E)):
        assert np.array_equal(p, q) and np.array_equal(b, c)


@pytest.mark.parametrize("k", [1, 7, 300])
def test_limb_products_are_exact(k):
    # integers of up to 200 bits, both signs, zeros; against Python's exact dot products
    from vqgeom.exact.arith import _limb_bits, _limb_matmul, _limbs

    rng = np.random.default_rng(k)

    def draw(shape):
        bits = rng.integers(0, 200, size=shape)
        out = np.array([int(rng.integers(0, 2 ** 62)) << max(int(e) - 62, 0) >> max(62 - int(e), 0)
                        for e in bits.ravel()], dtype=object).reshape(shape)
        out[rng.random(shape) < 0.5] *= -1
        out[rng.random(shape) < 0.1] = 0
        return out

    A, B = draw((5, k)), draw((k, 3))
    b = _limb_bits(k)
    assert 2 * b + k.bit_length() <= 52
    got = _limb_matmul(_limbs(A, b), _limbs(B, b), b)
    assert got.tolist() == A.dot(B).tolist()


def test_row_groups_are_exact_even_when_hashes_collide(monkeypatch):
    from vqgeom.regions import planar

    rng = np.random.default_rng(0)
    M = rng.integers(0, 3, size=(300, 11)).astype(np.uint8)     # many repeated rows
    first, inverse = planar._row_groups(M)
    assert np.array_equal(M[first[inverse]], M) and len(first) == len({r.tobytes() for r in M})
    # every hash equal: the check against the group's first row falls back to exact grouping
    real_unique = np.unique
    monkeypatch.setattr(planar.np, "unique", lambda a, **kw: real_unique(np.zeros_like(a), **kw)
                        if a.dtype == np.uint64 else real_unique(a, **kw))
    first, inverse = planar._row_groups(M)
    assert np.array_equal(M[first[inverse]], M) and len(first) == len({r.tobytes() for r in M})
