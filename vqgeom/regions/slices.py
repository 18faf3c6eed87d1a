"""Affine slices through data: planes and lines, the network restricted to them.

A :class:`Plane` is ``x(u, v) = x0 + u (x1 - x0) + v (x2 - x0)`` with ``(u, v)`` in a box;
a :class:`Line` is ``x(u) = x0 + u (x1 - x0)`` with ``u`` in an interval. Both read their
points exactly (floats at their binary64 values, Fractions, strings spelling rationals).

On a slice ``S = {x0 + B u}`` a CPA network is again a CPA network of ``u``: compose the
first layer with the affine map (MATH.md, "Other domains"). :func:`restrict` builds it;
its codes at ``u`` are the model's codes at ``x(u)``, layer by layer and neuron by neuron.
Omega on S is the set of cells of constant code of the restricted network with non-empty
interior in u-space, and d_Omega on S counts walls crossed inside S.

A first-layer neuron whose weight is orthogonal to the slice (a convolution whose
receptive field sees only pixels that are zero in all the points) is *constant* on S: the
restricted network keeps it (a :class:`SliceNetwork` accepts such rows), it never flips.

:class:`SlicePartition` is the partition of the u-box that remembers its slice, so that
:meth:`SlicePartition.region_of` takes points in input space (decided exactly; a point
off the slice is an error) and plots are drawn in (u, v).
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import numpy as np

from vqgeom._gcpause import gc_paused
from vqgeom.errors import DegenerateInputError, InvalidInputError, InvalidNetworkError
from vqgeom.exact import _from_coprime, format_fraction, fraction_array, to_fraction
from vqgeom.network import Network
from vqgeom.regions.domain import Box
from vqgeom.regions.partition import OUTSIDE, Partition

__all__ = ["Plane", "Line", "SliceNetwork", "SlicePartition", "restrict", "is_slice", "on_slice",
           "as_network", "slice_from_dict"]


class SliceNetwork(Network):
    """A network restricted to a slice: like :class:`~vqgeom.Network`, but a first-layer
    neuron may be constant (its weight is orthogonal to the slice); such a neuron never
    flips on the slice."""

    _constant_first_layer_ok = True

    def to_float(self) -> "Network":
        """This network in float64 (see :meth:`vqgeom.Network.to_float`), converted once:
        an exact restriction of a float model is given its float form by :func:`restrict`
        (the model's own arrays after the first layer), and engines ask for it repeatedly."""
        twin = self.__dict__.get("_float_twin")
        if twin is None:
            twin = super().to_float()
            if twin is not self:
                self.__dict__["_float_twin"] = twin
        return twin

    @property
    def float_exact_layers(self) -> frozenset:
        """Indices of the layers whose arrays equal their float64 form exactly (the layers
        after the first of an exact restriction of a float model), so that the filtered
        arithmetic (:mod:`vqgeom.exact.arith`) takes their floats without checking them."""
        return frozenset(self.__dict__.get("_float_exact_layers", ()))


def _point(value, name):
    """A point as (flat tuple of Fractions, original shape)."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, str):
        raise InvalidInputError(f"{name} must be an array of numbers, got the string {value!r}")
    arr = np.asarray(value, dtype=object)
    if arr.ndim == 0 or arr.size == 0:
        raise InvalidInputError(f"{name} must be a non-empty array of numbers, got {value!r}")
    flat = tuple(to_fraction(v, name=f"{name}[{i}]") for i, v in enumerate(arr.ravel()))
    return flat, tuple(arr.shape)


def _axis_bounds(lo, hi, k, cls):
    try:
        return Box(_pair(lo, k, "lo", cls), _pair(hi, k, "hi", cls))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{cls}: bad lo/hi ({exc})") from None


def _pair(v, k, name, cls):
    if isinstance(v, (list, tuple, np.ndarray)):
        if len(v) != k:
            raise InvalidInputError(f"{cls}: {name} must be a scalar or {k} numbers (one per axis), got {v!r}")
        return list(v)
    return [v] * k


class _Slice:
    """Common part of :class:`Plane` and :class:`Line` (``k`` = the slice's dimension)."""

    k = 0
    kind = ""
    names = ()

    def __init__(self, points, lo, hi):
        pts = []
        shape = None
        for name, p in zip(self.names, points):
            flat, shp = _point(p, name)
            if shape is not None and len(flat) != len(pts[0]):
                raise InvalidInputError(
                    f"{type(self).__name__}: {name} has {len(flat)} coordinates but {self.names[0]} has "
                    f"{len(pts[0])}; all points must have the same shape")
            shape = shp if shape is None else shape
            pts.append(flat)
        D = len(pts[0])
        x0 = pts[0]
        cols = [tuple(a - b for a, b in zip(p, x0)) for p in pts[1:]]
        # rank check: the directions must be linearly independent (exactly)
        if not any(cols[0]):
            raise DegenerateInputError(
                f"{type(self).__name__}: {self.names[1]} equals {self.names[0]}; the points span a point, "
                f"not a {self.kind}")
        if self.k == 2:
            c0, c1 = cols
            i0 = next(i for i, v in enumerate(c0) if v != 0)
            ratio = c1[i0] / c0[i0]
            if all(c1[i] == ratio * c0[i] for i in range(D)):
                raise DegenerateInputError(
                    "Plane: x2 - x0 is a multiple of x1 - x0 (the three points are collinear); "
                    "they span a line, not a plane")
        self.points = tuple(pts)
        self.shape = shape
        self.dim = D
        self.box = _axis_bounds(lo, hi, self.k, type(self).__name__)
        self._x0 = x0
        self._cols = cols

    # -------------------------------------------------------------- protocol
    @property
    def slice_dim(self) -> int:
        """The slice's own dimension (2 for a plane, 1 for a line)."""
        return self.k

    def with_dim(self, dim: int):
        """This slice, checked against a network's input dimension ``dim``."""
        if dim != self.dim:
            raise InvalidInputError(
                f"{type(self).__name__}: the points have {self.dim} coordinates but the network's "
                f"input_dim is {dim}")
        return self

    def basis(self):
        """``(x0, B)``: exact ``x0`` (D,) and ``B`` (D, k) object arrays of Fractions."""
        x0 = np.array(self._x0, dtype=object)
        B = np.array([list(r) for r in zip(*self._cols)], dtype=object).reshape(self.dim, self.k)
        return x0, B

    def embed(self, U):
        """The points ``x(u) = x0 + B u`` of slice coordinates ``U`` (N, k), exactly.

        Returns an object array (N, D) of Fractions.
        """
        U = np.asarray(U, dtype=object)
        if U.ndim == 1:
            U = U[None, :]
        if U.ndim != 2 or U.shape[1] != self.k:
            raise InvalidInputError(f"U must have shape (n_points, {self.k}), got {tuple(U.shape)}")
        if not U.size:
            return np.empty((0, self.dim), dtype=object)
        with gc_paused():   # 10^5-10^6 Fractions, no cycles
            return _affine_points(fraction_array(U, name="U"), self.basis())

    def coordinates(self, X, *, off: str = "raise"):
        """Slice coordinates ``u`` of points ``X`` (N, D) in input space, exactly.

        Parameters
        ----------
        X : array-like, shape (N, D) or (D,)
            Floats at their binary64 values, Fractions or strings.
        off : {"raise", "mark"}
            A point not on the slice's affine hull raises :class:`DegenerateInputError`
            (``"raise"``) or gets a row of None (``"mark"``).

        Returns
        -------
        ndarray of object (Fractions), shape (N, k)
        """
        if off not in ("raise", "mark"):
            raise InvalidInputError(f"off must be 'raise' or 'mark', got {off!r}")
        X = np.asarray(X.detach().cpu().numpy() if hasattr(X, "detach") else X, dtype=object)
        if X.ndim == 1 or (X.ndim >= 2 and X.shape[1:] == self.shape and self.shape != (self.dim,)):
            X = X.reshape(-1, self.dim) if X.ndim > 1 else X[None, :]
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise InvalidInputError(
                f"X must have shape (n_points, {self.dim}) for this {type(self).__name__.lower()}, got "
                f"shape {tuple(X.shape)}")
        from flint import fmpq_mat

        from vqgeom.exact.arith import to_fmpq

        x0, B = self.basis()
        rows = _pivot_rows(B)
        inv = _inverse(B[rows, :])
        n, D, k = X.shape[0], self.dim, self.k
        out = np.empty((n, k), dtype=object)
        if n == 0:
            return out
        try:
            Xm = fmpq_mat(n, D, [to_fmpq(v) for v in X.ravel().tolist()])
        except InvalidInputError as exc:
            raise InvalidInputError(f"X: {exc}") from None
        # u from the pivot rows, then x0 + B u compared with x exactly, coordinate by coordinate
        Pm = fmpq_mat(D, k + 1, [to_fmpq(v) for v in np.hstack([B, x0[:, None]]).ravel()])
        Sel = fmpq_mat(n, k, [0] * (n * k))
        invm = fmpq_mat(k, k, [to_fmpq(v) for v in inv.ravel()])
        for j, r in enumerate(rows):
            for i in range(n):
                Sel[i, j] = Xm[i, r] - Pm[r, k]
        Um = Sel * invm.transpose()
        U1 = fmpq_mat(n, k + 1, [Um[i, j] if j < k else 1 for i in range(n) for j in range(k + 1)])
        on = (U1 * Pm.transpose()) - Xm
        for i in range(n):
            if any(on[i, c] != 0 for c in range(D)):
                if off == "raise":
                    raise DegenerateInputError(
                        f"point X[{i}] does not lie on the {type(self).__name__.lower()} through "
                        f"{', '.join(self.names)} (exactly)")
                out[i] = None
                continue
            out[i] = [Fraction(int(Um[i, j].p), int(Um[i, j].q)) for j in range(k)]
        return out

    def contains(self, x, *, strict: bool = False) -> bool:
        """True when ``x`` (input space) lies on the slice and its u is in the box."""
        u = self.coordinates(np.asarray([list(np.ravel(np.asarray(x, dtype=object)))], dtype=object),
                             off="mark")[0]
        return u[0] is not None and self.box.contains(list(u), strict=strict)

    def restrict(self, model, *, arithmetic: str = "exact") -> "SliceNetwork":
        """The model restricted to this slice (see :func:`restrict`)."""
        return restrict(model, self, arithmetic=arithmetic)

    def to_dict(self) -> dict:
        return {"type": self.kind, "points": [[format_fraction(v) for v in p] for p in self.points],
                "shape": list(self.shape), "lower": [str(v) for v in self.box.lower],
                "upper": [str(v) for v in self.box.upper]}

    def __eq__(self, other):
        return type(other) is type(self) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash((self.kind, self.points, self.box))

    def __repr__(self) -> str:
        lo, hi = self.box.lower, self.box.upper
        return f"{type(self).__name__}(D={self.dim}, u in {[str(a) for a in lo]}..{[str(b) for b in hi]})"


def _affine_points(U, basis):
    """``x0 + B u`` for every row ``u`` of ``U`` (N, k), exact Fractions (N, D).

    One integer per entry: each column of ``[x0 B]`` over its common denominator, each
    point over the common denominator of its coordinates, then one gcd per entry (no
    rational arithmetic per entry). 1000 points in 784-D: 1.7 s, against 6.3 s for products
    of ``fmpq_mat`` converted entry by entry to Fractions (same busy machine, same run);
    most of what is left is making the 784k Fraction objects.
    """
    x0, B = basis
    N, k = U.shape
    D = len(x0)
    cols = [x0] + [B[:, j] for j in range(k)]
    dens = [math.lcm(*[v.denominator for v in c]) for c in cols]
    nums = [np.array([v.numerator * (d // v.denominator) for v in c], dtype=object) for c, d in zip(cols, dens)]
    dcol = math.lcm(*dens)
    nums = [a * (dcol // d) if d != dcol else a for a, d in zip(nums, dens)]   # all over dcol
    # point i: u_j = p_ij / q_i over its own common denominator q_i
    q = np.array([math.lcm(*[u.denominator for u in row]) for row in U.tolist()], dtype=object)
    P = np.array([[u.numerator * (qi // u.denominator) for u in row] for row, qi in zip(U.tolist(), q)],
                 dtype=object).reshape(N, k)
    # x_i = (q x0 + sum_j p_j B_j) / q, every term over dcol
    num = np.multiply.outer(q, nums[0])
    for j in range(k):
        num = num + np.multiply.outer(P[:, j], nums[j + 1])
    flat = num.ravel().tolist()
    den = np.repeat(q * dcol, D).tolist()
    g = list(map(math.gcd, flat, den))
    out = np.empty(N * D, dtype=object)
    out[:] = list(map(_from_coprime, map(operator.floordiv, flat, g), map(operator.floordiv, den, g)))
    return out.reshape(N, D)


def _pivot_rows(B):
    """Row indices where the (D, k) matrix B has a non-singular k x k submatrix."""
    D, k = B.shape
    first = next(i for i in range(D) if B[i, 0] != 0)
    if k == 1:
        return [first]
    for i in range(D):
        if B[first, 0] * B[i, 1] - B[i, 0] * B[first, 1] != 0:
            return [first, i]
    raise DegenerateInputError("the slice's directions are linearly dependent")


def _inverse(S):
    if S.shape == (1, 1):
        return np.array([[1 / S[0, 0]]], dtype=object)
    a, b, c, d = S[0, 0], S[0, 1], S[1, 0], S[1, 1]
    det = a * d - b * c
    return np.array([[d / det, -b / det], [-c / det, a / det]], dtype=object)


class Plane(_Slice):
    """The plane through three points, ``x(u, v) = x0 + u (x1 - x0) + v (x2 - x0)``.

    Parameters
    ----------
    x0, x1, x2 : array-like of the same shape (flattened; e.g. images (1, 8, 8))
        Read exactly: floats at their binary64 values, Fractions, strings.
    lo, hi : number or pair of numbers
        The (u, v) box ``[lo, hi]^2`` (scalars) or ``[lo[0], hi[0]] x [lo[1], hi[1]]``. The
        default shows the triangle x0, x1, x2 ((0, 0), (1, 0), (0, 1)) with a margin.

    Attributes
    ----------
    points : tuple of tuples of Fraction
    shape : tuple
        The points' shape (the input shape of a CNN).
    dim : int
        The ambient dimension D.
    box : Box
        The (u, v) box.

    Raises
    ------
    InvalidInputError
        Points of different shapes, non-numbers, a bad box.
    DegenerateInputError
        Points that span less than a plane (collinear, or two equal).

    Examples
    --------
    >>> p = Plane([0, 0, 0], [1, 0, 0], ["1/2", 1, 0])
    >>> p.dim, p.slice_dim, p.coordinates([[1, 1, 0]]).tolist()
    (3, 2, [[Fraction(1, 2), Fraction(1, 1)]])
    >>> Plane([0, 0], [1, 1], [2, 2])
    Traceback (most recent call last):
    ...
    vqgeom.errors.DegenerateInputError: Plane: x2 - x0 is a multiple of x1 - x0 (the three points are collinear); they span a line, not a plane
    """

    k = 2
    kind = "plane"
    names = ("x0", "x1", "x2")

    def __init__(self, x0, x1, x2, lo=-0.25, hi=1.25):
        super().__init__((x0, x1, x2), lo, hi)


class Line(_Slice):
    """The line through two points, ``x(u) = x0 + u (x1 - x0)``, with ``u`` in ``[lo, hi]``.

    Parameters
    ----------
    x0, x1 : array-like of the same shape
        Read exactly (floats at their binary64 values, Fractions, strings).
    lo, hi : number
        The interval of u (default [-0.25, 1.25]: the segment with a margin).

    Raises
    ------
    InvalidInputError, DegenerateInputError
        As for :class:`Plane` (``x1 == x0`` spans a point).

    Examples
    --------
    >>> Line([0, 0], [0, 0])
    Traceback (most recent call last):
    ...
    vqgeom.errors.DegenerateInputError: Line: x1 equals x0; the points span a point, not a line
    """

    k = 1
    kind = "line"
    names = ("x0", "x1")

    def __init__(self, x0, x1, lo=-0.25, hi=1.25):
        super().__init__((x0, x1), lo, hi)


def slice_from_dict(doc: dict):
    """The :class:`Plane` or :class:`Line` described by :meth:`to_dict`'s form."""
    try:
        kind, pts, shape = doc["type"], doc["points"], tuple(doc["shape"])
        lo, hi = list(doc["lower"]), list(doc["upper"])
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"malformed slice description ({type(exc).__name__}: {exc})") from None
    cls = {"plane": Plane, "line": Line}.get(kind)
    if cls is None or len(pts) != cls.k + 1:
        raise InvalidInputError(f"bad slice description: type {kind!r} with {len(pts)} points")
    sl = cls(*[np.array(p, dtype=object).reshape(shape) for p in pts], lo=lo if cls.k > 1 else lo[0],
             hi=hi if cls.k > 1 else hi[0])
    return sl


def is_slice(domain) -> bool:
    """True for a :class:`Plane` or a :class:`Line`."""
    return isinstance(domain, _Slice)


def as_network(model, slice_=None):
    """A :class:`~vqgeom.Network` from a Network, a path, a dict or a torch module.

    A torch module is converted by :meth:`vqgeom.Network.from_torch`, with the
    slice's point shape as its input shape when a slice is given.
    """
    from vqgeom.network import load_network

    if isinstance(model, Network):
        return model
    if hasattr(model, "named_modules"):
        if slice_ is None:
            return Network.from_torch(model)
        shape = slice_.shape if len(slice_.shape) > 1 else None  # flat points: inferred from the model
        return Network.from_torch(model, input_shape=shape, input_dim=slice_.dim)
    return load_network(model)


def restrict(model, slice_, *, arithmetic: str = "exact") -> SliceNetwork:
    """The CPA network of the slice coordinates whose codes are the model's on the slice.

    Parameters
    ----------
    model : Network, torch module, dict or path
    slice_ : Plane or Line
    arithmetic : {"exact", "float"}
        ``"exact"`` composes the first layer with the slice's affine map in rationals (the
        model's floats at their binary64 values); ``"float"`` in float64.

    Returns
    -------
    SliceNetwork
        Input dimension 2 (plane) or 1 (line); the same layers, neurons and readout as the
        model, with layer 0's ``weight`` replaced by ``W B``, its ``bias`` by ``W x0 + b``
        (and its ``skip`` by ``C B``, ``out_bias`` by ``C x0 + c`` when it has them).

    Raises
    ------
    InvalidInputError
        If the slice's dimension is not the model's input dimension, or for a bad
        ``arithmetic``.

    Examples
    --------
    >>> net = Network([{"weight": [[1, 0, 0], [0, 0, 1]], "bias": [0, 1]}])
    >>> r = restrict(net, Plane([0, 0, 0], [1, 0, 0], [0, 1, 0]))
    >>> r.layers[0].weight.tolist(), r.constant_neurons
    ([[Fraction(1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(0, 1)]], [(0, 1)])
    """
    if not is_slice(slice_):
        raise InvalidInputError(f"slice_ must be a vqgeom.Plane or vqgeom.Line, got {type(slice_).__name__}")
    if arithmetic not in ("exact", "float"):
        raise InvalidInputError(f"arithmetic must be 'exact' or 'float', got {arithmetic!r}")
    net = as_network(model, slice_)
    slice_.with_dim(net.input_dim)
    exact = arithmetic == "exact"
    if not exact:
        net = net.to_float()
    # exact: the layers after the first stay as they are (float arrays are read exactly by the
    # SliceNetwork built below); the first is composed exactly
    x0, B = slice_.basis()
    lay = net.layers[0]
    if exact:
        W, b = _compose_exact(lay.weight, lay.bias, x0, B)
    else:
        Bf, x0f = B.astype(np.float64), x0.astype(np.float64)
        W, b = lay.weight @ Bf, lay.weight @ x0f + lay.bias
    first = dict(weight=W, bias=b, activation=lay.activation, negative_slope=lay.negative_slope,
                 out=lay.out, out_bias=lay.out_bias, groups=lay.groups)
    if lay.skip is not None:
        if exact:
            S, s = _compose_exact(lay.skip, None, x0, B)
        else:
            S, s = lay.skip @ Bf, lay.skip @ x0f
        first["skip"] = S
        if lay.out_bias is not None:
            s = s + (np.array([to_fraction(v) for v in lay.out_bias], dtype=object) if exact else lay.out_bias)
        first["out_bias"] = s
    rest, readout = list(net.layers[1:]), net.readout   # Network reads Layer and Readout objects
    with gc_paused():   # exact: a Fraction per weight
        out = SliceNetwork([first] + rest, readout, exact=exact)   # float arrays are read exactly
    if exact and not net.exact:
        # its float form: the first layer rounded, the model's own floats after it
        rounded = {k: (None if v is None else np.asarray(v, dtype=np.float64)) if k in _ARRAYS else v
                   for k, v in first.items()}
        try:
            out.__dict__["_float_twin"] = SliceNetwork([rounded] + rest, readout, exact=False)
            out.__dict__["_float_exact_layers"] = tuple(range(1, net.depth))
        except (OverflowError, InvalidNetworkError):   # beyond float64: to_float says so when asked
            pass
    return out


_ARRAYS = ("weight", "bias", "skip", "out", "out_bias")


def _compose_exact(W, b, x0, B):
    """``(W B, W x0 + b)`` in exact rationals (python-flint matrices)."""
    from flint import fmpq_mat

    from vqgeom.exact.arith import to_fmpq

    n, D = W.shape
    k = B.shape[1]
    if W.dtype == np.float64:  # every float is the rational p/q of as_integer_ratio
        from flint import fmpq

        Wm = fmpq_mat(n, D, [fmpq(*v.as_integer_ratio()) for v in W.ravel().tolist()])
    else:
        Wm = fmpq_mat(n, D, [to_fmpq(v) for v in W.ravel()])
    Bm = fmpq_mat(D, k + 1, [to_fmpq(v) for row in zip(*[B[:, j] for j in range(k)], x0) for v in row])
    P = Wm * Bm
    vals = np.array([Fraction(int(e.p), int(e.q)) for e in P.entries()], dtype=object).reshape(n, k + 1)
    WB, Wx = vals[:, :k], vals[:, k]
    if b is None:
        return WB, Wx
    return WB, Wx + np.array([to_fraction(v) for v in b], dtype=object)


def on_slice(model, domain, *, arithmetic: str = "exact"):
    """``(restrict(model, domain), domain.box)`` for a slice, else ``(model, domain)``.

    The lemma checks call this first, so that they answer on the slice's (u, v) box.
    """
    if is_slice(domain):
        return restrict(model, domain, arithmetic=arithmetic), domain.box
    return model, domain


class SlicePartition(Partition):
    """A :class:`~vqgeom.Partition` of a slice's (u, v) box that remembers the slice.

    ``net`` is the restricted network (a :class:`SliceNetwork`), ``domain`` the (u, v) box,
    ``slice`` the :class:`Plane` or :class:`Line`, ``model`` the network it was restricted
    from. Witnesses, polygons and plots are in slice coordinates; :meth:`region_of` and
    :meth:`partition_distance` take points in input space.
    """

    #: the network type :meth:`from_dict` rebuilds (constant first-layer neurons allowed)
    network_class = SliceNetwork

    def __init__(self, part, *args, slice_=None, model=None, **kwargs):
        if isinstance(part, Partition):  # wrap an enumerated partition of the (u, v) box
            self.__dict__.update(part.__dict__)
            slice_ = args[0] if args else slice_
        else:  # Partition's own signature (used by from_dict)
            Partition.__init__(self, part, *args, **kwargs)
        self.slice = slice_
        self.model = model

    @classmethod
    def from_dict(cls, doc: dict) -> "SlicePartition":
        """Rebuild a slice partition from :meth:`to_dict`'s form (with its slice)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("slice"), dict):
            raise InvalidInputError("not a slice partition document (no 'slice' object); use Partition.load")
        part = super().from_dict(doc)
        part.slice = slice_from_dict(doc["slice"])
        return part

    def region_of(self, X, *, on_boundary: str = "raise") -> np.ndarray:
        """The region of each point ``X`` (N, D) of input space, decided exactly.

        A point off the slice raises :class:`~vqgeom.errors.DegenerateInputError`
        (``on_boundary="raise"``) or is labelled ``OUTSIDE`` (-2, ``"mark"``); otherwise
        as :meth:`vqgeom.Partition.region_of` at its slice coordinates.
        """
        if on_boundary not in ("raise", "mark"):
            raise InvalidInputError(f"on_boundary must be 'raise' or 'mark', got {on_boundary!r}")
        U = self.slice.coordinates(X, off=on_boundary)
        on = np.array([u[0] is not None for u in U], dtype=bool)
        out = np.full(U.shape[0], OUTSIDE, dtype=np.int64)
        if on.any():
            out[on] = self.region_of_uv(np.array(list(U[on]), dtype=object).reshape(-1, self.slice.k),
                                        on_boundary=on_boundary)
        return out

    def region_of_uv(self, U, *, on_boundary: str = "raise") -> np.ndarray:
        """The region of each point given in slice coordinates ``U`` (N, k)."""
        return Partition.region_of(self, U, on_boundary=on_boundary)

    def in_slice_coordinates(self) -> Partition:
        """This partition as a plain :class:`~vqgeom.Partition` of the (u, v) box (shared data)."""
        plain = Partition.__new__(Partition)
        plain.__dict__.update(self.__dict__)
        return plain

    def verify(self) -> None:
        """Check every region's and facet's exact certificate (in slice coordinates)."""
        self.in_slice_coordinates().verify()

    def to_dict(self, **kwargs) -> dict:
        """:meth:`vqgeom.Partition.to_dict` (same options) with the slice added."""
        doc = Partition.to_dict(self, **kwargs)
        doc["slice"] = self.slice.to_dict()
        return doc

    def __repr__(self) -> str:
        return Partition.__repr__(self).replace("Partition(", "SlicePartition(", 1) + f" on {self.slice!r}"
