"""Planes and lines through data: exact points, restriction of a network, enumeration on a slice."""

from fractions import Fraction

import numpy as np
import pytest

import vqgeom
from vqgeom import Line, Network, Plane, enumerate_regions, restrict
from vqgeom.errors import DegenerateInputError, InvalidInputError
from vqgeom.exact.arith import context


def _random_net(rng, widths, readout=3):
    layers = [{"weight": rng.normal(size=(b, a)), "bias": rng.normal(size=b) * 0.5}
              for a, b in zip(widths[:-1], widths[1:])]
    ro = None if not readout else {"weight": rng.normal(size=(readout, widths[-1])), "bias": rng.normal(size=readout)}
    return Network(layers, ro)


def test_points_are_read_exactly():
    p = Plane([0.1, 0, 0], ["1/3", 0, 1], [0, Fraction(2, 7), 0])
    assert p.points[0][0] == Fraction(0.1) != Fraction(1, 10)
    assert p.points[1][0] == Fraction(1, 3) and p.points[2][1] == Fraction(2, 7)
    x0, B = p.basis()
    assert B[:, 0].tolist() == [Fraction(1, 3) - Fraction(0.1), 0, 1]


@pytest.mark.parametrize("make, word", [
    (lambda: Plane([0, 0, 0], [1, 1, 1], [2, 2, 2]), "collinear"),
    (lambda: Plane([0, 0, 0], [0, 0, 0], [1, 2, 3]), "x1 equals x0"),
    (lambda: Line([1, 2], ["1", "2"]), "x1 equals x0"),
    (lambda: Plane([0, 0], [1, 0], [0, 1, 0]), "x2 has 3 coordinates"),
])
def test_points_spanning_less_than_the_slice_are_an_error(make, word):
    with pytest.raises((DegenerateInputError, InvalidInputError), match=word):
        make()


def test_slice_dimension_must_match_the_network():
    net = _random_net(np.random.default_rng(0), [4, 5])
    with pytest.raises(InvalidInputError, match="input_dim is 4"):
        restrict(net, Plane([0, 0, 0], [1, 0, 0], [0, 1, 0]))


@pytest.mark.parametrize("kind", ["plane", "line"])
def test_restrict_agrees_with_the_model_codes_exactly(kind):
    rng = np.random.default_rng(1)
    D = 12
    net = _random_net(rng, [D, 9, 7, 5])
    X = rng.normal(size=(3, D))
    sl = Plane(*X) if kind == "plane" else Line(X[0], X[1])
    sub = restrict(net, sl)
    assert sub.widths == net.widths and sub.input_dim == sl.slice_dim
    # 3000 random rational slice points (denominator 2^12), some exactly on the data points
    U = [[Fraction(int(v), 4096) for v in row] for row in rng.integers(-1024, 5120, size=(3000, sl.slice_dim))]
    U[:2] = [[Fraction(0)] * sl.slice_dim, [Fraction(1)] + [Fraction(0)] * (sl.slice_dim - 1)]
    U = np.array(U, dtype=object)
    Xs = sl.embed(U)
    full = context(net, "exact").signs(Xs)
    mine = context(sub, "exact").signs(U)
    for (a, za), (b, zb) in zip(full, mine):
        assert np.array_equal(a, b) and np.array_equal(za, zb)
    # the coordinates of the embedded points come back exactly
    assert (sl.coordinates(Xs[:50]) == U[:50]).all()


@pytest.mark.parametrize("kind", ["plane", "line"])
def test_embed_is_exact_for_mixed_rationals(kind):
    # points and coordinates of every kind (floats of different exponents, Fractions with odd
    # denominators, strings, ints, negatives): each entry equals x0 + sum_j u_j (x_j - x0)
    # computed entry by entry in Fractions
    rng = np.random.default_rng(4)
    D = 7
    pts = [rng.normal(size=D) * 10.0 ** rng.integers(-5, 6, size=D) for _ in range(3)]
    pts[1] = np.array([Fraction(int(v), 3 ** (i + 1)) for i, v in enumerate(rng.integers(-50, 50, size=D))],
                      dtype=object)
    pts[2][:2] = 0.0
    sl = Plane(*pts) if kind == "plane" else Line(pts[0], pts[1])
    k = sl.slice_dim
    U = np.empty((6, k), dtype=object)
    U[:] = [[0.1, -2.5][:k], ["1/7", "-3"][:k], [Fraction(5, 12), 3][:k], [0, 0][:k],
            [1e-30, 1e30][:k], [Fraction(-1, 6), 0.75][:k]]
    X = sl.embed(U)
    P = [[Fraction(v) for v in p] for p in sl.points]
    for r in range(U.shape[0]):
        u = [vqgeom.exact.to_fraction(v) for v in U[r]]
        want = [P[0][d] + sum(u[j] * (P[j + 1][d] - P[0][d]) for j in range(k)) for d in range(D)]
        assert [type(v) for v in X[r]] == [Fraction] * D and list(X[r]) == want
    assert sl.embed(np.empty((0, k))).shape == (0, D)
    with pytest.raises(InvalidInputError, match="U"):
        sl.embed([["x"] * k])


def test_first_layer_neurons_constant_on_the_slice_are_kept():
    # neuron 1 sees only the third coordinate, which is 0 on the plane: constant on it
    net = Network([{"weight": [[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]], "bias": [0.0, -1.0]},
                   {"weight": [[1.0, 1.0]], "bias": [-0.5]}])
    with pytest.raises(vqgeom.InvalidNetworkError):
        Network([{"weight": [[0.0, 0.0]], "bias": [1.0]}])
    sl = Plane([0, 0, 0], [1, 0, 0], [0, 1, 0], lo=-1, hi=1)
    sub = restrict(net, sl)
    assert sub.constant_neurons == [(0, 1)]
    part = enumerate_regions(net, sl)
    assert part.n_regions == 3  # neuron 0's line cuts the box; layer 1's neuron cuts one side
    assert all(code[0][1] is False for code in part.codes)
    part.verify()


def test_line_count_equals_an_independent_walk():
    rng = np.random.default_rng(3)
    D = 10
    for trial in range(3):
        net = _random_net(rng, [D, 8, 8, 6], readout=0).to_exact()
        X = rng.normal(size=(2, D))
        sl = Line(X[0], X[1], lo=-2, hi=3)
        part = enumerate_regions(net, sl)
        assert part.n_regions == _walk_count(net, X[0], X[1], Fraction(-2), Fraction(3))


def _walk_count(net, a, b, lo, hi):
    """Intervals of constant code of t -> net(a + t (b - a)) on [lo, hi], by walking from lo:
    on each piece every pre-activation is affine in t (computed from the composed network by
    hand, in Fractions); step to the nearest root ahead and read the code just after it."""
    a = [Fraction(v) for v in a]
    d = [Fraction(v) - x for v, x in zip(b, a)]

    def pre_affine(t):
        # forward pass of (value, slope in t) pairs at the point t (right-derivative)
        z = [(x + t * dx, dx) for x, dx in zip(a, d)]
        out = []
        code = []
        for lay in net.layers:
            pre = [(sum(w * v for w, (v, _) in zip(row, z)) + bb, sum(w * s for w, (_, s) in zip(row, z)))
                   for row, bb in zip(lay.weight, lay.bias)]
            signs = tuple(v > 0 or (v == 0 and s >= 0) for v, s in pre)  # the sign just after t
            out.append(pre)
            code.append(signs)
            z = [(v if g else 0, s if g else 0) for (v, s), g in zip(pre, signs)]
        return out, tuple(code)

    t, count, last = lo, 0, None
    while t < hi:
        pres, code = pre_affine(t)
        if code != last:
            count += 1
            last = code
        roots = [t - v / s for layer in pres for v, s in layer if s != 0 and t - v / s > t]
        t = min(roots + [hi])
    return count


def test_region_of_takes_input_points_and_rejects_points_off_the_slice():
    rng = np.random.default_rng(5)
    net = _random_net(rng, [6, 8, 8])
    X = rng.normal(size=(3, 6))
    sl = Plane(*X)
    part = enumerate_regions(net, sl)
    assert isinstance(part, vqgeom.regions.slices.SlicePartition) and part.slice is sl
    U = np.array([[Fraction(1, 3), Fraction(1, 5)], [Fraction(1, 2), Fraction(1, 7)]], dtype=object)
    got = part.region_of(sl.embed(U), on_boundary="mark")
    assert got.tolist() == part.region_of_uv(U, on_boundary="mark").tolist()
    off = X[0] + np.eye(6)[0] * 0.5 + (X[1] - X[0]) * 0.25  # generic: not on the plane
    with pytest.raises(DegenerateInputError, match="does not lie on the plane"):
        part.region_of(off)
    assert part.region_of(np.vstack([off, X[0]]), on_boundary="mark")[0] == -2
    d = part.partition_distance(X[:1], X[1:2])
    assert d.shape == (1, 1)


def test_lemma_checks_on_a_slice():
    rng = np.random.default_rng(7)
    net = _random_net(rng, [5, 6, 6])
    X = rng.normal(size=(3, 5))
    v = vqgeom.check_lemma2(net, Plane(*X))
    assert v.holds and v.hypotheses_met and v.n_regions == enumerate_regions(net, Plane(*X)).n_regions
    shallow = _random_net(rng, [5, 7], readout=0)
    v1 = vqgeom.check_lemma1(shallow, Line(X[0], X[1], lo=-3, hi=3))
    assert v1.holds and v1.n_regions == enumerate_regions(shallow, Line(X[0], X[1], lo=-3, hi=3)).n_regions


def test_float_and_exact_agree_on_a_plane():
    rng = np.random.default_rng(11)
    net = _random_net(rng, [16, 24, 24])
    X = rng.normal(size=(3, 16))
    a = enumerate_regions(net, Plane(*X), arithmetic="float")
    b = enumerate_regions(net, Plane(*X))
    assert a.n_regions == b.n_regions and a.n_adjacencies == b.n_adjacencies
    assert sorted(map(str, a.codes)) == sorted(map(str, b.codes))


def test_a_784_input_mlp_on_a_plane():
    # MNIST-size input, random weights (torch's default init): the restriction makes it a
    # 2-input network, so the exact enumeration costs what a 2-D one does
    from vqgeom.training import mlp

    model = mlp(784, [64, 64], 10, seed=0)
    X = np.random.default_rng(0).uniform(0, 1, (3, 784))
    part = enumerate_regions(model, Plane(*X))
    assert part.arithmetic == "exact" and part.n_regions > 100
    assert part.n_regions == enumerate_regions(model, Plane(*X), arithmetic="float").n_regions
    labels = part.region_of(X, on_boundary="mark")
    assert (labels >= 0).all()


def test_compare_partitions_and_vq_kernel_on_a_slice():
    import torch

    from vqgeom.digit_models import digits_cnn

    rng = np.random.default_rng(13)
    X = rng.uniform(0, 1, (3, 64))
    # a first-layer neuron constant on the plane: pixel 0 is 0 in all three points and the
    # network's neuron 0 sees only it
    X[:, 0] = 0
    sl = Plane(*X)
    W = rng.normal(size=(6, 64))
    W[0] = 0
    W[0, 0] = 1
    a = Network([{"weight": W, "bias": rng.normal(size=6)}, {"weight": rng.normal(size=(4, 6)), "bias": rng.normal(size=4)}])
    b = Network([{"weight": W[1:], "bias": a.layers[0].bias[1:]}])
    c = vqgeom.compare_partitions(a, b, domain=sl)
    assert c.p_refines_q and c.n_regions_p == enumerate_regions(a, sl).n_regions
    with pytest.raises(InvalidInputError, match="different domains"):
        vqgeom.compare_partitions(enumerate_regions(a, sl), enumerate_regions(a, Plane(X[1], X[0], X[2])))
    # a torch CNN's own codes (forward hooks) at 2000 points of the plane = its restriction's
    # exact codes at their (u, v); and so are their VQ kernels
    model = digits_cnn((2, 3), seed=0).double().eval()
    U = rng.integers(-256, 1281, size=(2000, 2)) / 1024.0
    pts = X[0] + U[:, :1] * (X[1] - X[0]) + U[:, 1:] * (X[2] - X[0])  # float; the torch side is float anyway
    sub = restrict(model, sl)
    mine = np.concatenate([pos for pos, _ in context(sub, "exact").signs(np.array(U, dtype=object) + Fraction(0))], axis=1)
    theirs = vqgeom.activation_codes(model, torch.as_tensor(pts))
    assert sub.widths == theirs.widths == (128, 48)
    assert np.array_equal(theirs.pm1(np.int8) > 0, mine)
    K_torch = vqgeom.vq_kernel(model, torch.as_tensor(pts[:300]))
    K_slice = vqgeom.vq_kernel(restrict(model, sl, arithmetic="float"), U[:300])
    assert np.array_equal(np.asarray(K_torch), K_slice)


def test_slice_partitions_save_and_load(tmp_path):
    from vqgeom.regions.slices import SlicePartition

    net = Network([{"weight": [[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]], "bias": [0.0, -1.0]},
                   {"weight": [[1.0, 1.0]], "bias": [-0.5]}])
    sl = Plane([0, 0, 0], [1, 0, 0], ["1/3", 1, 0], lo=-1, hi=[1, 2])
    part = enumerate_regions(net, sl)
    part.save(tmp_path / "p.json")
    back = SlicePartition.load(tmp_path / "p.json")
    assert back.slice == sl and back.n_regions == part.n_regions and back.net.constant_neurons == [(0, 1)]
    x = sl.embed([[Fraction(1, 2), Fraction(1, 3)]])
    assert back.region_of(x).tolist() == part.region_of(x).tolist()
    back.verify()
    with pytest.raises(InvalidInputError, match="not a slice partition"):
        SlicePartition.from_dict(vqgeom.enumerate_regions(Network([{"weight": [[1.0]], "bias": [0.0]}])).to_dict())
