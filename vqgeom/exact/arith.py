"""One arithmetic core: forward passes, cell maps and sign tests of CPA networks, once.

A CPA layer ``l`` maps ``z`` to ``z' = skip z + out sigma(W z + b) + out_bias``. Everything
vqgeom computes from a network's weights reduces to one propagation through its layers:

* *points*: the pre-activations of every layer at points (and the network's output), with
  the activation's slope chosen per entry by the sign of the pre-activation;
* *cell maps*: the affine maps ``pre_l(x) = A_l x + c_l`` of every layer on the closed cell
  of a code (and the output map), with the slope chosen per neuron by the code.

Both run on *homogeneous* values: a layer input is held with an extra coordinate ``e``
(1 at a point, ``(0, ..., 0, 1)`` for an affine map of x), so the bias is one more column
of the weight (``Wh = [W b]``), the layer output is ``Oh [sigma(pre); e] + Sh [z; e]`` with
``Oh = [[out, out_bias], [0, 1]]`` and ``Sh = [[skip, 0], [0, 0]]``, and a cell map of layer
``l`` is the matrix ``[A_l c_l]``. The propagation (:meth:`_Context._run`) is written once;
each *context* supplies the arithmetic of one mode, as exact-geometry libraries keep one
context object per mode:

* :class:`PlainContext`: float64 (numpy, or torch tensors on a device for codes);
* :class:`ExactContext`: exact rationals (python-flint ``fmpq_mat``; floats are taken at
  their exact binary64 values), signs with a zero case;
* :class:`FilteredContext`: the float pass together with a rigorous bound on its distance
  to the exact pass (``proofs/filtered-signs.md``); a sign is decided when the float value
  exceeds its bound (or the bound is 0, where the float value is exact), and only the
  points with an undecided sign are recomputed in :class:`ExactContext`. Its answers are
  exact.

:func:`context` returns the context of a network for a mode, built once per network.

A *max layer* (max pooling, :class:`vqgeom.network.Layer` with ``groups``) runs through the
same propagation: its slopes are its one-hot argmax code (1 on each window's winner, 0
elsewhere) and its ``out`` is :attr:`~vqgeom.network.Layer.effective_out` (``out`` times the
0/1 matrix summing a window's rows), so ``out @ maxpool(pre)`` is ``effective_out @
(code * pre)``. At points the argmax (lowest index on ties) takes the place of the sign test
and its "zero case" is a tie; the filtered context decides a window when the winner's float
value beats every other by more than the sum of their error bounds.

The error bound (one for the whole package; proof and test in ``proofs/filtered-signs.md``)
----------------------------------------------------------------------------------------
u = 2^-53. For ``Y = A X`` with exact ``A``, ``X`` (``k`` columns of ``A``), a float ``Â`` with
``|Â - A| <= dA`` and a float ``X̂`` with ``|X̂ - X| <= E`` (entrywise), the computed
``Ŷ = fl(Â X̂)`` satisfies::

    |Ŷ - Y| <= (k + 1) u |Â| |X̂| + |Â| E + dA (|X̂| + E) + k 2^-1074 [row of Â or dA non-zero]

in any summation order (BLAS, FMA): ``gamma_k <= (k + 1) u`` for ``k <= 2^25``, and each
product that underflows errs by at most 2^-1075. A sum of two bounded terms adds
``2 u |Ŷ|``; an activation with slope ``t`` on ``t < 0`` (float ``t̂``, ``|t̂ - t| <= dt``)
maps a bound ``E`` to ``max(1, |t̂| + dt) E`` plus, where ``Ŷ < 0``, ``dt |Ŷ|`` and (when ``t̂``
is not 0 or -1) ``2 u |post| + 2^-1074``. Every bound is evaluated in float and then inflated by
``(1 + 2^-20)`` after adding ``(4 k + 2) 2^-1074`` where the row is non-zero (covering the
rounding and underflow of its own evaluation), so the computed bound is never below the
true one.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["MODES", "UNIT", "context", "PlainContext", "ExactContext", "FilteredContext",
           "to_fmpq", "fmpq_matrix", "scale_of", "error_bound", "layer_maps", "MAX_TERMS"]

#: The modes of :func:`context`.
MODES = ("plain", "filtered", "exact")
#: Unit roundoff of binary64.
UNIT = 2.0 ** -53
#: The bound of :func:`error_bound` holds for dot products of at most this many terms.
MAX_TERMS = 2 ** 25
_TINY = 2.0 ** -1074     # the smallest subnormal
_INFL = 1.0 + 2.0 ** -20


# ---------------------------------------------------------------- exact scalars, matrices
def _flint():
    """python-flint, imported on first use (importing vqgeom does not load it)."""
    import flint

    return flint


def to_fmpq(value):
    """Convert a number (int, float, Fraction, str, fmpq) to python-flint's ``fmpq`` exactly.

    Examples
    --------
    >>> to_fmpq(0.5), to_fmpq("2/3")
    (1/2, 2/3)
    """
    fmpq = _flint().fmpq
    if isinstance(value, fmpq):
        return value
    if type(value) is Fraction:
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidInputError(f"value must be finite, got {value!r}")
        p, q = float(value).as_integer_ratio()
        return fmpq(p, q)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return fmpq(int(value))
    from vqgeom.exact import to_fraction

    f = to_fraction(value)
    return fmpq(int(f.numerator), int(f.denominator))


def fmpq_matrix(a):
    """An array-like (1-D: a column) as an ``fmpq_mat``, exactly.

    >>> fmpq_matrix([[1, 0.5]]).tolist()
    [[1, 1/2]]
    """
    from flint import fmpq_mat

    arr = np.asarray(a, dtype=object)
    if arr.ndim == 1:
        arr = arr[:, None]
    r, c = arr.shape
    flat = arr.ravel().tolist()
    if all(type(v) is Fraction for v in flat):   # the common case, without per-entry dispatch
        from flint import fmpq

        return fmpq_mat(r, c, [fmpq(v.numerator, v.denominator) for v in flat])
    return fmpq_mat(r, c, [to_fmpq(v) for v in flat])


def scale_of(row, ref):
    """``lam`` with ``row == lam * ref`` (exact sequences), or None when not proportional.

    >>> from fractions import Fraction as F
    >>> scale_of([F(2), F(0), F(-4)], [F(1), F(0), F(-2)]), scale_of([1, 1], [1, 2])
    (Fraction(2, 1), None)
    """
    lam = None
    for a, b in zip(row, ref):
        if b == 0:
            if a != 0:
                return None
            continue
        r = a / b
        if lam is None:
            lam = r
        elif r != lam:
            return None
    return lam


def _fraction(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


# --------------------------------------------------------------------------- the core
class _Context:
    """The propagation, written once; subclasses give the arithmetic (see module doc).

    A state is ``(H, e)``: the homogeneous layer input and its unit coordinate. Subclasses
    implement ``_points(P)``, ``_identity()``, ``_linear(l, H)``, ``_next(l, pre, H, e, mask)``
    (activation with slopes from ``mask``, a bool vector per neuron, or by sign when None,
    then the layer's output) and ``_readout(H)``.
    """

    mode = ""

    def __init__(self, net):
        self.net = net
        self.D = net.input_dim
        self.depth = net.depth
        self.widths = tuple(net.widths)

    def _run(self, state, code=None, *, layers=None, final=False):
        """Pre-activations of the first ``layers`` layers (default all); with ``final``
        also the last layer's output state."""
        H, e = state
        n = self.depth if layers is None else layers
        pres = []
        for l in range(n):
            pre = self._linear(l, H)
            pres.append(pre)
            if l + 1 < n or final:
                H = self._next(l, pre, H, e, None if code is None else code[l])
        return pres, H

    # ---- the step API (used by engines that build cell maps incrementally)
    def start(self):
        """The homogeneous identity map: the network input as a map of x."""
        return self._identity()

    def pre(self, l, state):
        """Layer ``l``'s pre-activation map ``[A c]`` for its input map ``state``."""
        return self._linear(l, state[0])

    def advance(self, l, pre, state, signs):
        """The input of layer ``l + 1`` from layer ``l``'s input ``state`` and its
        pre-activations ``pre``: the activation's slopes follow ``signs`` (bool per neuron,
        True for +1: a cell map) or, when None, the sign of each value (points)."""
        return self._next(l, pre, state[0], state[1], signs), state[1]

    # ---- public operations
    def cell_maps(self, code):
        """Homogeneous pre-activation maps ``[A_l c_l]`` on the closed cell of ``code``.

        ``code`` may be shorter than the network: ``len(code) + 1`` maps are returned (at
        most ``depth``).
        """
        n = min(len(code) + 1, self.depth)
        return self._run(self._identity(), code, layers=n)[0]

    def output_map(self, code):
        """The homogeneous map ``[M m]`` of the network's output on the cell of ``code``
        (after the readout when there is one)."""
        _, H = self._run(self._identity(), code, final=True)
        return self._readout(H)


# ------------------------------------------------------------------------------ plain
class PlainContext(_Context):
    """float64 arithmetic (numpy arrays, or torch tensors on ``device``).

    States are held transposed (row form): a point is a row ``[z, 1]``, a map of x the
    transpose of ``[[M, m], [0, 1]]``, so a layer is one right multiplication.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 0.5]}])
    >>> [p.tolist() for p in PlainContext(net).preactivations([[1.0]])]
    [[[1.0, -0.5]]]
    """

    mode = "plain"

    def __init__(self, net, *, device=None):
        super().__init__(net)
        self.device = device
        if device is not None:
            import torch

            self._xp = torch
            conv = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), device=device)
        else:
            self._xp = None
            conv = lambda a: np.ascontiguousarray(a, dtype=np.float64)
        self._layers = []
        for lay in net.layers:
            W = np.asarray(lay.weight, dtype=np.float64)
            b = np.asarray(lay.bias, dtype=np.float64)
            WhT = np.concatenate([W, b[:, None]], axis=1).T
            OhT = ShT = None
            eff = lay.effective_out
            if eff is not None or lay.skip is not None or lay.out_bias is not None:
                n = lay.n_neurons
                out = np.eye(n) if eff is None else np.asarray(eff, dtype=np.float64)
                d2 = out.shape[0]
                ob = np.zeros(d2) if lay.out_bias is None else np.asarray(lay.out_bias, dtype=np.float64)
                Oh = np.zeros((d2 + 1, n + 1))
                Oh[:d2, :n], Oh[:d2, n], Oh[d2, n] = out, ob, 1.0
                OhT = conv(Oh.T)
                if lay.skip is not None:
                    S = np.asarray(lay.skip, dtype=np.float64)
                    Sh = np.zeros((d2 + 1, S.shape[1] + 1))
                    Sh[:d2, :-1] = S
                    ShT = conv(Sh.T)
            self._layers.append((conv(WhT), OhT, ShT, float(lay.minus_slope), lay if lay.is_max else None))
        self._readout_T = None
        if net.readout is not None:
            R = np.asarray(net.readout.weight, dtype=np.float64)
            Rh = np.zeros((R.shape[0] + 1, R.shape[1] + 1))
            Rh[:-1, :-1], Rh[:-1, -1], Rh[-1, -1] = R, np.asarray(net.readout.bias, dtype=np.float64), 1.0
            self._readout_T = conv(Rh.T)

    def _cat(self, a, b):
        if self._xp is None:
            return np.concatenate([a, b], axis=1)
        return self._xp.cat([a, b], dim=1)

    def _points(self, P):
        if self._xp is None:
            P = np.asarray(P, dtype=np.float64)
            e = np.ones((P.shape[0], 1))
        else:
            P = self._xp.as_tensor(P, dtype=self._xp.float64, device=self.device)
            e = self._xp.ones((P.shape[0], 1), dtype=P.dtype, device=self.device)
        return self._cat(P, e), e

    def _identity(self):
        H = np.eye(self.D + 1)
        return H, H[:, -1:]

    def _linear(self, l, H):
        return H @ self._layers[l][0]

    def _next(self, l, pre, H, e, mask):
        _, OhT, ShT, minus, pool = self._layers[l]
        if mask is None:
            mask = pre >= 0 if pool is None else pool.argmax_code(pre, self._xp)[0]
        elif self._xp is not None:
            mask = self._xp.as_tensor(mask, device=self.device)
        where = np.where if self._xp is None else self._xp.where
        post = self._cat(where(mask, pre, pre * minus if minus else 0.0), e)
        if OhT is None:
            return post
        out = post @ OhT
        if ShT is not None:
            out = out + H @ ShT
        return out

    def _readout(self, H):
        return H if self._readout_T is None else H @ self._readout_T

    # ---- public operations
    def points(self, Z):
        """The state of points ``Z`` (N, d) as a layer input (for :meth:`pre` and
        :meth:`advance`, which then choose slopes by sign when ``signs`` is None)."""
        return self._points(Z)

    def magnitude(self, l, state):
        """``|[z 1]| @ |[W b]|^T``: the magnitude of layer ``l``'s pre-activation sums."""
        return np.abs(state[0]) @ np.abs(self._layers[l][0])

    def preactivations(self, P):
        """Pre-activations of every layer at the points ``P`` (N, D): list of (N, n_l)."""
        return self._run(self._points(P))[0]

    def signs(self, P):
        """``(pre >= 0, pre == 0)`` per layer at ``P`` (float comparisons, not certified).

        A point whose float64 pre-activations overflow (inf or NaN: ``relu(-inf)`` is NaN,
        whose comparisons are wrong) is decided exactly instead, from the exact values of
        its floats (:class:`ExactContext`); on a torch device such a point raises
        :class:`~vqgeom.errors.InvalidInputError`.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            pres = self.preactivations(P)
        out = [_signs(pre, lay[4], self._xp) for pre, lay in zip(pres, self._layers)]
        if self._xp is not None:
            if not all(bool(self._xp.isfinite(pre).all()) for pre in pres):
                raise InvalidInputError(
                    "X: float64 pre-activations overflow (inf or NaN) at some point; compute "
                    "its codes on the CPU (device=None), which decides such points exactly")
            return out
        bad = np.zeros(len(P), dtype=bool)
        for pre in pres:
            bad |= ~np.isfinite(pre).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            for (a, z), (ea, ez) in zip(out, context(self.net, "exact").signs(np.asarray(P)[rows])):
                a[rows], z[rows] = ea, ez
        return out

    def forward(self, P):
        """The network's output at ``P`` (N, D): (N, output_dim)."""
        _, H = self._run(self._points(P), final=True)
        return self._readout(H)[:, :-1]

    def cell_maps(self, code):
        """Maps ``[A_l c_l]`` (n_l, D + 1) on the closed cell of ``code`` (see the base)."""
        return [pre.T for pre in super().cell_maps(code)]

    def output_map(self, code):
        return super().output_map(code).T[:-1]

    @staticmethod
    def split(hmap):
        """``(A, c)`` of a homogeneous map ``[A c]`` given in row form (D + 1, n)."""
        return hmap[:-1].T, hmap[-1]

    # ---- scalar and array primitives (the interval engine's arithmetic)
    one, zero = 1.0, 0.0

    @staticmethod
    def scalar(v):
        return float(v)

    @staticmethod
    def array(a):
        return np.asarray(a, dtype=np.float64)

    @staticmethod
    def matmul(A, B):
        return A @ B

    @staticmethod
    def sign(A):
        """Signs (-1, 0, 1) as int8."""
        return np.sign(A).astype(np.int8)

    @staticmethod
    def out(v):
        return float(v)


# ------------------------------------------------------------------------------ exact
class ExactContext(_Context):
    """Exact rational arithmetic with python-flint matrices (column form).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0]], "bias": [0.5]}, {"weight": [[2.0]], "bias": [-1.0]}])
    >>> [m.tolist() for m in ExactContext(net).cell_maps([[True]])]
    [[[1, 0, 1/2]], [[2, 0, 0]]]
    """

    mode = "exact"

    def __init__(self, net):
        super().__init__(net)
        from flint import fmpq, fmpq_mat

        self._fmpq_mat = fmpq_mat
        self._layers = []
        self._pools = []
        for lay in net.layers:
            n = lay.n_neurons
            Wh = fmpq_matrix(np.concatenate([np.asarray(lay.weight, dtype=object),
                                             np.asarray(lay.bias, dtype=object)[:, None]], axis=1))
            Oh = Sh = None
            eff = lay.effective_out
            if eff is not None or lay.skip is not None or lay.out_bias is not None:
                out = (np.eye(n, dtype=np.int64).astype(object) if eff is None
                       else np.asarray(eff, dtype=object))
                d2 = out.shape[0]
                ob = (np.zeros(d2, dtype=np.int64).astype(object) if lay.out_bias is None
                      else np.asarray(lay.out_bias, dtype=object))
                O = np.zeros((d2 + 1, n + 1), dtype=np.int64).astype(object)
                O[:d2, :n], O[:d2, n], O[d2, n] = out, ob, 1
                Oh = fmpq_matrix(O)
                if lay.skip is not None:
                    S = np.asarray(lay.skip, dtype=object)
                    Sm = np.zeros((d2 + 1, S.shape[1] + 1), dtype=np.int64).astype(object)
                    Sm[:d2, :-1] = S
                    Sh = fmpq_matrix(Sm)
            self._layers.append((Wh, Oh, Sh, to_fmpq(lay.minus_slope), n))
            self._pools.append(lay if lay.is_max else None)
        self._readout_h = None
        if net.readout is not None:
            R = fmpq_matrix(np.concatenate([np.asarray(net.readout.weight, dtype=object),
                                            np.asarray(net.readout.bias, dtype=object)[:, None]], axis=1))
            e_row = fmpq_matrix(np.array([[0] * (R.ncols() - 1) + [1]], dtype=object))
            self._readout_h = self._stack(R, e_row)
        self._fmpq = fmpq
        self._one = fmpq(1)
        self._zero = fmpq(0)

    def _stack(self, top, row):
        return self._fmpq_mat(top.nrows() + 1, top.ncols(), top.entries() + row.entries())

    def _readout(self, H):
        return H if self._readout_h is None else self._readout_h * H

    def _points(self, P):
        P = np.asarray(P, dtype=object)
        N = P.shape[0]
        vals = [to_fmpq(v) for v in P.T.ravel().tolist()] + [self._one] * N
        e = [self._one] * N
        return self._fmpq_mat(self.D + 1, N, vals), e

    def _identity(self):
        D = self.D
        H = self._fmpq_mat(D + 1, D + 1)
        for i in range(D + 1):
            H[i, i] = 1
        return H, [self._zero] * D + [self._one]

    def _linear(self, l, H):
        return self._layers[l][0] * H

    def _next(self, l, pre, H, e, mask):
        _, Oh, Sh, minus, n = self._layers[l]
        ent = pre.entries()
        K = len(e)
        if mask is None and self._pools[l] is not None:   # points through a max layer
            mask = self._pools[l].argmax_code(np.array(ent, dtype=object).reshape(n, K).T)[0].T.ravel()
            vals = [v if keep else v * minus for v, keep in zip(ent, mask.tolist())]
        elif mask is None:
            vals = [v if v >= 0 else v * minus for v in ent]
        else:
            vals = []
            for i, keep in enumerate(mask):
                row = ent[i * K:(i + 1) * K]
                vals.extend(row if keep else [v * minus for v in row])
        post = self._fmpq_mat(n + 1, K, vals + list(e))
        if Oh is None:
            return post
        out = Oh * post
        if Sh is not None:
            out = out + Sh * H
        return out

    # ---- public operations
    def preactivations(self, P):
        """Exact pre-activations at ``P`` (N, D; floats at their exact values): one
        ``fmpq_mat`` (n_l, N) per layer."""
        return self._run(self._points(P))[0]

    def signs(self, P):
        """Exact ``(pre >= 0, pre == 0)`` per layer at ``P``: bool arrays (N, n_l); the
        zero case is reported."""
        N = len(P)
        out = []
        for pre, pool in zip(self.preactivations(P), self._pools):
            ent = pre.entries()
            n = pre.nrows()
            if pool is not None:
                out.append(pool.argmax_code(np.array(ent, dtype=object).reshape(n, N).T))
                continue
            nonneg = np.fromiter((v >= 0 for v in ent), dtype=bool, count=n * N).reshape(n, N).T
            zero = np.fromiter((v == 0 for v in ent), dtype=bool, count=n * N).reshape(n, N).T
            out.append((nonneg, zero))
        return out

    def forward(self, P):
        """The exact output at ``P``: an ``fmpq_mat`` (output_dim, N)."""
        _, H = self._run(self._points(P), final=True)
        H = self._readout(H)
        e = H.entries()
        r, N = H.nrows(), H.ncols()
        return self._fmpq_mat(r - 1, N, e[:(r - 1) * N])

    def output_map(self, code):
        H = super().output_map(code)
        r, c = H.nrows(), H.ncols()
        return self._fmpq_mat(r - 1, c, H.entries()[:(r - 1) * c])

    def split(self, hmap):
        """``(A, c)`` fmpq_mats (n, D) and (n, 1) of a homogeneous map ``[A c]``."""
        n, k = hmap.nrows(), hmap.ncols()
        ent = hmap.entries()
        A = self._fmpq_mat(n, k - 1, [v for i in range(n) for v in ent[i * k:i * k + k - 1]])
        c = self._fmpq_mat(n, 1, ent[k - 1::k])
        return A, c

    @staticmethod
    def to_fractions(mat) -> np.ndarray:
        """An ``fmpq_mat`` as an object array of :class:`Fraction` (same shape)."""
        out = np.empty(mat.nrows() * mat.ncols(), dtype=object)
        out[:] = [_fraction(v) for v in mat.entries()]
        return out.reshape(mat.nrows(), mat.ncols())

    # ---- the batched form of the cell maps (the planar certificate's lines)
    def rows(self, layer: int, neurons, prefixes):
        """Exact maps ``pre = (G @ x + c) / den`` of neurons of one layer under code prefixes.

        The cell maps of :meth:`cell_maps`, composed backwards for many (neuron, prefix)
        pairs at once in integer matrices (``fmpz_mat``): the rows ``R`` of a layer's weight
        are pulled back through each earlier layer as ``R Oh diag(slopes) Wh + R Sh``.

        Parameters
        ----------
        layer : int
        neurons : int array (n,)
            Row indices in ``layer``.
        prefixes : bool array (n, n_neurons of layers < layer)
            The signs of the earlier layers (True: +1) on which each map is valid.

        Returns
        -------
        G : object array (n, D) of int
        c : object array (n,) of int
        den : int (common, positive)
        """
        from flint import fmpz_mat

        ints = self._int_layers()
        offsets = np.concatenate([[0], np.cumsum(self.widths)])
        Wh, dW = ints[layer][0]
        R = Wh[np.asarray(neurons, dtype=np.int64)]          # (n, d + 1) integer rows
        den = dW
        for t in range(layer - 1, -1, -1):
            (Wt, dWt), (Ot, dOt), (St, dSt), (mn, md) = ints[t]
            signs = prefixes[:, offsets[t]:offsets[t + 1]]
            # R [z_{t+1}; 1] with [z_{t+1}; 1] = Oh [s * (Wh [z_t; 1]); 1] + Sh [z_t; 1]
            Q = R if Ot is None else _int_matmul(R, Ot, fmpz_mat)      # (n, n_t + 1) / dOt
            dQ = 1 if Ot is None else dOt
            # where Q is still rows of layer's own weight, its zeros are known: a sparse
            # weight (a convolution) then costs only its non-zero products
            support = (self._support(layer)[np.asarray(neurons, dtype=np.int64), :-1]
                       if Q is R and t == layer - 1 else None)
            if support is not None and support.mean() < 0.5:
                if mn == 0:
                    support = support & signs
                rows, cols = np.nonzero(support)
                vals = Q[rows, cols] * (md if mn == 0 else np.where(signs[rows, cols], md, mn).astype(object))
                newR = _sparse_rows_matmul(len(Q), rows, cols, vals, Wt)   # / (dQ md dWt)
            elif support is not None:
                # a dense weight: exact float64 products of limbs (one BLAS product per limb of
                # the rows), split by the slope each entry takes
                b = _limb_bits(Wt.shape[0])
                rows_limbs = [L[np.asarray(neurons, dtype=np.int64), :-1] for L in self._limbs(layer, b)]
                cols_limbs = _limbs(Wt, b)
                newR = md * _limb_matmul([L * signs for L in rows_limbs], cols_limbs, b)
                if mn != 0:
                    newR = newR + mn * _limb_matmul([L * ~signs for L in rows_limbs], cols_limbs, b)
            else:
                if mn == 0:
                    Qs = np.where(signs, Q[:, :-1] * md, 0)
                else:
                    Qs = Q[:, :-1] * np.where(signs, md, mn).astype(object)
                newR = _int_matmul(Qs, Wt, fmpz_mat)                      # / (dQ md dWt)
            newR[:, -1] = newR[:, -1] + Q[:, -1] * (md * dWt)          # the e coordinate
            dnew = dQ * md * dWt
            if St is not None:
                Rs = _int_matmul(R if Ot is None else R, St, fmpz_mat)  # / dSt
                g = math.lcm(dnew, dSt)
                newR = newR * (g // dnew) + Rs * (g // dSt)
                dnew = g
            R = newR
            den = den * dnew
        R = np.array([int(v) for v in R.ravel()], dtype=object).reshape(R.shape)
        return R[:, :-1], R[:, -1], den

    def _limbs(self, layer, b):
        """:func:`_limbs` of a layer's integer ``[W b]`` (once per context and ``b``)."""
        got = self.__dict__.setdefault("_limb_cache", {})
        if (layer, b) not in got:
            got[layer, b] = _limbs(self._int_layers()[layer][0][0], b)
        return got[layer, b]

    def _support(self, layer):
        """``[W b] != 0`` of a layer (bool array, once per context)."""
        got = self.__dict__.setdefault("_supports", {})
        if layer not in got:
            Wh = self._int_layers()[layer][0][0]
            got[layer] = np.array([v != 0 for v in Wh.ravel().tolist()], dtype=bool).reshape(Wh.shape)
        return got[layer]

    def _int_layers(self):
        got = getattr(self, "_ints", None)
        if got is None:
            got = []
            for Wh, Oh, Sh, minus, _ in self._layers:
                got.append((_int_scaled(Wh), _int_scaled(Oh), _int_scaled(Sh),
                            (int(minus.p), int(minus.q))))
            self._ints = got
        return got

    # ---- scalar and array primitives (the interval engine's arithmetic)
    @property
    def one(self):
        return self._one

    @property
    def zero(self):
        return self._zero

    @staticmethod
    def scalar(v):
        return to_fmpq(v)

    def array(self, a):
        """An object array of ``fmpq`` (same shape)."""
        a = np.asarray(a, dtype=object)
        out = np.empty(a.shape, dtype=object)
        fmpq = self._fmpq
        out.ravel()[:] = [fmpq(v.numerator, v.denominator) if type(v) is Fraction else to_fmpq(v)
                          for v in a.ravel().tolist()]
        return out

    def matmul(self, A, B):
        """``A @ B`` for object arrays of fmpq (through fmpq_mat)."""
        (n, k), m = A.shape, B.shape[1]
        if n == 0 or m == 0 or k == 0:
            return np.full((n, m), self._zero, dtype=object)
        fm = self._fmpq_mat
        C = fm(n, k, A.ravel().tolist()) * fm(k, m, B.ravel().tolist())
        out = np.empty((n, m), dtype=object)
        out.ravel()[:] = C.entries()
        return out

    @staticmethod
    def sign(A):
        """Exact signs (-1, 0, 1) of an object array of fmpq, as int8."""
        flat = [(p > 0) - (p < 0) for p in (q.p for q in A.ravel().tolist())]
        return np.array(flat, dtype=np.int8).reshape(A.shape)

    @staticmethod
    def out(v):
        return _fraction(v)


def _int_scaled(mat):
    """An fmpq_mat as (object array of Python ints, common denominator), or (None, 1)."""
    if mat is None:
        return None, 1
    num, den = mat.numer_denom()
    arr = np.array([int(v) for v in num.entries()], dtype=object).reshape(mat.nrows(), mat.ncols())
    return arr, int(den)


def _limb_bits(k: int) -> int:
    """Limb size ``b`` for exact float64 products of ``k``-term dot products of limbs:
    ``k 2^(2b) <= 2^52``, so every product and partial sum is an integer below 2^53."""
    return (52 - max(k, 1).bit_length()) // 2


def _limbs(M, b):
    """Signed limbs of an integer matrix ``M`` (object ints): float64 arrays ``L_i`` with
    ``|L_i| < 2^b`` and ``M = sum_i L_i 2^(b i)`` (at least one)."""
    flat = M.ravel().tolist()
    neg = np.array([v < 0 for v in flat], dtype=bool)
    mags = [-v if v < 0 else v for v in flat]
    top = max((v.bit_length() for v in mags), default=0)
    mask = (1 << b) - 1
    out = []
    for i in range(max(1, -(-top // b))):
        L = np.array([(v >> (b * i)) & mask for v in mags], dtype=np.float64)
        L[neg] = -L[neg]
        out.append(L.reshape(M.shape))
    return out


def _limb_matmul(A_limbs, B_limbs, b):
    """``A @ B`` exactly (object ints) from the limbs of ``A`` and ``B`` (:func:`_limbs` with
    the same ``b <= _limb_bits(k)``): every limb product ``A_i @ B_j`` is exact in float64 (its
    terms and partial sums are integers below 2^53, in any summation order), one BLAS product
    per limb of ``A`` against all limbs of ``B`` side by side; the limbs are recombined as
    Python ints, ``sum_ij (A_i B_j) 2^(b (i + j))``."""
    m = B_limbs[0].shape[1]
    Bcat = np.concatenate(B_limbs, axis=1)
    out = None
    for i, Ai in enumerate(A_limbs):
        C = (Ai @ Bcat).astype(np.int64).astype(object)
        for j in range(len(B_limbs)):
            part = C[:, j * m:(j + 1) * m]
            s = b * (i + j)
            part = part << s if s else part
            out = part if out is None else out + part
    return out


def _sparse_rows_matmul(n, rows, cols, vals, B):
    """``A @ B`` for an (n, k) integer matrix ``A`` given by its non-zero entries ``vals`` at
    ``(rows, cols)`` (row-major order, as :func:`numpy.nonzero` gives them); object ints."""
    out = np.zeros((n, B.shape[1]), dtype=np.int64).astype(object)
    if len(rows):
        starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
        out[rows[starts]] = np.add.reduceat(vals[:, None] * B[cols], starts, axis=0)
    return out


def _int_matmul(A, B, fmpz_mat):
    """Exact product of integer object arrays (python-flint for large ones)."""
    if A.shape[0] == 0 or A.shape[1] == 0 or B.shape[1] == 0:
        return np.zeros((A.shape[0], B.shape[1]), dtype=np.int64).astype(object)
    if B.shape[1] < 8 or A.shape[0] * A.shape[1] * B.shape[1] < 20000:
        return A.dot(B)
    C = fmpz_mat(A.shape[0], A.shape[1], A.ravel().tolist()) * fmpz_mat(B.shape[0], B.shape[1], B.ravel().tolist())
    out = np.empty(A.shape[0] * B.shape[1], dtype=object)
    out[:] = C.entries()
    return out.reshape(A.shape[0], B.shape[1])


# --------------------------------------------------------------------------- filtered
def _float_and_error(values):
    """Floats nearest to exact values and a bound on the distance, or None on overflow."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        f = np.asarray(arr, dtype=np.float64)
        return (f, np.zeros(f.shape)) if np.all(np.isfinite(f)) else None
    flat = arr.ravel().tolist()
    try:
        pairs = [(v.numerator, v.denominator) for v in flat]
    except AttributeError:   # not a rational type (a float in an object array, ...)
        pairs = None
    if pairs is not None and all(type(n) is int and type(d) is int for n, d in pairs):
        # rationals (Fraction, int): n / d of ints is correctly rounded; the value is exactly
        # a float when d is a power of 2, |n| < 2^53 and d <= 2^1074 (anything else counts as
        # inexact, which only makes the bound larger)
        try:
            f = np.array([n / d for n, d in pairs], dtype=np.float64)
        except OverflowError:   # beyond floats
            return None
        if not np.all(np.isfinite(f)):
            return None
        inexact = np.array([d & (d - 1) != 0 or n.bit_length() > 53 or d.bit_length() > 1075
                            for n, d in pairs], dtype=bool)
        err = np.where(inexact, 2 * UNIT * np.abs(f) + _TINY, 0.0)
        return f.reshape(arr.shape), err.reshape(arr.shape)
    try:
        f = np.array([float(v) for v in flat], dtype=np.float64)
    except (OverflowError, TypeError, ValueError):   # beyond floats, or not a number type
        return None
    if not np.all(np.isfinite(f)):
        return None
    inexact = np.array([Fraction(x) != v for x, v in zip(f.tolist(), flat)], dtype=bool)
    err = np.where(inexact, 2 * UNIT * np.abs(f) + _TINY, 0.0)
    return f.reshape(arr.shape), err.reshape(arr.shape)


def error_bound(AT, absAT, dAT, X, E):
    """Float ``Y = X @ AT`` and a bound on its distance to the exact product (row form).

    The bound of the module docstring for ``k = AT.shape[0]`` terms: ``X`` (N, k) floats
    within ``E`` of the exact values, ``AT`` (k, n) floats within ``dAT`` (None: exact) of
    the exact matrix, ``absAT = |AT|``.

    Returns
    -------
    Y, B : float arrays (N, n); ``|Y - Y*| <= B`` entrywise.
    """
    k = AT.shape[0]
    Y = X @ AT
    aX = np.abs(X)
    # one product for both |A| terms: ((k + 1) u |X| + E) |A|; the scaling may underflow
    # (tau / 2 per entry), which the tau |A| 1 term below covers (proofs/filtered-signs.md)
    S = ((k + 1) * UNIT) * aX
    if E is not None:
        S += E
    B = S @ absAT
    if dAT is not None:
        B = B + ((aX if E is None else aX + E) @ dAT)
    active = np.any(absAT > 0, axis=0) if dAT is None else np.any((absAT > 0) | (dAT > 0), axis=0)
    B = (B + ((4 * k + 2) * _TINY) * active + _TINY * absAT.sum(axis=0)) * _INFL
    return Y, B


class FilteredContext(_Context):
    """Exact signs from a float pass with a rigorous error bound (see the module docstring).

    ``net`` may be float (its floats are exact) or exact (its rationals are rounded to
    floats, with their rounding error carried in the bound). Signs the bound does not
    decide are recomputed, point by point, in :class:`ExactContext`.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [["1/3"]], "bias": ["-1/3"]}])
    >>> [(a.tolist(), z.tolist()) for a, z in FilteredContext(net).signs([["1"], ["2"]])]
    [([[True], [True]], [[True], [False]])]
    """

    mode = "filtered"

    def __init__(self, net, *, exact=None):
        super().__init__(net)
        self._exact = exact
        self.usable = True
        self._layers = []
        # layers an exact network knows to be floats exactly (a restriction of a float model
        # keeps the model's layers after the first): their float form, with no error to find
        same = getattr(net, "float_exact_layers", frozenset())
        floats = net.to_float().layers if same and getattr(net, "exact", True) else None
        for l, lay in enumerate(net.layers):
            n = lay.n_neurons
            kind = object if getattr(net, "exact", True) else np.float64   # a float network is exact in floats
            if floats is not None and l in same:
                lay, kind = floats[l], np.float64
            Wh = np.concatenate([np.asarray(lay.weight, dtype=kind), np.asarray(lay.bias, dtype=kind)[:, None]],
                                axis=1)
            parts = [self._matrix(Wh)]
            eff = lay.effective_out
            if eff is not None or lay.skip is not None or lay.out_bias is not None:
                out = np.eye(n) if eff is None else np.asarray(eff, dtype=kind)
                d2 = out.shape[0]
                ob = np.zeros(d2) if lay.out_bias is None else np.asarray(lay.out_bias, dtype=kind)
                O = np.zeros((d2 + 1, n + 1), dtype=kind)
                O[:d2, :n], O[:d2, n], O[d2, n] = out, ob, 1
                parts.append(self._matrix(O))
                if lay.skip is not None:
                    S = np.asarray(lay.skip, dtype=kind)
                    Sm = np.zeros((d2 + 1, S.shape[1] + 1), dtype=kind)
                    Sm[:d2, :-1] = S
                    parts.append(self._matrix(Sm))
                else:
                    parts.append(None)
            else:
                parts += [None, None]
            slope = _float_and_error(np.array([lay.minus_slope], dtype=object))
            if slope is None:
                self.usable = False
                t, dt = 0.0, 0.0
            else:
                t, dt = float(slope[0][0]), float(slope[1][0])
            parts.append((t, dt, max(1.0, abs(t) + dt)))
            parts.append(lay if lay.is_max else None)
            self._layers.append(tuple(parts))

    def _matrix(self, M):
        got = _float_and_error(M)
        if got is None or M.shape[1] > MAX_TERMS:
            self.usable = False
            return None
        f, err = got
        fT = np.ascontiguousarray(f.T)
        return fT, np.abs(fT), (np.ascontiguousarray(err.T) if err.any() else None)

    def _exact_context(self):
        if self._exact is None:
            self._exact = ExactContext(self.net)
        return self._exact

    def _linear(self, l, H):
        X, E = H
        AT, aAT, dAT = self._layers[l][0]
        return error_bound(AT, aAT, dAT, X, E)

    def _next(self, l, pre, H, e, mask):
        P, B = pre
        _, O, S, (t, dt, lip), pool = self._layers[l]
        if mask is None and pool is not None:
            # the float argmax: the exact one wherever :meth:`signs` calls it decided (a point
            # it does not decide is recomputed exactly, whatever its later bounds say)
            mask = pool.argmax_code(P)[0]
        neg = P < 0 if mask is None else ~np.asarray(mask, dtype=bool)
        if t == 0:
            post = np.where(neg, 0.0, P)
        else:
            post = np.where(neg, t * P, P)
        Ep = B if lip == 1 else B * lip + _TINY * (B > 0)
        if dt or t not in (0.0, -1.0):
            extra = dt * np.abs(P)
            if t not in (0.0, -1.0):
                extra = extra + 2 * UNIT * np.abs(post) + _TINY
            Ep = (Ep + np.where(neg, extra, 0.0)) * _INFL
        elif lip != 1:
            Ep = Ep * _INFL
        ones, zeros = e
        post = np.concatenate([post, ones], axis=1)
        Ep = np.concatenate([Ep, zeros], axis=1)
        if O is None:
            return post, Ep
        Y, BY = error_bound(*O, post, Ep)
        if S is not None:
            X, E = H
            Z, BZ = error_bound(*S, X, E)
            Y = Y + Z
            BY = (BY + BZ + 2 * UNIT * np.abs(Y) + _TINY) * _INFL
        return Y, BY

    def bounds(self, X, E=None):
        """Float pre-activations at points ``X`` (N, D) and bounds on their errors.

        Parameters
        ----------
        X : float array (N, D)
        E : float array (N, D), optional
            A bound on the distance of ``X`` to the exact points (default 0: exact floats).

        Returns
        -------
        list of (pre, bound) float arrays (N, n_l), one per layer, with
        ``|pre - pre*| <= bound`` entrywise.
        """
        X = np.asarray(X, dtype=np.float64)
        N = X.shape[0]
        E0 = np.zeros(X.shape) if E is None else np.asarray(E, dtype=np.float64)
        ones, zeros = np.ones((N, 1)), np.zeros((N, 1))
        state = ((np.concatenate([X, ones], axis=1), np.concatenate([E0, zeros], axis=1)), (ones, zeros))
        with np.errstate(over="ignore", invalid="ignore"):   # non-finite entries stay undecided
            return self._run(state)[0]

    def signs(self, P, *, exact_floats: bool | None = None):
        """Exact ``(pre >= 0, pre == 0)`` per layer at ``P`` (N, D): bool arrays (N, n_l).

        ``P`` holds floats (taken at their exact values) or exact rationals (Fractions,
        ints). Points whose signs the filter does not decide are recomputed exactly.
        """
        P = np.asarray(P)
        N = P.shape[0]
        if not self.usable or N == 0:
            return self._exact_context().signs(P)
        if P.dtype.kind == "f":
            X = np.asarray(P, dtype=np.float64)
            E = None
        else:
            got = _float_and_error(P.astype(object))
            if got is None:
                return self._exact_context().signs(P)
            X, E = got
        out = []
        unsure = np.zeros(N, dtype=bool)
        for (pre, B), parts in zip(self.bounds(X, E), self._layers):
            pool = parts[-1]
            if pool is not None:
                code, tie, decided = _filtered_argmax(pool, pre, B)
                unsure |= ~decided
                out.append((code, tie))
                continue
            with np.errstate(invalid="ignore"):
                decided = ((np.abs(pre) > B) | (B == 0)) & np.isfinite(pre) & np.isfinite(B)
            unsure |= ~np.all(decided, axis=1)
            out.append((pre >= 0, (pre == 0) & (B == 0)))
        idx = np.flatnonzero(unsure)
        if idx.size:
            for (nonneg, zero), (en, ez) in zip(out, self._exact_context().signs(P[idx])):
                nonneg[idx] = en
                zero[idx] = ez
        return out


def _filtered_argmax(pool, P, B):
    """A max layer's argmax code from float values ``P`` within ``B`` of the exact ones.

    The float winner ``a`` of a group is the exact one when, against every other row ``j``,
    ``P_a - P_j > B_a + B_j`` (computed with a relative margin of 4u for the rounding of the
    difference and of the sum), or when both bounds are 0 (exact floats compare exactly, and
    ties go to the lowest index in both). Returns ``(code, tie, decided)``, ``decided`` a
    bool per point; ``tie`` is exact where decided.
    """
    code, tie = pool.argmax_code(P)
    g = pool.group_of
    with np.errstate(invalid="ignore", over="ignore"):
        Pa = np.where(code, P, -np.inf)
        Ba = np.where(code, B, 0.0)
        top = np.maximum.reduceat(Pa, np.concatenate([[0], np.cumsum(pool.groups)[:-1]]), axis=1)[:, g] \
            if P.shape[0] else Pa
        btop = np.add.reduceat(Ba, np.concatenate([[0], np.cumsum(pool.groups)[:-1]]), axis=1)[:, g] \
            if P.shape[0] else Ba
        gap = top - P
        need = (btop + B) * (1 + 4 * UNIT) + 4 * UNIT * np.abs(gap)
        ok = code | (gap > need) | ((btop == 0) & (B == 0))
        ok &= np.isfinite(P) & np.isfinite(B)
    return code, tie & (B == 0) & (btop == 0), np.all(ok, axis=1)


def _signs(pre, pool, xp=None):
    """``(pre >= 0, pre == 0)`` of a ReLU-type layer, or a max layer's ``(argmax code, tie)``."""
    if pool is None:
        return pre >= 0, pre == 0
    return pool.argmax_code(pre, xp)


# ------------------------------------------------------------------------- the registry
def context(net, mode: str, *, device=None):
    """The arithmetic context of ``net`` for ``mode`` (built once per network and mode).

    The context keeps the network's weights converted for its mode, so it is cached on the
    network object; a network's arrays are not to be changed in place after it is built
    (vqgeom never does).

    Parameters
    ----------
    net : Network
    mode : {"plain", "filtered", "exact"}
    device : torch device, optional
        Plain mode only: compute with torch tensors on this device.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0]], "bias": [0.0]}])
    >>> context(net, "exact") is context(net, "exact"), context(net, "plain").mode
    (True, 'plain')
    >>> context(net, "fast")
    Traceback (most recent call last):
    ...
    vqgeom.errors.InvalidInputError: mode must be one of 'plain', 'filtered', 'exact'; got 'fast'
    """
    if mode not in MODES:
        raise InvalidInputError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    if device is not None:
        if mode != "plain":
            raise InvalidInputError(f"device= needs mode='plain', got mode={mode!r}")
        return PlainContext(net, device=device)
    cache = net.__dict__.setdefault("_contexts", {})
    ctx = cache.get(mode)
    if ctx is None:
        if mode == "plain":
            ctx = PlainContext(net)
        elif mode == "exact":
            ctx = ExactContext(net)
        else:
            ctx = FilteredContext(net, exact=cache.get("exact"))
        cache[mode] = ctx
    return ctx


# ------------------------------------------------------------- one layer on given maps
class _OneLayer:
    """A single layer seen as a network (for :func:`layer_maps`)."""

    def __init__(self, layer):
        self.layers = (layer,)
        self.readout = None
        self.input_dim = layer.input_dim
        self.depth = 1
        self.widths = (layer.n_neurons,)


def layer_maps(layer, M, m, signs=None):
    """Push the affine map ``z = M x + m`` through one layer, in its arithmetic.

    Parameters
    ----------
    layer : Layer
    M : array (input_dim, D); m : array (input_dim,)
        Float arrays, or object arrays of exact rationals (then the answer is exact,
        Fractions).
    signs : bool array (n_neurons,), optional
        The layer's signs on the cell; when given, the layer's output map is returned too.

    Returns
    -------
    (A, c) or ((A, c), (M2, m2))
        The pre-activation map ``pre = A x + c`` and, with ``signs``, the output map.

    Examples
    --------
    >>> from vqgeom import Network
    >>> lay = Network([{"weight": [[2.0]], "bias": [-1.0]}]).layers[0]
    >>> layer_maps(lay, np.eye(1), np.zeros(1), [False])
    ((array([[2.]]), array([-1.])), (array([[0.]]), array([0.])))
    """
    M = np.asarray(M)
    m = np.asarray(m)
    d, D = M.shape
    H = np.zeros((d + 1, D + 1), dtype=object if M.dtype == object else np.float64)
    H[:d, :D], H[:d, D], H[d, D] = M, m, 1
    net = _OneLayer(layer)
    if M.dtype == object:
        ctx = ExactContext(net)
        state = (fmpq_matrix(H), [ctx.zero] * D + [ctx.one])
        pre = ctx.pre(0, state)
        A, c = (ctx.to_fractions(x) for x in ctx.split(pre))
        A, c = A, c[:, 0]
        if signs is None:
            return A, c
        nxt = ctx.to_fractions(ctx.advance(0, pre, state, np.asarray(signs, dtype=bool))[0])
    else:
        ctx = PlainContext(net)
        state = (H.T, H.T[:, -1:])
        pre = ctx.pre(0, state)
        A, c = ctx.split(pre)
        if signs is None:
            return A, c
        nxt = ctx.advance(0, pre, state, np.asarray(signs, dtype=bool))[0].T
    return (A, c), (nxt[:-1, :D], nxt[:-1, D])
