"""Seeded training helpers: determinism without global state, both losses, errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vqgeom import Network  # noqa: E402
from vqgeom.codes import activation_codes  # noqa: E402
from vqgeom.datasets import two_moons  # noqa: E402
from vqgeom.errors import InvalidInputError  # noqa: E402
from vqgeom.training import accuracy, make_generator, mlp, train  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks train fastest on one thread (restored afterwards)."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def params(m):
    return [p.detach().clone() for p in m.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_mlp_is_seeded_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state().clone()
    a, b, c = mlp(2, [8, 8], 1, seed=3), mlp(2, [8, 8], 1, seed=3), mlp(2, [8, 8], 1, seed=4)
    g = torch.Generator().manual_seed(3)
    d = mlp(2, [8, 8], 1, generator=g)
    assert torch.equal(state, torch.random.get_rng_state())
    assert same(params(a), params(b)) and same(params(a), params(d))
    assert not same(params(a), params(c))
    w = a[0].weight
    assert float(w.detach().abs().max()) <= 1 / np.sqrt(2) + 1e-7  # nn.Linear's default bound 1/sqrt(fan_in)


def test_train_bce_is_deterministic_and_learns():
    X, y = two_moons(80, rng=0)
    runs = []
    for _ in range(2):
        m = mlp(2, [16, 16], 1, seed=0)
        state = torch.random.get_rng_state().clone()
        res = train(m, X, y, loss="bce", epochs=60, batch_size=20, lr=2e-2, seed=5)
        assert torch.equal(state, torch.random.get_rng_state())
        runs.append((params(m), res))
    assert same(runs[0][0], runs[1][0])
    res = runs[0][1]
    assert res.losses[-1] < 0.5 * res.losses[0]
    assert res.train_accuracy > 0.9
    assert accuracy(m, X, y, loss="bce") == res.train_accuracy


def test_train_cross_entropy_and_network_conversion():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0], [-2, 0], [0, 2.5]])
    y = rng.integers(0, 3, 120)
    X = centers[y] + 0.3 * rng.standard_normal((120, 2))
    m = mlp(2, [10], 3, seed=1)
    res = train(m, X, y, loss="ce", epochs=60, lr=3e-2)
    assert res.train_accuracy > 0.95 and res.epochs == 60
    net = Network.from_torch(m)
    hooked = activation_codes(m, X.astype(np.float32))
    assert net.widths == (10,) and hooked.widths == (10,)
    assert np.mean(activation_codes(net, X).bits() == hooked.bits()) > 0.99


def test_errors():
    X, y = two_moons(20, rng=0)
    m = mlp(2, [4], 1, seed=0)
    with pytest.raises(InvalidInputError, match="loss"):
        train(m, X, y, loss="mse")
    with pytest.raises(InvalidInputError, match="labels"):
        train(m, X, y + 1, loss="bce")
    with pytest.raises(InvalidInputError, match="shape"):
        train(m, X, y[:5], loss="bce")
    with pytest.raises(InvalidInputError, match="seed"):
        train(m, X, y, loss="bce", batch_size=4)
    with pytest.raises(InvalidInputError, match="not both"):
        make_generator(1, torch.Generator())
    with pytest.raises(InvalidInputError, match="seed"):
        mlp(2, [4], 1)
    with pytest.raises(InvalidInputError, match="positive integers"):
        mlp(2, [0], 1, seed=0)
    with pytest.raises(InvalidInputError, match="lr"):
        train(m, X, y, loss="bce", lr=-1)
