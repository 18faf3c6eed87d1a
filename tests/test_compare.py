"""compare_partitions: known cases, the shallow equivalent of the deep sawtooth, the parallel network."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Network, compare_partitions, enumerate_regions
from vqgeom.catalogue import sawtooth, shallow_equivalent
from vqgeom.compare import parallel_network
from vqgeom.errors import InvalidInputError
from vqgeom.regions import Box


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_shallow_equivalent_has_the_deep_partition(depth):
    deep = sawtooth(depth)
    dom = Box(0, 1)
    shallow = shallow_equivalent(deep, dom)
    c = compare_partitions(shallow, deep, domain=dom)
    assert c.same and c.p_refines_q and c.q_refines_p
    assert c.n_regions_p == c.n_regions_q == c.n_regions_common == 2 ** depth
    assert np.array_equal(c.d_omega_p, c.d_omega_q)
    assert np.array_equal(c.d_p, c.d_omega_p)              # Lemma 1 for the shallow network
    assert np.all(c.d_q <= c.d_omega_q)                    # Lemma 2 for the deep one
    assert c.d_q.max() == depth and c.d_omega_q.max() == 2 ** depth - 1
    # regions listed left to right, their witnesses inside [0, 1]
    xs = [float(w[0]) for w in c.witnesses]
    assert xs == sorted(xs) and 0 < xs[0] and xs[-1] < 1


def test_printed_sawtooth_is_coarser_than_the_tent():
    dom = Box(0, 1)
    c = compare_partitions(sawtooth(3, "as_printed"), sawtooth(3), domain=dom, weights_p=[1, 1, 1],
                           weights_q=[1, 2, 4])
    assert c.n_regions_p == 4 and c.n_regions_q == 8 and c.n_regions_common == 8
    assert not c.same and c.q_refines_p and not c.p_refines_q
    # the common regions are the tent's intervals (k/8, (k+1)/8), listed left to right; the
    # printed partition's intervals end at 1/8, 1/4, 1/2, 1; codes: thermometer and Gray codes
    assert [w[0] for w in c.witnesses] == sorted(w[0] for w in c.witnesses)
    assert all(Fraction(k, 8) < w[0] < Fraction(k + 1, 8) for k, w in enumerate(c.witnesses))
    P = [0, 1, 2, 2, 3, 3, 3, 3]
    g = [k ^ (k >> 1) for k in range(8)]
    for i in range(8):
        for j in range(8):
            assert c.d_omega_p[i, j] == abs(P[i] - P[j]) == c.d_p[i, j]   # Lemma 1 for thermometer codes
            assert c.d_omega_q[i, j] == abs(i - j)
            x = g[i] ^ g[j]   # bit 2 is layer 1 (weight 1), bit 0 is layer 3 (weight 4)
            assert c.d_q[i, j] == (x >> 2 & 1) + 2 * (x >> 1 & 1) + 4 * (x & 1)


def test_adding_a_neuron_refines():
    rng = np.random.default_rng(0)
    W1, b1 = rng.standard_normal((4, 2)), 0.3 * rng.standard_normal(4)
    W2, b2 = rng.standard_normal((3, 4)), 0.3 * rng.standard_normal(3)
    p = Network([dict(weight=W1, bias=b1), dict(weight=W2, bias=b2)])
    q = Network([dict(weight=np.vstack([W1, [[1.0, 0.3]]]), bias=np.r_[b1, 0.1]),
                 dict(weight=np.hstack([W2, np.zeros((3, 1))]), bias=b2)])
    c = compare_partitions(p, q)
    assert c.q_refines_p and not c.p_refines_q and not c.same
    assert c.n_regions_common == c.n_regions_q > c.n_regions_p
    # every common region maps into a region of p and of q consistently with point lookups
    P, Q = c.p, c.q
    W = np.array([[float(v) for v in w] for w in c.witnesses])
    assert np.array_equal(P.region_of(W), c.region_p)
    assert np.array_equal(Q.region_of(W), c.region_q)


def test_different_partitions_neither_refines():
    p = Network([{"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "0"]}])
    q = Network([{"weight": [["1", "1"], ["1", "-1"]], "bias": ["0", "0"]}])
    c = compare_partitions(p, q)
    assert (c.n_regions_p, c.n_regions_q, c.n_regions_common) == (4, 4, 8)
    assert not (c.same or c.p_refines_q or c.q_refines_p)


def test_same_partition_from_different_networks():
    # scaling a neuron by a positive factor and permuting neurons keep the partition
    p = Network([{"weight": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "1/3", "-1/2"]}])
    q = Network([{"weight": [["2", "2"], ["3", "0"], ["0", "1/2"]], "bias": ["-1", "0", "1/6"]}])
    c = compare_partitions(enumerate_regions(p), enumerate_regions(q))
    assert c.same and c.n_regions_common == c.n_regions_p
    assert np.array_equal(c.d_p, c.d_q) and np.array_equal(c.d_omega_p, c.d_omega_q)
    s = c.summary()
    assert s["same"] and s["pairs_d_p_below_d_omega_p"] == 0


def test_errors():
    p = Network([{"weight": [["1"]], "bias": ["0"]}])
    q = Network([{"weight": [["1", "0"]], "bias": ["0"]}])
    with pytest.raises(InvalidInputError, match="input_dim"):
        compare_partitions(p, q)
    with pytest.raises(InvalidInputError, match="different domains"):
        compare_partitions(enumerate_regions(p, Box(0, 1)), enumerate_regions(p, Box(-1, 1)))


def test_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = compare_partitions(shallow_equivalent(sawtooth(2), Box(0, 1)), sawtooth(2), domain=Box(0, 1))
    fig = c.plot(labels=("shallow", "deep"))
    assert len(fig.axes) == 5  # four matrices and a colour bar
    plt.close(fig)
    with pytest.raises(InvalidInputError, match="4 Axes"):
        c.plot(axes=[None])


def _layer(draw, n_in, first):
    n = draw(st.integers(1, 3))
    f = st.integers(-3, 3)
    W = [[draw(f) for _ in range(n_in)] for _ in range(n)]
    if first:
        for row in W:
            if not any(row):
                row[0] = 1
    lay = {"weight": W, "bias": [draw(f) for _ in range(n)],
           "activation": draw(st.sampled_from(["relu", "leaky_relu", "abs"]))}
    d_out = n
    if draw(st.booleans()):
        d_out = draw(st.integers(1, 3))
        lay["out"] = [[draw(f) for _ in range(n)] for _ in range(d_out)]
        lay["skip"] = [[draw(f) for _ in range(n_in)] for _ in range(d_out)]
        lay["out_bias"] = [draw(f) for _ in range(d_out)]
    return lay, d_out


@st.composite
def cpa_networks(draw, dim=2):
    layers, d = [], dim
    for i in range(draw(st.integers(1, 3))):
        lay, d = _layer(draw, d, i == 0)
        layers.append(lay)
    return Network(layers)


@given(p=cpa_networks(), q=cpa_networks(), pts=st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9)),
                                                        min_size=1, max_size=6))
def test_parallel_network_codes_are_concatenations(p, q, pts):
    X = np.array(pts, dtype=float) / 4
    r = parallel_network(p, q)
    assert r.widths == p.widths + q.widths
    for a, b in zip(r.signs(X), p.signs(X) + q.signs(X)):
        assert np.array_equal(a, b)
