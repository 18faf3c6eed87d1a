"""Activation codes: packing, Network codes (float and exact), torch hooks on CNNs."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch import nn

from vqgeom import (Codes, InvalidInputError, Network, UnsupportedModuleError,
                    activation_codes)
from vqgeom.codes import pack_bits, unpack_bits


@given(st.integers(0, 9), st.integers(0, 200), st.integers(0, 2**32 - 1))
def test_pack_unpack_round_trip(n_rows, n_cols, seed):
    bits = np.random.default_rng(seed).random((n_rows, n_cols)) < 0.5
    words = pack_bits(bits)
    assert words.dtype == np.uint64 and words.shape == (n_rows, -(-n_cols // 64))
    np.testing.assert_array_equal(unpack_bits(words, n_cols), bits)
    # bit j of word k is column 64 k + j (an independent spelling through Python ints)
    for i in range(n_rows):
        expect = [sum(1 << j for j in range(64) if 64 * k + j < n_cols and bits[i, 64 * k + j])
                  for k in range(words.shape[1])]
        assert [int(w) for w in words[i]] == expect


def random_net(rng, widths, dim=2, **kw):
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": rng.normal(size=(w, d)), "bias": rng.normal(size=w), **kw})
        d = w
    return Network(layers)


def test_network_codes_are_the_signs_and_views_agree():
    rng = np.random.default_rng(0)
    net = random_net(rng, [5, 70, 3])
    X = rng.normal(size=(37, 2))
    codes = activation_codes(net, X, batch_size=8)
    signs = net.signs(X)
    assert codes.n_points == 37 and codes.widths == (5, 70, 3) and codes.n_bits == 78
    for l in range(3):
        np.testing.assert_array_equal(codes.layer_bits(l), signs[l])
    np.testing.assert_array_equal(codes.layer_bits("layer1"), signs[1])
    np.testing.assert_array_equal(codes.bits(), np.concatenate(signs, axis=1))
    np.testing.assert_array_equal(codes.pm1(np.float32), np.where(np.concatenate(signs, 1), 1, -1))
    assert codes.packed[1].shape == (37, 2)
    sub = codes.take(slice(3, 9))
    np.testing.assert_array_equal(sub.bits(), codes.bits()[3:9])
    assert Codes.concatenate([codes.take(slice(0, 20)), codes.take(slice(20, None))]) == codes
    sel = codes.select_layers([2, 0])
    assert sel.widths == (3, 5)
    np.testing.assert_array_equal(sel.layer_bits(0), signs[2])
    only = activation_codes(net, X, layers=[1])
    assert only.widths == (70,) and only.names == ("layer1",)
    np.testing.assert_array_equal(only.layer_bits(0), signs[1])
    on_torch = activation_codes(net, X, device="cpu")
    assert on_torch == codes


def test_exact_codes_sign_zero_is_plus_and_on_boundary():
    # neuron 0: x - 1/3, neuron 1: -x + y ; layer 1: h0 - h1
    net = Network([{"weight": [["1", "0"], ["-1", "1"]], "bias": ["-1/3", "0"]},
                   {"weight": [["1", "-1"]], "bias": ["0"]}])
    X = [[Fraction(1, 3), Fraction(5)], [Fraction(1), Fraction(-1)], [Fraction(1, 2), Fraction(1, 2)]]
    codes = activation_codes(net, X)
    # point 0: pre0 = 0 -> +1 (on the boundary); pre1 = 14/3 >= 0; point 2: pre1 = 0
    assert codes.layer_bits(0).tolist() == [[True, True], [True, False], [True, True]]
    # point 2: h = (1/6, 0) -> layer-1 pre = 1/6
    assert codes.layer_bits(1)[:, 0].tolist() == [False, True, True]
    assert codes.on_boundary.tolist() == [True, False, True]
    # a float network rounds 1/3 and would not see the zero: exact mode is its own path
    exact = activation_codes(net, [[Fraction(1, 3), 0]])
    assert exact.on_boundary.tolist() == [True]


class TwiceCNN(nn.Module):
    """A CNN with an inplace ReLU called twice (residual block) and an inplace LeakyReLU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(3, 3, 3, padding=1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.LeakyReLU(0.1, inplace=True))

    def forward(self, x):
        h = self.act(self.conv1(x))
        h = self.act(h + self.conv2(h))
        return self.head(h)

    def manual_preactivations(self, x):
        p1 = self.conv1(x)
        a1 = torch.relu(p1)
        p2 = a1 + self.conv2(a1)
        a2 = torch.relu(p2)
        p3 = self.head[1](a2.flatten(1))
        return [p.reshape(x.shape[0], -1) for p in (p1, p2, p3)]


def cnn_and_points(seed=0, n=23):
    g = torch.Generator().manual_seed(seed)
    model = TwiceCNN()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    X = torch.randn(n, 1, 4, 4, generator=g)
    return model, X


def test_hooks_on_cnn_with_inplace_relu_called_twice():
    model, X = cnn_and_points()
    codes = activation_codes(model, X, batch_size=5)
    assert codes.names == ("act", "act#1", "head.2")
    assert codes.widths == (48, 48, 5)
    with torch.no_grad():
        pres = model.manual_preactivations(X)
    for l, pre in enumerate(pres):
        expect = (pre >= 0).numpy()
        assert not expect.all()  # negative pre-activations exist: an inplace-blind hook would fail
        np.testing.assert_array_equal(codes.layer_bits(l), expect)


def test_dataloader_batches_equal_one_shot():
    model, X = cnn_and_points(seed=1, n=30)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, torch.zeros(30)), batch_size=7)
    a = activation_codes(model, loader)
    b = activation_codes(model, X)
    c = activation_codes(model, X.numpy(), batch_size=4)
    assert a == b == c and a.n_points == 30


def test_hook_layer_selection_by_name_and_module():
    model, X = cnn_and_points()
    full = activation_codes(model, X)
    by_name = activation_codes(model, X, layers=["head.2"])
    by_mod = activation_codes(model, X, layers=[model.head[2]])
    assert by_name == by_mod
    np.testing.assert_array_equal(by_name.layer_bits(0), full.layer_bits(2))
    twice = activation_codes(model, X, layers=["act"])
    assert twice.names == ("act", "act#1")
    with pytest.raises(InvalidInputError, match="no submodule named 'nope'"):
        activation_codes(model, X, layers=["nope"])
    with pytest.raises(InvalidInputError, match="submodule"):
        activation_codes(model, X, layers=[nn.ReLU()])


def test_sequential_module_codes_equal_network_codes():
    rng = np.random.default_rng(3)
    net = random_net(rng, [4, 6])
    X = rng.normal(size=(12, 2))
    assert activation_codes(net.to_torch(torch.float64), X) == activation_codes(net, X)


def test_bad_inputs():
    rng = np.random.default_rng(0)
    net = random_net(rng, [3])
    with pytest.raises(InvalidInputError, match=r"shape \(n_points, 2\)"):
        activation_codes(net, np.zeros((4, 3)))
    with pytest.raises(InvalidInputError, match="finite"):
        activation_codes(net, [[0.0, np.nan]])
    with pytest.raises(InvalidInputError, match="batch_size"):
        activation_codes(net, np.zeros((4, 2)), batch_size=0)
    with pytest.raises(InvalidInputError, match="layer indices"):
        activation_codes(net, np.zeros((4, 2)), layers=[1])
    with pytest.raises(InvalidInputError, match="Network or a torch"):
        activation_codes("net", np.zeros((4, 2)))
    with pytest.raises(UnsupportedModuleError, match="no ReLU-family module"):
        activation_codes(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), torch.zeros(3, 2))
    model, X = cnn_and_points()
    X[0, 0, 0, 0] = float("inf")
    with pytest.raises(InvalidInputError, match="finite"):
        activation_codes(model, X)
    with pytest.raises(InvalidInputError, match="widths"):
        Codes([np.zeros((2, 1), np.uint64)], [3, 4])


def _exact_bits(net, X):
    """Signs in exact rational arithmetic (sign(0) = +1): the oracle for every float route."""
    exact = net.to_exact()
    pts = [[Fraction(float(v)) for v in row] for row in np.asarray(X, dtype=np.float64)]
    return np.concatenate([np.asarray(s, dtype=bool) for s in exact.signs(pts)], axis=1)


def test_every_route_gives_sign_zero_plus_one_on_cpa_layers():
    # dyadic weights and points: float arithmetic is exact here, so pre-activations that are 0
    # are exactly 0 on the numpy route, the torch route and through module hooks
    rng = np.random.default_rng(6)
    net = Network([
        {"weight": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], "bias": [0.0, 0.0, 0.5],
         "activation": "leaky_relu", "negative_slope": 0.25},
        {"weight": [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.5, 0.5, -1.0]], "bias": [0.0, 0.0, 0.25],
         "activation": "abs", "skip": [[0.5, -1.0, 0.0], [0.0, 1.0, 1.0]], "out": [[1.0, 0.5, 0.0], [0.0, 1.0, -2.0]]},
        {"weight": [[1.0, -1.0], [0.25, 0.0]], "bias": [0.0, -0.5]},
    ])
    grid = np.array([(a, b) for a in np.arange(-2, 2.25, 0.25) for b in np.arange(-2, 2.25, 0.25)])
    X = np.concatenate([grid, rng.integers(-64, 65, size=(40, 2)) / 32])
    want = _exact_bits(net, X)
    numpy_route = activation_codes(net, X)
    torch_route = activation_codes(net, X, device="cpu")
    np.testing.assert_array_equal(numpy_route.bits(), want)
    np.testing.assert_array_equal(torch_route.bits(), want)
    exact = net.to_exact()
    pts = [[Fraction(float(v)) for v in row] for row in X]
    zero = np.any(np.concatenate([np.asarray(p == 0, dtype=bool) for p in exact.preactivations(pts)], axis=1), axis=1)
    assert zero.sum() > 20 and not zero.all()     # many points sit on boundaries, in every layer:
    for l in range(3):
        assert np.any(np.asarray(exact.preactivations(pts)[l] == 0, dtype=bool))
    np.testing.assert_array_equal(numpy_route.on_boundary, zero)
    np.testing.assert_array_equal(torch_route.on_boundary, zero)
    # the leaky slope matters: with slope 0 the codes would differ on these points
    relu = Network([dict(weight=l.weight, bias=l.bias, activation="relu", skip=l.skip, out=l.out)
                    if l.activation == "leaky_relu" else
                    dict(weight=l.weight, bias=l.bias, activation=l.activation, skip=l.skip, out=l.out)
                    for l in net.layers])
    assert not np.array_equal(_exact_bits(relu, X), want)


def test_hooks_give_sign_zero_plus_one():
    # a module whose pre-activations are exactly 0 at chosen points (dyadic weights, zero biases)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.LeakyReLU(0.5), nn.Linear(2, 1), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, -1.0]]))
        model[0].bias.zero_()
        model[2].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.5]]))
        model[2].bias.copy_(torch.tensor([0.0, 0.25]))
        model[4].weight.copy_(torch.tensor([[1.0, -1.0]]))
        model[4].bias.zero_()
    X = torch.tensor([(a, b) for a in np.arange(-1, 1.25, 0.25) for b in np.arange(-1, 1.25, 0.25)],
                     dtype=torch.float32)
    codes = activation_codes(model, X)
    net = Network.from_torch(model)
    want = _exact_bits(net, X.numpy())
    np.testing.assert_array_equal(codes.bits(), want)
    pres = net.to_exact().preactivations([[Fraction(float(v)) for v in row] for row in X.numpy()])
    assert all(np.any(np.asarray(p == 0, dtype=bool)) for p in pres)   # zeros in every layer
