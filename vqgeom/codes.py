"""Activation codes: the per-layer sign patterns of points, stored bit-packed.

The code of a point ``x`` is the tuple of its layer sign vectors, with the paper's
convention ``sign(t) = +1 if t >= 0 else -1`` (``sign(0) = +1``). A :class:`Codes` object
holds them for ``N`` points as packed ``uint64`` words, one array per layer: bit ``j`` of
word ``k`` of row ``i`` is ``1`` (``+1``) when neuron ``64 k + j`` of that layer has a
pre-activation ``>= 0`` at point ``i``.

Codes come from a :class:`vqgeom.Network` (exactly, in rational arithmetic, for an exact
network) or from an arbitrary torch ``nn.Module`` through forward hooks on its
ReLU-family modules; see :func:`activation_codes`.

A Network's signs come from the arithmetic core (:mod:`vqgeom.exact.arith`), like every
other forward pass in vqgeom. An arbitrary torch module is different: its forward pass is
its own code (convolutions, normalisation, attention, anything), which vqgeom cannot and
should not re-express as CPA layers, so the hooks read the pre-activations that torch
itself computes; those codes are float codes of that module, not exact ones.
"""

from __future__ import annotations

import numbers
from typing import Iterable, Sequence

import numpy as np

from vqgeom.errors import InvalidInputError, UnsupportedModuleError

__all__ = ["Codes", "activation_codes", "d_layers", "pack_bits", "unpack_bits", "RELU_FAMILY"]

#: Names of the torch module classes whose *input* is hooked by default (each has its
#: single kink at pre-activation 0).
RELU_FAMILY = ("ReLU", "LeakyReLU", "PReLU", "RReLU")

_DEFAULT_BATCH = 4096


def pack_bits(bits) -> np.ndarray:
    """Pack a boolean matrix (N, n) into little-endian ``uint64`` words (N, ceil(n / 64)).

    Bit ``j`` of word ``k`` holds column ``64 k + j``; unused high bits are 0.

    Examples
    --------
    >>> pack_bits(np.array([[True, False, True]])).tolist()
    [[5]]
    >>> pack_bits(np.zeros((2, 0), dtype=bool)).shape
    (2, 0)
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim != 2:
        raise InvalidInputError(f"bits must be a 2-D boolean array, got shape {bits.shape}")
    N, n = bits.shape
    words = -(-n // 64)
    packed = np.packbits(bits, axis=1, bitorder="little")  # (N, ceil(n/8)) uint8
    buf = np.zeros((N, words * 8), dtype=np.uint8)
    buf[:, : packed.shape[1]] = packed
    return buf.view("<u8").astype(np.uint64, copy=False).reshape(N, words)


def unpack_bits(words: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: bool array (N, n) from ``uint64`` words (N, ceil(n/64)).

    >>> unpack_bits(np.array([[5]], dtype=np.uint64), 3).tolist()
    [[True, False, True]]
    """
    words = np.ascontiguousarray(words, dtype="<u8")
    N = words.shape[0]
    as_bytes = words.view(np.uint8).reshape(N, words.shape[1] * 8)
    return np.unpackbits(as_bytes, axis=1, count=n, bitorder="little").astype(bool)


class Codes:
    """Bit-packed activation codes of ``n_points`` points, one packed array per layer.

    Parameters
    ----------
    packed : sequence of uint64 arrays, each of shape (N, ceil(n_l / 64))
    widths : sequence of int
        Number of neurons (bits) per layer.
    names : sequence of str, optional
        A name per layer (``"layer0"``, ... for a Network; the module name for torch hooks,
        with ``"#k"`` appended for the k-th extra call of a module called several times).
    on_boundary : bool array (N,), optional
        True for points with some pre-activation exactly 0 (their sign is the +1
        convention, but the point lies on a hyperplane).

    Attributes
    ----------
    packed : tuple of arrays
        ``packed[l]`` has shape (N, ceil(n_l / 64)), dtype uint64.
    widths : tuple of int
    names : tuple of str
    n_points, n_layers, n_bits : int

    Examples
    --------
    >>> c = Codes.from_bits([np.array([[True, False], [True, True]]), np.array([[False], [True]])])
    >>> c.n_points, c.widths, c.n_bits
    (2, (2, 1), 3)
    >>> c.pm1(np.int8).tolist()
    [[1, -1, -1], [1, 1, 1]]
    """

    def __init__(self, packed: Sequence[np.ndarray], widths: Sequence[int], *,
                 names: Sequence[str] | None = None, on_boundary=None):
        packed = tuple(np.ascontiguousarray(p, dtype=np.uint64) for p in packed)
        widths = tuple(int(w) for w in widths)
        if len(packed) != len(widths):
            raise InvalidInputError(
                f"packed has {len(packed)} layers but widths has {len(widths)} entries"
            )
        n_points = packed[0].shape[0] if packed else 0
        for l, (p, w) in enumerate(zip(packed, widths)):
            if p.ndim != 2 or p.shape != (n_points, -(-w // 64)):
                raise InvalidInputError(
                    f"packed[{l}] must have shape ({n_points}, {-(-w // 64)}) for width {w}, "
                    f"got {p.shape}"
                )
        self.packed = packed
        self.widths = widths
        self.n_points = int(n_points)
        if names is None:
            names = [f"layer{l}" for l in range(len(widths))]
        self.names = tuple(str(n) for n in names)
        if len(self.names) != len(widths):
            raise InvalidInputError(f"names has {len(self.names)} entries for {len(widths)} layers")
        if on_boundary is None:
            on_boundary = np.zeros(self.n_points, dtype=bool)
        self.on_boundary = np.asarray(on_boundary, dtype=bool).reshape(self.n_points)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_bits(cls, layer_bits: Sequence, *, names=None, on_boundary=None) -> "Codes":
        """Build codes from per-layer boolean arrays (N, n_l) (True means sign +1)."""
        arrays = [np.asarray(b, dtype=bool) for b in layer_bits]
        if not arrays:
            raise InvalidInputError("layer_bits must hold at least one layer")
        N = arrays[0].shape[0] if arrays[0].ndim == 2 else -1
        for l, b in enumerate(arrays):
            if b.ndim != 2 or b.shape[0] != N:
                raise InvalidInputError(
                    f"layer_bits[{l}] must have shape ({N}, n_l), got {b.shape}"
                )
        return cls([pack_bits(b) for b in arrays], [b.shape[1] for b in arrays],
                   names=names, on_boundary=on_boundary)

    @classmethod
    def concatenate(cls, parts: Sequence["Codes"]) -> "Codes":
        """Stack codes of the same layers point-wise (rows of ``parts[0]`` first)."""
        parts = list(parts)
        if not parts:
            raise InvalidInputError("concatenate needs at least one Codes")
        first = parts[0]
        for p in parts[1:]:
            if p.widths != first.widths:
                raise InvalidInputError(f"cannot stack codes of widths {first.widths} and {p.widths}")
        packed = [np.concatenate([p.packed[l] for p in parts]) for l in range(first.n_layers)]
        return cls(packed, first.widths, names=first.names,
                   on_boundary=np.concatenate([p.on_boundary for p in parts]))

    # ---------------------------------------------------------------- properties
    @property
    def n_layers(self) -> int:
        return len(self.widths)

    @property
    def n_bits(self) -> int:
        """Total number of bits B (neurons over all layers)."""
        return sum(self.widths)

    def __len__(self) -> int:
        return self.n_points

    def __repr__(self) -> str:
        return f"Codes(n_points={self.n_points}, widths={self.widths})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Codes):
            return NotImplemented
        return (self.widths == other.widths and self.n_points == other.n_points
                and all(np.array_equal(a, b) for a, b in zip(self.packed, other.packed)))

    __hash__ = None

    def _layer_index(self, l) -> int:
        if isinstance(l, str):
            if l not in self.names:
                raise InvalidInputError(f"no layer named {l!r}; layers are {list(self.names)}")
            return self.names.index(l)
        if not isinstance(l, (numbers.Integral, np.integer)) or not -self.n_layers <= l < self.n_layers:
            raise InvalidInputError(f"layer index must be an int in [0, {self.n_layers}), got {l!r}")
        return int(l) % self.n_layers

    # ------------------------------------------------------------------- views
    def layer_bits(self, l) -> np.ndarray:
        """Signs of layer ``l`` (index or name) as a bool array (N, n_l); True means +1."""
        l = self._layer_index(l)
        return unpack_bits(self.packed[l], self.widths[l])

    def bits(self) -> np.ndarray:
        """All layers' signs concatenated: bool array (N, B)."""
        if not self.n_layers:
            return np.zeros((self.n_points, 0), dtype=bool)
        return np.concatenate([self.layer_bits(l) for l in range(self.n_layers)], axis=1)

    def pm1(self, dtype=np.int8) -> np.ndarray:
        """All layers' signs as a +-1 matrix (N, B) of ``dtype``."""
        b = self.bits()
        out = np.empty(b.shape, dtype=dtype)
        out[...] = 1
        out[~b] = -1
        return out

    def take(self, rows) -> "Codes":
        """Codes of a subset of the points (an index array, a slice or a boolean mask)."""
        return Codes([p[rows] for p in self.packed], self.widths, names=self.names,
                     on_boundary=self.on_boundary[rows])

    def select_layers(self, layers: Sequence) -> "Codes":
        """Codes restricted to some layers (indices or names), in the given order."""
        idx = [self._layer_index(l) for l in layers]
        return Codes([self.packed[i] for i in idx], [self.widths[i] for i in idx],
                     names=[self.names[i] for i in idx], on_boundary=self.on_boundary)


# ============================================================== activation_codes
def activation_codes(net_or_module, X, *, layers=None, batch_size: int | None = None,
                     device=None) -> Codes:
    """Activation codes (per-layer sign patterns, ``sign(0) = +1``) of points.

    Parameters
    ----------
    net_or_module : vqgeom.Network or torch.nn.Module
        A :class:`~vqgeom.Network` is evaluated layer by layer: exactly (rational
        arithmetic) when the network is exact, in float64 otherwise. Any other torch module
        is run with *forward pre-hooks* on its ReLU-family modules (``nn.ReLU``,
        ``nn.LeakyReLU``, ``nn.PReLU``, ``nn.RReLU``): each hook reads the module's input
        (the pre-activation) before the module runs, so ``inplace=True`` activations are
        read correctly, and a module called several times in one forward pass gives one
        layer per call, in call order (named ``"name"``, ``"name#1"``, ...). Activations
        applied functionally (``torch.relu``, ``F.relu``) are not modules and are not
        seen: replace them by modules or list other modules in ``layers``. The module runs
        as it is, under ``torch.no_grad()``: call ``module.eval()`` first when it has batch
        normalisation or dropout, or codes depend on the batching.
    X : array-like (N, D), torch tensor, or iterable of batches
        Points. For a torch module, ``X`` may also be a ``DataLoader`` or any iterable of
        batches (a tensor, or a tuple/list whose first element is the input tensor). For an
        exact Network, ``X`` may hold Fractions (floats are taken at their exact values).
    layers : sequence, optional
        Network: layer indices to keep (default all; a max layer's code is its one-hot argmax
        per window, which d does not count: :func:`d_layers` gives the layers d counts, as
        :func:`vqgeom.vq_kernel` uses them). Torch module: the modules to hook,
        as names (from ``named_modules()``) or module objects (default: every ReLU-family
        module). An explicitly listed module of another type has its input's sign taken.
    batch_size : int, optional
        Points per forward pass (default 4096 for arrays; a DataLoader keeps its own
        batches). Only packed bits are kept between batches.
    device : str or torch.device, optional
        Torch module: where the batches are sent (default: the module's parameter device,
        else the input's). The module itself is never moved. Float Network: evaluate
        with torch on this device (default: numpy, or the device of a torch ``X``).
        Ignored for exact networks (always exact, on CPU).

    Returns
    -------
    Codes
        ``n_points`` = N; one layer per network layer (or hooked call).

    Raises
    ------
    InvalidInputError
        Wrong point dimension, non-finite points, a bad ``batch_size`` or ``layers`` entry.
    UnsupportedModuleError
        A torch module with no ReLU-family module to hook (and no ``layers``), or whose
        sequence of hooked calls differs between batches.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 0.0]}])
    >>> activation_codes(net, [[0.0], [2.0], [-1.0]]).layer_bits(0).astype(int).tolist()
    [[1, 1], [1, 0], [0, 1]]
    """
    from vqgeom.network import Network

    if batch_size is not None and (not isinstance(batch_size, (numbers.Integral, np.integer))
                                   or isinstance(batch_size, bool) or batch_size < 1):
        raise InvalidInputError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(net_or_module, Network):
        return _network_codes(net_or_module, X, layers=layers, batch_size=batch_size, device=device)
    if hasattr(net_or_module, "named_modules") and callable(net_or_module):
        return _module_codes(net_or_module, X, layers=layers, batch_size=batch_size, device=device)
    raise InvalidInputError(
        f"net_or_module must be a vqgeom.Network or a torch nn.Module, got "
        f"{type(net_or_module).__name__}"
    )


# ------------------------------------------------------------------- Network
def d_layers(net):
    """The layers the VQ distance d counts, as ``activation_codes(net, X, layers=...)`` takes
    them: a Network's ReLU-type layers when it has max layers (a window's argmax is part of the
    region code, not of d), else None (every layer; every hooked module of a torch module).

    Raises
    ------
    InvalidInputError
        For a network made of max layers only (d counts no unit).

    Examples
    --------
    >>> from vqgeom import Network
    >>> d_layers(Network([{"weight": [[1.0], [2.0]]}, {"weight": [[1.0, 0.0], [0.0, 1.0]],
    ...                    "activation": "max", "groups": 2}]))
    [0]
    """
    if not getattr(net, "has_max", False):
        return None
    if not net.relu_layers:
        raise InvalidInputError("the network has only max layers; d counts ReLU-type units, so it has none")
    return list(net.relu_layers)


def _network_layers(net, layers) -> list[int]:
    if layers is None:
        return list(range(net.depth))
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise InvalidInputError(f"layers must be a sequence of layer indices, got {layers!r}")
    out = []
    for l in layers:
        if (not isinstance(l, (numbers.Integral, np.integer)) or isinstance(l, bool)
                or not 0 <= l < net.depth):
            raise InvalidInputError(
                f"layers entries must be layer indices in [0, {net.depth}), got {l!r}"
            )
        out.append(int(l))
    if not out:
        raise InvalidInputError("layers must select at least one layer")
    return out


def _network_codes(net, X, *, layers, batch_size, device) -> Codes:
    """Codes of a Network through the arithmetic core (:mod:`vqgeom.exact.arith`): exact
    signs (the filtered context) for an exact network, float64 otherwise (torch tensors
    on ``device``, or on the device of a torch ``X``, when one is given)."""
    from vqgeom.exact.arith import context

    keep = _network_layers(net, layers)
    names = [f"layer{l}" for l in keep]
    is_tensor = hasattr(X, "detach") and hasattr(X, "device")
    use_torch = not net.exact and (device is not None or (is_tensor and X.device.type != "cpu"))
    if use_torch:
        dev = device if device is not None else X.device
        Xn = X.detach().to("cpu").double().numpy() if is_tensor else X
        P = np.asarray(net._points(Xn), dtype=np.float64)
        ctx = context(net, "plain", device=dev)
        step = batch_size or _DEFAULT_BATCH
    else:
        P = net._points(X)
        ctx = context(net, "filtered" if net.exact else "plain")
        step = batch_size or (P.shape[0] if net.exact else _DEFAULT_BATCH) or 1
    N = P.shape[0]
    chunks = [[] for _ in keep]
    boundary = []
    for s in range(0, N, step):
        sz = ctx.signs(P[s:s + step])
        zero = np.zeros(min(step, N - s), dtype=bool)
        for _, z in sz:
            zero |= _numpy(z).any(axis=1)
        for c, l in zip(chunks, keep):
            c.append(pack_bits(_numpy(sz[l][0])))
        boundary.append(zero)
    return _assemble(chunks, [net.widths[l] for l in keep], names, boundary, N)


def _numpy(a) -> np.ndarray:
    """A bool array or tensor as a numpy bool array."""
    return a.cpu().numpy() if hasattr(a, "cpu") else np.asarray(a, dtype=bool)


def _assemble(chunks, widths, names, boundary, N) -> Codes:
    packed = [np.concatenate(c) if c else np.zeros((N, -(-w // 64)), np.uint64)
              for c, w in zip(chunks, widths)]
    ob = np.concatenate(boundary) if boundary else np.zeros(N, dtype=bool)
    return Codes(packed, widths, names=names, on_boundary=ob)


# -------------------------------------------------------------- torch module
def _is_relu_family(mod) -> bool:
    from torch import nn

    return isinstance(mod, tuple(getattr(nn, n) for n in RELU_FAMILY))


def _select_modules(module, layers):
    named = list(module.named_modules())
    if layers is None:
        chosen = [(name, mod) for name, mod in named if _is_relu_family(mod)]
        if not chosen:
            raise UnsupportedModuleError(
                f"{type(module).__name__} has no ReLU-family module ({', '.join(RELU_FAMILY)}) to "
                f"hook; functional activations (torch.relu, F.relu) are not visible to hooks: "
                f"use activation modules, or name the modules whose input sign to take in layers="
            )
        return chosen
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise InvalidInputError(f"layers must be a sequence of module names or modules, got {layers!r}")
    by_name = dict(named)
    by_id = {id(mod): name for name, mod in named}
    chosen = []
    for item in layers:
        if isinstance(item, str):
            if item not in by_name:
                raise InvalidInputError(f"layers: no submodule named {item!r} in the module")
            chosen.append((item, by_name[item]))
        elif id(item) in by_id:
            chosen.append((by_id[id(item)], item))
        else:
            raise InvalidInputError(
                f"layers entries must be submodule names or submodules of the module, got {item!r}"
            )
    if not chosen:
        raise InvalidInputError("layers must select at least one module")
    return chosen


def _batches(X, batch_size):
    """Yield input tensors (or arrays) batch by batch."""
    import torch

    if isinstance(X, torch.Tensor) or isinstance(X, np.ndarray) or (
            isinstance(X, (list, tuple)) and X and not hasattr(X[0], "shape")):
        arr = X if isinstance(X, torch.Tensor) else np.asarray(X)
        step = batch_size or _DEFAULT_BATCH
        for s in range(0, arr.shape[0], step):
            yield arr[s:s + step]
        return
    if not isinstance(X, Iterable):
        raise InvalidInputError(
            f"X must be an array, a tensor or an iterable of batches (a DataLoader), got "
            f"{type(X).__name__}"
        )
    for batch in X:
        if isinstance(batch, (tuple, list)):
            if not batch:
                raise InvalidInputError("X yielded an empty batch tuple")
            batch = batch[0]
        if isinstance(batch, dict):
            raise InvalidInputError("X yielded a dict batch; pass an iterable of input tensors")
        if batch_size is None:
            yield batch
        else:
            for s in range(0, batch.shape[0], batch_size):
                yield batch[s:s + batch_size]


def _module_codes(module, X, *, layers, batch_size, device) -> Codes:
    import torch

    chosen = _select_modules(module, layers)
    p = next(iter(module.parameters()), None)
    if device is not None:
        dev = torch.device(device)
    elif p is not None:
        dev = p.device
    else:
        dev = None
    dtype = p.dtype if p is not None and p.is_floating_point() else torch.get_default_dtype()

    calls = []  # (name, bits) in call order for the current batch

    def make_hook(name):
        def hook(mod, inputs):
            pre = inputs[0]
            if not isinstance(pre, torch.Tensor):
                raise UnsupportedModuleError(f"module {name!r} received a non-tensor input")
            nb = pre.shape[0]
            if pre.is_floating_point() and not bool(torch.isfinite(pre).all()):
                raise InvalidInputError(
                    f"X: the input of module {name!r} overflows (inf or NaN) at some point, so its "
                    f"signs would be wrong; rescale X or convert the module with Network.from_torch")
            calls.append((name, (pre.detach() >= 0).reshape(nb, -1).cpu().numpy(),
                          (pre.detach() == 0).reshape(nb, -1).any(dim=1).cpu().numpy()))
            return None
        return hook

    handles = [mod.register_forward_pre_hook(make_hook(name)) for name, mod in chosen]
    layout = None  # [(layer name, width)] fixed by the first batch
    chunks: list[list[np.ndarray]] = []
    boundary = []
    n_total = 0
    try:
        with torch.no_grad():
            for batch in _batches(X, batch_size):
                t = torch.as_tensor(batch) if not isinstance(batch, torch.Tensor) else batch
                if t.is_floating_point():
                    if not bool(torch.isfinite(t).all()):
                        raise InvalidInputError("X must be finite; it holds NaN or infinity")
                    t = t.to(dtype=dtype)
                if dev is not None:
                    t = t.to(dev)
                calls.clear()
                try:
                    module(t)
                except RuntimeError as exc:
                    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    raise InvalidInputError(f"X: the module's forward pass failed on it ({msg})") from None
                seen, names = {}, []
                for name, _, _ in calls:
                    k = seen.get(name, 0)
                    seen[name] = k + 1
                    names.append(name if k == 0 else f"{name}#{k}")
                this = [(n, c[1].shape[1]) for n, c in zip(names, calls)]
                if layout is None:
                    if not this:
                        raise UnsupportedModuleError(
                            "the forward pass called none of the hooked modules; functional "
                            "activations are invisible to hooks (see activation_codes)"
                        )
                    layout = this
                    chunks = [[] for _ in layout]
                elif this != layout:
                    raise UnsupportedModuleError(
                        f"the hooked modules were called differently in two batches "
                        f"({[n for n, _ in layout]} vs {[n for n, _ in this]}); codes need the same "
                        f"call sequence for every input"
                    )
                zero = np.zeros(calls[0][1].shape[0], dtype=bool)
                for c, (_, bits, z) in zip(chunks, calls):
                    c.append(pack_bits(bits))
                    zero |= z
                boundary.append(zero)
                n_total += zero.shape[0]
    finally:
        for h in handles:
            h.remove()
        calls.clear()
    if layout is None:
        raise InvalidInputError("X holds no points (no batch was produced)")
    return _assemble(chunks, [w for _, w in layout], [n for n, _ in layout], boundary, n_total)
