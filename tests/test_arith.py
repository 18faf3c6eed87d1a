"""The arithmetic core (vqgeom.exact.arith): its three modes agree, and the filtered sign
test's error bound (proofs/filtered-signs.md) holds, also on adversarial near-zero
pre-activations, and is small enough to matter (a bound 4 times smaller fails there)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Network
from vqgeom.exact import arith
from vqgeom.exact.arith import ExactContext, context
from vqgeom.testing import deep_networks

ACTS = ("relu", "leaky_relu", "abs")


@st.composite
def cpa_networks(draw, dyadic=True, dim=None):
    """CPA networks with every layer feature (skip, out, out_bias, leaky / abs, readout).

    ``dyadic``: weights are multiples of 1/4 in [-2, 2], so float arithmetic on dyadic
    points is exact (the three modes must then agree to the bit); otherwise weights are
    rationals such as 1/3 that floats cannot hold.
    """
    D = draw(st.integers(1, 3)) if dim is None else dim
    if dyadic:
        num = st.integers(-8, 8).map(lambda k: k / 4)
    else:
        num = st.fractions(min_value=-2, max_value=2, max_denominator=7)
    depth = draw(st.integers(1, 3))
    layers, d = [], D
    for l in range(depth):
        n = draw(st.integers(1, 4))
        W = [[draw(num) for _ in range(d)] for _ in range(n)]
        if l == 0 and not all(any(v != 0 for v in row) for row in W):
            W = [row if any(v != 0 for v in row) else [1] + row[1:] for row in W]
        lay = {"weight": W, "bias": [draw(num) for _ in range(n)], "activation": draw(st.sampled_from(ACTS))}
        if lay["activation"] == "leaky_relu":
            lay["negative_slope"] = draw(st.sampled_from([0.25, -0.5, 2.0] if dyadic else
                                                         [Fraction(1, 3), Fraction(-2, 5)]))
        d_out = n
        if draw(st.booleans()):
            d_out = draw(st.integers(1, 3))
            lay["out"] = [[draw(num) for _ in range(n)] for _ in range(d_out)]
            if draw(st.booleans()):
                lay["skip"] = [[draw(num) for _ in range(d)] for _ in range(d_out)]
            if draw(st.booleans()):
                lay["out_bias"] = [draw(num) for _ in range(d_out)]
        layers.append(lay)
        d = d_out
    readout = None
    if draw(st.booleans()):
        readout = {"weight": [[draw(num) for _ in range(d)] for _ in range(2)], "bias": [draw(num)] * 2}
    return Network(layers, readout, exact=not dyadic)


def _frac(mat):
    return ExactContext.to_fractions(mat)


def _exact_pres(net, P):
    return [_frac(p).T for p in context(net, "exact").preactivations(P)]


@given(cpa_networks(dyadic=True), st.data())
def test_the_three_modes_agree_to_the_bit_on_dyadic_networks(net, data):
    # dyadic weights and points: every float operation is exact, so plain == exact
    D = net.input_dim
    P = np.array(data.draw(st.lists(st.lists(st.integers(-8, 8).map(lambda k: k / 8), min_size=D, max_size=D),
                                    min_size=1, max_size=6)))
    plain, exact, filt = context(net, "plain"), context(net, "exact"), context(net, "filtered")
    for pf, pe in zip(plain.preactivations(P), _exact_pres(net, P)):
        assert np.array_equal(pf, pe.astype(float)) and all(Fraction(a) == b for a, b in zip(pf.ravel(), pe.ravel()))
    se, sf, sp = exact.signs(P), filt.signs(P), plain.signs(P)
    for (a, z), (fa, fz), (pa, pz) in zip(se, sf, sp):
        assert np.array_equal(a, fa) and np.array_equal(z, fz)           # zeros reported exactly
        assert np.array_equal(a, pa) and np.array_equal(z, pz)
    assert np.array_equal(plain.forward(P), _frac(exact.forward(P)).T.astype(float))
    for n in range(len(P)):
        code = [a[n] for a, _ in se]
        for mp, me in zip(plain.cell_maps(code), exact.cell_maps(code)):
            assert np.array_equal(mp, _frac(me).astype(float))
            # the cell map evaluated at the point is its pre-activation
        assert np.array_equal(plain.output_map(code), _frac(exact.output_map(code)).astype(float))
        M = _frac(exact.output_map(code))
        out = _frac(exact.forward(P[n:n + 1]))[:, 0]
        assert list(M[:, :-1] @ np.array([Fraction(v) for v in P[n]], dtype=object) + M[:, -1]) == list(out)


@given(cpa_networks(dyadic=False), st.data())
def test_filtered_signs_are_exact_and_plain_is_within_the_bound(net, data):
    # rational weights (1/3, ...) and rational points, some exactly on a first-layer hyperplane
    D = net.input_dim
    rat = st.fractions(min_value=-2, max_value=2, max_denominator=9)
    P = [data.draw(st.lists(rat, min_size=D, max_size=D)) for _ in range(data.draw(st.integers(1, 5)))]
    lay = net.layers[0]
    k = data.draw(st.integers(0, lay.n_neurons - 1))
    w, b = lay.weight[k], lay.bias[k]
    j = next(i for i, v in enumerate(w) if v != 0)
    x = list(P[0])
    x[j] = -(b + sum(w[i] * x[i] for i in range(D) if i != j)) / w[j]     # pre = 0 exactly
    P.append(x)
    P = np.array(P, dtype=object)
    exact, filt, plain = context(net, "exact"), context(net, "filtered"), context(net, "plain")
    se, sf = exact.signs(P), filt.signs(P)
    assert se[0][1][-1, k]                                              # the drawn zero is there
    for (a, z), (fa, fz) in zip(se, sf):
        assert np.array_equal(a, fa) and np.array_equal(z, fz)
    Pf = np.array([[float(v) for v in row] for row in P])
    E = np.array([[abs(Fraction(f) - v) for f, v in zip(fr, r)] for fr, r in zip(Pf, P)], dtype=object)
    bounds = filt.bounds(Pf, np.array(E, dtype=float) * (1 + 2.0 ** -50) + 2.0 ** -1074)
    for pf, pe, (pb, B) in zip(plain.preactivations(Pf), _exact_pres(net, P), bounds):
        assert np.array_equal(pf, pb)                                   # one float pass
        err = np.array([[abs(Fraction(v) - t) for v, t in zip(r, s)] for r, s in zip(pf, pe)], dtype=object)
        assert np.all(err <= np.array([[Fraction(v) for v in r] for r in B], dtype=object))


@given(deep_networks(dim=2, depth=(1, 3), width=(1, 3)), st.data())
def test_degenerate_networks_signs_at_their_own_vertices(net, data):
    # points where two first-layer lines cross (vertices of the arrangement): many zeros
    lay = net.layers[0]
    pts = []
    for i in range(lay.n_neurons):
        for j in range(i + 1, lay.n_neurons):
            (a, b), (c, d) = lay.weight[i], lay.weight[j]
            det = a * d - b * c
            if det != 0:
                e, f = -lay.bias[i], -lay.bias[j]
                pts.append([(e * d - b * f) / det, (a * f - e * c) / det])
    pts.append([Fraction(1, 3), Fraction(-2, 7)])
    P = np.array(pts, dtype=object)
    for (a, z), (fa, fz) in zip(context(net, "exact").signs(P), context(net, "filtered").signs(P)):
        assert np.array_equal(a, fa) and np.array_equal(z, fz)


# ------------------------------------------------------------------------- adversarial
def _near_zero_points(net, rng, n):
    """Float points whose first-layer pre-activation is within a few ulps of 0, with large
    cancelling terms (|x| up to 1e6), so float signs are often wrong."""
    lay = net.layers[0]
    W = np.asarray(lay.weight, dtype=float)
    b = np.asarray(lay.bias, dtype=float)
    out = []
    for _ in range(n):
        k = rng.integers(W.shape[0])
        x = rng.normal(size=W.shape[1]) * 10.0 ** rng.integers(0, 7)
        x = x - (W[k] @ x + b[k]) / (W[k] @ W[k]) * W[k]             # onto the hyperplane, in float
        x = x + rng.normal(size=x.shape) * np.abs(x) * 2.0 ** -52 * rng.integers(0, 4)
        out.append(x)
    return np.array(out)


def _adversarial_case(seed):
    rng = np.random.default_rng(seed)
    D = 2 + seed % 3
    net = Network([{"weight": rng.normal(size=(6, D)), "bias": rng.normal(size=6)},
                   {"weight": rng.normal(size=(5, 6)), "bias": rng.normal(size=5) * 1e-3,
                    "activation": "leaky_relu", "negative_slope": 0.1},
                   {"weight": rng.normal(size=(4, 5)), "bias": rng.normal(size=4), "skip": rng.normal(size=(4, 5)),
                    "out": rng.normal(size=(4, 4)), "activation": "abs"},
                   {"weight": rng.normal(size=(3, 4)), "bias": rng.normal(size=3)}])
    return net, _near_zero_points(net, rng, 300)


def _errors(net, X, bounds):
    truth = _exact_pres(net, X)
    ratios, wrong = [], 0
    for (pre, B), t in zip(bounds, truth):
        for pr, br, tr in zip(pre, B, t):
            for p, bnd, v in zip(pr, br, tr):
                err = abs(Fraction(p) - v)
                ratios.append(err / Fraction(bnd) if bnd else (0 if err == 0 else float("inf")))
                wrong += (p >= 0) != (v >= 0)
    return max(ratios), wrong


@pytest.mark.parametrize("seed", range(3))
def test_error_bound_holds_on_near_zero_preactivations(seed):
    net, X = _adversarial_case(seed)
    worst, wrong = _errors(net, X, context(net, "filtered").bounds(X))
    assert worst <= 1                       # |float - exact| <= bound, entry by entry
    assert wrong > 0                        # the float sign is wrong on some of these points...
    for (a, z), (ea, ez) in zip(context(net, "filtered").signs(X), context(net, "exact").signs(X)):
        assert np.array_equal(a, ea) and np.array_equal(z, ez)   # ...and the filter never is


@pytest.mark.parametrize("shrink", [4, 64])
def test_a_smaller_bound_would_be_wrong(monkeypatch, shrink):
    """The adversarial points are sharp enough to catch a bound that is too small: divided
    by 4 it is below the true error somewhere; divided by 64 it decides signs wrongly."""
    net, X = _adversarial_case(0)
    true_bound = arith.error_bound
    monkeypatch.setattr(arith, "error_bound", lambda *a: (lambda y, b: (y, b / shrink))(*true_bound(*a)))
    small = Network.from_dict(net.to_dict())                      # fresh contexts
    worst, _ = _errors(small, X, arith.FilteredContext(small).bounds(X))
    assert worst > 1
    if shrink == 64:
        assert any(not (np.array_equal(a, ea) and np.array_equal(z, ez)) for (a, z), (ea, ez)
                   in zip(arith.FilteredContext(small).signs(X), context(small, "exact").signs(X)))


def test_sign_zero_is_reported_in_exact_mode_only():
    net = Network([{"weight": [["1/3"]], "bias": ["-1/3"]}])
    assert context(net, "exact").signs(np.array([[Fraction(1)]], dtype=object))[0][1].tolist() == [[True]]
    assert net.signs([[1]])[0].tolist() == [[True]]             # the +1 convention for d
    with pytest.raises(Exception, match="mode must be one of"):
        context(net, "approximate")


def test_overflowing_weights_fall_back_to_exact_arithmetic():
    big = Fraction(10) ** 400
    net = Network([{"weight": [[big, 1]], "bias": [-big]}], exact=True)
    filt = context(net, "filtered")
    assert not filt.usable
    P = np.array([[1, 0], [1, 1], [0, 5]], dtype=object)
    assert [a.tolist() for a, _ in filt.signs(P)] == [[[True], [True], [False]]]
    assert [z.tolist() for _, z in filt.signs(P)] == [[[True], [False], [False]]]


# --------------------------------------------------------- engines on the one core
@given(st.integers(1, 2).flatmap(lambda D: cpa_networks(dyadic=False, dim=D)))
def test_every_engine_agrees_on_drawn_cpa_networks(net):
    """Every engine for the input dimension gives the same exact partition of [-1, 1]^D
    (codes, adjacencies named by codes, flipped neurons) and it verifies."""
    from vqgeom.regions import enumerate_regions
    from vqgeom.regions.engines import available_engines

    sigs = {}
    for e in available_engines(net.input_dim):
        part = enumerate_regions(net, None, engine=e)
        part.verify()
        sigs[e] = (frozenset(part.codes),
                   frozenset((frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
                             for i, j, d in part.graph.edges(data=True)))
    assert len(sigs) >= 2 and len(set(sigs.values())) == 1, sorted(sigs)


def test_the_proof_names_this_check():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "proofs" / "filtered-signs.md").read_text().rstrip()
    assert text.endswith("```\npython -m pytest tests/test_arith.py -q\n```")


def test_integer_and_string_points_are_read_exactly():
    big = 2 ** 60 + 1                                   # not a float
    net = Network([{"weight": [[1]], "bias": [-big]}], exact=True)
    for P in (np.array([[big], [big - 1]]), np.array([[str(big)], [str(big - 1)]], dtype=object)):
        (a, z), = context(net, "filtered").signs(P)
        assert a[:, 0].tolist() == [True, False] and z[:, 0].tolist() == [True, False]


def test_a_network_with_cached_contexts_pickles():
    import pickle

    net = Network([{"weight": [["1/3", "1"]], "bias": ["0"]}])
    before = context(net, "filtered").signs(np.array([[3, -1]], dtype=object))
    copy = pickle.loads(pickle.dumps(net))
    assert "_contexts" not in copy.__dict__
    after = context(copy, "filtered").signs(np.array([[3, -1]], dtype=object))
    assert [x.tolist() for pair in before for x in pair] == [x.tolist() for pair in after for x in pair]
