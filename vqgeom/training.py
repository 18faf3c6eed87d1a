"""Small, seeded training helpers for ReLU MLPs in torch (the paper's experiments).

Every random choice (initial weights, minibatch order) draws from a ``torch.Generator``
made from the ``seed`` argument or given as ``generator``; the global RNG is neither
seeded nor consumed (layers are created on the ``meta`` device and initialised from the
generator), so the same seed gives bitwise the same network on the same machine.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["make_generator", "mlp", "train", "TrainResult", "accuracy"]

LOSSES = ("bce", "ce")


def make_generator(seed=None, generator=None):
    """A CPU ``torch.Generator``: ``generator`` itself, or a new one seeded with ``seed``.

    Raises
    ------
    InvalidInputError
        If both or neither are given, or the seed is not a non-negative integer.
    """
    import torch

    if generator is not None:
        if seed is not None:
            raise InvalidInputError("give either seed or generator, not both")
        if not isinstance(generator, torch.Generator):
            raise InvalidInputError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return generator
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer (or pass generator=), got {seed!r}")
    return torch.Generator().manual_seed(int(seed))


def mlp(input_dim: int, widths, output_dim: int, *, seed=None, generator=None, dtype=None):
    """A ReLU MLP ``Linear -> ReLU -> ... -> Linear`` with PyTorch's default initialisation.

    Weights are drawn as ``nn.Linear`` draws them (Kaiming-uniform with ``a = sqrt(5)``,
    i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and biases), but from the given
    generator.

    Parameters
    ----------
    input_dim, output_dim : int
    widths : sequence of int
        Hidden widths (one per hidden ReLU layer; at least one).
    seed : int, optional
    generator : torch.Generator, optional
        Exactly one of ``seed`` / ``generator``.
    dtype : torch.dtype, optional (float32)

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> m = mlp(2, [3, 3], 1, seed=0)
    >>> [type(x).__name__ for x in m]
    ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    >>> bool((mlp(2, [3], 1, seed=0)[0].weight == mlp(2, [3], 1, seed=0)[0].weight).all())
    True
    """
    import torch
    from torch import nn

    g = make_generator(seed, generator)
    dims = [input_dim, *list(widths), output_dim]
    for i, d in enumerate(dims):
        if isinstance(d, bool) or not isinstance(d, (numbers.Integral, np.integer)) or d < 1:
            raise InvalidInputError(f"layer sizes must be positive integers; got {d!r} at position {i}")
    if len(dims) < 3:
        raise InvalidInputError("widths must hold at least one hidden width")
    dtype = dtype or torch.float32
    mods = []
    for i in range(len(dims) - 1):
        lin = nn.Linear(int(dims[i]), int(dims[i + 1]), device="meta", dtype=dtype)
        lin = lin.to_empty(device="cpu")
        bound = 1.0 / math.sqrt(dims[i])
        with torch.no_grad():
            lin.weight.uniform_(-bound, bound, generator=g)
            lin.bias.uniform_(-bound, bound, generator=g)
        mods.append(lin)
        if i < len(dims) - 2:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    losses : list of float
        Mean training loss of every epoch.
    train_accuracy : float
        Accuracy on the training set after the last epoch.
    epochs : int
    """

    losses: list = field(default_factory=list)
    train_accuracy: float = float("nan")
    epochs: int = 0


def _tensors(X, y, loss, dtype):
    import torch

    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64)).to(dtype)
    yt = torch.as_tensor(np.asarray(y))
    if Xt.ndim != 2:
        raise InvalidInputError(f"X must have shape (N, D), got {tuple(Xt.shape)}")
    if yt.shape != (Xt.shape[0],):
        raise InvalidInputError(f"y must have shape ({Xt.shape[0]},), got {tuple(yt.shape)}")
    if loss == "bce":
        yt = yt.to(dtype)
        if not bool(((yt == 0) | (yt == 1)).all()):
            raise InvalidInputError("loss='bce' needs labels in {0, 1}")
    else:
        yt = yt.to(torch.int64)
        if yt.numel() and int(yt.min()) < 0:
            raise InvalidInputError("loss='ce' needs labels 0..n_classes-1")
    return Xt, yt


def _predict(model, Xt, loss):
    import torch

    with torch.no_grad():
        out = model(Xt)
    if loss == "bce":
        return (out.reshape(-1) >= 0).to(torch.int64)
    return out.argmax(dim=1)


def accuracy(model, X, y, *, loss: str = "ce") -> float:
    """Fraction of ``X`` that ``model`` labels as ``y`` (a logit >= 0 means class 1 for "bce")."""
    import torch

    if loss not in LOSSES:
        raise InvalidInputError(f"loss must be one of {LOSSES}, got {loss!r}")
    dtype = next(model.parameters()).dtype
    Xt, yt = _tensors(X, y, loss, dtype)
    return float((_predict(model, Xt, loss) == yt.to(torch.int64)).to(torch.float64).mean())


def train(model, X, y, *, loss: str = "ce", epochs: int = 100, batch_size: int | None = None,
          lr: float = 1e-2, weight_decay: float = 0.0, seed=None, generator=None,
          progress=None) -> TrainResult:
    """Train ``model`` in place with Adam on binary or multi-class cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module
        Outputs one logit per point for ``loss="bce"``, one per class for ``loss="ce"``.
    X : array-like, shape (N, D)
    y : array-like, shape (N,)
        ``{0, 1}`` for "bce", ``0..C-1`` for "ce".
    loss : {"bce", "ce"}
        ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``.
    epochs : int
        Passes over the data (full-batch when ``batch_size`` is None: one step per epoch).
    batch_size : int, optional
    lr, weight_decay : float
        Adam's settings.
    seed, generator
        The minibatch order's randomness (exactly one when ``batch_size`` is given).
    progress : callable, optional
        Called as ``progress(epoch, loss)`` after every epoch.

    Returns
    -------
    TrainResult

    Raises
    ------
    InvalidInputError
        For an unknown loss, bad shapes or labels, non-positive epochs / batch size / lr.
    """
    import torch

    if loss not in LOSSES:
        raise InvalidInputError(f"loss must be one of {LOSSES}, got {loss!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (numbers.Integral, np.integer)) or epochs < 0:
        raise InvalidInputError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not (isinstance(lr, numbers.Real) and lr > 0 and math.isfinite(lr)):
        raise InvalidInputError(f"lr must be a positive number, got {lr!r}")
    params = list(model.parameters())
    if not params:
        raise InvalidInputError("model has no parameters to train")
    dtype = params[0].dtype
    Xt, yt = _tensors(X, y, loss, dtype)
    N = Xt.shape[0]
    if batch_size is not None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (numbers.Integral, np.integer)) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a positive integer, got {batch_size!r}")
        g = make_generator(seed, generator)
    crit = torch.nn.BCEWithLogitsLoss() if loss == "bce" else torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    result = TrainResult()
    model.train()
    for epoch in range(int(epochs)):
        if batch_size is None or batch_size >= N:
            batches = [None]
        else:
            perm = torch.randperm(N, generator=g)
            batches = [perm[i:i + batch_size] for i in range(0, N, batch_size)]
        total = 0.0
        for idx in batches:
            xb, yb = (Xt, yt) if idx is None else (Xt[idx], yt[idx])
            opt.zero_grad()
            out = model(xb)
            value = crit(out.reshape(-1), yb) if loss == "bce" else crit(out, yb)
            value.backward()
            opt.step()
            total += float(value.detach()) * xb.shape[0]
        result.losses.append(total / max(N, 1))
        if progress is not None:
            progress(epoch + 1, result.losses[-1])
    model.eval()
    result.epochs = int(epochs)
    result.train_accuracy = float((_predict(model, Xt, loss) == yt.to(torch.int64)).to(torch.float64).mean()) if N else float("nan")
    return result
