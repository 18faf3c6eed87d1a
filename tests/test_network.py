"""The network model: validation, exact conversion, JSON / npz / torch round trips."""

from fractions import Fraction

import numpy as np
import pytest

from vqgeom import InvalidInputError, InvalidNetworkError, Network, load_network


def small_net(**kw):
    return Network([
        {"weight": [[1.0, 2.0], [3.0, -0.5], [0.25, 1.0]], "bias": [0.0, 1.0, -0.5]},
        {"weight": [[1.0, -1.0, 2.0]], "bias": [0.1], "activation": "leaky_relu", "negative_slope": 0.2},
    ], readout={"weight": [[2.0]], "bias": [1.0]}, **kw)


def test_exact_strings_are_decimal_rationals():
    net = Network([{"weight": [["0.1", "-5/2"]], "bias": ["1e-3"]}])
    assert net.exact
    assert net.layers[0].weight[0, 0] == Fraction(1, 10)
    assert net.layers[0].weight[0, 1] == Fraction(-5, 2)
    assert net.layers[0].bias[0] == Fraction(1, 1000)


def test_to_exact_takes_binary64_values():
    net = Network([{"weight": [[0.1]], "bias": [0.0]}]).to_exact()
    assert net.layers[0].weight[0, 0] == Fraction(0.1) != Fraction(1, 10)


def test_exact_and_float_forward_agree():
    net = small_net()
    X = np.random.default_rng(0).normal(size=(20, 2))
    exact = net.to_exact().forward(X)
    np.testing.assert_allclose(np.asarray(exact, dtype=float), net.forward(X), rtol=1e-12)
    pre_f = net.preactivations(X)
    pre_e = net.to_exact().preactivations(X)
    for a, b in zip(pre_f, pre_e):
        np.testing.assert_array_equal(a >= 0, np.asarray(b >= 0, dtype=bool))


@pytest.mark.parametrize("exact", [False, True])
def test_json_round_trip(tmp_path, exact):
    net = small_net(exact=exact)
    path = tmp_path / "net.json"
    net.to_json(path)
    back = load_network(path)
    assert back.exact == exact
    assert back.to_dict() == net.to_dict()


@pytest.mark.parametrize("exact", [False, True])
def test_npz_round_trip(tmp_path, exact):
    net = small_net(exact=exact)
    path = tmp_path / "net.npz"
    net.save_npz(path)
    back = load_network(path)
    assert back.to_dict() == net.to_dict()


def test_torch_round_trip(tmp_path):
    import torch

    net = small_net()
    module = net.to_torch(dtype=torch.float64)  # binary64: the round trip is exact
    X = np.random.default_rng(1).normal(size=(7, 2))
    out = module(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(out, net.forward(X), rtol=1e-12)
    back = Network.from_torch(module)
    assert back.to_dict() == net.to_dict()
    torch.save(module, tmp_path / "m.pt")
    assert load_network(tmp_path / "m.pt").to_dict() == net.to_dict()


def test_skip_layers_to_torch():
    import torch

    net = Network([{"weight": [[2.0]], "bias": [-1.0], "skip": [[2.0]], "out": [[-1.0]]}] * 3)
    X = np.linspace(0, 1, 11)[:, None]
    np.testing.assert_allclose(net.to_torch(torch.float64)(torch.as_tensor(X)).detach().numpy(),
                               net.forward(X))


def test_from_torch_rejects_unknown_module():
    import torch.nn as nn

    from vqgeom import UnsupportedModuleError

    with pytest.raises(UnsupportedModuleError, match="Conv2d"):
        Network.from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU()))


@pytest.mark.parametrize("layers, match", [
    ([{"weight": [[1.0, float("nan")]], "bias": [0.0]}], "finite"),
    ([{"weight": [[1.0, 2.0]], "bias": [0.0, 1.0]}], r"bias must have shape \(1,\)"),
    ([{"weight": [[0.0, 0.0], [1.0, 0.0]], "bias": [1.0, 0.0]}], "layer 0, row 0: all-zero"),
    ([{"weight": [[1.0]], "bias": [0.0], "activation": "tanh"}], "unknown activation 'tanh'"),
    ([{"weight": [[1.0]], "bias": [0.0]}, {"weight": [[1.0, 1.0]], "bias": [0.0]}], "layer 1: weight must have 1 columns"),
    ([{"weight": [["x"]], "bias": [0]}], "spell"),
    ([], "at least one layer"),
])
def test_bad_networks_name_the_problem(layers, match):
    with pytest.raises(InvalidNetworkError, match=match):
        Network(layers)


def test_constant_neurons_in_later_layers_are_flagged():
    net = Network([{"weight": [[1.0]], "bias": [0.0]}, {"weight": [[0.0], [1.0]], "bias": [0.0, 0.0]}])
    assert net.constant_neurons == [(1, 0)]


def test_wrong_input_dimension():
    with pytest.raises(InvalidInputError, match=r"shape \(n_points, 2\)"):
        small_net().forward(np.zeros((3, 5)))


def test_preactivation_maps_match_forward():
    net = small_net()
    X = np.random.default_rng(2).normal(size=(30, 2))
    signs = net.signs(X)
    for i, x in enumerate(X):
        maps = net.preactivation_maps([s[i] for s in signs])
        for (A, c), pre in zip(maps, net.preactivations(x[None])):
            np.testing.assert_allclose(A @ x + c, pre[0], rtol=1e-12, atol=1e-12)


def test_preactivation_maps_are_exact_on_cpa_layers():
    # exact arithmetic: the region maps reproduce the pre-activations with equality, for
    # leaky ReLU, abs, skip and out maps (float maps above only agree to rounding)
    rng = np.random.default_rng(4)
    q = lambda *shape: [[Fraction(int(v), 4) for v in row] for row in rng.integers(-5, 6, size=shape)]
    net = Network([
        {"weight": q(3, 2), "bias": ["1/3", "-1/2", "0"], "activation": "leaky_relu",
         "negative_slope": "1/10", "skip": q(3, 2)},
        {"weight": q(4, 3), "bias": ["0", "1/4", "-1/4", "1/2"], "activation": "abs",
         "out": q(2, 4), "skip": q(2, 3), "out_bias": ["1/5", "0"]},
        {"weight": q(3, 2), "bias": ["1/7", "0", "-1/3"]},
    ])
    X = [[Fraction(int(a), 7), Fraction(int(b), 5)] for a, b in rng.integers(-9, 10, size=(25, 2))]
    pres, signs = net.preactivations(X), net.signs(X)
    seen = set()
    for i, x in enumerate(X):
        code = [s[i] for s in signs]
        seen.add(tuple(tuple(bool(v) for v in c) for c in code))
        for (A, c), pre in zip(net.preactivation_maps(code), pres):
            assert (A @ np.array(x, dtype=object) + c).tolist() == pre[i].tolist()
    assert len(seen) >= 5      # several regions, not one map checked many times



def test_to_torch_follows_the_default_dtype_and_takes_float32_input():
    import torch

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5), torch.nn.ReLU())
    x = torch.randn(16, 3)  # the user's float32 input
    back = Network.from_torch(m).to_torch()
    assert all(p.dtype == torch.get_default_dtype() == torch.float32 for p in back.parameters())
    with torch.no_grad():
        torch.testing.assert_close(back(x), m(x), rtol=0, atol=0)  # the same float32 weights
    assert all(p.dtype == torch.float64 for p in Network.from_torch(m).to_torch(dtype=torch.float64).parameters())
    prev = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert next(Network.from_torch(m).to_torch().parameters()).dtype == torch.float64
    finally:
        torch.set_default_dtype(prev)
    with pytest.raises(InvalidInputError, match="dtype"):
        Network.from_torch(m).to_torch(dtype=torch.int32)
