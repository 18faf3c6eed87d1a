"""Datasets: shapes, ranges, rng determinism, IDX reading, errors."""

import gzip
import math

import numpy as np
import pytest

from vqgeom import datasets
from vqgeom.errors import InvalidInputError


def test_two_moons_shape_range_labels():
    X, y = datasets.two_moons(rng=0)
    assert X.shape == (150, 2) and y.shape == (150,)
    assert sorted(set(y.tolist())) == [0, 1] and int(y.sum()) == 75
    norms = np.linalg.norm(X, axis=1)
    assert norms.max() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.abs(X) <= 1.0)
    Xr, yr = datasets.two_moons(rng=0, angle=math.pi / 6)
    assert np.all(np.abs(Xr) <= 1.0)  # inside the unit disc, so inside the square after rotation
    assert np.array_equal(y, yr)
    assert np.allclose(Xr, datasets.rotate(X, math.pi / 6), atol=1e-15)


def test_two_moons_rng_determinism():
    a = datasets.two_moons(rng=3)[0]
    b = datasets.two_moons(rng=np.random.default_rng(3))[0]
    c = datasets.two_moons(rng=4)[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    state = np.random.get_state()[1].copy()
    datasets.two_moons(rng=1)
    assert np.array_equal(state, np.random.get_state()[1])  # the global numpy RNG is untouched


def test_rotate_is_a_rotation_of_the_first_plane():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 5))
    R = datasets.rotate(X, 0.7)
    assert np.allclose(np.linalg.norm(R, axis=1), np.linalg.norm(X, axis=1))
    assert np.array_equal(R[:, 2:], X[:, 2:])
    assert np.allclose(datasets.rotate(R, -0.7), X)
    with pytest.raises(InvalidInputError, match="D >= 2"):
        datasets.rotate(np.zeros((3, 1)), 1.0)


def test_high_dim_two_moons():
    X, y = datasets.high_dim_two_moons(rng=5)
    assert X.shape == (150, 100)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-12)
    U, y2 = datasets.two_moons(rng=5)
    assert np.allclose(X[:, :2], 0.1 * U)  # the signal is 0.1 u, drawn first from the same rng
    assert np.array_equal(y, y2)
    Xr, _ = datasets.high_dim_two_moons(rng=5, angle=math.pi / 6)
    assert np.array_equal(Xr[:, 2:], X[:, 2:])  # same noise, rotated signal
    assert np.allclose(Xr[:, :2], datasets.rotate(X, math.pi / 6)[:, :2])
    with pytest.raises(InvalidInputError, match="scale"):
        datasets.high_dim_two_moons(scale=2.0, rng=0)
    with pytest.raises(InvalidInputError, match="dim"):
        datasets.high_dim_two_moons(dim=2, rng=0)


def test_digits_split():
    d = datasets.digits(n_test=300, rng=0)
    assert d.X_train.shape == (1497, 64) and d.X_test.shape == (300, 64)
    assert d.X_train.min() >= 0 and d.X_train.max() <= 1
    all_rows = np.concatenate([d.X_train, d.X_test])
    assert np.unique(all_rows, axis=0).shape[0] == np.unique(
        datasets.digits(n_test=1, rng=1).X_train.tolist() + datasets.digits(n_test=1, rng=1).X_test.tolist(),
        axis=0).shape[0]  # a partition of the same 1797 images
    assert np.array_equal(datasets.digits(n_test=300, rng=0).y_test, d.y_test)
    with pytest.raises(InvalidInputError, match="exceeds"):
        datasets.digits(n_train=1700, n_test=200, rng=0)


def _write_idx(path, arr, gz=False):
    arr = np.asarray(arr)
    code = {np.dtype(np.uint8): 0x08}[arr.dtype]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    raw = head + arr.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_idx(tmp_path, gz):
    rng = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    imgs = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 30, dtype=np.uint8)
    _write_idx(tmp_path / f"train-images-idx3-ubyte{sfx}", imgs, gz)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{sfx}", labels, gz)
    s = datasets.mnist(tmp_path, n_train=20, n_test=10, rng=0)
    assert s.X_train.shape == (20, 784) and s.X_test.shape == (10, 784)
    assert s.X_train.max() <= 1.0 and s.X_train.min() >= 0.0
    # every drawn image is one of the file's, with its own label
    flat = imgs.reshape(30, -1) / 255.0
    for x, lab in zip(s.X_test, s.y_test):
        i = int(np.flatnonzero(np.all(flat == x, axis=1))[0])
        assert labels[i] == lab
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}", imgs[:12], gz)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{sfx}", labels[:12], gz)
    s2 = datasets.mnist(tmp_path, n_train=30, n_test=12, rng=0)
    assert s2.X_test.shape == (12, 784)
    with pytest.raises(InvalidInputError, match="exceed"):
        datasets.mnist(tmp_path, n_train=31, n_test=5, rng=0)


def test_idx_errors(tmp_path):
    bad = tmp_path / "x"
    bad.write_bytes(b"\x01\x02\x03")
    with pytest.raises(InvalidInputError, match="not an IDX"):
        datasets.read_idx(bad)
    _write_idx(tmp_path / "y", np.zeros((4, 2), np.uint8))
    (tmp_path / "z").write_bytes((tmp_path / "y").read_bytes()[:-1])
    with pytest.raises(InvalidInputError, match="bytes follow"):
        datasets.read_idx(tmp_path / "z")
    with pytest.raises(InvalidInputError, match="does not exist"):
        datasets.mnist(tmp_path / "missing")
    with pytest.raises(InvalidInputError, match="no MNIST training files"):
        datasets.mnist(tmp_path)


def test_grid_and_bad_args():
    G = datasets.grid(96)
    assert G.shape == (9216, 2) and G.min() == -1 and G.max() == 1
    assert np.array_equal(G[:96, 1], np.full(96, -1.0))
    with pytest.raises(InvalidInputError, match="n must"):
        datasets.grid(0)
    with pytest.raises(InvalidInputError, match="n must"):
        datasets.two_moons(1)
    with pytest.raises(InvalidInputError, match="noise"):
        datasets.two_moons(noise=-1)
    with pytest.raises(InvalidInputError, match="rng"):
        datasets.two_moons(rng="seed")
