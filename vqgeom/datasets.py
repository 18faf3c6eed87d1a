"""The data sets of the VQ-Kernel paper, generated or read locally (nothing is downloaded).

* :func:`two_moons`: the two-moons point cloud of App. A.1 (n = 150), scaled into the unit
  disc (hence into ``[-1, 1]^2``, and still inside it after any rotation).
* :func:`rotate`: rotation of the first two coordinates (the paper rotates by ``pi/6``).
* :func:`high_dim_two_moons`: App. A.3, ``0.1 u`` concatenated with a uniform point of the
  sphere of radius ``sqrt(1 - |0.1 u|^2)`` in R^98, so every point has unit norm in R^100.
* :func:`digits`: scikit-learn's bundled 8 x 8 digits (1797 images, no download), split.
* :func:`mnist`: MNIST read from IDX files the user gives (``train-images-idx3-ubyte`` etc.,
  optionally gzipped).
* :func:`grid`: the ``n x n`` grid of a square (Fig. 1 uses 96 x 96 on ``[-1, 1]^2``).

Every random function takes ``rng`` (a ``numpy.random.Generator`` or a seed) and touches no
global state.
"""

from __future__ import annotations

import gzip
import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = [
    "Split",
    "two_moons",
    "rotate",
    "high_dim_two_moons",
    "digits",
    "mnist",
    "read_idx",
    "grid",
]


@dataclass(frozen=True)
class Split:
    """A train/test split of a labelled data set.

    Attributes
    ----------
    X_train : ndarray, shape (n_train, D), float64
    y_train : ndarray, shape (n_train,), int64
    X_test : ndarray, shape (n_test, D), float64
    y_test : ndarray, shape (n_test,), int64
    name : str
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise InvalidInputError(f"rng must be a numpy Generator, an integer seed or None, got {type(rng).__name__}")


def _count(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value >= 0):
        raise InvalidInputError(f"{name} must be a non-negative finite number, got {value!r}")
    return float(value)


def rotate(X, angle: float) -> np.ndarray:
    """Rotate the first two coordinates of every point by ``angle`` radians (counter-clockwise).

    Parameters
    ----------
    X : array-like, shape (N, D), D >= 2
    angle : float

    Returns
    -------
    ndarray, shape (N, D); the other coordinates are unchanged, so norms are preserved.

    Examples
    --------
    >>> rotate([[1.0, 0.0, 5.0]], np.pi / 2).round(12).tolist()
    [[0.0, 1.0, 5.0]]
    """
    X = np.array(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 2:
        raise InvalidInputError(f"X must have shape (N, D) with D >= 2, got {X.shape}")
    c, s = math.cos(angle), math.sin(angle)
    x, y = X[:, 0].copy(), X[:, 1].copy()
    X[:, 0] = c * x - s * y
    X[:, 1] = s * x + c * y
    return X


def two_moons(n: int = 150, *, noise: float = 0.08, angle: float = 0.0, rng=None):
    """Two interleaved half circles, scaled into the unit disc (so into ``[-1, 1]^2``).

    The upper moon is ``(cos t, sin t)``, the lower ``(1 - cos t, 1/2 - sin t)``, ``t``
    evenly spaced in ``[0, pi]`` (``n // 2`` points on the upper, the rest on the lower),
    plus Gaussian noise of standard deviation ``noise``. The cloud is then centred on its
    bounding-box centre and divided by its largest norm, so that every point lies in the
    closed unit disc: any rotation (``angle``, applied last) keeps it inside ``[-1, 1]^2``.

    Parameters
    ----------
    n : int
        Number of points (the paper: 150).
    noise : float
        Standard deviation of the Gaussian noise, before scaling.
    angle : float
        Rotation in radians applied after scaling (the paper's alternate set: ``pi / 6``).
    rng : numpy Generator or int or None

    Returns
    -------
    X : ndarray, shape (n, 2), max norm 1
    y : ndarray, shape (n,), int64 in {0, 1}

    Examples
    --------
    >>> X, y = two_moons(6, noise=0.0, rng=0)
    >>> X.shape, y.tolist(), bool(np.abs(np.linalg.norm(X, axis=1).max() - 1) < 1e-12)
    ((6, 2), [0, 0, 0, 1, 1, 1], True)
    """
    n = _count(n, "n", 2)
    noise = _nonneg(noise, "noise")
    rng = _rng(rng)
    n_up = n // 2
    n_lo = n - n_up
    t_up = np.linspace(0.0, math.pi, n_up)
    t_lo = np.linspace(0.0, math.pi, n_lo)
    X = np.concatenate([
        np.stack([np.cos(t_up), np.sin(t_up)], axis=1),
        np.stack([1.0 - np.cos(t_lo), 0.5 - np.sin(t_lo)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_up, np.int64), np.ones(n_lo, np.int64)])
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    X = X - 0.5 * (X.min(axis=0) + X.max(axis=0))
    X = X / np.linalg.norm(X, axis=1).max()
    if angle:
        X = rotate(X, angle)
    return X, y


def high_dim_two_moons(n: int = 150, dim: int = 100, *, scale: float = 0.1, noise: float = 0.08,
                       angle: float = 0.0, rng=None):
    """The high-dimensional two moons of the paper's App. A.3, on the unit sphere of R^dim.

    Each two-moons point ``u`` (:func:`two_moons`, in the unit disc) becomes
    ``(scale * u, z)`` with ``z`` uniform on the sphere of radius ``sqrt(1 - |scale u|^2)`` in
    R^(dim-2); every point has unit norm. ``angle`` rotates the signal plane (the first two
    coordinates); the same ``rng`` gives the same ``z``, so the rotated set differs from the
    plain one only in its signal.

    Parameters
    ----------
    n, noise, rng
        As in :func:`two_moons`.
    dim : int
        Ambient dimension (>= 3; the paper: 100).
    scale : float
        Signal scale in (0, 1] (the paper: 0.1).
    angle : float
        Rotation of the signal plane in radians.

    Returns
    -------
    X : ndarray, shape (n, dim), unit rows
    y : ndarray, shape (n,)

    Examples
    --------
    >>> X, y = high_dim_two_moons(10, dim=5, rng=1)
    >>> X.shape, bool(np.allclose(np.linalg.norm(X, axis=1), 1.0))
    ((10, 5), True)
    """
    n = _count(n, "n", 2)
    dim = _count(dim, "dim", 3)
    if not (isinstance(scale, numbers.Real) and 0 < scale <= 1):
        raise InvalidInputError(f"scale must be a number in (0, 1], got {scale!r}")
    rng = _rng(rng)
    U, y = two_moons(n, noise=noise, rng=rng)
    Z = rng.standard_normal((n, dim - 2))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    S = scale * U
    radius = np.sqrt(np.clip(1.0 - np.sum(S * S, axis=1), 0.0, None))
    X = np.concatenate([S, radius[:, None] * Z], axis=1)
    if angle:
        X = rotate(X, angle)
    return X, y


def _split(X, y, n_train, n_test, rng, name):
    n = X.shape[0]
    if n_train + n_test > n:
        raise InvalidInputError(f"n_train + n_test = {n_train + n_test} exceeds the {n} samples of {name}")
    perm = rng.permutation(n)
    tr, te = perm[:n_train], perm[n_train:n_train + n_test]
    return Split(X[tr], y[tr], X[te], y[te], name)


def digits(*, n_train: int | None = None, n_test: int = 500, rng=None) -> Split:
    """scikit-learn's bundled 8 x 8 digits (1797 images, 10 classes), scaled to [0, 1].

    Parameters
    ----------
    n_train : int, optional
        Training size (default: every image not in the test set).
    n_test : int
        Test size.
    rng : numpy Generator or int or None
        Draws the random split.

    Returns
    -------
    Split
        ``X_*`` of shape (n, 64) in [0, 1], ``y_*`` in 0..9.

    Raises
    ------
    InvalidInputError
        If the sizes exceed the 1797 images.
    """
    from sklearn.datasets import load_digits

    n_test = _count(n_test, "n_test")
    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64) / 16.0
    y = np.asarray(data.target, dtype=np.int64)
    n_train = X.shape[0] - n_test if n_train is None else _count(n_train, "n_train")
    return _split(X, y, n_train, n_test, _rng(rng), "digits")


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzipped or not.

    Raises
    ------
    InvalidInputError
        If the file is missing, truncated, or not IDX.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read IDX file {str(path)!r}: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise InvalidInputError(f"{str(path)!r} is not an IDX file (bad magic number)")
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise InvalidInputError(f"{str(path)!r}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape)) if shape else 1
    if len(raw) - head != count * dtype.itemsize:
        raise InvalidInputError(
            f"{str(path)!r}: IDX header announces shape {shape} ({count * dtype.itemsize} bytes) "
            f"but {len(raw) - head} bytes follow"
        )
    return np.frombuffer(raw, dtype=dtype, offset=head).reshape(shape)


def _find(directory: Path, stems):
    for stem in stems:
        for suffix in ("", ".gz"):
            p = directory / (stem + suffix)
            if p.exists():
                return p
    return None


def mnist(directory, *, n_train: int = 8000, n_test: int = 2000, rng=None) -> Split:
    """MNIST from IDX files in ``directory`` (the paper's App. A.2 split: 8000 / 2000).

    Looks for ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (also with
    ``.gz``, or with ``.`` instead of the last ``-``); the training images are drawn from
    them and the test images from ``t10k-*`` when present, else from the rest of the
    training file. Pixels are scaled to [0, 1] and flattened to 784 features. Nothing is
    downloaded.

    Raises
    ------
    InvalidInputError
        If the directory or the training files are missing, or the sizes are too large.
    """
    d = Path(os.fspath(directory))
    if not d.is_dir():
        raise InvalidInputError(f"mnist directory {str(d)!r} does not exist")
    n_train = _count(n_train, "n_train")
    n_test = _count(n_test, "n_test")
    rng = _rng(rng)
    names = lambda part, kind, k: [f"{part}-{kind}-idx{k}-ubyte", f"{part}-{kind}.idx{k}-ubyte"]
    tri, trl = _find(d, names("train", "images", 3)), _find(d, names("train", "labels", 1))
    if tri is None or trl is None:
        raise InvalidInputError(
            f"no MNIST training files in {str(d)!r}: expected train-images-idx3-ubyte[.gz] and "
            f"train-labels-idx1-ubyte[.gz]"
        )
    def load(img, lab):
        X = read_idx(img)
        y = read_idx(lab).astype(np.int64)
        if X.shape[0] != y.shape[0]:
            raise InvalidInputError(f"{img.name} has {X.shape[0]} images but {lab.name} has {y.shape[0]} labels")
        return X.reshape(X.shape[0], -1).astype(np.float64) / 255.0, y
    Xtr, ytr = load(tri, trl)
    tei, tel = _find(d, names("t10k", "images", 3)), _find(d, names("t10k", "labels", 1))
    if tei is None or tel is None:
        return _split(Xtr, ytr, n_train, n_test, rng, "mnist")
    Xte, yte = load(tei, tel)
    if n_train > Xtr.shape[0] or n_test > Xte.shape[0]:
        raise InvalidInputError(
            f"n_train={n_train} / n_test={n_test} exceed the {Xtr.shape[0]} / {Xte.shape[0]} MNIST images"
        )
    tr = rng.permutation(Xtr.shape[0])[:n_train]
    te = rng.permutation(Xte.shape[0])[:n_test]
    return Split(Xtr[tr], ytr[tr], Xte[te], yte[te], "mnist")


def grid(n: int = 96, lower: float = -1.0, upper: float = 1.0) -> np.ndarray:
    """The ``n x n`` grid of the square ``[lower, upper]^2``, row-major (y outer, x inner).

    Returns
    -------
    ndarray, shape (n * n, 2); ``grid(n)[:, 0].reshape(n, n)`` is the x image.

    Examples
    --------
    >>> grid(2).tolist()
    [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]
    """
    n = _count(n, "n")
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise InvalidInputError(f"need finite lower < upper, got lower={lower!r}, upper={upper!r}")
    t = np.linspace(lower, upper, n)
    xx, yy = np.meshgrid(t, t)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)
