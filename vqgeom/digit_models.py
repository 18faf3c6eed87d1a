"""Tiny networks on scikit-learn's bundled 8 x 8 digits, for slices through data.

Used by the examples, the ``vqgeom slice`` tests and ``benchmarks/bench_slice.py``: an MLP
and a CNN with two convolutions (stride, padding) that train on the CPU in seconds, and
three test digits of different classes to lay a plane through.
"""

from __future__ import annotations

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["digits_mlp", "digits_cnn", "digits_maxpool_cnn", "train_on_digits", "three_digits"]


def digits_mlp(widths=(32, 32), *, seed: int = 0):
    """``64 -> widths -> 10`` ReLU MLP (PyTorch's default initialisation from ``seed``)."""
    from vqgeom.training import mlp

    return mlp(64, list(widths), 10, seed=seed)


def digits_cnn(channels=(4, 8), *, seed: int = 0):
    """A CNN on flat 64-vectors: Unflatten to (1, 8, 8), Conv2d(3x3, stride 1, padding 1),
    ReLU, Conv2d(3x3, stride 2, padding 1), ReLU, Flatten, Linear to 10 classes."""
    import torch
    from torch import nn

    c1, c2 = channels
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, c1, 3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(c2 * 4 * 4, 10))
    return _initialise(model, seed)


def digits_maxpool_cnn(channels=(2, 4), *, seed: int = 0):
    """A CNN with max pooling on flat 64-vectors: Unflatten to (1, 8, 8), Conv2d(3x3,
    padding 1), ReLU, MaxPool2d(2), Conv2d(3x3, padding 1), ReLU, Flatten, Linear to 10."""
    from torch import nn

    c1, c2 = channels
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(c2 * 4 * 4, 10))
    return _initialise(model, seed)


def _initialise(model, seed):
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # PyTorch's default initialisation, from the local generator
        for mod in model.modules():
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                fan_in = mod.weight[0].numel()
                bound = 1.0 / np.sqrt(fan_in)
                mod.weight.uniform_(-bound, bound, generator=g)
                mod.bias.uniform_(-bound, bound, generator=g)
    return model


def train_on_digits(model, split, *, epochs: int = 150, lr: float = 2e-2):
    """Train ``model`` on ``split`` (a :func:`vqgeom.datasets.digits` split) with Adam in
    full batches (one step per epoch); return its test accuracy. The model is left in eval mode.

    Torch runs on one intra-op thread for the duration of the call (restored on return, also
    on an error): these models are too small to gain from threads, and lose much on a busy
    machine.
    """
    import torch

    from vqgeom.training import accuracy, train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(model, split.X_train, split.y_train, epochs=epochs, lr=lr)
        return accuracy(model, split.X_test, split.y_test)
    finally:
        torch.set_num_threads(threads)


def three_digits(split, classes=(0, 1, 7)):
    """The first test images of three different classes, shape (3, 64), and their labels.

    Raises
    ------
    InvalidInputError
        If the classes are not three different labels present in the test set.
    """
    classes = tuple(int(c) for c in classes)
    if len(set(classes)) != 3:
        raise InvalidInputError(f"classes must be three different digit labels, got {classes!r}")
    rows = []
    for c in classes:
        idx = np.flatnonzero(split.y_test == c)
        if idx.size == 0:
            raise InvalidInputError(f"classes: no test image of class {c}")
        rows.append(int(idx[0]))
    return split.X_test[rows], split.y_test[rows]
