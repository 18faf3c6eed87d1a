"""Conversions between :class:`vqgeom.Network` and torch modules (torch imported here only)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from vqgeom.errors import InvalidInputError, UnsupportedModuleError

__all__ = ["sequential_to_layers", "network_to_module", "load_torch_file", "CPALayer"]

_ACTIVATION_MODULES = (nn.ReLU, nn.LeakyReLU)


def _activation_of(mod):
    if isinstance(mod, nn.ReLU):
        return {"activation": "relu"}
    return {"activation": "leaky_relu", "negative_slope": float(mod.negative_slope)}


def _flatten_sequential(module, prefix=""):
    for name, child in module.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            yield from _flatten_sequential(child, full + ".")
        else:
            yield full, child


def sequential_to_layers(module):
    """Split an ``nn.Sequential`` into vqgeom layer dicts and an optional readout dict."""
    if not isinstance(module, nn.Sequential):
        raise UnsupportedModuleError(
            f"Network.from_torch needs an nn.Sequential of Linear / ReLU / LeakyReLU / Flatten / "
            f"Identity, got {type(module).__name__}; for other modules use "
            f"vqgeom.activation_codes(module, X, layers=...)"
        )
    layers = []
    pending = None  # (W, b) of the affine map since the last activation
    for name, child in _flatten_sequential(module):
        if isinstance(child, (nn.Flatten, nn.Identity)):
            continue
        if isinstance(child, nn.Linear):
            W = child.weight.detach().cpu().double().numpy()
            b = (child.bias.detach().cpu().double().numpy() if child.bias is not None
                 else np.zeros(W.shape[0]))
            pending = (W, b) if pending is None else (W @ pending[0], W @ pending[1] + b)
            continue
        if isinstance(child, _ACTIVATION_MODULES):
            if pending is None:
                raise UnsupportedModuleError(
                    f"module {name!r} ({type(child).__name__}) is not preceded by a Linear; "
                    f"vqgeom layers are Linear followed by one activation"
                )
            layers.append({"weight": pending[0], "bias": pending[1], **_activation_of(child)})
            pending = None
            continue
        raise UnsupportedModuleError(
            f"module {name!r} of type {type(child).__name__} is not supported by Network.from_torch "
            f"(supported: Linear, ReLU, LeakyReLU, Flatten, Identity); use "
            f"vqgeom.activation_codes(module, X, layers=...) for arbitrary modules"
        )
    if not layers:
        raise UnsupportedModuleError("the module has no activation layer, so no hyperplanes")
    readout = None if pending is None else {"weight": pending[0], "bias": pending[1]}
    return layers, readout


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
        if act is None:
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


def load_torch_file(path):
    """Load an ``nn.Module`` saved with ``torch.save(module, path)``."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a bad file
        raise InvalidInputError(f"cannot load torch file {str(path)!r}: {exc}") from None
    if not isinstance(obj, nn.Module):
        raise InvalidInputError(
            f"torch file {str(path)!r} holds a {type(obj).__name__}, not an nn.Module; save the "
            f"module itself (torch.save(model, path)), not its state_dict"
        )
    return obj
