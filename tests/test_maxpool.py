"""Max pooling as a unit kind: max layers (activation="max" with groups), their argmax codes,
the engines that split cells by them, torch's MaxPool conversion, and d (ReLU-type units only).

The independent counts here do not use the engines' argmax splitting
(:mod:`vqgeom.regions._maxpool`): a max layer is rewritten as a ReLU tournament
(``max(m, c) = m + relu(c - m)``, :func:`vqgeom.regions._max_tournament.tournament`), whose
partition the ReLU-only engines enumerate, and its regions are merged here by the original
network's (ReLU code, argmax code) read at their witnesses, counting distinct codes.

Why merging is exact: the tournament network computes every original pre-activation, and on
the interior of one of its regions every comparison of the tournament keeps its strict sign,
so the argmax of every window (and every ReLU sign) is constant there: each tournament region
lies in one cell of constant (ReLU code, argmax code). Those cells are convex (for a fixed code
every pre-activation is one affine map on the cell, and the cell is cut out by the half-spaces
of the code's signs and the inequalities ``f_a >= f_j``), so a cell is connected and the
tournament regions inside it are exactly those with its code: the number of distinct codes is
the number of cells with interior.
"""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

import vqgeom
from vqgeom import Network, enumerate_regions
from vqgeom.errors import InvalidInputError, InvalidNetworkError
from vqgeom.exact.arith import layer_maps
from vqgeom.regions._max_tournament import tournament
from vqgeom.regions.domain import Box


def _max_net(seed, dim=2, exact=False, groups=(2, 3, 1), duplicate=False):
    """relu(dim -> 6) -> max over ``groups`` of 6 linear rows -> relu(4) -> readout 2; with
    ``duplicate`` the last row of the first group repeats its first (an identical tie)."""
    rng = np.random.default_rng(seed)
    n = sum(groups)
    W, b = rng.normal(size=(n, 6)), rng.normal(size=n)
    if duplicate:
        W[groups[0] - 1], b[groups[0] - 1] = W[0], b[0]
    layers = [{"weight": rng.normal(size=(6, dim)), "bias": rng.normal(size=6)},
              {"weight": W, "bias": b, "activation": "max", "groups": list(groups)},
              {"weight": rng.normal(size=(4, len(groups))), "bias": rng.normal(size=4)}]
    net = Network(layers, {"weight": rng.normal(size=(2, 4))})
    return net.to_exact() if exact else net


def _pool_net(seed, dim=2, groups=(2, 2, 2)):
    """The CNN pattern: relu(dim -> 6) -> max over windows of the ReLU outputs themselves
    (a window with two dead candidates ties exactly)."""
    rng = np.random.default_rng(seed)
    return Network([{"weight": rng.normal(size=(6, dim)), "bias": rng.normal(size=6)},
                    {"weight": np.eye(6), "bias": np.zeros(6), "activation": "max", "groups": list(groups)},
                    {"weight": rng.normal(size=(3, len(groups))), "bias": rng.normal(size=3)}])


# ------------------------------------------------------------------ the independent count
def merged_count(net, domain, engine):
    """Cells of constant (ReLU code, argmax code) of ``net``: the tournament's regions (a
    ReLU-only engine) merged by ``net``'s codes at their witnesses (see the module doc)."""
    part = enumerate_regions(tournament(net), domain, engine=engine)
    W = np.array(part.witnesses, dtype=object)
    signs = net.to_exact().signs(W)     # ties only in windows of identical maps (dead ones)
    bits = np.concatenate(signs, axis=1)
    return len({row.tobytes() for row in np.packbits(bits, axis=1)})


# ---------------------------------------------------------------------------- the model
def test_tournament_computes_the_same_function():
    net = _max_net(0)
    X = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_allclose(np.array(tournament(net).forward(X), dtype=float), net.forward(X), atol=1e-12)
    # a max layer with skip, out and out_bias (a residual around the pool), groups of 3, 1, 2
    rng = np.random.default_rng(2)
    res = Network([{"weight": rng.normal(size=(4, 2)), "bias": rng.normal(size=4)},
                   {"weight": rng.normal(size=(6, 4)), "bias": rng.normal(size=6), "activation": "max",
                    "groups": [3, 1, 2], "skip": rng.normal(size=(5, 4)), "out": rng.normal(size=(5, 3)),
                    "out_bias": rng.normal(size=5)},
                   {"weight": rng.normal(size=(2, 5)), "bias": rng.normal(size=2)}])
    np.testing.assert_allclose(np.array(tournament(res).forward(X), dtype=float), res.forward(X), atol=1e-12)
    ref = enumerate_regions(res, Box(-2, 2, dim=2), engine="polygon")
    part = enumerate_regions(res, Box(-2, 2, dim=2), engine="lp")
    part.verify()
    assert (part.n_regions, part.n_adjacencies) == (ref.n_regions, ref.n_adjacencies) and ref.n_regions > 5


def test_max_layer_forward_codes_and_ties():
    net = _max_net(3)
    X = np.random.default_rng(0).normal(size=(200, 2))
    h = np.maximum(X @ net.layers[0].weight.T + net.layers[0].bias, 0)
    pre = h @ net.layers[1].weight.T + net.layers[1].bias
    pooled = np.stack([pre[:, :2].max(1), pre[:, 2:5].max(1), pre[:, 5]], axis=1)
    np.testing.assert_allclose(net.layers[1].argmax_code(pre)[0].sum(1), 3)
    want = np.zeros(pre.shape, dtype=bool)
    for g0, g1 in ((0, 2), (2, 5), (5, 6)):
        want[np.arange(200), g0 + np.argmax(pre[:, g0:g1], axis=1)] = True
    np.testing.assert_array_equal(net.signs(X)[1], want)
    z = np.maximum(pooled @ net.layers[2].weight.T + net.layers[2].bias, 0)
    np.testing.assert_allclose(net.forward(X), z @ net.readout.weight.T, atol=1e-12)
    ex = net.to_exact()
    for a, b in zip(ex.signs(X), net.signs(X)):
        np.testing.assert_array_equal(a, b)
    # ties: the lowest index wins and the point is reported on a wall
    tie = Network([{"weight": [[1], [1], [0]], "bias": [0, 0, 1], "activation": "max", "groups": [3]}])
    for n in (tie, tie.to_exact()):
        (code,), zero = n.signs_and_zeros([[1]])[0], n.signs_and_zeros([[1]])[1]
        assert code.tolist() == [[True, False, False]] and zero.tolist() == [True]
        assert n.signs([[2]])[0].tolist() == [[True, False, False]]
        assert n.signs([[0.5]])[0].tolist() == [[False, False, True]]


def test_filtered_context_decides_close_argmaxes_exactly():
    # rows differing by 1e-300 / 3-ish: the float filter cannot decide, the exact pass does
    net = Network([{"weight": [["1"], ["1"]], "bias": ["0", "1/10000000000000000000000"], "activation": "max",
                    "groups": [2]}])
    assert net.signs([["1/3"]])[0].tolist() == [[False, True]]
    assert net.signs([[1e20]])[0].tolist() == [[False, True]]


@pytest.mark.parametrize("groups, pattern", [
    (None, "needs groups"), ([2, 2], "summing to the layer's 3 rows"), (2, "positive divisor"),
    ([0, 3], "positive sizes"), ("3", "int or a list"), ([1.5, 1.5], "int or a list"),
])
def test_bad_groups_name_the_parameter(groups, pattern):
    lay = {"weight": np.ones((3, 2)), "bias": np.zeros(3), "activation": "max"}
    if groups is not None:
        lay["groups"] = groups
    with pytest.raises(InvalidNetworkError, match=pattern) as err:
        Network([lay])
    assert "groups" in str(err.value)


def test_groups_only_for_max_and_out_has_one_column_per_group():
    with pytest.raises(InvalidNetworkError, match="groups is only for activation='max'"):
        Network([{"weight": np.ones((2, 2)), "groups": [2]}])
    with pytest.raises(InvalidNetworkError, match="out must have 2 columns \\(one per group\\)"):
        Network([{"weight": np.ones((4, 2)), "activation": "max", "groups": 2, "out": np.ones((3, 4))}])
    net = Network([{"weight": np.ones((4, 2)), "activation": "max", "groups": 2}])
    assert net.layers[0].groups == (2, 2) and net.layers[0].output_dim == 2 and net.widths == (4,)


def test_io_round_trips_keep_groups(tmp_path):
    net = _max_net(5)
    X = np.random.default_rng(2).normal(size=(20, 2))
    again = Network.from_json(net.to_json())
    assert again.layers[1].groups == (2, 3, 1) and '"groups": [' in net.to_json(indent=None)
    net.save_npz(tmp_path / "n.npz")
    for other in (again, Network.from_npz(tmp_path / "n.npz"), net.to_exact().to_float()):
        np.testing.assert_array_equal(other.forward(X), net.forward(X))
    ex = net.to_exact()
    assert Network.from_json(ex.to_json()).exact and ex.layers[1].groups == (2, 3, 1)
    mod = net.to_torch(torch.float64)
    np.testing.assert_allclose(mod(torch.as_tensor(X)).detach().numpy(), net.forward(X), atol=1e-12)


def test_codes_on_a_torch_device_and_bad_argmax_codes():
    net = _max_net(8)
    X = np.random.default_rng(4).normal(size=(64, 2))
    on_torch = vqgeom.activation_codes(net, torch.as_tensor(X), device="cpu")
    assert on_torch == vqgeom.activation_codes(net, X)
    code = [s[0] for s in net.signs(X[:1])]
    assert len(net.preactivation_maps(code)) == 3
    code[1] = code[1].copy()
    code[1][:2] = True                       # two winners in the first window
    with pytest.raises(InvalidInputError, match="one-hot"):
        net.preactivation_maps(code)


def test_layer_maps_with_a_one_hot_code_selects_the_rows():
    net = _max_net(7)
    lay = net.layers[1]
    rng = np.random.default_rng(0)
    M, m = rng.normal(size=(6, 2)), rng.normal(size=6)
    code = np.array([False, True, False, False, True, True])
    (A, c), (M2, m2) = layer_maps(lay, M, m, code)
    np.testing.assert_allclose(M2, (lay.weight @ M)[[1, 4, 5]])
    np.testing.assert_allclose(m2, (lay.weight @ m + lay.bias)[[1, 4, 5]])
    ex = net.to_exact().layers[1]
    Mx = np.array([[Fraction(v) for v in r] for r in M], dtype=object)
    mx = np.array([Fraction(v) for v in m], dtype=object)
    (_, _), (M2x, m2x) = layer_maps(ex, Mx, mx, code)
    assert all(isinstance(v, Fraction) for v in M2x.ravel())
    np.testing.assert_allclose(np.array(M2x, dtype=float), M2, atol=1e-12)
    np.testing.assert_allclose(np.array(m2x, dtype=float), m2, atol=1e-12)


# --------------------------------------------------------------------------------- d
def test_d_counts_relu_units_only():
    net = _pool_net(1)
    X = np.random.default_rng(3).normal(size=(40, 2))
    codes = vqgeom.activation_codes(net, X)
    assert codes.widths == (6, 6, 3)
    relu_only = codes.select_layers([0, 2])
    np.testing.assert_array_equal(vqgeom.vq_kernel(net, X), vqgeom.vq_kernel(relu_only))
    np.testing.assert_array_equal(vqgeom.vq_kernel(net, X, weights=[1, 2]),
                                  vqgeom.vq_kernel(relu_only, weights=[1, 2]))
    assert vqgeom.vq_distance(net, X[0], X[1]) == vqgeom.vq_kernel(relu_only)[0, 1]
    # the MDS embedding and the kernel alignment read d too: the same as on the ReLU codes
    np.testing.assert_allclose(vqgeom.mds_embedding(net, X, k=2).coords,
                               vqgeom.mds_embedding(relu_only, k=2).coords)
    np.testing.assert_allclose(vqgeom.kernel_cosine((net, X), (net, X), sigma2=[1.0]),
                               vqgeom.kernel_cosine(relu_only, relu_only, sigma2=[1.0]))
    with pytest.raises(InvalidInputError, match="one entry per layer \\(2\\)"):
        vqgeom.vq_kernel(net, X, weights=[1, 1, 1])
    part = enumerate_regions(net, Box(-2, 2, dim=2))
    K = part.vq_distances()
    bits = part.code_bits().astype(int)
    keep = np.r_[0:6, 12:15]
    np.testing.assert_array_equal(K, (bits[:, None, keep] != bits[None, :, keep]).sum(2))


def test_lemma2_on_a_pooling_network_is_generic_and_holds():
    # the wall where a dead window's candidate comes alive is a ReLU wall and an argmax wall
    # at once: counted once by d, so the facet is generic (proofs/maxpool.md)
    net = _pool_net(4)
    part = enumerate_regions(net, Box(-3, 3, dim=2))
    part.verify()
    both = [f for _, _, f in part.graph.edges(data="flips") if {l for l, _ in f} == {0, 1}]
    assert both, "expected a facet flipping a ReLU unit and its window's argmax together"
    assert part.is_generic
    v = vqgeom.check_lemma2(net, Box(-3, 3, dim=2), partition=part)
    assert v.hypotheses["generic"] and v.holds and v.details["weights"][1] == 0


# --------------------------------------------------------------------------- engines
def _area(poly):
    n = len(poly)
    return abs(sum(poly[k][0] * poly[(k + 1) % n][1] - poly[(k + 1) % n][0] * poly[k][1] for k in range(n))) / 2


@pytest.mark.parametrize("seed", range(4))
def test_polygon_count_equals_the_tournament_count(seed):
    for net in (_max_net(seed), _max_net(seed, groups=(3, 3), duplicate=True), _pool_net(seed),
                _pool_net(seed, groups=(3, 3))):
        part = enumerate_regions(net, Box(-2, 2, dim=2), engine="polygon")
        assert part.n_regions == merged_count(net, Box(-2, 2, dim=2), "polygon")
        part.verify()
        # halfspaces(): a max row j gives f_j - f_w <= 0; clipping the box by them gives the
        # engine's polygon (compared by exact area)
        stored = [part.polygon(i) for i in range(part.n_regions)]
        part._polygons = None
        assert [_area(part.polygon(i)) for i in range(part.n_regions)] == [_area(p) for p in stored]
        fl = enumerate_regions(net, Box(-2, 2, dim=2), engine="polygon", arithmetic="float")
        assert fl.n_regions == part.n_regions and fl.n_adjacencies == part.n_adjacencies


@pytest.mark.parametrize("seed", range(4))
def test_interval_count_equals_the_tournament_count(seed):
    for net in (_max_net(seed, dim=1), _max_net(seed, dim=1, groups=(3, 3), duplicate=True),
                _pool_net(seed, dim=1, groups=(3, 3))):
        for dom in (Box(-3, 3, dim=1), "whole"):
            part = enumerate_regions(net, dom, engine="interval")
            # on a line the cells are intervals: merged_count is the number of distinct codes
            assert part.n_regions == merged_count(net, dom, "interval")
            part.verify()
            assert enumerate_regions(net, dom, engine="interval", arithmetic="float").n_regions == part.n_regions


@pytest.mark.parametrize("seed", range(2))
def test_every_engine_agrees_through_the_tournament(seed):
    # planar, lp, subdivision and cdd split by ReLU units only: the dispatcher runs them on the
    # max layers' ReLU tournament and merges by (ReLU code, argmax code): the polygon partition
    import warnings

    from vqgeom.errors import EngineFallbackWarning

    for net in (_max_net(seed), _pool_net(seed), _max_net(seed, groups=(3, 3), duplicate=True)):
        ref = enumerate_regions(net, Box(-2, 2, dim=2), engine="polygon")
        assert enumerate_regions(net, Box(-2, 2, dim=2)).engine == "polygon"
        # auto in float takes planar through the tournament (faster than polygon in float)
        auto = enumerate_regions(net, Box(-2, 2, dim=2), arithmetic="float")
        assert auto.engine == "planar+tournament" and sorted(auto.codes) == sorted(ref.codes)
        for engine in ("planar", "lp", "subdivision", "cdd"):
            for arithmetic in ("exact", "float"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", EngineFallbackWarning)   # subdivision may hand on to lp
                    part = enumerate_regions(net, Box(-2, 2, dim=2), engine=engine, arithmetic=arithmetic)
                assert part.engine.endswith("+tournament")
                assert (part.n_regions, part.n_adjacencies) == (ref.n_regions, ref.n_adjacencies)
                assert sorted(part.codes) == sorted(ref.codes)
                if arithmetic == "exact":
                    part.verify()


def test_the_whole_plane_and_three_dimensions():
    import warnings

    net = _pool_net(1)
    part = enumerate_regions(net, "whole")          # polygon takes boxes only: the tournament runs
    part.verify()
    assert part.engine.endswith("+tournament") and part.frame is not None
    inner = enumerate_regions(net, part.frame)
    assert inner.n_regions == part.n_regions        # the frame holds every vertex of the complex
    net3 = _max_net(3, dim=3)
    counts = set()
    for engine in ("auto", "lp", "cdd"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = enumerate_regions(net3, Box(-1, 1, dim=3), engine=engine)
        p.verify()
        counts.add((p.n_regions, p.n_adjacencies))
    assert len(counts) == 1
    X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    assert (p.region_of(X, on_boundary="mark") >= 0).all()   # exact: every code found is a region
    v = vqgeom.check_lemma2(net3, Box(-1, 1, dim=3), partition=p)
    assert v.holds


def test_tournament_refuses_an_affine_max_layer():
    net = Network([{"weight": [[1.0], [2.0]], "activation": "max", "groups": 1}])
    with pytest.raises(InvalidInputError, match="one candidate"):
        tournament(net)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), groups=st.sampled_from([(2, 3, 1), (3, 3), (1, 1, 4), (6,)]))
def test_law_exact_and_float_interval_agree_and_group_order_does_not_matter(seed, groups):
    net = _max_net(seed, dim=1, groups=groups)
    dom = Box(-4, 4, dim=1)
    ex = enumerate_regions(net, dom, engine="interval")
    assert enumerate_regions(net, dom, engine="interval", arithmetic="float").n_regions == ex.n_regions
    # reversing the order of the groups (rows and the next layer's columns) keeps the partition
    lay, nxt = net.layers[1], net.layers[2]
    starts = np.concatenate([[0], np.cumsum(lay.groups)])
    order = np.concatenate([np.arange(starts[g], starts[g + 1]) for g in reversed(range(len(groups)))])
    rev = Network([{"weight": net.layers[0].weight, "bias": net.layers[0].bias},
                   {"weight": lay.weight[order], "bias": lay.bias[order], "activation": "max",
                    "groups": list(reversed(groups))},
                   {"weight": nxt.weight[:, ::-1], "bias": nxt.bias}])
    assert enumerate_regions(rev, dom, engine="interval").n_regions == ex.n_regions


# ------------------------------------------------------------------------------ torch
def test_torch_cpu_max_pool_returns_the_first_maximum_in_scan_order():
    x = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = 1.0                       # a tie inside window (0, 0)
    _, idx = nn.functional.max_pool2d(x, 2, return_indices=True)
    assert idx[0, 0].tolist() == [[4, 2], [8, 10]]            # (1, 0) before (1, 1); zeros: first
    _, idx = nn.functional.max_pool2d(torch.zeros(1, 1, 4, 4), 3, stride=2, padding=1, return_indices=True)
    assert idx[0, 0].tolist() == [[0, 1], [4, 5]]             # the first valid (unpadded) element


def _windows(H, W, k, s, p, d, Ho, Wo):
    """Input positions of each window of a 2-D max pool, in scan order, padding left out."""
    out = {}
    for i in range(Ho):
        for j in range(Wo):
            out[i, j] = [(i * s - p + a * d) * W + (j * s - p + b * d)
                         for a in range(k) for b in range(k)
                         if 0 <= i * s - p + a * d < H and 0 <= j * s - p + b * d < W]
    return out


@pytest.mark.parametrize("pool", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                  dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True)])
def test_restrict_agrees_with_torch_codes_and_pool_indices(pool):
    torch.manual_seed(0)
    conv1, conv2 = nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1)
    mp = nn.MaxPool2d(**pool)
    model = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), conv1, nn.ReLU(), mp, conv2, nn.ReLU(),
                          nn.Flatten()).double().eval()
    Ho = mp(torch.zeros(1, 1, 8, 8)).shape[-1]
    model.append(nn.Linear(2 * Ho * Ho, 3).double())
    rng = np.random.default_rng(0)
    P = rng.integers(0, 17, size=(3, 64)) / 16.0              # digits-like, exact in binary64
    plane = vqgeom.Plane(*P)
    net = vqgeom.restrict(model, plane)
    assert [lay.is_max for lay in net.layers] == [False, True, False]
    uv = rng.integers(-256, 1281, size=(3000, 2)) / 1024.0    # exact dyadic (u, v)
    X = torch.as_tensor(P[0] + uv[:, :1] * (P[1] - P[0]) + uv[:, 1:] * (P[2] - P[0]))
    with torch.no_grad():
        pre1 = conv1(X.reshape(-1, 1, 8, 8))
        h = torch.relu(pre1)
        pooled, idx = nn.functional.max_pool2d(h, return_indices=True, **pool)
        pre2 = conv2(pooled)
    signs, zeros = net.signs_and_zeros(uv)                   # floats read exactly by the exact network
    # off the walls: every ReLU pre-activation and every window gap clear of float64 rounding
    win = _windows(8, 8, pool["kernel_size"], pool.get("stride", pool["kernel_size"]), pool.get("padding", 0),
                   pool.get("dilation", 1), Ho, Ho)
    cand = np.concatenate([np.array(win[i, j]) + c * 64 for c in range(2) for i in range(Ho) for j in range(Ho)])
    hv = h.reshape(len(uv), -1).numpy()[:, cand]
    sizes = net.layers[1].groups
    assert list(sizes) == [len(win[i, j]) for _ in range(2) for i in range(Ho) for j in range(Ho)]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    gaps = []
    for g in range(len(sizes)):
        vals = np.sort(hv[:, starts[g]:starts[g + 1]], axis=1)
        gap = vals[:, -1] - (vals[:, -2] if sizes[g] > 1 else -np.inf)
        gaps.append(np.where(vals[:, -1] == 0, np.inf, gap))   # exactly dead windows: a true tie
    clear = ((np.abs(pre1.reshape(len(uv), -1).numpy()) > 1e-9).all(1)
             & (np.abs(pre2.reshape(len(uv), -1).numpy()) > 1e-9).all(1)
             & (np.stack(gaps, 1) > 1e-9).all(1))
    assert clear.sum() > 2000
    np.testing.assert_array_equal(signs[0][clear], (pre1.reshape(len(uv), -1) >= 0).numpy()[clear])
    np.testing.assert_array_equal(signs[2][clear], (pre2.reshape(len(uv), -1) >= 0).numpy()[clear])
    # the argmax: our one-hot position in each window -> torch's input index in the channel plane
    chosen = np.array([cand[starts[g] + np.argmax(signs[1][:, starts[g]:starts[g + 1]], axis=1)] % 64
                       for g in range(len(sizes))]).T
    np.testing.assert_array_equal(chosen[clear], idx.reshape(len(uv), -1).numpy()[clear])
    dead = (np.stack([hv[:, starts[g]:starts[g + 1]].max(1) for g in range(len(sizes))], 1) == 0)
    assert dead[clear].any()                                  # ties at dead windows were compared
    tied = dead & (np.asarray(sizes) > 1)[None, :]            # a dead window of two or more ties
    assert (zeros[clear] == tied[clear].any(1)).all()         # and those are the only ties


def test_return_indices_and_adaptive_max_pool_are_refused():
    from vqgeom.errors import UnsupportedModuleError

    for mod, pattern in ((nn.MaxPool2d(2, return_indices=True), "return_indices"),
                         (nn.AdaptiveMaxPool2d(2, return_indices=True), "return_indices")):
        with pytest.raises(UnsupportedModuleError, match=pattern):
            Network.from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), mod), input_shape=(1, 6, 6))


@pytest.mark.parametrize("pool, size", [(nn.AdaptiveMaxPool2d((3, 2)), 7), (nn.AdaptiveMaxPool1d(4), 9)])
def test_adaptive_max_pool_converts_with_torchs_windows(pool, size):
    torch.manual_seed(0)
    two_d = isinstance(pool, nn.AdaptiveMaxPool2d)
    conv = nn.Conv2d(1, 2, 3, padding=1) if two_d else nn.Conv1d(1, 2, 3, padding=1)
    shape = (1, size, size) if two_d else (1, size)
    model = nn.Sequential(nn.Unflatten(1, shape), conv, nn.ReLU(), pool, nn.Flatten()).double()
    net = Network.from_torch(model, input_shape=(int(np.prod(shape)),))
    assert net.layers[1].is_max
    X = torch.randn(300, int(np.prod(shape)), dtype=torch.float64)
    np.testing.assert_allclose(net.forward(X.numpy()), model(X).detach().numpy(), atol=1e-12)
    # the argmax per window is torch's (windows overlap when the size does not divide)
    with torch.no_grad():
        h = torch.relu(conv(X.reshape(-1, *shape)))
        _, idx = type(pool)(pool.output_size, return_indices=True)(h)
    code = net.signs(X.numpy())[1]
    starts = np.concatenate([[0], np.cumsum(net.layers[1].groups)])
    rows = np.argmax(net.layers[1].weight[:, :], axis=1)       # each row selects one ReLU output
    plane = int(np.prod(shape[1:]))
    chosen = np.array([rows[starts[g] + np.argmax(code[:, starts[g]:starts[g + 1]], axis=1)] % plane
                       for g in range(len(starts) - 1)]).T
    live = (h.reshape(300, -1) > 0).numpy()
    ok = np.array([[live[n, rows[starts[g]:starts[g + 1]]].any() for g in range(len(starts) - 1)]
                   for n in range(300)])
    np.testing.assert_array_equal(chosen[ok], idx.reshape(300, -1).numpy()[ok])


def test_max_pool1d_and_functional_forms_convert():
    import torch.nn.functional as F

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.u = nn.Unflatten(1, (1, 9))
            self.c = nn.Conv1d(1, 2, 3, padding=1)

        def forward(self, x):
            x = F.max_pool1d(torch.relu(self.c(self.u(x))), 3, 2, 1, 1, True)
            return x.flatten(1)

    torch.manual_seed(0)
    for model in (M().double(), nn.Sequential(nn.Unflatten(1, (1, 9)), nn.Conv1d(1, 2, 3), nn.ReLU(),
                                              nn.MaxPool1d(2, ceil_mode=True), nn.Flatten()).double()):
        net = Network.from_torch(model, input_shape=(9,))
        assert net.layers[1].is_max
        X = torch.randn(100, 9, dtype=torch.float64)
        np.testing.assert_allclose(net.forward(X.numpy()), model(X).detach().numpy(), atol=1e-12)


# ------------------------------------------------------------- a trained CNN on digits
@pytest.mark.slow
def test_trained_maxpool_cnn_on_a_plane_through_three_digits():
    """conv -> ReLU -> MaxPool2d -> conv -> ReLU trained on the bundled digits: the exact count
    on the plane through three test digits equals the tournament count, and the count after
    the pooling stage equals Regioncam's (its max_pool, one per window, composed by hand)."""
    from vqgeom.datasets import digits
    from vqgeom.digit_models import digits_maxpool_cnn, three_digits, train_on_digits
    from vqgeom.regions.slices import on_slice

    split = digits(rng=0)
    model = digits_maxpool_cnn((1, 2), seed=1)
    assert train_on_digits(model, split, epochs=60) > 0.8
    X, _ = three_digits(split, classes=(3, 5, 8))
    plane = vqgeom.Plane(*X)
    part = enumerate_regions(model, plane)
    assert part.engine == "polygon" and part.n_regions > 500
    net, dom = on_slice(model, plane)
    assert [lay.is_max for lay in net.layers] == [False, True, False]
    assert part.n_regions == merged_count(net, dom, "polygon")
    line = vqgeom.Line(X[0], X[1])
    lnet, ldom = on_slice(model, line)
    n_line = enumerate_regions(model, line).n_regions
    assert n_line == merged_count(lnet, ldom, "interval") and n_line > 10

    # all three digits lie on argmax walls (two candidates over blank patches both equal the
    # bias); vqgeom slice's summary reports them and measures from the regions beside them
    from vqgeom.slice_figure import slice_summary

    info = slice_summary(part, points=X, histogram=False)
    assert info["points_on_walls"] and min(info["point_regions_beside"]) >= 0
    assert info["d_omega_from_first"][0] == 0

    regioncam = pytest.importorskip("regioncam")
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("_rc", Path(__file__).with_name("test_slices_regioncam.py"))
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    _conv_matrix = helpers._conv_matrix    # the dense convolution by index arithmetic

    stage = nn.Sequential(*list(model)[:4], nn.Flatten())
    n_stage = enumerate_regions(stage, plane).n_regions
    f = np.float32
    x0, x1, x2 = X
    rc = regioncam.Regioncam(size=0.75)     # [-0.75, 0.75]^2 = the (u, v) box shifted by 1/2
    rc.linear(np.stack([x1 - x0, x2 - x0]).astype(f), (x0 + 0.5 * (x1 - x0) + 0.5 * (x2 - x0)).astype(f))
    K, b, H, W = _conv_matrix(model[1].weight.detach().double().numpy(),
                              model[1].bias.detach().double().numpy(), 8, 8, 1, 1)
    rc.linear(np.ascontiguousarray(K.T).astype(f), b.astype(f))
    h = rc.relu()
    for w in [[(i + a) * W + j + c for a in (0, 1) for c in (0, 1)] for i in range(0, H, 2) for j in range(0, W, 2)]:
        sel = np.zeros((K.shape[0], 4), f)
        sel[w, np.arange(4)] = 1
        rc.linear(sel, np.zeros(4, f), input_layer=h)
        rc.max_pool()
    assert n_stage == rc.num_faces and n_stage > 100


def test_the_proof_example_one_wall_is_a_relu_wall_and_an_argmax_wall():
    # proofs/maxpool.md: h1 = relu(x), h2 = relu(-x - 1) pooled together; at x = -1 the unit h2
    # flips and the argmax changes (2 -> 1); d counts it once, so d = d_Omega = 1 there
    net = Network([{"weight": [["1"], ["-1"]], "bias": ["0", "-1"]},
                   {"weight": [["1", "0"], ["0", "1"]], "activation": "max", "groups": [2]}])
    part = enumerate_regions(net, Box(-3, 3, dim=1))
    assert [c[1] for c in part.codes] == [(False, True), (True, False), (True, False)]
    assert sorted(part.graph.edges[0, 1]["flips"]) == [(0, 1), (1, 0), (1, 1)]
    assert vqgeom.vq_distance(net, [Fraction(-3, 2)], [Fraction(-1, 2)]) == 1
    assert part.partition_distance([[Fraction(-3, 2)]], [[Fraction(-1, 2)]])[0, 0] == 1
    v = vqgeom.check_lemma2(net, Box(-3, 3, dim=1))
    assert v.holds and v.hypotheses["generic"]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), shift=st.integers(-3, 3))
def test_law_permuting_candidates_and_shifting_a_window_keep_the_partition(seed, shift):
    # random (generic) weights: reordering a window's candidates relabels its argmax only; adding
    # a constant to all of a window's candidates (and taking it off the next layer's bias) keeps
    # the function and every cell
    net = _max_net(seed, groups=(3, 3))
    dom = Box(-2, 2, dim=2)
    base = enumerate_regions(net, dom, engine="polygon")
    lay, nxt = net.layers[1], net.layers[2]
    order = np.array([2, 0, 1, 4, 5, 3])
    bias = lay.bias[order] + np.array([shift] * 3 + [0] * 3)
    other = Network([{"weight": net.layers[0].weight, "bias": net.layers[0].bias},
                     {"weight": lay.weight[order], "bias": bias, "activation": "max", "groups": [3, 3]},
                     {"weight": nxt.weight, "bias": nxt.bias - nxt.weight[:, 0] * shift}],
                    {"weight": net.readout.weight})
    X = np.random.default_rng(seed).uniform(-2, 2, size=(20, 2))
    np.testing.assert_allclose(other.forward(X), net.forward(X), atol=1e-9)
    part = enumerate_regions(other, dom, engine="polygon")
    assert (part.n_regions, part.n_adjacencies) == (base.n_regions, base.n_adjacencies)


def test_a_union_of_boxes_tiling_a_box_gives_the_box_partition():
    # the union engine glues the boxes' partitions at wall points with side codes; a max layer's
    # side code takes the largest (value, derivative), then the lowest index
    from vqgeom.catalogue import maxpool_2d
    from vqgeom.regions import BoxUnion

    net = maxpool_2d()
    whole = enumerate_regions(net, Box(-2, 2, dim=2))
    for cut in (Fraction(0), Fraction(1, 3)):
        U = BoxUnion([Box([-2, -2], [cut, 2]), Box([cut, -2], [2, 2])])
        part = enumerate_regions(net, U)
        part.verify()
        assert (part.n_regions, part.n_adjacencies) == (whole.n_regions, whole.n_adjacencies)
        assert sorted(part.codes) == sorted(whole.codes)


@pytest.mark.parametrize("dim", [1, 2, 3])
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_law_every_engine_gives_the_same_partition_of_a_max_network(dim, data):
    import warnings

    from vqgeom.regions.engines import available_engines
    from vqgeom.testing import max_networks

    net = data.draw(max_networks(dim, dyadic=True))     # float weights = the exact ones
    box = Box(-1, 1, dim=dim)
    parts = []
    for engine in available_engines(dim):
        for arithmetic in ("exact", "float"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parts.append(enumerate_regions(net, box, engine=engine, arithmetic=arithmetic))
    parts[0].verify()
    keys = {(p.n_regions, p.n_adjacencies, tuple(sorted(p.codes))) for p in parts}
    assert len(keys) == 1, [(p.engine, p.arithmetic, p.n_regions) for p in parts] + [net.to_json(indent=None)]
    # Lemma 2 holds whenever the ReLU units are generic (proofs/maxpool.md)
    v = vqgeom.check_lemma2(net, box, partition=parts[0])
    assert v.holds or not v.hypotheses["generic"]
