"""Torch modules -> CPA networks: CNNs, residual blocks, batch norm; codes and outputs agree
with torch's own, unsupported modules are named."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import vqgeom
from vqgeom import Network, UnsupportedModuleError


def _cnn(seed):
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=1, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), nn.LeakyReLU(0.1)),
        nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(6 * 2 * 2, 5))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        bn = model[1]
        bn.running_mean.copy_(torch.randn(4, generator=g))
        bn.running_var.copy_(torch.rand(4, generator=g) + 0.5)
    return model.eval()


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(6, 8)
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        h = F.relu(self.inp(x))
        y = torch.relu(self.a(h))
        z = (self.b(y) + h).relu()
        return self.out(z - 0.5 * h)


def _hook_signs(model, X):
    """Pre-activation of every activation call, read by forward hooks (torch's own route)."""
    pres = []
    hooks = [m.register_forward_hook(lambda m, i, o: pres.append(i[0].detach().reshape(i[0].shape[0], -1)))
             for m in model.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    with torch.no_grad():
        model(X)
    for h in hooks:
        h.remove()
    return pres


def test_cnn_matches_torch_outputs_and_codes():
    model = _cnn(0).double()
    net = Network.from_torch(model, input_shape=(1, 8, 8))
    assert net.widths == (4 * 8 * 8, 6 * 4 * 4) and net.readout is not None
    assert net.layers[1].activation == "leaky_relu" and net.layers[1].negative_slope == pytest.approx(0.1)
    X = torch.randn(400, 1, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = model(X).numpy()
    got = net.forward(X.reshape(400, -1).numpy())
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    pres = _hook_signs(model, X)
    mine = net.preactivations(X.reshape(400, -1).numpy())
    for p_torch, p_net in zip(pres, mine):
        np.testing.assert_allclose(p_net, p_torch.numpy(), rtol=1e-9, atol=1e-9)
        clear = np.abs(p_net) > 1e-6
        assert np.array_equal((p_net >= 0)[clear], (p_torch.numpy() >= 0)[clear])


def test_input_shape_is_inferred_for_square_images_and_flat_mlps():
    model = _cnn(1)
    net = vqgeom.restrict(model, vqgeom.Plane(*np.random.default_rng(0).normal(size=(3, 64))))
    assert net.input_dim == 2 and net.widths == (256, 96)
    with pytest.raises(UnsupportedModuleError, match="input_shape"):
        Network.from_torch(model)


def test_residual_graph_becomes_skip_maps():
    torch.manual_seed(0)
    model = _Residual().double().eval()
    net = Network.from_torch(model)
    assert net.widths == (8, 8, 8)
    X = np.random.default_rng(2).normal(size=(300, 6))
    with torch.no_grad():
        want = model(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(net.forward(X), want, rtol=1e-10, atol=1e-10)
    # the exact network's codes equal torch's signs away from zero
    h = np.maximum(X @ model.inp.weight.detach().numpy().T + model.inp.bias.detach().numpy(), 0)
    pre1 = h @ model.a.weight.detach().numpy().T + model.a.bias.detach().numpy()
    assert np.array_equal(net.signs(X)[1], pre1 >= 0)


def test_plain_sequential_is_the_same_as_before():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    net = Network.from_torch(m)
    assert net.widths == (5, 4) and all(l.skip is None and l.out is None for l in net.layers)
    np.testing.assert_array_equal(net.layers[1].weight, m[2].weight.detach().double().numpy())


@pytest.mark.parametrize("module, pattern", [
    (nn.Sequential(nn.Linear(4, 4), nn.Sigmoid()), "'1' of type Sigmoid is not piecewise linear"),
    (nn.Sequential(nn.Linear(4, 4), nn.GELU()), "GELU is not piecewise linear"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2, return_indices=True)), "return_indices=True"),
    (nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU()), "training mode"),
    (nn.Sequential(nn.Linear(4, 4)), "no ReLU-type activation"),
])
def test_unsupported_modules_are_named(module, pattern):
    shape = (1, 6, 6) if isinstance(module[0], nn.Conv2d) else None
    with pytest.raises(UnsupportedModuleError, match=pattern):
        Network.from_torch(module, input_shape=shape)


def test_functional_nonlinearity_is_named():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(3, 3)

        def forward(self, x):
            return torch.tanh(F.relu(self.l(x)))

    with pytest.raises(UnsupportedModuleError, match="function tanh"):
        Network.from_torch(M())


def test_lemma2_on_a_line_through_a_residual_torch_module():
    torch.manual_seed(1)
    model = _Residual().eval()
    X = np.random.default_rng(4).normal(size=(2, 6))
    line = vqgeom.Line(X[0], X[1], lo=-3, hi=3)
    v = vqgeom.check_lemma2(model, line)
    part = vqgeom.enumerate_regions(model, line)
    assert v.holds and v.n_regions == part.n_regions > 3
    # the residual block's second ReLU reads h + b(y): its neurons flip along the line too
    flipped = {l for _, _, d in part.graph.edges(data=True) for l, _ in d["flips"]}
    assert flipped == {0, 1, 2}
