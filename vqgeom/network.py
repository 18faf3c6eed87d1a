"""The CPA network model: layers, validation, forward passes, local affine maps, I/O.

A CPA network is a list of layers. Layer ``l`` maps ``z`` to::

    z' = skip @ z + out @ sigma(weight @ z + bias) + out_bias

where ``skip``, ``out`` and ``out_bias`` are optional (a plain MLP layer is
``sigma(weight @ z + bias)``). An optional affine ``readout`` ends the network; it has no
hyperplanes. The *neurons* of layer ``l`` are the rows of ``(weight, bias)``.

A *max layer* (``activation="max"`` with ``groups``) replaces ``sigma`` by max pooling: the
pre-activation rows fall into consecutive groups (windows) and ``sigma`` returns the maximum
of each group, so ``out`` has one column per group. Its code is the argmax of each group
(lowest index on ties, like ``sign(0) = +1``) as one-hot booleans over the group's rows. The
argmax is part of the region code (and of Omega) but not of the VQ distance d, which counts
ReLU-type units only (:attr:`Network.relu_layers`; README, ``proofs/maxpool.md``).

A network is either *float* (every array is float64) or *exact* (every array is an object
array of :class:`fractions.Fraction`); :meth:`Network.to_exact` converts floats at their
exact binary64 values.
"""

from __future__ import annotations

import json
import math
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from vqgeom._paths import atomic_output, write_text_atomic
from vqgeom.errors import InvalidInputError, InvalidNetworkError
from vqgeom.exact import format_fraction, fraction_array, to_fraction
from vqgeom.exact.arith import ExactContext, context, layer_maps

__all__ = ["Layer", "Readout", "Network", "ACTIVATIONS", "RELU_TYPE", "load_network", "as_points"]

#: Supported activations. Each ReLU-type one is affine on t >= 0 (slope 1) and on t < 0 (its
#: ``minus`` slope), so it has its hyperplane at pre-activation 0; "max" is max pooling over
#: groups of rows (its walls are where two rows of a group tie for the maximum).
ACTIVATIONS = ("relu", "leaky_relu", "abs", "max")
#: The ReLU-type activations: the units the VQ distance d counts.
RELU_TYPE = ("relu", "leaky_relu", "abs")

FORMAT = "vqgeom-network/1"
#: ``vqgeom counterexample --out``: the network with its domain, options and verdict
COUNTEREXAMPLE_FORMAT = "vqgeom-counterexample/1"


def _negative_slope(activation: str, negative_slope):
    if activation in ("relu", "max"):
        return 0
    if activation == "abs":
        return -1
    return negative_slope


def _as_array(value, *, exact: bool, name: str, ndim: int) -> np.ndarray:
    if exact:
        try:
            arr = fraction_array(value, name=name)
        except InvalidInputError as exc:
            raise InvalidNetworkError(str(exc)) from None
    else:
        _refuse_non_real(value, name, InvalidNetworkError)
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidNetworkError(f"{name} must be an array of real numbers ({exc})") from None
        if not np.all(np.isfinite(arr)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise InvalidNetworkError(f"{name} must be finite; entry {list(bad)} is {arr[bad]!r}")
    if arr.ndim != ndim:
        raise InvalidNetworkError(
            f"{name} must be a {ndim}-D array, got shape {tuple(arr.shape)}"
        )
    return arr


def _refuse_non_real(value, name: str, error) -> None:
    """Raise ``error`` when ``value`` (an array or nested lists) holds a boolean or a complex
    number: numpy would silently read ``True`` as 1 and drop an imaginary part."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "bc":
            raise error(f"{name} must hold real numbers, got dtype {value.dtype}")
        if value.dtype != object:
            return
        items = value.flat
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = (value,)
    stack = [iter(items)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, (list, tuple, np.ndarray)) and not (isinstance(v, np.ndarray) and v.dtype.kind in "fiu"):
                stack.append(iter(v.flat if isinstance(v, np.ndarray) else v))
                break
            if isinstance(v, (bool, np.bool_, complex, np.complexfloating)):
                raise error(f"{name} must hold real numbers, got {v!r}")
        else:
            stack.pop()


def _is_exact_value(value) -> bool:
    """True when ``value`` (nested lists / arrays) holds a Fraction or a string anywhere
    (iterative: a hostile nesting depth costs no recursion)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (Fraction, str)):
            return True
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                stack.extend(v.flat)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


@dataclass(frozen=True, eq=False)
class Layer:
    """One CPA layer ``z -> skip @ z + out @ sigma(weight @ z + bias) + out_bias``.

    Parameters
    ----------
    weight : array, shape (n_neurons, input_dim)
    bias : array, shape (n_neurons,)
    activation : {"relu", "leaky_relu", "abs", "max"}
    negative_slope : number
        Slope of ``leaky_relu`` on t < 0 (ignored otherwise).
    skip : array, shape (output_dim, input_dim), optional
    out : array, shape (output_dim, n_units), optional (identity when omitted)
    out_bias : array, shape (output_dim,), optional
    groups : tuple of int, optional
        Max layers only: the sizes of the consecutive groups of rows that ``sigma`` pools
        (they sum to ``n_neurons``); ``n_units`` is their number. None for ReLU-type layers.

    Build layers through :class:`Network`, which validates them.
    """

    weight: np.ndarray
    bias: np.ndarray
    activation: str = "relu"
    negative_slope: float | Fraction = 0.01
    skip: np.ndarray | None = None
    out: np.ndarray | None = None
    out_bias: np.ndarray | None = None
    groups: tuple[int, ...] | None = None

    @property
    def n_neurons(self) -> int:
        """The rows of ``(weight, bias)`` (for a max layer: the candidates of its windows)."""
        return self.weight.shape[0]

    @property
    def is_max(self) -> bool:
        """True for a max-pooling layer (``activation="max"``)."""
        return self.activation == "max"

    @property
    def n_units(self) -> int:
        """The activation's outputs: one per group for a max layer, one per neuron otherwise."""
        return len(self.groups) if self.is_max else self.n_neurons

    @property
    def group_of(self) -> np.ndarray:
        """Max layers: the group of every row, int array (n_neurons,)."""
        return np.repeat(np.arange(len(self.groups)), self.groups)

    @property
    def effective_out(self) -> np.ndarray | None:
        """``out`` as a map of the rows: for a max layer ``out @ P`` (``P`` the 0/1 matrix
        summing each group's rows), so that with the one-hot argmax code as slopes (1 on the
        selected row, 0 elsewhere) the layer reads like a ReLU-type one; ``out`` otherwise."""
        if not self.is_max:
            return self.out
        if self.out is not None:
            return self.out[:, self.group_of]
        eye = np.eye(self.n_units, dtype=np.int64)[:, self.group_of]
        return eye.astype(object) * Fraction(1) if self.weight.dtype == object else eye.astype(np.float64)

    def argmax_code(self, pre, xp=None):
        """The one-hot argmax code of a max layer at values ``pre`` and where rows tie.

        Parameters
        ----------
        pre : array (N, n_neurons)
            Float, object (exact numbers) or, with ``xp=torch``, a tensor.
        xp : module, optional
            ``torch`` for tensors (default numpy).

        Returns
        -------
        code : bool array (N, n_neurons)
            True on the row of each group that attains the maximum first (lowest index).
        tie : bool array (N, n_neurons)
            True on every row of a group whose maximum is attained by two rows or more.

        Examples
        --------
        >>> from vqgeom import Network
        >>> lay = Network([{"weight": [[1.0], [1.0], [2.0]], "activation": "max", "groups": [2, 1]}]).layers[0]
        >>> [a.tolist() for a in lay.argmax_code(np.array([[3.0, 3.0, -1.0]]))]
        [[[True, False, True]], [[True, True, False]]]
        """
        sizes = np.asarray(self.groups, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        width = int(sizes.max())
        # each group's rows, padded by repeating its first row (argmax keeps the first of equals)
        off = np.arange(width)[None, :]
        idx = np.where(off < sizes[:, None], starts[:, None] + off, starts[:, None])
        if xp is None:
            pre = np.asarray(pre)
            vals = pre[:, idx]                                   # (N, groups, width)
            win = idx[np.arange(len(sizes))[None, :], np.argmax(vals, axis=2)]
            top = np.take_along_axis(pre, win, axis=1)
            code = np.zeros(pre.shape, dtype=bool)
            np.put_along_axis(code, win, True, axis=1)
            ties = (pre == top[:, self.group_of]).astype(np.int64)
            counts = np.add.reduceat(ties, starts, axis=1) if pre.shape[0] else np.zeros((0, len(sizes)), np.int64)
            return code, (ties > 0) & (counts > 1)[:, self.group_of]
        tidx = xp.as_tensor(idx, device=pre.device)
        vals = pre[:, tidx]
        win = tidx[xp.arange(len(sizes), device=pre.device)[None, :], xp.argmax(vals, dim=2)]
        top = xp.gather(pre, 1, win)
        code = xp.zeros(pre.shape, dtype=xp.bool, device=pre.device)
        code.scatter_(1, win, True)
        gof = xp.as_tensor(self.group_of, device=pre.device)
        ties = pre == top[:, gof]
        counts = xp.zeros((pre.shape[0], len(sizes)), dtype=xp.int64, device=pre.device)
        counts.index_add_(1, gof, ties.long())
        return code, ties & (counts > 1)[:, gof]

    @property
    def input_dim(self) -> int:
        return self.weight.shape[1]

    @property
    def output_dim(self) -> int:
        if self.out is not None:
            return self.out.shape[0]
        if self.skip is not None:
            return self.skip.shape[0]
        if self.out_bias is not None:
            return self.out_bias.shape[0]
        return self.n_units

    @property
    def minus_slope(self):
        """The slope of sigma on t < 0 (0 for relu, -1 for abs)."""
        return _negative_slope(self.activation, self.negative_slope)

    def slopes(self, signs: np.ndarray) -> np.ndarray:
        """Slopes of sigma given boolean signs (True means t >= 0, sign +1)."""
        one = Fraction(1) if self.weight.dtype == object else 1.0
        minus = self.minus_slope
        minus = Fraction(minus) if self.weight.dtype == object else float(minus)
        return np.where(signs, one, minus)

    def sigma(self, t: np.ndarray) -> np.ndarray:
        """Apply a ReLU-type activation elementwise (exact for object arrays); for a max
        layer, the rows selected by ``t >= 0`` (use :meth:`argmax_code` for its code)."""
        return t * self.slopes(t >= 0)

    def preactivation_map(self, M: np.ndarray, m: np.ndarray):
        """Deprecated: use :func:`vqgeom.exact.arith.layer_maps` (or a network's
        :meth:`Network.preactivation_maps`). The affine map ``(A, c)`` of this layer's
        pre-activations, ``pre = A @ x + c``, given its input as ``z = M @ x + m``."""
        warnings.warn("Layer.preactivation_map is deprecated; use vqgeom.exact.arith.layer_maps",
                      DeprecationWarning, stacklevel=2)
        return layer_maps(self, M, m)

    def output_map(self, M: np.ndarray, m: np.ndarray, signs: np.ndarray, pre=None):
        """Deprecated: use :func:`vqgeom.exact.arith.layer_maps`. The affine map
        ``(M2, m2)`` of this layer's output where its neurons have ``signs``, given its
        input as ``z = M @ x + m`` (``pre`` is ignored)."""
        warnings.warn("Layer.output_map is deprecated; use vqgeom.exact.arith.layer_maps",
                      DeprecationWarning, stacklevel=2)
        return layer_maps(self, M, m, signs)[1]


@dataclass(frozen=True, eq=False)
class Readout:
    """The final affine map ``z -> weight @ z + bias`` (no hyperplanes)."""

    weight: np.ndarray
    bias: np.ndarray


def as_points(X, dim: int, *, name: str = "X", exact: bool = False) -> np.ndarray:
    """Validate points and return them as an array of shape (N, dim).

    A single point of shape (dim,) is accepted and returned as (1, dim).

    Raises
    ------
    InvalidInputError
        If ``X`` has the wrong dimension or holds non-finite values.

    Examples
    --------
    >>> as_points([], 2).shape
    (0, 2)
    """
    if exact:
        arr = np.asarray(X, dtype=object)
        if arr.size == 0:
            return np.empty((0, dim), dtype=object)
        arr = fraction_array(arr, name=name)
    else:
        if hasattr(X, "detach"):  # a torch tensor
            X = X.detach().cpu().numpy()
        _refuse_non_real(X, name, InvalidInputError)
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{name} must be an array of real numbers ({exc})") from None
        if arr.size == 0:
            return np.empty((0, dim), dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise InvalidInputError(f"{name} must be finite; it holds NaN or infinity")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise InvalidInputError(
            f"{name} must have shape (n_points, {dim}) for a network with input_dim={dim}, "
            f"got shape {tuple(arr.shape)}"
        )
    return arr


class Network:
    """A CPA network (see the module docstring for the layer formula).

    Parameters
    ----------
    layers : sequence of Layer or dict
        Dicts take the keys ``weight``, ``bias``, ``activation``, ``negative_slope``,
        ``skip``, ``out``, ``out_bias`` (the JSON layer form).
    readout : Readout or dict or None
        Optional final affine map ``{"weight": ..., "bias": ...}``.
    input_dim : int, optional
        Checked against the first layer's weight when given.
    exact : bool, optional
        Store every array as exact rationals (True) or float64 (False). By default a
        network is exact when any given value is a Fraction or a string.

    Raises
    ------
    InvalidNetworkError
        On a shape mismatch, a non-finite value, an unknown activation, or an all-zero
        weight row in layer 1 (the paper excludes it: it has no hyperplane). All-zero rows
        in later layers are *constant neurons*; they are accepted and reported by
        :attr:`constant_neurons`.

    Examples
    --------
    >>> net = Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 0.5]}])
    >>> net.widths, net.n_neurons, net.exact
    ((2,), 2, False)
    """

    #: False: a first-layer neuron must have a hyperplane. Networks restricted to a slice
    #: (:class:`vqgeom.regions.slices.SliceNetwork`) allow constant first-layer neurons.
    _constant_first_layer_ok = False

    def __init__(self, layers: Sequence, readout=None, *, input_dim: int | None = None,
                 exact: bool | None = None):
        if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
            raise InvalidNetworkError(
                f"layers must be a sequence of layer dicts or Layers, got {type(layers).__name__}"
            )
        layers = list(layers)
        if not layers:
            raise InvalidNetworkError("a network needs at least one layer; got none")
        if exact is None:
            exact = any(
                _is_exact_value([_fields(lay, i)[k] for k in ("weight", "bias", "skip", "out", "out_bias")])
                for i, lay in enumerate(layers)
            ) or (readout is not None and _is_exact_value(list(_readout_fields(readout))))
        self._exact = bool(exact)
        built = []
        dim = input_dim
        for index, lay in enumerate(layers):
            built.append(self._build_layer(lay, index, dim))
            dim = built[-1].output_dim
        if input_dim is not None and built[0].input_dim != input_dim:
            raise InvalidNetworkError(
                f"input_dim={input_dim} but layer 0's weight has {built[0].input_dim} columns"
            )
        self.layers: tuple[Layer, ...] = tuple(built)
        self.readout: Readout | None = None
        if readout is not None:
            rw, rb = _readout_fields(readout)
            name = "readout"
            W = _as_array(rw, exact=self._exact, name=f"{name}.weight", ndim=2)
            b = (_as_array(rb, exact=self._exact, name=f"{name}.bias", ndim=1) if rb is not None
                 else self._zeros(W.shape[0]))
            if W.shape[1] != self.layers[-1].output_dim:
                raise InvalidNetworkError(
                    f"readout.weight must have {self.layers[-1].output_dim} columns (the last "
                    f"layer's output dimension), got shape {tuple(W.shape)}"
                )
            if b.shape != (W.shape[0],):
                raise InvalidNetworkError(
                    f"readout.bias must have shape ({W.shape[0]},), got {tuple(b.shape)}"
                )
            self.readout = Readout(W, b)

    def __getstate__(self):
        # the arithmetic contexts cached by vqgeom.exact.arith.context are rebuilt on
        # demand (python-flint matrices do not pickle): a pickled network travels without them
        state = self.__dict__.copy()
        state.pop("_contexts", None)
        return state

    # ----------------------------------------------------------------- building
    def _zeros(self, n):
        return np.array([Fraction(0)] * n, dtype=object) if self._exact else np.zeros(n)

    def _build_layer(self, lay, index: int, dim: int | None) -> Layer:
        f = _fields(lay, index)
        where = f"layer {index}"
        act = f["activation"]
        if act not in ACTIVATIONS:
            raise InvalidNetworkError(
                f"{where}: unknown activation {act!r}; expected one of {', '.join(ACTIVATIONS)}"
            )
        W = _as_array(f["weight"], exact=self._exact, name=f"{where} weight", ndim=2)
        if W.shape[0] == 0:
            raise InvalidNetworkError(f"{where}: weight has no rows (a layer needs a neuron)")
        if dim is not None and index > 0 and W.shape[1] != dim:
            raise InvalidNetworkError(
                f"{where}: weight must have {dim} columns (the previous layer's output "
                f"dimension), got shape {tuple(W.shape)}"
            )
        n_rows = n = W.shape[0]
        b = (_as_array(f["bias"], exact=self._exact, name=f"{where} bias", ndim=1)
             if f["bias"] is not None else self._zeros(n))
        if b.shape != (n,):
            raise InvalidNetworkError(f"{where}: bias must have shape ({n},), got {tuple(b.shape)}")
        groups = _groups(f["groups"], act, n_rows, where)
        if groups is not None:
            n = len(groups)     # the activation's outputs: one per window
        slope = f["negative_slope"]
        if act == "leaky_relu":
            if self._exact:
                slope = to_fraction(slope, name=f"{where} negative_slope")
            else:
                try:
                    slope = float(slope)
                except (TypeError, ValueError):
                    raise InvalidNetworkError(
                        f"{where}: negative_slope must be a real number, got {slope!r}") from None
            if not (math.isfinite(float(slope)) and float(slope) != 1):
                raise InvalidNetworkError(
                    f"{where}: negative_slope must be finite and != 1 (a slope of 1 is linear, no "
                    f"hyperplane), got {slope!r}"
                )
        else:
            slope = 0.01 if not self._exact else Fraction(1, 100)
        skip = out = out_bias = None
        if f["skip"] is not None:
            skip = _as_array(f["skip"], exact=self._exact, name=f"{where} skip", ndim=2)
            if skip.shape[1] != W.shape[1]:
                raise InvalidNetworkError(
                    f"{where}: skip must have {W.shape[1]} columns (the layer's input dimension), "
                    f"got shape {tuple(skip.shape)}"
                )
        if f["out"] is not None:
            out = _as_array(f["out"], exact=self._exact, name=f"{where} out", ndim=2)
            if out.shape[1] != n:
                raise InvalidNetworkError(
                    f"{where}: out must have {n} columns (one per "
                    f"{'group' if groups is not None else 'neuron'}), got shape {tuple(out.shape)}"
                )
        if skip is not None and out is None and skip.shape[0] != n:
            raise InvalidNetworkError(
                f"{where}: skip has {skip.shape[0]} rows but the layer outputs {n} values "
                f"(give 'out' to change the output dimension)"
            )
        if skip is not None and out is not None and skip.shape[0] != out.shape[0]:
            raise InvalidNetworkError(
                f"{where}: skip has {skip.shape[0]} rows and out has {out.shape[0]}; they must agree"
            )
        if f["out_bias"] is not None:
            out_bias = _as_array(f["out_bias"], exact=self._exact, name=f"{where} out_bias", ndim=1)
            d_out = out.shape[0] if out is not None else (skip.shape[0] if skip is not None else n)
            if out_bias.shape != (d_out,):
                raise InvalidNetworkError(
                    f"{where}: out_bias must have shape ({d_out},), got {tuple(out_bias.shape)}"
                )
        if index == 0 and not self._constant_first_layer_ok and groups is None:
            zero = np.flatnonzero(np.all(W == 0, axis=1))
            if zero.size:
                raise InvalidNetworkError(
                    f"layer 0, row {int(zero[0])}: all-zero weight row; a first-layer neuron needs "
                    f"a hyperplane (the paper excludes a_H = 0: its zero set is empty or everything)"
                )
        return Layer(W, b, act, slope, skip, out, out_bias, groups)

    # ------------------------------------------------------------- properties
    @property
    def exact(self) -> bool:
        """True when every array holds exact rationals (Fraction)."""
        return self._exact

    @property
    def input_dim(self) -> int:
        return self.layers[0].input_dim

    @property
    def output_dim(self) -> int:
        return self.readout.weight.shape[0] if self.readout is not None else self.layers[-1].output_dim

    @property
    def depth(self) -> int:
        """Number of hidden layers (layers with neurons)."""
        return len(self.layers)

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(lay.n_neurons for lay in self.layers)

    @property
    def n_neurons(self) -> int:
        return sum(self.widths)

    @property
    def relu_layers(self) -> tuple[int, ...]:
        """Indices of the ReLU-type layers: the units the VQ distance d counts (a max layer's
        argmax is part of the region code and of Omega, not of d)."""
        return tuple(l for l, lay in enumerate(self.layers) if not lay.is_max)

    @property
    def has_max(self) -> bool:
        """True when some layer is a max-pooling layer."""
        return any(lay.is_max for lay in self.layers)

    @property
    def neuron_index(self) -> list[tuple[int, int]]:
        """``(layer, row)`` for every neuron, in the order codes are concatenated."""
        return [(l, j) for l, lay in enumerate(self.layers) for j in range(lay.n_neurons)]

    @property
    def constant_neurons(self) -> list[tuple[int, int]]:
        """``(layer, row)`` of neurons with an all-zero weight row (constant pre-activation).

        Layer 0 cannot have them (they are rejected); later layers may, and such a neuron
        never flips, or vanishes everywhere when its bias is 0 too.
        """
        return [(l, int(j)) for l, lay in enumerate(self.layers)
                for j in np.flatnonzero(np.all(lay.weight == 0, axis=1))]

    def __repr__(self) -> str:
        arch = "-".join(str(w) for w in (self.input_dim, *self.widths))
        kind = "exact" if self._exact else "float"
        extra = f", readout->{self.output_dim}" if self.readout is not None else ""
        return f"Network({arch}, {kind}{extra})"

    # ------------------------------------------------------------ conversions
    def to_exact(self) -> "Network":
        """This network with every array converted exactly to Fractions (self if exact)."""
        return self if self._exact else self._convert(True)

    def to_float(self) -> "Network":
        """This network with every array rounded to float64 (self if already float).

        Raises
        ------
        InvalidNetworkError
            If an exact value lies beyond float64's range (about 1.8e308): such a network
            can only be used in exact arithmetic.
        """
        if not self._exact:
            return self
        try:
            return self._convert(False)
        except OverflowError:
            raise InvalidNetworkError(
                "the network has a value beyond float64's range (about 1.8e308), so it has no "
                "float version (needed by float arithmetic and by the float stages of the lp "
                "engine); use exact arithmetic with an engine that needs none") from None

    def _convert(self, exact: bool) -> "Network":
        def conv(a):
            if a is None:
                return None
            return fraction_array(a) if exact else np.asarray(a, dtype=np.float64)

        layers = [dict(weight=conv(l.weight), bias=conv(l.bias), activation=l.activation,
                       negative_slope=l.negative_slope, skip=conv(l.skip), out=conv(l.out),
                       out_bias=conv(l.out_bias), groups=l.groups) for l in self.layers]
        readout = None
        if self.readout is not None:
            readout = dict(weight=conv(self.readout.weight), bias=conv(self.readout.bias))
        return type(self)(layers, readout, exact=exact)

    # --------------------------------------------------------------- forward
    def _points(self, X, name="X"):
        return as_points(X, self.input_dim, name=name, exact=self._exact)

    def preactivations(self, X) -> list[np.ndarray]:
        """Pre-activations of every layer.

        Parameters
        ----------
        X : array-like, shape (N, input_dim) or (input_dim,)

        Returns
        -------
        list of arrays, one per layer, shape (N, n_neurons_l); exact (object Fraction
        arrays) for an exact network, float64 otherwise.
        """
        P = self._points(X)
        if self._exact:
            return [ExactContext.to_fractions(pre).T for pre in context(self, "exact").preactivations(P)]
        return context(self, "plain").preactivations(P)

    def signs(self, X) -> list[np.ndarray]:
        """Sign patterns per layer as bool arrays (N, n_l): True means pre-activation >= 0.

        Exact for an exact network (decided by :class:`vqgeom.exact.arith.FilteredContext`:
        a float pass with a proved error bound, exact rationals where it does not decide).
        For a float network, a point whose float pre-activations overflow (inf or NaN, e.g.
        coordinates near 1e308) has its signs decided exactly instead.
        """
        return self.signs_and_zeros(X)[0]

    def signs_and_zeros(self, X):
        """Sign patterns per layer and, per point, whether some pre-activation is exactly 0.

        Exact networks: exact (the filtered context of :mod:`vqgeom.exact.arith`). Float
        networks compute in float64; the points where that overflows (an inf or NaN
        pre-activation, whose sign bit would be wrong) are recomputed in exact arithmetic
        from the points' and weights' exact binary64 values, so no sign is ever a rounding
        artefact of overflow.

        Returns
        -------
        signs : list of bool arrays, shape (N, n_l)
        zeros : bool array, shape (N,)
        """
        P = self._points(X)
        sz = context(self, "filtered" if self._exact else "plain").signs(P)
        zeros = np.zeros(P.shape[0], dtype=bool)
        for _, z in sz:
            zeros |= z.any(axis=1)
        return [a for a, _ in sz], zeros

    def forward(self, X) -> np.ndarray:
        """The network's output (after the readout when there is one), shape (N, output_dim)."""
        P = self._points(X)
        if self._exact:
            return ExactContext.to_fractions(context(self, "exact").forward(P)).T
        return context(self, "plain").forward(P)

    __call__ = forward

    def preactivation_maps(self, code: Sequence) -> list[tuple[np.ndarray, np.ndarray]]:
        """Affine maps of every layer's pre-activations on the closed cell of ``code``.

        Parameters
        ----------
        code : sequence of bool arrays
            Sign vectors per layer (True for +1). The map of layer ``l`` depends only on the
            signs of layers ``< l``, so ``code`` may be shorter than the network: maps are
            returned for ``len(code) + 1`` layers (at most ``depth``).

        Returns
        -------
        list of (A, c) with ``pre_l(x) = A @ x + c``, A: (n_l, input_dim).

        Raises
        ------
        InvalidInputError
            If ``code`` has more layers than the network, a layer's signs are not a vector
            of that layer's width, or a max layer's code is not one-hot in each group.
        """
        if isinstance(code, (str, bytes)) or not hasattr(code, "__len__") or len(code) > self.depth:
            raise InvalidInputError(
                f"code must be a sequence of at most {self.depth} sign vectors (one per layer), got {code!r}"
            )
        for l in range(len(code)):
            if np.shape(code[l]) != (self.layers[l].n_neurons,):
                raise InvalidInputError(
                    f"code[{l}] must hold {self.layers[l].n_neurons} signs (layer {l}'s width), "
                    f"got shape {np.shape(code[l])}"
                )
        code = [np.asarray(s, dtype=bool) for s in code]
        for l, s in enumerate(code):
            lay = self.layers[l]
            starts = np.cumsum((0,) + lay.groups[:-1]) if lay.is_max else None
            if lay.is_max and not (np.add.reduceat(s.astype(np.int64), starts) == 1).all():
                raise InvalidInputError(
                    f"code[{l}] must be one-hot in each of max layer {l}'s groups {list(lay.groups)} (its "
                    f"argmax code), got {s.astype(int).tolist()}")
        D = self.input_dim
        if self._exact:
            maps = [ExactContext.to_fractions(h) for h in context(self, "exact").cell_maps(code)]
        else:
            maps = context(self, "plain").cell_maps(code)
        return [(h[:, :D], h[:, D]) for h in maps]

    # -------------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """The JSON interchange form (``vqgeom-network/1``); exact values as strings."""
        def enc(a):
            if a is None:
                return None
            if self._exact:
                return np.vectorize(format_fraction, otypes=[object])(a).tolist() if a.size else a.tolist()
            return a.tolist()

        layers = []
        for lay in self.layers:
            d = {"weight": enc(lay.weight), "bias": enc(lay.bias), "activation": lay.activation}
            if lay.activation == "leaky_relu":
                d["negative_slope"] = (format_fraction(lay.negative_slope) if self._exact
                                       else float(lay.negative_slope))
            for key in ("skip", "out", "out_bias"):
                if getattr(lay, key) is not None:
                    d[key] = enc(getattr(lay, key))
            if lay.groups is not None:
                d["groups"] = list(lay.groups)
            layers.append(d)
        doc = {"format": FORMAT, "input_dim": self.input_dim, "layers": layers}
        if self.readout is not None:
            doc["readout"] = {"weight": enc(self.readout.weight), "bias": enc(self.readout.bias)}
        return doc

    def to_json(self, path: str | os.PathLike | None = None, *, indent: int | None = 1):
        """Serialise to JSON; write atomically to ``path`` when given, else return the text."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is None:
            return text
        write_text_atomic(path, text + "\n")
        return None

    @classmethod
    def from_dict(cls, doc: dict, *, exact: bool | None = None) -> "Network":
        """Build a network from the JSON interchange form (see the README)."""
        if not isinstance(doc, dict):
            raise InvalidNetworkError(f"a network document must be a JSON object, got {type(doc).__name__}")
        fmt = doc.get("format", FORMAT)
        if fmt == COUNTEREXAMPLE_FORMAT and isinstance(doc.get("network"), dict):
            doc = doc["network"]  # a saved counterexample: its network (its domain is beside it)
            fmt = doc.get("format", FORMAT)
        if fmt != FORMAT:
            raise InvalidNetworkError(f"unknown format {fmt!r}; expected {FORMAT!r}")
        unknown = set(doc) - {"format", "input_dim", "layers", "readout"}
        if unknown:
            raise InvalidNetworkError(f"unknown key(s) in network document: {', '.join(sorted(unknown))}")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise InvalidNetworkError("a network document needs a 'layers' list")
        for i, lay in enumerate(layers):
            if not isinstance(lay, dict):
                raise InvalidNetworkError(f"layer {i} must be an object, got {type(lay).__name__}")
            bad = set(lay) - set(_LAYER_KEYS)
            if bad:
                raise InvalidNetworkError(f"layer {i}: unknown key(s) {', '.join(sorted(bad))}")
            if "weight" not in lay:
                raise InvalidNetworkError(f"layer {i}: missing 'weight'")
        input_dim = doc.get("input_dim")
        if input_dim is not None and (isinstance(input_dim, bool) or not isinstance(input_dim, int)
                                      or input_dim < 1):
            raise InvalidNetworkError(f"input_dim must be a positive integer, got {input_dim!r}")
        return cls(layers, doc.get("readout"), input_dim=input_dim, exact=exact)

    @classmethod
    def from_json(cls, source, *, exact: bool | None = None) -> "Network":
        """Read a network from a JSON file path, a JSON string, or an already-parsed dict.

        Numbers may be JSON numbers or strings holding an integer, a decimal or a fraction
        (``"-5/2"``, ``"0.1"``), read exactly; a string anywhere makes the network exact.
        """
        if isinstance(source, dict):
            return cls.from_dict(source, exact=exact)
        if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{"):
            path = Path(source)
            try:
                text = path.read_text()
            except OSError as exc:
                raise InvalidInputError(f"cannot read network file {str(path)!r}: {exc.strerror}") from None
        else:
            text = str(source)
        try:
            doc = json.loads(text)
        except RecursionError:
            raise InvalidNetworkError("invalid network JSON: nested too deeply") from None
        except ValueError as exc:   # JSONDecodeError, or an integer of over 4300 digits
            raise InvalidNetworkError(f"invalid JSON: {str(exc).splitlines()[0]}") from None
        try:
            return cls.from_dict(doc, exact=exact)
        except RecursionError:
            raise InvalidNetworkError("invalid network JSON: arrays nested too deeply") from None

    # --------------------------------------------------------------------- NPZ
    def save_npz(self, path) -> None:
        """Save to ``.npz`` (exact networks store their rationals as ``"p/q"`` strings)."""
        arrays = {"format": np.array(FORMAT)}
        def put(key, a):
            if a is None:
                return
            arrays[key] = (np.vectorize(format_fraction, otypes=[str])(a) if self._exact and a.size
                           else np.asarray(a, dtype=np.float64))
        for i, lay in enumerate(self.layers):
            put(f"layer{i}.weight", lay.weight)
            put(f"layer{i}.bias", lay.bias)
            arrays[f"layer{i}.activation"] = np.array(lay.activation)
            arrays[f"layer{i}.negative_slope"] = np.array(str(lay.negative_slope) if self._exact
                                                          else float(lay.negative_slope))
            for key in ("skip", "out", "out_bias"):
                put(f"layer{i}.{key}", getattr(lay, key))
            if lay.groups is not None:
                arrays[f"layer{i}.groups"] = np.asarray(lay.groups, dtype=np.int64)
        if self.readout is not None:
            put("readout.weight", self.readout.weight)
            put("readout.bias", self.readout.bias)
        with atomic_output(path, "path") as f:
            np.savez(f, **arrays)

    @classmethod
    def from_npz(cls, path) -> "Network":
        """Load a network written by :meth:`save_npz`."""
        try:
            return cls._from_npz(path)
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            if isinstance(exc, InvalidNetworkError):
                raise
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InvalidNetworkError(f"cannot read {str(path)!r} as a .npz network file ({msg})") from None

    @classmethod
    def _from_npz(cls, path) -> "Network":
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise InvalidNetworkError(f"{str(path)!r} is a single .npy array, not a .npz network file")
        with archive as data:
            files = set(data.files)
            for key in sorted(files):
                _check_npz_member(data, key, path)
            n = 0
            while f"layer{n}.weight" in files:
                n += 1
            if n == 0:
                raise InvalidNetworkError(f"{path}: no 'layer0.weight' array; not a vqgeom network file")
            exact = data["layer0.weight"].dtype.kind in "US"
            def get(key):
                if key not in files:
                    return None
                a = data[key]
                if a.dtype.kind not in "USfiu":
                    raise InvalidNetworkError(f"{path}: {key} must hold real numbers (or 'p/q' "
                                              f"strings), got dtype {a.dtype}")
                return a.tolist() if a.dtype.kind in "US" else a
            layers = []
            for i in range(n):
                slope = data[f"layer{i}.negative_slope"].item() if f"layer{i}.negative_slope" in files else 0.01
                layers.append(dict(weight=get(f"layer{i}.weight"), bias=get(f"layer{i}.bias"),
                                   activation=str(data[f"layer{i}.activation"]) if f"layer{i}.activation" in files else "relu",
                                   negative_slope=slope, skip=get(f"layer{i}.skip"), out=get(f"layer{i}.out"),
                                   out_bias=get(f"layer{i}.out_bias"),
                                   groups=data[f"layer{i}.groups"].tolist() if f"layer{i}.groups" in files else None))
            readout = None
            if "readout.weight" in files:
                readout = dict(weight=get("readout.weight"), bias=get("readout.bias"))
        return cls(layers, readout, exact=exact)

    # ------------------------------------------------------------------- torch
    @classmethod
    def from_torch(cls, module, *, exact: bool = False, input_shape=None,
                   input_dim: int | None = None) -> "Network":
        """Convert a torch module: MLPs, CNNs (Conv1d/2d, AvgPool, BatchNorm in eval mode),
        residual additions (see :mod:`vqgeom.torch_cpa`).

        Each ReLU / LeakyReLU call becomes a layer; what follows the last one becomes the
        readout; affine maps with no activation between them are composed in float64 (that
        product's rounding is the only inexact step). Anything not piecewise linear raises
        :class:`UnsupportedModuleError` naming the module. ``input_shape`` (without the batch
        dimension) is needed when the first layer is a convolution (square images are
        inferred from ``input_dim``).
        """
        from vqgeom.torch_cpa import module_to_layers

        layers, readout = module_to_layers(module, input_shape=input_shape, input_dim=input_dim)
        return cls(layers, readout, exact=exact)

    def to_torch(self, dtype=None):
        """A torch module computing the same function (``nn.Sequential`` for plain MLPs).

        Parameters
        ----------
        dtype : torch.dtype, optional
            The parameters' dtype; default ``torch.get_default_dtype()`` (float32 unless
            changed), as for a fresh ``nn.Linear``, so the module takes the user's usual
            inputs. Pass ``torch.float64`` to keep the weights' binary64 values (an exact
            network's rationals are rounded to the dtype either way).

        Returns
        -------
        torch.nn.Module

        Raises
        ------
        InvalidInputError
            If ``dtype`` is not a floating torch dtype.
        """
        from vqgeom._torch import network_to_module

        return network_to_module(self, dtype=dtype)


def _check_npz_member(data, key, path) -> None:
    """Refuse a member whose header claims more data than the archive stores for it (numpy
    would allocate the claimed size before reading: terabytes for a hostile 1 kB file)."""
    info = data.zip.getinfo(key + ".npy")
    with data.zip.open(info) as f:
        version = np.lib.format.read_magic(f)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, _, dtype = reader(f)
        claimed = math.prod(shape) * dtype.itemsize
        if claimed > info.file_size:
            raise InvalidNetworkError(
                f"{path}: {key} claims shape {shape} ({claimed} bytes) but the archive holds "
                f"{info.file_size} bytes for it")


_LAYER_KEYS = ("weight", "bias", "activation", "negative_slope", "skip", "out", "out_bias", "groups")


def _groups(value, activation: str, n_rows: int, where: str):
    """Validate a layer's ``groups``: a tuple of positive sizes summing to ``n_rows`` for a max
    layer (an int k means consecutive groups of k rows), None otherwise."""
    if activation != "max":
        if value is not None:
            raise InvalidNetworkError(f"{where}: groups is only for activation='max', got groups={value!r} "
                                      f"with activation={activation!r}")
        return None
    if value is None:
        raise InvalidNetworkError(f"{where}: activation='max' needs groups (an int k or a list of "
                                  f"group sizes summing to the {n_rows} rows), got none")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        k = int(value)
        if k < 1 or n_rows % k:
            raise InvalidNetworkError(f"{where}: groups={k} must be a positive divisor of the layer's "
                                      f"{n_rows} rows")
        return (k,) * (n_rows // k)
    if (isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple))
            or not all(isinstance(g, (int, np.integer)) and not isinstance(g, (bool, np.bool_)) for g in value)):
        raise InvalidNetworkError(f"{where}: groups must be an int or a list of positive ints, got {value!r}")
    sizes = tuple(int(g) for g in value)
    if not sizes or min(sizes) < 1 or sum(sizes) != n_rows:
        raise InvalidNetworkError(f"{where}: groups must be positive sizes summing to the layer's {n_rows} "
                                  f"rows, got {list(sizes)} (sum {sum(sizes)})")
    return sizes


def _fields(lay, index: int) -> dict:
    if isinstance(lay, Layer):
        return dict(weight=lay.weight, bias=lay.bias, activation=lay.activation,
                    negative_slope=lay.negative_slope, skip=lay.skip, out=lay.out, out_bias=lay.out_bias,
                    groups=lay.groups)
    if isinstance(lay, dict):
        bad = set(lay) - set(_LAYER_KEYS)
        if bad:
            raise InvalidNetworkError(f"layer {index}: unknown key(s) {', '.join(sorted(map(str, bad)))}; "
                                      f"expected {', '.join(_LAYER_KEYS)}")
        if lay.get("weight") is None:
            raise InvalidNetworkError(f"layer {index}: missing 'weight'")
        return dict(weight=lay.get("weight"), bias=lay.get("bias"), activation=lay.get("activation", "relu"),
                    negative_slope=lay.get("negative_slope", 0.01), skip=lay.get("skip"),
                    out=lay.get("out"), out_bias=lay.get("out_bias"), groups=lay.get("groups"))
    raise InvalidNetworkError(f"layer {index} must be a Layer or a dict, got {type(lay).__name__}")


def _readout_fields(readout):
    if isinstance(readout, Readout):
        return readout.weight, readout.bias
    if isinstance(readout, dict):
        if "weight" not in readout:
            raise InvalidNetworkError("readout needs a 'weight'")
        bad = set(readout) - {"weight", "bias"}
        if bad:
            raise InvalidNetworkError(f"readout: unknown key(s) {', '.join(sorted(bad))}")
        return readout["weight"], readout.get("bias")
    raise InvalidNetworkError(f"readout must be a dict or Readout, got {type(readout).__name__}")


def load_network(source, *, exact: bool | None = None, allow_pickle: bool = False) -> Network:
    """Load a network from ``.json``, ``.npz`` or a torch file (``.pt`` / ``.pth``).

    A :class:`Network` is returned unchanged; a dict is read as the JSON form; a torch
    ``nn.Module`` is converted with :meth:`Network.from_torch`.

    Parameters
    ----------
    source : Network, dict, torch.nn.Module, str or os.PathLike
    exact : bool, optional
        Convert to exact rationals (True) or keep the file's arithmetic (None).
    allow_pickle : bool
        Torch files only. False (the default) loads them with ``torch.load(weights_only=True)``
        and accepts only tensors and the modules ``Network.from_torch`` supports, so a file
        cannot run code. True unpickles the file in full, which **runs any code it carries**:
        only for files you trust as much as a script.

    Raises
    ------
    InvalidInputError
        For a missing file, an unknown suffix, or a torch file that needs ``allow_pickle``.
    """
    if isinstance(source, Network):
        return source.to_exact() if exact else source
    if isinstance(source, dict):
        return Network.from_dict(source, exact=exact)
    if hasattr(source, "named_modules"):
        return Network.from_torch(source, exact=bool(exact))
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidInputError(
            "network must be a vqgeom.Network, a dict, a torch nn.Module or a path to a network "
            f"file, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.exists():
        raise InvalidInputError(f"network file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return Network.from_json(path, exact=exact)
    if suffix == ".npz":
        net = Network.from_npz(path)
        return net.to_exact() if exact else net
    if suffix in (".pt", ".pth"):
        from vqgeom._torch import load_torch_file

        return Network.from_torch(load_torch_file(path, allow_pickle=allow_pickle), exact=bool(exact))
    raise InvalidInputError(
        f"cannot tell the format of {str(path)!r} from its suffix {suffix!r}; expected .json, .npz, .pt or .pth"
    )
