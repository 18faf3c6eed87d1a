"""Conversions between :class:`vqgeom.Network` and torch modules (torch imported here only)."""

from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from vqgeom.errors import InvalidInputError

__all__ = ["network_to_module", "load_torch_file", "CPALayer", "GroupMax", "SAFE_MODULES"]

class CPALayer(nn.Module):
    """``z -> skip z + out sigma(W z + b) + out_bias`` as a torch module."""

    def __init__(self, linear, activation, skip=None, out=None, out_bias=None):
        super().__init__()
        self.linear = linear
        self.activation = activation
        self.skip = skip
        self.out = out
        self.register_buffer("out_bias", out_bias)

    def forward(self, z):
        y = self.activation(self.linear(z))
        if self.out is not None:
            y = self.out(y)
        if self.skip is not None:
            y = y + self.skip(z)
        if self.out_bias is not None:
            y = y + self.out_bias
        return y


class _Abs(nn.Module):
    def forward(self, x):
        return torch.abs(x)


class GroupMax(nn.Module):
    """Max over consecutive groups of features (a vqgeom max layer): (N, n) -> (N, groups)."""

    def __init__(self, groups):
        super().__init__()
        sizes = np.asarray(groups, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        off = np.arange(int(sizes.max()))[None, :]
        # pad each group by repeating its first feature (the maximum is unchanged)
        idx = np.where(off < sizes[:, None], starts[:, None] + off, starts[:, None])
        self.register_buffer("index", torch.as_tensor(idx))

    def forward(self, x):
        return x[:, self.index].amax(dim=2)


def _linear(W, b, dtype):
    W = np.asarray(W, dtype=np.float64)
    lin = nn.Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(W, dtype=dtype))
        if b is not None:
            lin.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float64), dtype=dtype))
    return lin


def network_to_module(net, dtype=None):
    if dtype is None:
        dtype = torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        from vqgeom.errors import InvalidInputError

        raise InvalidInputError(f"dtype must be a floating torch dtype such as torch.float32, got {dtype!r}")
    net = net.to_float()
    mods = []
    for lay in net.layers:
        act = {"relu": nn.ReLU(), "abs": _Abs()}.get(lay.activation)
        if lay.is_max:
            act = GroupMax(lay.groups)
        elif act is None:
            act = nn.LeakyReLU(float(lay.negative_slope))
        lin = _linear(lay.weight, lay.bias, dtype)
        if lay.skip is None and lay.out is None and lay.out_bias is None:
            mods += [lin, act]
        else:
            mods.append(CPALayer(
                lin, act,
                skip=None if lay.skip is None else _linear(lay.skip, None, dtype),
                out=None if lay.out is None else _linear(lay.out, None, dtype),
                out_bias=None if lay.out_bias is None else torch.as_tensor(
                    np.asarray(lay.out_bias, dtype=np.float64), dtype=dtype),
            ))
    if net.readout is not None:
        mods.append(_linear(net.readout.weight, net.readout.bias, dtype))
    return nn.Sequential(*mods)


#: The only classes a torch file may instantiate when loaded without ``allow_pickle``: the
#: modules :meth:`vqgeom.Network.from_torch` understands. Tensors, parameters and plain
#: containers are allowed by torch's ``weights_only`` unpickler itself.
SAFE_MODULES = (nn.Sequential, nn.Linear, nn.ReLU, nn.LeakyReLU, nn.Flatten, nn.Identity,
                # the CNN layers vqgeom.torch_cpa converts
                nn.Conv1d, nn.Conv2d, nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                nn.BatchNorm1d, nn.BatchNorm2d, nn.Unflatten, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
                nn.MaxPool1d, nn.MaxPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)


def _one_line_load_error(exc) -> tuple[str, bool]:
    """The useful line of a torch load error (torch's own run to a dozen lines) and whether
    it is a refusal by the ``weights_only`` unpickler (the file needs an unsafe class)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return (f"it would load {found.group(1)}, which is not on vqgeom's list of safe classes "
                f"({', '.join('nn.' + c.__name__ for c in SAFE_MODULES)})"), True
    refused = "Weights only load failed" in text
    if refused:
        inner = re.search(r"WeightsUnpickler error: (.+)", text)
        text = inner.group(1) if inner else text.split("trusted source.", 1)[-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__), refused


def load_torch_file(path, *, allow_pickle: bool = False):
    """Load an ``nn.Module`` saved with ``torch.save(module, path)``.

    Parameters
    ----------
    path : str or os.PathLike
    allow_pickle : bool
        False (the default) loads with ``torch.load(weights_only=True)``: the file may hold
        tensors and the modules in :data:`SAFE_MODULES` only, and nothing in it can run code.
        True unpickles the file with ``weights_only=False``, which **runs any code the file
        carries** (a pickle can call ``os.system``): use it only for files you made yourself
        or trust as much as a script, e.g. modules of your own classes.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    InvalidInputError
        If the file cannot be read, would need a class outside the safe list (without
        ``allow_pickle``), or holds something other than a module (e.g. a state_dict).
    """
    try:
        if allow_pickle:
            obj = torch.load(path, map_location="cpu", weights_only=False)
        else:
            with torch.serialization.safe_globals(list(SAFE_MODULES)):
                obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad or unsafe file
        reason, refused = _one_line_load_error(exc)
        hint = ("" if allow_pickle or not refused else
                "; refused without running it (pass allow_pickle=True / --trust-pickle only if "
                "you trust the file: unpickling runs any code it carries)")
        raise InvalidInputError(f"cannot load torch file {str(path)!r}: {reason}{hint}") from None
    if not isinstance(obj, nn.Module):
        kind = ("a state_dict (names -> tensors), which does not say which activations follow "
                "the Linear layers" if isinstance(obj, dict) else f"a {type(obj).__name__}")
        raise InvalidInputError(
            f"torch file {str(path)!r} holds {kind}, not an nn.Module; save the module itself "
            f"(torch.save(model, path)) or write the network as JSON (Network.to_json)"
        )
    return obj
