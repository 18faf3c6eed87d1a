"""Torch modules -> CPA networks: MLPs, CNNs and residual networks as exact dense layers.

:func:`module_to_layers` (behind :meth:`vqgeom.Network.from_torch`) traces a module with ``torch.fx`` (nested Sequentials and
residual additions included) and follows every tensor as an affine function of the current
*state* vector. Each call of a ReLU-type activation (``nn.ReLU``, ``nn.LeakyReLU``,
``F.relu``, ``F.leaky_relu``, ``torch.relu``, ``x.relu()``) becomes one vqgeom layer whose
neurons are the activation's elements, in torch's (C-order) flattening; the state after it
is the activation's output followed by the tensors that later operations still need
(carried through the layer's ``skip`` map, so residual additions are exact). What follows
the last activation becomes the readout.

Which units d counts: exactly these ReLU / LeakyReLU units, one layer per activation call,
in execution order. Linear maps between activations have no units; max pooling layers (below)
join the region code but not d.

Supported between activations (all affine, as dense matrices):

- ``Linear``; ``Conv1d`` / ``Conv2d`` (stride, padding, dilation, groups, padding modes)
  and ``AvgPool1d`` / ``AvgPool2d`` / ``AdaptiveAvgPool1d/2d``: the dense matrix is read
  off the module applied in float64 to the unit vectors, so it is the map torch computes
  (a convolution's entries are its weights exactly; an average pool's 1/k is rounded to
  float64 once);
- ``BatchNorm1d`` / ``BatchNorm2d`` in eval mode, folded: scale ``gamma / sqrt(var + eps)``
  and shift ``beta - mean * scale`` computed once in float64;
- ``Flatten`` / ``Unflatten`` / ``view`` / ``reshape`` / ``flatten`` / ``contiguous``,
  ``Identity``, ``Dropout`` in eval mode (identities on the flattened vector);
- additions and subtractions of tensors and constants, multiplication and division by
  Python scalars, ``torch.cat`` along the channel dimension.

Composing two affine maps with no activation between them (a convolution and its batch
norm) multiplies float64 matrices: that product's rounding is the one inexact step, as in
:meth:`vqgeom.Network.from_torch` for consecutive Linears; the resulting network is then
taken exactly.

Max pooling (``MaxPool1d`` / ``MaxPool2d``, ``F.max_pool1d/2d``: kernel size, stride,
padding, dilation, ceil mode) becomes a *max layer* (``activation="max"``): its rows are the
window elements (a window's rows in torch's scan order, so the lowest index on ties is the
element torch's CPU kernel returns), one group per output position; padded positions are
-inf in torch, so they are no candidates and border windows are smaller groups. Its argmax
per window is part of the region code and of Omega; d does not count it (see the README).
``AdaptiveMaxPool1d/2d`` use torch's windows ``[floor(i n / m), ceil((i + 1) n / m))``;
``return_indices=True`` is refused.

Anything that is not piecewise linear (sigmoid, tanh, GELU, softmax, attention) raises
:class:`~vqgeom.errors.UnsupportedModuleError` naming the module.
"""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from vqgeom.errors import InvalidInputError, UnsupportedModuleError

__all__ = ["module_to_layers"]

_IDENTITY_MODULES = (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d)
_DENSE_MODULES = (nn.Conv1d, nn.Conv2d, nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d,
                  nn.AdaptiveAvgPool2d)
_RESHAPE_METHODS = ("view", "reshape", "flatten", "contiguous", "clone")
_RESHAPE_FUNCTIONS = (torch.flatten, torch.reshape)
_NOT_PL = (nn.Sigmoid, nn.Tanh, nn.GELU, nn.SiLU, nn.Softmax, nn.LogSoftmax, nn.Softplus, nn.ELU,
           nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.LayerNorm)


class _Value:
    """A tensor as an affine function ``M @ state + m`` of the current state; ``shape``
    excludes the batch dimension."""

    __slots__ = ("M", "m", "shape")

    def __init__(self, M, m, shape):
        self.M, self.m, self.shape = M, m, tuple(shape)


def _infer_input_shape(gm, dim):
    """The input shape from the first module that reads the input (Linear: its width;
    a convolution: square images when ``dim`` is given)."""
    mods = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op == "call_module":
            mod = mods[node.target]
            if isinstance(mod, nn.Linear):
                return (mod.in_features,)
            if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                C = mod.in_channels
                if dim is None:
                    break
                if isinstance(mod, nn.Conv1d) and dim % C == 0:
                    return (C, dim // C)
                side = math.isqrt(dim // C) if dim % C == 0 else 0
                if side * side * C == dim:
                    return (C, side, side)
                break
            if isinstance(mod, nn.Unflatten) and mod.dim in (1, -1):
                return (int(np.prod(mod.unflattened_size)),)  # the model reshapes flat inputs itself
            if isinstance(mod, _IDENTITY_MODULES):
                continue
            break
    where = f" from input_dim={dim}" if dim is not None else ""
    raise UnsupportedModuleError(
        f"cannot tell the input shape of this {type(gm).__name__} module{where} (its first layer is "
        f"not a Linear, or a Conv2d on square images); pass input_shape=(C, H, W) (e.g. the shape "
        f"of the data points, which a vqgeom.Plane keeps)")


def _trace(module):
    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many kinds of errors on data-dependent code
        raise UnsupportedModuleError(
            f"cannot trace {type(module).__name__} with torch.fx ({type(exc).__name__}: {exc}); "
            f"vqgeom converts modules whose forward has no data-dependent control flow") from None


def _dense(mod, shape):
    """The matrix (out_size, in_size) and offset of an affine module, read off in float64."""
    size = int(np.prod(shape))
    mod64 = _float64_copy(mod)
    with torch.no_grad():
        base = mod64(torch.zeros((1, *shape), dtype=torch.float64)).reshape(-1)
        cols = []
        eye = torch.eye(size, dtype=torch.float64)
        for s in range(0, size, 1024):
            chunk = eye[s:s + 1024].reshape(-1, *shape)
            cols.append(mod64(chunk).reshape(chunk.shape[0], -1) - base)
        A = torch.cat(cols, dim=0).T.numpy().copy()
    return A, base.numpy().copy()


def _float64_copy(mod):
    import copy

    m = copy.deepcopy(mod).to(torch.float64)
    return m.eval()


def _batchnorm(mod, name, shape):
    if mod.training:
        raise UnsupportedModuleError(f"module {name!r} ({type(mod).__name__}) is in training mode; call "
                                     f"model.eval() first (batch norm is folded with its running statistics)")
    if mod.running_mean is None:
        raise UnsupportedModuleError(f"module {name!r} ({type(mod).__name__}) has no running statistics")
    var = mod.running_var.detach().double().numpy()
    mean = mod.running_mean.detach().double().numpy()
    gamma = mod.weight.detach().double().numpy() if mod.weight is not None else np.ones_like(var)
    beta = mod.bias.detach().double().numpy() if mod.bias is not None else np.zeros_like(var)
    scale = gamma / np.sqrt(var + mod.eps)
    shift = beta - mean * scale
    per = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return np.repeat(scale, per), np.repeat(shift, per)


class _Converter:
    def __init__(self, gm, input_shape):
        self.gm = gm
        self.mods = dict(gm.named_modules())
        self.nodes = list(gm.graph.nodes)
        self.input_shape = tuple(input_shape)
        self.layers = []
        self.values = {}
        self.last_use = {}
        for i, node in enumerate(self.nodes):
            for arg in node.all_input_nodes:
                self.last_use[arg] = i

    # ---------------------------------------------------------------- helpers
    def _shape(self, node):
        meta = node.meta.get("tensor_meta")
        return None if meta is None or not hasattr(meta, "shape") else tuple(meta.shape)[1:]

    def _val(self, arg, node):
        if isinstance(arg, fx.Node):
            v = self.values.get(arg)
            if v is None:
                raise UnsupportedModuleError(
                    f"node {node.name!r} ({_describe(node, self.mods)}) uses {arg.name!r}, which is not an "
                    f"affine tensor vqgeom can follow")
            return v
        return arg

    def _state_dim(self):
        for v in self.values.values():
            return v.M.shape[1]
        return int(np.prod(self.input_shape))

    # ---------------------------------------------------------------- layers
    def _activation(self, node, index, pre, slope):
        if slope == 0:
            kind = {"activation": "relu"}
        else:
            kind = dict(activation="leaky_relu", negative_slope=float(slope))
        self._layer(node, index, pre.M, pre.m, kind, self._shape(node) or pre.shape)

    def _max_pool(self, node, index, x, dims, kernel, stride, padding, dilation, ceil_mode, name):
        """A max layer: the rows of the window elements of ``x``, one group per window."""
        shape = self._shape(node)
        if len(x.shape) != dims + 1 or shape is None or len(shape) != dims + 1:
            raise UnsupportedModuleError(
                f"{name}: max pooling over {dims} dimension(s) needs a (C, {'L' if dims == 1 else 'H, W'}) "
                f"tensor per sample, got shape {x.shape}")
        windows = _pool_windows(x.shape, shape, dims, kernel, stride, padding, dilation)
        rows = np.concatenate(windows)
        kind = {"activation": "max", "groups": [len(w) for w in windows]}
        self._layer(node, index, x.M[rows], x.m[rows], kind, shape)

    def _layer(self, node, index, A, a, kind, shape):
        """Close a layer: pre-activations ``A @ state + a``, the activation ``kind`` (a dict
        of layer keys); the new state is its outputs followed by the values still needed."""
        carried = [n for n, v in self.values.items()
                   if self.last_use.get(n, -1) > index and n is not node]
        lay = {"weight": A, "bias": a, **kind}
        n = len(kind["groups"]) if "groups" in kind else A.shape[0]
        new_values = {}
        if carried:
            S = A.shape[1]
            sizes = [self.values[c].M.shape[0] for c in carried]
            total = n + sum(sizes)
            out = np.zeros((total, n))
            out[:n] = np.eye(n)
            skip = np.zeros((total, S))
            ob = np.zeros(total)
            row = n
            for c, k in zip(carried, sizes):
                v = self.values[c]
                skip[row:row + k] = v.M
                ob[row:row + k] = v.m
                sel = np.zeros((k, total))
                sel[:, row:row + k] = np.eye(k)
                new_values[c] = _Value(sel, np.zeros(k), v.shape)
                row += k
            lay.update(out=out, skip=skip, out_bias=ob)
            M = np.zeros((n, total))
            M[:, :n] = np.eye(n)
        else:
            M = np.eye(n)
        self.layers.append(lay)
        new_values[node] = _Value(M, np.zeros(n), shape)
        self.values = new_values

    # ------------------------------------------------------------------ walk
    def run(self):
        D = int(np.prod(self.input_shape))
        readout = None
        for index, node in enumerate(self.nodes):
            if node.op == "placeholder":
                if self.values:
                    raise UnsupportedModuleError("the module takes more than one input; vqgeom needs one")
                self.values[node] = _Value(np.eye(D), np.zeros(D), self.input_shape)
            elif node.op == "output":
                arg = node.args[0]
                if not isinstance(arg, fx.Node):
                    raise UnsupportedModuleError("the module must return one tensor")
                readout = self._val(arg, node)
            elif node.op == "call_module":
                self._module(node, index)
            elif node.op in ("call_function", "call_method"):
                self._function(node, index)
            elif node.op == "get_attr":
                raise UnsupportedModuleError(
                    f"node {node.name!r} reads the tensor attribute {node.target!r} directly; vqgeom "
                    f"converts modules built from layers (Linear, Conv, BatchNorm, ...)")
            # drop values nobody needs any more
            for arg in node.all_input_nodes:
                if self.last_use.get(arg) == index and arg in self.values and arg is not node:
                    del self.values[arg]
        if not self.layers:
            raise UnsupportedModuleError("the module has no ReLU-type activation, so no hyperplanes")
        last = self.layers[-1]
        n_last = len(last["groups"]) if "groups" in last else last["weight"].shape[0]
        state = last["out"].shape[0] if "out" in last else n_last
        plain = (readout.M.shape == (state, state) and np.array_equal(readout.M, np.eye(state))
                 and not np.any(readout.m))
        return self.layers, (None if plain else {"weight": readout.M, "bias": readout.m})

    def _module(self, node, index):
        mod = self.mods[node.target]
        name = node.target
        shape = self._shape(node)
        if isinstance(mod, (nn.ReLU, nn.LeakyReLU)):
            slope = 0 if isinstance(mod, nn.ReLU) else mod.negative_slope
            self._activation(node, index, self._val(node.args[0], node), slope)
            return
        if isinstance(mod, (nn.Dropout, nn.Dropout1d, nn.Dropout2d)) and mod.training and mod.p > 0:
            raise UnsupportedModuleError(f"module {name!r} ({type(mod).__name__}) is in training mode; call "
                                         f"model.eval() first")
        if isinstance(mod, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)):
            if mod.return_indices:
                raise UnsupportedModuleError(
                    f"module {name!r} ({type(mod).__name__}) has return_indices=True; vqgeom converts "
                    f"max pooling that returns the pooled tensor only")
            x = self._val(node.args[0], node)
            dims = 1 if isinstance(mod, nn.AdaptiveMaxPool1d) else 2
            shape = self._shape(node)
            if len(x.shape) != dims + 1 or shape is None:
                raise UnsupportedModuleError(f"module {name!r}: adaptive max pooling needs a (C, ...) tensor "
                                             f"with {dims} spatial dimension(s), got shape {x.shape}")
            # torch's adaptive windows: [floor(i n / m), ceil((i + 1) n / m)) per axis
            axes = [[list(range((i * n) // m, -(-((i + 1) * n) // m))) for i in range(m)]
                    for n, m in zip(x.shape[1:], shape[1:])]
            windows = _windows_of(x.shape, shape, axes)
            kind = {"activation": "max", "groups": [len(w) for w in windows]}
            rows = np.concatenate(windows)
            self._layer(node, index, x.M[rows], x.m[rows], kind, shape)
            return
        if isinstance(mod, (nn.MaxPool1d, nn.MaxPool2d)):
            if mod.return_indices:
                raise UnsupportedModuleError(
                    f"module {name!r} ({type(mod).__name__}) has return_indices=True; vqgeom converts "
                    f"max pooling that returns the pooled tensor only")
            dims = 1 if isinstance(mod, nn.MaxPool1d) else 2
            self._max_pool(node, index, self._val(node.args[0], node), dims, mod.kernel_size, mod.stride,
                           mod.padding, mod.dilation, mod.ceil_mode, f"module {name!r}")
            return
        x = self._val(node.args[0], node)
        if isinstance(mod, _IDENTITY_MODULES):
            self.values[node] = _Value(x.M, x.m, shape)
        elif isinstance(mod, nn.Linear):
            if len(x.shape) != 1:
                raise UnsupportedModuleError(
                    f"module {name!r} (Linear) gets a tensor of shape {x.shape}; flatten it first")
            W = mod.weight.detach().double().numpy()
            b = mod.bias.detach().double().numpy() if mod.bias is not None else np.zeros(W.shape[0])
            self.values[node] = _Value(W @ x.M, W @ x.m + b, shape)
        elif isinstance(mod, _DENSE_MODULES):
            A, c = _dense(mod, x.shape)
            self.values[node] = _Value(A @ x.M, A @ x.m + c, shape)
        elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            s, t = _batchnorm(mod, name, x.shape)
            self.values[node] = _Value(s[:, None] * x.M, s * x.m + t, shape)
        else:
            what = "is not piecewise linear" if isinstance(mod, _NOT_PL) else "is not supported"
            raise UnsupportedModuleError(
                f"module {name!r} of type {type(mod).__name__} {what}; vqgeom converts Linear, Conv1d/2d, "
                f"AvgPool, MaxPool1d/2d, BatchNorm (eval), Flatten/Unflatten, Dropout/Identity, "
                f"ReLU/LeakyReLU and residual additions")

    def _function(self, node, index):
        fn = node.target
        shape = self._shape(node)
        args = node.args
        if node.op == "call_method" and fn == "size":
            return  # an integer, used by view / reshape
        if (node.op == "call_function" and fn in (F.relu, torch.relu, F.leaky_relu)) or (
                node.op == "call_method" and fn == "relu"):
            slope = 0
            if fn is F.leaky_relu:
                slope = node.kwargs.get("negative_slope", args[1] if len(args) > 1 else 0.01)
            self._activation(node, index, self._val(args[0], node), slope)
            return
        if node.op == "call_function" and fn in _MAX_POOL_FUNCTIONS:
            dims = _MAX_POOL_FUNCTIONS[fn]
            names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
            opts = dict(zip(names, args[1:]), **node.kwargs)
            if opts.get("return_indices", False):
                raise UnsupportedModuleError(
                    f"node {node.name!r} (max_pool{dims}d) has return_indices=True; vqgeom converts max "
                    f"pooling that returns the pooled tensor only")
            self._max_pool(node, index, self._val(args[0], node), dims, opts["kernel_size"],
                           opts.get("stride"), opts.get("padding", 0), opts.get("dilation", 1),
                           opts.get("ceil_mode", False), f"node {node.name!r}")
            return
        if (node.op == "call_method" and fn in _RESHAPE_METHODS) or (
                node.op == "call_function" and fn in _RESHAPE_FUNCTIONS):
            x = self._val(args[0], node)
            self.values[node] = _Value(x.M, x.m, shape)
            return
        if fn in (operator.add, torch.add, "add", operator.sub, torch.sub, "sub", operator.iadd):
            a, b = self._val(args[0], node), self._val(args[1], node)
            sign = -1 if fn in (operator.sub, torch.sub, "sub") else 1
            if isinstance(a, _Value) and isinstance(b, _Value):
                if a.M.shape != b.M.shape:
                    raise UnsupportedModuleError(
                        f"node {node.name!r}: adding tensors of shapes {a.shape} and {b.shape} (broadcasting "
                        f"is not supported)")
                self.values[node] = _Value(a.M + sign * b.M, a.m + sign * b.m, shape)
                return
            if isinstance(a, _Value) and isinstance(b, (int, float)):
                self.values[node] = _Value(a.M, a.m + sign * b, shape)
                return
            if isinstance(b, _Value) and isinstance(a, (int, float)):
                self.values[node] = _Value(sign * b.M, a + sign * b.m, shape)
                return
        if fn in (operator.mul, torch.mul, "mul", operator.truediv, torch.div, "div"):
            a, b = self._val(args[0], node), self._val(args[1], node)
            div = fn in (operator.truediv, torch.div, "div")
            if isinstance(a, _Value) and isinstance(b, (int, float)) and not isinstance(b, bool):
                c = 1 / b if div else b
                self.values[node] = _Value(c * a.M, c * a.m, shape)
                return
            if isinstance(b, _Value) and isinstance(a, (int, float)) and not div:
                self.values[node] = _Value(a * b.M, a * b.m, shape)
                return
        if fn is torch.cat:
            parts = [self._val(t, node) for t in args[0]]
            dim = node.kwargs.get("dim", args[1] if len(args) > 1 else 0)
            if dim in (1, -len(parts[0].shape) - 1 + 1) and all(isinstance(p, _Value) for p in parts):
                self.values[node] = _Value(np.vstack([p.M for p in parts]), np.concatenate([p.m for p in parts]),
                                           shape)
                return
            raise UnsupportedModuleError(f"node {node.name!r}: torch.cat is supported along dim=1 only")
        raise UnsupportedModuleError(
            f"node {node.name!r} ({_describe(node, self.mods)}) is not piecewise linear or not supported; "
            f"vqgeom converts Linear, Conv1d/2d, AvgPool, MaxPool1d/2d, BatchNorm (eval), Flatten, "
            f"Dropout/Identity, ReLU/LeakyReLU, additions and scalar multiples")


_MAX_POOL_FUNCTIONS = {F.max_pool1d: 1, F.max_pool2d: 2, torch.max_pool1d: 1, torch.max_pool2d: 2}


def _pool_windows(in_shape, out_shape, dims, kernel, stride, padding, dilation):
    """Flat input indices of every max-pooling window, windows in output order (C-order over
    (C, *spatial)), each window's elements in torch's scan order (kernel rows, then columns),
    padded positions left out. The output size is torch's own (``out_shape``), so
    ``ceil_mode`` needs no formula here: a window that runs past the input is clipped."""
    def tup(v, default=None):
        if v is None:
            v = default
        v = tuple(int(t) for t in (v if isinstance(v, (tuple, list)) else (v,)))
        return v * dims if len(v) == 1 else v
    k = tup(kernel)
    s = tup(stride if stride not in (None, ()) else None, k)
    p, d = tup(padding), tup(dilation)
    C, sizes = in_shape[0], in_shape[1:]
    outs = out_shape[1:]
    # per axis: for each output position, the valid input positions of its window
    axes = []
    for n_in, n_out, ki, si, pi, di in zip(sizes, outs, k, s, p, d):
        axes.append([[o * si - pi + di * t for t in range(ki) if 0 <= o * si - pi + di * t < n_in]
                     for o in range(n_out)])
    return _windows_of(in_shape, out_shape, axes)


def _windows_of(in_shape, out_shape, axes):
    """Flat input indices of every window (C-order over (C, *output positions)) from the input
    positions each output position reads along every spatial axis (``axes[a][o]``)."""
    C, sizes, outs = in_shape[0], in_shape[1:], out_shape[1:]
    strides = np.cumprod((1,) + tuple(sizes[::-1]))[::-1]    # C-order strides of (C, *spatial)
    windows = []
    for c in range(C):
        for pos in np.ndindex(*outs):
            parts = [axes[a][o] for a, o in enumerate(pos)]
            idx = np.array([c * strides[0] + sum(int(v) * int(st) for v, st in zip(combo, strides[1:]))
                            for combo in itertools.product(*parts)], dtype=np.int64)
            windows.append(idx)
    return windows


def _describe(node, mods):
    if node.op == "call_module":
        return f"module {type(mods[node.target]).__name__}"
    target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
    return f"{'method' if node.op == 'call_method' else 'function'} {target}"


def module_to_layers(module, *, input_shape=None, input_dim: int | None = None):
    """Layer dicts and a readout dict (or None) for a torch module (see the module docstring).

    Parameters
    ----------
    module : torch.nn.Module
        In eval mode when it holds batch norms or dropout.
    input_shape : tuple of int, optional
        The input's shape without the batch dimension, e.g. ``(1, 8, 8)``. By default the
        first Linear's width, or square images for a first convolution when
        ``input_dim`` is given.
    input_dim : int, optional
        The flattened input size, used to infer ``input_shape``.

    Raises
    ------
    UnsupportedModuleError
        A module or function that is not piecewise linear or not supported (named), a
        module in training mode, an input shape that cannot be inferred, or no activation.

    Examples
    --------
    >>> cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32, 3))
    >>> layers, readout = module_to_layers(cnn, input_shape=(1, 4, 4))
    >>> [lay["weight"].shape for lay in layers], readout["weight"].shape
    ([(32, 16)], (3, 32))
    >>> module_to_layers(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()))
    Traceback (most recent call last):
    ...
    vqgeom.errors.UnsupportedModuleError: module '1' of type Sigmoid is not piecewise linear; vqgeom converts Linear, Conv1d/2d, AvgPool, MaxPool1d/2d, BatchNorm (eval), Flatten/Unflatten, Dropout/Identity, ReLU/LeakyReLU and residual additions
    """
    if not isinstance(module, nn.Module):
        raise InvalidInputError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for name, mod in module.named_modules():  # before running it: a training-mode module changes state
        if mod.training and (isinstance(mod, nn.modules.batchnorm._BatchNorm) or (
                isinstance(mod, nn.modules.dropout._DropoutNd) and mod.p > 0)):
            raise UnsupportedModuleError(
                f"module {name!r} ({type(mod).__name__}) is in training mode; call model.eval() first "
                f"(batch norm is folded with its running statistics, dropout is the identity)")
    gm = _trace(module)
    if input_shape is None:
        input_shape = _infer_input_shape(gm, input_dim)
    input_shape = tuple(int(s) for s in input_shape)
    if input_dim is not None and int(np.prod(input_shape)) != input_dim:
        raise InvalidInputError(f"input_shape {input_shape} holds {int(np.prod(input_shape))} values, "
                                f"but the input dimension is {input_dim}")
    from torch.fx.passes.shape_prop import ShapeProp

    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.zeros((1, *input_shape), dtype=dtype))
    except Exception as exc:  # the module rejects this input shape
        raise InvalidInputError(
            f"the module cannot run on inputs of shape {input_shape} ({type(exc).__name__}: {exc}); "
            f"pass the right input_shape") from None
    return _Converter(gm, input_shape).run()
