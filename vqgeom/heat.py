"""Heat kernels built on a VQ-Kernel, and the cosine similarity of two (or many) kernels.

Conventions (``MATH.md``, "Kernels built on K")
-----------------------------------------------
* ``heat_kernel(K, s2)`` is ``exp(-K / s2)`` (the paper's Sec. 3.1, positive semidefinite
  because K is a squared Euclidean distance between codes); ``squared=True`` gives
  ``exp(-K**2 / s2)`` (the paper's App. A.2; it need not be positive semidefinite).
* The *cosine similarity* of two kernels of the same shape is the Frobenius cosine
  ``<F, G> / (||F|| ||G||)`` with ``F = f(A)``, ``G = g(B)`` the two heat kernels (or the
  kernels themselves when ``sigma2`` is None).
* ``centered=True`` gives the *centred kernel alignment*: the cosine of ``H_N F H_M`` and
  ``H_N G H_M`` where ``H_n = I_n - 11^T / n`` (N rows, M columns). It is computed from
  row and column sums without forming ``H F H``::

      <H F H, H G H> = sum(F * G) - r_F . r_G / M - c_F . c_G / N + s_F s_G / (N M)

  with ``r`` the row sums, ``c`` the column sums and ``s`` the total of each kernel.
* The *median heuristic* sets ``sigma2`` to the median of the off-diagonal entries of K
  (of ``K**2`` for the squared variant), so that a typical off-diagonal entry of the heat
  kernel is ``exp(-1)``. The diagonal of a square kernel is left out (it is 0 for a VQ
  kernel); a rectangular kernel uses every entry. ``sigma2="median"`` applies it to each
  kernel separately.

Streaming
---------
Nothing here forms an N x N matrix unless it is given one: kernels are read in square
tiles (arrays and ``numpy.memmap`` alike), and kernels given as activation codes (a
``Codes`` object, a ``(net, X)`` pair, optionally with per-layer ``weights``) are computed
tile by tile from the codes. When every kernel takes small non-negative integer values
(VQ distances with integer weights), one pass records exact integer counts: the joint
histogram of the two kernels' values (counts of pairs ``(a, b)``) and per-row value
counts. Every ``sigma2`` -- a whole sweep, and the median heuristic -- is then evaluated
from these counts at the cost of a few small matrix products, exactly in the sense that the
only rounding is that of ``exp`` and of float64 sums of at most ``V_A * V_B`` terms. Other
kernels take a direct route that accumulates float64 sums tile by tile for each ``sigma2``.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np

from vqgeom._executor import job_runner
from vqgeom.errors import DegenerateInputError, InvalidInputError

__all__ = [
    "SigmaSweep",
    "heat_kernel",
    "median_heuristic",
    "kernel_cosine",
    "pairwise_kernel_cosine",
]

#: Largest number of distinct integer values per kernel for the histogram route.
_MAX_VALUES = 1 << 13
#: Largest V_A * V_B joint histogram for the histogram route.
_MAX_JOINT = 1 << 24


# --------------------------------------------------------------------------- heat kernel
def _check_sigma2(value, name="sigma2") -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise InvalidInputError(f"{name} must be a positive number, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise InvalidInputError(f"{name} must be a positive finite number, got {value!r}")
    return v


def heat_kernel(K, sigma2, squared: bool = False, *, out=None):
    """The heat kernel ``exp(-K / sigma2)``, or ``exp(-K**2 / sigma2)`` with ``squared=True``.

    Parameters
    ----------
    K : array-like or torch.Tensor, any shape
        A kernel of distances (a VQ-Kernel). A torch tensor gives a torch tensor on the
        same device; anything else gives a float64 numpy array.
    sigma2 : float
        The scale ``sigma**2 > 0``.
    squared : bool
        Use ``exp(-K**2 / sigma2)`` (the paper's App. A.2) instead of ``exp(-K / sigma2)``
        (its Sec. 3.1, positive semidefinite for a VQ-Kernel).
    out : ndarray, optional
        A float64 array of K's shape to write the result into (numpy only).

    Returns
    -------
    ndarray or torch.Tensor, shape of K

    Raises
    ------
    InvalidInputError
        If ``sigma2`` is not a positive finite number, ``squared`` is not a bool, or ``K`` is
        not numeric or holds a negative or NaN entry (a distance is >= 0).

    Examples
    --------
    >>> heat_kernel([[0, 2], [2, 0]], 2.0).round(4).tolist()
    [[1.0, 0.3679], [0.3679, 1.0]]
    >>> heat_kernel([[0, 2]], 2.0, squared=True).round(4).tolist()
    [[1.0, 0.1353]]
    """
    s2 = _check_sigma2(sigma2)
    if not isinstance(squared, (bool, np.bool_)):
        raise InvalidInputError(f"squared must be True or False, got {squared!r}")
    if hasattr(K, "detach") and hasattr(K, "device"):
        import torch

        Kt = K.to(torch.float64) if not torch.is_floating_point(K) else K
        if Kt.numel() and not bool(Kt.min() >= 0):
            raise InvalidInputError("K must hold distances >= 0; it has a negative or NaN entry")
        return torch.exp(-(Kt * Kt if squared else Kt) / s2)
    try:
        A = np.asarray(K, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"K must be a numeric array ({exc})") from None
    if A.size and not A.min() >= 0:
        raise InvalidInputError("K must hold distances >= 0; it has a negative or NaN entry")
    if out is None:
        out = np.empty_like(A)
    elif out.shape != A.shape or out.dtype != np.float64:
        raise InvalidInputError(
            f"out must be a float64 array of shape {A.shape}, got {out.dtype} {out.shape}"
        )
    if squared:
        np.multiply(A, A, out=out)
        np.multiply(out, -1.0 / s2, out=out)
    else:
        np.multiply(A, -1.0 / s2, out=out)
    return np.exp(out, out=out)


# --------------------------------------------------------------------------- sources
class _ArraySource:
    """A kernel given as a 2-D array (ndarray, memmap, torch tensor), read in tiles."""

    symmetric = False

    def __init__(self, K, name):
        if hasattr(K, "detach") and hasattr(K, "cpu"):
            K = K.detach().cpu().numpy()
        if not hasattr(K, "shape") or not hasattr(K, "__getitem__"):
            try:
                K = np.asarray(K, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"{name} must be a 2-D numeric array ({exc})") from None
        if len(K.shape) != 2:
            raise InvalidInputError(f"{name} must be a 2-D kernel, got shape {tuple(K.shape)}")
        dtype = getattr(K, "dtype", None)
        if dtype is not None and np.dtype(dtype).kind not in "biuf":
            raise InvalidInputError(f"{name} must hold real numbers, got dtype {dtype}")
        self.K = K
        self.name = name
        self.shape = (int(K.shape[0]), int(K.shape[1]))
        self.vmax = None  # unknown until read

    def tile(self, r0, r1, c0, c1):
        T = np.asarray(self.K[r0:r1, c0:c1], dtype=np.float64)
        if not np.all(np.isfinite(T)):
            raise InvalidInputError(f"{self.name} must be finite; it holds NaN or infinity")
        return T


class _CodeSource:
    """A VQ-Kernel given by activation codes (N, B) and per-bit weights, computed in tiles."""

    symmetric = True

    def __init__(self, bits, w, name):
        self.name = name
        self.bits = np.ascontiguousarray(bits, dtype=bool)
        n = self.bits.shape[0]
        self.shape = (n, n)
        w = np.asarray(w, dtype=np.float64)
        total = float(w.sum())
        # integer results are exact only below 2^53 (float64): beyond, the kernel is a float
        self.integer = bool(np.all(w == np.rint(w))) and total < 2 ** 53
        # with integer weights and total < 2^22 every partial sum and every intermediate of
        # rowsum_i + rowsum_j - 2 <u_i, u_j> is an integer of magnitude < 2^24: exact in float32
        self.dtype = np.float32 if (self.integer and total < 2 ** 22) else np.float64
        self.Uw = self.bits.astype(self.dtype) * w.astype(self.dtype)
        self.Ut = np.ascontiguousarray(self.bits.T.astype(self.dtype))
        self.rowsum = self.Uw.sum(axis=1, dtype=np.float64).astype(self.dtype)
        self.vmax = int(total) if self.integer else None

    def tile(self, r0, r1, c0, c1):
        """The kernel block rows r0:r1, columns c0:c1: int64 for integer weights, else float64."""
        T = self.Uw[r0:r1] @ self.Ut[:, c0:c1]
        T *= -2
        T += self.rowsum[r0:r1, None]
        T += self.rowsum[None, c0:c1]
        if self.integer:  # exact integers (float32 below 2^24, float64 below 2^53)
            return np.rint(T, out=T).astype(np.int64)
        return T.astype(np.float64)


def _expand_weights(weights, widths, name):
    B = int(sum(widths))
    if weights is None:
        return np.ones(B)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size == len(widths):
        w = np.repeat(w, widths)
    elif w.size != B:
        raise InvalidInputError(
            f"weights of {name} must have one entry per layer ({len(widths)}) or per neuron ({B}), "
            f"got {w.size}"
        )
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise InvalidInputError(f"weights of {name} must be positive and finite")
    return w


def _codes_of(net, X):
    """Activation codes of ``net`` on ``X`` (the layers d counts): bool bits (N, B) and the
    layer widths."""
    from vqgeom.codes import activation_codes, d_layers

    codes = activation_codes(net, X, layers=d_layers(net))
    return np.asarray(codes.bits(), dtype=bool), tuple(int(w) for w in codes.widths)


def _as_source(obj, name):
    """A kernel (2-D array), a Codes object, ``(codes, weights)``, ``(net, X)`` or ``(net, X, weights)``."""
    if isinstance(obj, (_ArraySource, _CodeSource)):
        return obj
    if hasattr(obj, "bits") and callable(obj.bits) and hasattr(obj, "widths"):
        bits, widths = np.asarray(obj.bits(), dtype=bool), tuple(int(w) for w in obj.widths)
        return _CodeSource(bits, _expand_weights(None, widths, name), name)
    if isinstance(obj, tuple):
        if len(obj) == 2 and hasattr(obj[0], "bits") and hasattr(obj[0], "widths"):
            codes, weights = obj
            widths = tuple(int(w) for w in codes.widths)
            return _CodeSource(np.asarray(codes.bits(), dtype=bool),
                               _expand_weights(weights, widths, name), name)
        if len(obj) in (2, 3):
            net, X = obj[0], obj[1]
            weights = obj[2] if len(obj) == 3 else None
            bits, widths = _codes_of(net, X)
            return _CodeSource(bits, _expand_weights(weights, widths, name), name)
        raise InvalidInputError(
            f"{name}: a tuple must be (net, X), (net, X, weights) or (codes, weights); got {len(obj)} items"
        )
    return _ArraySource(obj, name)


def _check_shapes(sources):
    shape = sources[0].shape
    for s in sources[1:]:
        if s.shape != shape:
            raise InvalidInputError(
                f"kernels must have the same shape: {sources[0].name} is {shape[0]} x {shape[1]} "
                f"but {s.name} is {s.shape[0]} x {s.shape[1]}"
            )
    if shape[0] == 0 or shape[1] == 0:
        raise InvalidInputError(f"kernels must not be empty, got shape {shape}")
    return shape


def _tiles(n, tile):
    return [(i, min(i + tile, n)) for i in range(0, n, tile)]


def _blocks(shape, symmetric, tile):
    """(rows, cols, factor) for every tile; symmetric scans only the upper triangle."""
    rows, cols = _tiles(shape[0], tile), _tiles(shape[1], tile)
    out = []
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if symmetric and j < i:
                continue
            out.append((r, c, i == j))
    return out


# --------------------------------------------------------------------------- histogram pass
class _NotHistogrammable(Exception):
    pass


class _Hist:
    """Exact integer counts of one scan over every source (see the module docstring)."""

    def __init__(self, sources, shape, symmetric, centered):
        self.n = len(sources)
        self.sources = sources
        self.shape = shape
        self.symmetric = symmetric
        self.centered = centered
        self.square = shape[0] == shape[1]
        self.V = [0] * self.n
        self.marg = [np.zeros(0, np.int64) for _ in range(self.n)]
        self.diag = [np.zeros(0, np.int64) for _ in range(self.n)]
        self.joint = {(s, t): np.zeros((0, 0), np.int64)
                      for s in range(self.n) for t in range(s + 1, self.n)}
        N, M = shape
        self.RC = [np.zeros((N, 0), np.int32) for _ in range(self.n)] if centered else None
        self.CC = ([np.zeros((M, 0), np.int32) for _ in range(self.n)]
                   if centered and not symmetric else None)
        for s, src in enumerate(sources):
            if src.vmax is not None:
                self._grow(s, src.vmax + 1)

    def _grow(self, s, V):
        if V <= self.V[s]:
            return
        if V > _MAX_VALUES:
            raise _NotHistogrammable
        for t in range(self.n):
            if t != s and V * max(self.V[t], 1) > _MAX_JOINT:
                raise _NotHistogrammable
        V = max(V, 2 * self.V[s]) if self.V[s] else V
        V = min(V, _MAX_VALUES)
        pad = V - self.V[s]
        self.marg[s] = np.pad(self.marg[s], (0, pad))
        self.diag[s] = np.pad(self.diag[s], (0, pad))
        for (a, b), J in self.joint.items():
            if a == s:
                self.joint[a, b] = np.pad(J, ((0, pad), (0, 0)))
            elif b == s:
                self.joint[a, b] = np.pad(J, ((0, 0), (0, pad)))
        if self.RC is not None:
            self.RC[s] = np.pad(self.RC[s], ((0, 0), (0, pad)))
        if self.CC is not None:
            self.CC[s] = np.pad(self.CC[s], ((0, 0), (0, pad)))
        self.V[s] = V

    @staticmethod
    def _rowcounts(idx, V):
        """counts[i, v] = number of entries equal to v in row i of idx."""
        nb = idx.shape[0]
        flat = (np.arange(nb, dtype=np.int64)[:, None] * V + idx).ravel()
        return np.bincount(flat, minlength=nb * V).reshape(nb, V)

    @staticmethod
    def _colcounts(idx, V):
        """counts[j, v] = number of entries equal to v in column j of idx (no transpose copy)."""
        mb = idx.shape[1]
        flat = (idx + np.arange(mb, dtype=np.int64)[None, :] * V).ravel()
        return np.bincount(flat, minlength=mb * V).reshape(mb, V)

    def add(self, tiles, r, c, on_diag):
        idx = []
        for s, T in enumerate(tiles):
            if T.dtype.kind in "iu" and self.sources[s].vmax is not None:
                idx.append(T)  # exact integers in [0, vmax] by construction (codes)
                continue
            I = T.astype(np.int64)
            if T.size and (np.any(I != T) or I.min() < 0):
                raise _NotHistogrammable
            if T.size:
                self._grow(s, int(I.max()) + 1)
            idx.append(I)
        factor = 1 if (on_diag or not self.symmetric) else 2
        for s, I in enumerate(idx):
            V = self.V[s]
            if on_diag and self.square:
                self.diag[s] += np.bincount(np.diagonal(I), minlength=V)
            if not self.centered:
                self.marg[s] += factor * np.bincount(I.ravel(), minlength=V)
                continue
            rows = self._rowcounts(I, V)
            self.RC[s][r[0]:r[1]] += rows
            self.marg[s] += rows.sum(axis=0)
            if self.symmetric:
                if not on_diag:  # the mirrored tile: its rows are this tile's columns
                    cols = self._colcounts(I, V)
                    self.RC[s][c[0]:c[1]] += cols
                    self.marg[s] += cols.sum(axis=0)
            else:
                self.CC[s][c[0]:c[1]] += self._colcounts(I, V)
        for (s, t) in self.joint:
            Vs, Vt = self.V[s], self.V[t]
            counts = np.bincount((idx[s] * Vt + idx[t]).ravel(), minlength=Vs * Vt)
            self.joint[s, t] += factor * counts.reshape(Vs, Vt)

    def counts(self):
        """The integer counts recorded so far (to add into another pass's, see :meth:`absorb`)."""
        return self.marg, self.diag, self.joint, self.RC, self.CC

    def absorb(self, counts):
        """Add the counts of a pass over other tiles of the same kernels (same value ranges)."""
        marg, diag, joint, RC, CC = counts
        for s in range(self.n):
            self.marg[s] += marg[s]
            self.diag[s] += diag[s]
            if RC is not None:
                self.RC[s] += RC[s]
            if CC is not None:
                self.CC[s] += CC[s]
        for key, J in joint.items():
            self.joint[key] += J

    def finish(self):
        """Gram matrices of the row (and column) counts: exact in float64 below 2^53."""
        self.G_rows, self.G_cols = {}, {}
        if not self.centered:
            return
        N, M = self.shape
        for s in range(self.n):
            for t in range(s, self.n):
                self.G_rows[s, t] = _exact_gram(self.RC[s], self.RC[t], N * M * M)
                if self.CC is not None:
                    self.G_cols[s, t] = _exact_gram(self.CC[s], self.CC[t], M * N * N)
        if self.CC is None:
            self.G_cols = self.G_rows

    def values(self, s):
        return np.arange(self.V[s], dtype=np.float64)

    def offdiag_counts(self, s):
        return self.marg[s] - self.diag[s] if self.square else self.marg[s]

    def stats(self, fs):
        """Sums for value maps ``fs[s]`` (arrays over each source's values)."""
        n = self.n
        total = [float(self.marg[s] @ fs[s]) for s in range(n)]
        dot = np.zeros((n, n))
        rr = np.zeros((n, n))
        cc = np.zeros((n, n))
        for s in range(n):
            dot[s, s] = float(self.marg[s] @ (fs[s] * fs[s]))
            for t in range(s + 1, n):
                dot[s, t] = dot[t, s] = float(fs[s] @ self.joint[s, t] @ fs[t])
            if self.centered:
                for t in range(s, n):
                    rr[s, t] = rr[t, s] = float(fs[s] @ self.G_rows[s, t] @ fs[t])
                    cc[s, t] = cc[t, s] = float(fs[s] @ self.G_cols[s, t] @ fs[t])
        return total, dot, rr, cc


def _exact_gram(P, Q, bound):
    if bound < 2 ** 53:
        return P.T.astype(np.float64) @ Q.astype(np.float64)
    return (P.T @ Q).astype(np.float64)  # int64 product: exact below 2^63


def _scan_histogram(sources, shape, symmetric, centered, tile, progress, runner=None):
    """One pass over every tile, recording exact counts.

    With a ``runner`` (:class:`vqgeom._executor.JobRunner`) and kernels whose value range is
    known in advance (codes with integer weights: the histograms never grow), the tiles are
    shared among the workers and their integer counts added up: the counts, hence every
    result, are exactly those of the serial pass."""
    hist = _Hist(sources, shape, symmetric, centered)
    blocks = _blocks(shape, symmetric, tile)
    if runner is not None and all(src.vmax is not None for src in sources):
        n_jobs = min(len(blocks), 4 * runner.n_workers)
        chunks = [blocks[i::n_jobs] for i in range(n_jobs)]
        jobs = [(sources, shape, symmetric, centered, chunk) for chunk in chunks]
        done = 0
        for k, counts in runner.run_unordered(_hist_part, jobs):
            hist.absorb(counts)
            done += len(chunks[k])
            if progress is not None:
                progress(done, len(blocks))
    else:
        for k, (r, c, on_diag) in enumerate(blocks):
            hist.add([src.tile(r[0], r[1], c[0], c[1]) for src in sources], r, c, on_diag)
            if progress is not None:
                progress(k + 1, len(blocks))
    hist.finish()
    return hist


def _hist_part(job):
    """Worker side: the counts of some tiles (see :meth:`_Hist.counts`)."""
    sources, shape, symmetric, centered, blocks = job
    hist = _Hist(sources, shape, symmetric, centered)
    for r, c, on_diag in blocks:
        hist.add([src.tile(r[0], r[1], c[0], c[1]) for src in sources], r, c, on_diag)
    return hist.counts()


# --------------------------------------------------------------------------- direct pass
def _value_map(sigma2, squared):
    if sigma2 is None:
        return lambda T: T
    if squared:
        return lambda T: np.exp(-(T * T) / sigma2)
    return lambda T: np.exp(-T / sigma2)


def _scan_direct(sources, shape, symmetric, centered, tile, s2_table, squared, progress):
    """Float64 sums per sigma2 setting; ``s2_table[k][s]`` is source s's sigma2 in setting k."""
    n, S = len(sources), len(s2_table)
    N, M = shape
    total = np.zeros((S, n))
    dot = np.zeros((S, n, n))
    R = np.zeros((S, n, N)) if centered else None
    C = np.zeros((S, n, M)) if centered and not symmetric else None
    blocks = _blocks(shape, symmetric, tile)
    for b, (r, c, on_diag) in enumerate(blocks):
        tiles = [src.tile(r[0], r[1], c[0], c[1]).astype(np.float64, copy=False) for src in sources]
        for s_, T in enumerate(tiles):
            if T.size and any(row[s_] is not None for row in s2_table) and not T.min() >= 0:
                raise InvalidInputError(f"{sources[s_].name}: a heat kernel needs distances >= 0; "
                                        "the kernel has a negative or NaN entry")
        factor = 1.0 if (on_diag or not symmetric) else 2.0
        for k in range(S):
            F = [_value_map(s2_table[k][s], squared)(T) for s, T in enumerate(tiles)]
            for s in range(n):
                total[k, s] += factor * F[s].sum()
                for t in range(s, n):
                    v = factor * np.sum(F[s] * F[t])
                    dot[k, s, t] += v
                    if t != s:
                        dot[k, t, s] += v
                if centered:
                    R[k, s, r[0]:r[1]] += F[s].sum(axis=1)
                    if symmetric:
                        if not on_diag:
                            R[k, s, c[0]:c[1]] += F[s].sum(axis=0)
                    else:
                        C[k, s, c[0]:c[1]] += F[s].sum(axis=0)
        if progress is not None:
            progress(b + 1, len(blocks))
    out = []
    for k in range(S):
        rr = R[k] @ R[k].T if centered else np.zeros((n, n))
        cc = (C[k] @ C[k].T if C is not None else rr) if centered else np.zeros((n, n))
        out.append((list(total[k]), dot[k], rr, cc))
    return out


# --------------------------------------------------------------------------- assembling
def _cosines(stats, shape, centered, names):
    total, dot, rr, cc = stats
    n = len(total)
    N, M = shape
    if centered:
        tot = np.asarray(total)
        inner = dot - rr / M - cc / N + np.outer(tot, tot) / (N * M)
    else:
        inner = np.array(dot, dtype=np.float64)
    norms = np.sqrt(np.clip(np.diag(inner), 0.0, None))
    for s in range(n):
        scale = math.sqrt(dot[s][s]) if dot[s][s] > 0 else 0.0
        if norms[s] <= 1e-12 * max(scale, 1e-300):
            what = "the centred kernel H K H" if centered else "the kernel"
            raise DegenerateInputError(
                f"{names[s]}: {what} is zero (a constant kernel when centred), so its cosine "
                f"similarity is undefined"
            )
    cos = inner / np.outer(norms, norms)
    np.fill_diagonal(cos, 1.0)
    return np.clip(cos, -1.0, 1.0)


def _median_from_counts(values, counts, squared):
    n = int(counts.sum())
    if n == 0:
        raise DegenerateInputError("the median heuristic needs an off-diagonal entry; the kernel is 1 x 1")
    cum = np.cumsum(counts)
    lo = values[np.searchsorted(cum, (n - 1) // 2 + 1)]
    hi = values[np.searchsorted(cum, n // 2 + 1)]
    if squared:
        lo, hi = lo * lo, hi * hi
    return 0.5 * (float(lo) + float(hi))


def _positive_median(m, name, squared):
    if not m > 0:
        what = "K**2" if squared else "K"
        raise DegenerateInputError(
            f"{name}: the median of the off-diagonal entries of {what} is {m!r}, so the median "
            f"heuristic gives no positive sigma2; pass sigma2 explicitly"
        )
    return m


class SigmaSweep(list):
    """Cosines of a sigma^2 sweep, in the order asked, each labelled by its sigma^2.

    A list (index it, slice it, ``np.asarray`` it) whose ``sigma2`` holds the settings (the
    numbers as floats, or ``"median"``); ``dict(sweep.items())`` maps each to its cosine and
    ``sweep.at(s2)`` looks one up.

    Examples
    --------
    >>> sw = SigmaSweep([0.9911, 0.9981], [0.5, 8.0])
    >>> sw
    SigmaSweep({0.5: 0.9911, 8.0: 0.9981})
    >>> sw[1], sw.at(8), dict(sw.items())[0.5]
    (0.9981, 0.9981, 0.9911)
    """

    def __init__(self, cosines, sigma2):
        super().__init__(cosines)
        if len(sigma2) != len(self):
            raise InvalidInputError(f"sigma2 must have one entry per cosine ({len(self)}), got {len(sigma2)}")
        self.sigma2 = list(sigma2)

    def items(self):
        """(sigma2, cosine) pairs in order."""
        return list(zip(self.sigma2, self))

    def at(self, sigma2) -> float:
        """The cosine at this sigma^2 (a number, or ``"median"``).

        Raises
        ------
        KeyError
            If the sweep has no such sigma^2.
        """
        for s, c in zip(self.sigma2, self):
            if s == sigma2:
                return c
        raise KeyError(f"no cosine at sigma2={sigma2!r}; the sweep has {self.sigma2}")

    def __repr__(self) -> str:
        return "SigmaSweep({" + ", ".join(f"{s!r}: {c!r}" for s, c in self.items()) + "})"


def _parse_sigma2(sigma2, squared):
    """(list of settings, is_list); a setting is None, a float, or "median"."""
    if sigma2 is None:
        if squared:
            raise InvalidInputError("squared=True applies to the heat kernel; give sigma2 too")
        return [None], False
    if isinstance(sigma2, str):
        if sigma2 != "median":
            raise InvalidInputError(f"sigma2 must be a positive number, a list of them, or 'median'; got {sigma2!r}")
        return ["median"], False
    if isinstance(sigma2, (numbers.Real, np.floating, np.integer)) and not isinstance(sigma2, (bool, np.bool_)):
        return [_check_sigma2(sigma2)], False
    try:
        items = list(sigma2)
    except TypeError:
        raise InvalidInputError(f"sigma2 must be a positive number, a list of them, or 'median'; got {sigma2!r}") from None
    if not items:
        raise InvalidInputError("sigma2 is an empty list; give at least one value")
    out = []
    for i, v in enumerate(items):
        if isinstance(v, str) and v == "median":
            out.append("median")
        else:
            out.append(_check_sigma2(v, name=f"sigma2[{i}]"))
    return out, True


def _check_tile(tile):
    if isinstance(tile, (bool, np.bool_)) or not isinstance(tile, (numbers.Integral, np.integer)) or tile < 1:
        raise InvalidInputError(f"tile must be a positive integer, got {tile!r}")
    return int(tile)


def _run(kernels, names, sigma2, squared, centered, tile, method, progress, runner=None):
    from vqgeom.progress import close, reporter

    report = reporter(progress, unit="tiles", desc="kernel cosines")
    try:
        return _run_passes(kernels, names, sigma2, squared, centered, tile, method, report, runner)
    finally:
        close(report)


def _run_passes(kernels, names, sigma2, squared, centered, tile, method, progress, runner=None):
    for flag, value in (("squared", squared), ("centered", centered)):
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidInputError(f"{flag} must be True or False, got {value!r}")
    settings, is_list = _parse_sigma2(sigma2, squared)
    tile = _check_tile(tile)
    if method not in ("auto", "histogram", "direct"):
        raise InvalidInputError(f"method must be one of 'auto', 'histogram', 'direct'; got {method!r}")
    sources = [_as_source(k, name) for k, name in zip(kernels, names)]
    shape = _check_shapes(sources)
    symmetric = all(src.symmetric for src in sources)
    hist = None
    if method in ("auto", "histogram"):
        try:
            hist = _scan_histogram(sources, shape, symmetric, centered, tile, progress, runner)
        except _NotHistogrammable:
            if method == "histogram":
                raise InvalidInputError(
                    "method='histogram' needs kernels with non-negative integer values "
                    f"(at most {_MAX_VALUES - 1}); use method='direct'"
                ) from None
    results = []
    if hist is not None:
        medians = None
        for setting in settings:
            if setting == "median" and medians is None:
                medians = [
                    _positive_median(_median_from_counts(hist.values(s), hist.offdiag_counts(s), squared),
                                     names[s], squared)
                    for s in range(len(sources))
                ]
            fs = []
            for s in range(len(sources)):
                s2 = medians[s] if setting == "median" else setting
                fs.append(_value_map(s2, squared)(hist.values(s)))
            results.append(_cosines(hist.stats(fs), shape, centered, names))
        used = medians
    else:
        used = None
        if "median" in settings:
            used = [median_heuristic(src, squared=squared, tile=tile) for src in sources]
        table = [[(used[s] if setting == "median" else setting) for s in range(len(sources))]
                 for setting in settings]
        for st in _scan_direct(sources, shape, symmetric, centered, tile, table, squared, progress):
            results.append(_cosines(st, shape, centered, names))
    return results, is_list


# --------------------------------------------------------------------------- public API
def median_heuristic(K, *, squared: bool = False, tile: int = 1024, max_dense: int = 20_000_000) -> float:
    """The median-heuristic scale: the median of the off-diagonal entries of K (or of K**2).

    Parameters
    ----------
    K : array (N, M), Codes, ``(net, X)`` or ``(net, X, weights)``
        The kernel, or codes from which the VQ-Kernel is computed in tiles. For a square
        kernel the diagonal is left out; a rectangular kernel uses every entry.
    squared : bool
        The scale for ``exp(-K**2 / sigma2)``: the median of the off-diagonal ``K**2``.
    tile : int
        Tile size of the streamed pass.
    max_dense : int
        Kernels with non-integer entries are gathered to take their median; above this many
        entries that is refused (pass ``sigma2`` explicitly instead).

    Returns
    -------
    float
        np.median's convention: the mean of the two middle values for an even count.

    Raises
    ------
    DegenerateInputError
        If the median is 0 (more than half the pairs have distance 0), or K is 1 x 1.
    InvalidInputError
        For a kernel with non-integer entries larger than ``max_dense``.

    Examples
    --------
    >>> median_heuristic([[0, 1, 4], [1, 0, 2], [4, 2, 0]])
    2.0
    >>> median_heuristic([[0, 1, 4], [1, 0, 2], [4, 2, 0]], squared=True)
    4.0
    """
    tile = _check_tile(tile)
    src = _as_source(K, "K")
    shape = _check_shapes([src])
    try:
        hist = _scan_histogram([src], shape, src.symmetric, False, tile, None)
        m = _median_from_counts(hist.values(0), hist.offdiag_counts(0), squared)
    except _NotHistogrammable:
        N, M = shape
        if N * M > max_dense:
            raise InvalidInputError(
                f"K has non-integer entries and {N * M} > max_dense={max_dense} of them; the exact "
                f"median would gather them all: pass sigma2 explicitly"
            ) from None
        T = src.tile(0, N, 0, M)
        vals = T[~np.eye(N, M, dtype=bool)] if N == M else T.ravel()
        if vals.size == 0:
            raise DegenerateInputError("the median heuristic needs an off-diagonal entry; the kernel is 1 x 1")
        m = float(np.median(vals * vals if squared else vals))
    return _positive_median(m, "K", squared)


def kernel_cosine(A, B, *, sigma2=None, squared: bool = False, centered: bool = False,
                  tile: int = 1024, method: str = "auto", progress=None, executor=None):
    """Cosine similarity of two kernels, or of their heat kernels; streamed, never N x N.

    Parameters
    ----------
    A, B : array (N, M) or memmap, Codes, ``(net, X)``, ``(net, X, weights)`` or ``(codes, weights)``
        The two kernels, given either as matrices (read tile by tile) or as activation codes
        of N points (the VQ-Kernel is then computed tile by tile; ``weights`` are per layer
        or per neuron). Both must have the same shape.
    sigma2 : None, float, "median", or a sequence of them
        None: the cosine of the kernels themselves. A number: of their heat kernels
        ``exp(-K/sigma2)`` (``exp(-K**2/sigma2)`` when ``squared``), the same scale for both.
        "median": each kernel with its own median-heuristic scale (see
        :func:`median_heuristic`). A sequence gives a :class:`SigmaSweep` (a list labelled
        by sigma^2), computed from one pass.
    squared : bool
        Use ``exp(-K**2 / sigma2)`` (the paper's App. A.2) instead of ``exp(-K / sigma2)``.
    centered : bool
        The centred kernel alignment: the cosine of ``H F H`` and ``H G H``,
        ``H = I - 11^T/n`` (module docstring).
    tile : int
        Tile side of the streamed pass (memory is a few tiles of ``tile**2`` float64).
    method : {"auto", "histogram", "direct"}
        "histogram" needs non-negative integer kernels (VQ distances with integer weights)
        and evaluates every sigma2 from exact counts; "direct" sums float64 tiles for each
        sigma2; "auto" tries the histogram and falls back to direct.
    progress : bool or callable, optional
        True shows a tqdm bar of tiles on stderr; a callable is called as
        ``progress(done_tiles, total_tiles)``.
    executor : None, int, concurrent.futures.Executor, dask.distributed.Client or str
        Share the tiles among workers; see :func:`pairwise_kernel_cosine` (same result).

    Returns
    -------
    float, or a :class:`SigmaSweep` (a list of floats labelled by sigma^2) when ``sigma2`` is
    a sequence

    Raises
    ------
    InvalidInputError
        For mismatched shapes, a non-positive or non-finite sigma2, ``squared`` without
        ``sigma2``, a non-numeric kernel.
    DegenerateInputError
        When a kernel (centred kernel) is zero, so that its cosine is undefined, or when the
        median heuristic gives 0.

    Examples
    --------
    >>> K = [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    >>> round(kernel_cosine(K, K, sigma2=1.0), 12)
    1.0
    >>> sweep = kernel_cosine(K, [[0, 2, 2], [2, 0, 2], [2, 2, 0]], sigma2=[0.5, 8])
    >>> [round(c, 4) for c in sweep], sweep.sigma2, round(sweep.at(8), 4)
    ([0.9911, 0.9981], [0.5, 8.0], 0.9981)
    """
    with job_runner(executor) as runner:
        results, is_list = _run([A, B], ["A", "B"], sigma2, squared, centered, tile, method, progress,
                                runner)
    vals = [float(r[0, 1]) for r in results]
    return SigmaSweep(vals, _parse_sigma2(sigma2, squared)[0]) if is_list else vals[0]


def pairwise_kernel_cosine(kernels: Sequence, X=None, *, sigma2=None, squared: bool = False,
                           centered: bool = False, tile: int = 1024, method: str = "auto",
                           progress=None, executor=None) -> np.ndarray:
    """The networks x networks matrix of kernel cosine similarities, in one streamed pass.

    Parameters
    ----------
    kernels : sequence of n kernels
        Each as accepted by :func:`kernel_cosine` (arrays, Codes, ``(net, X)`` pairs), all
        on the same points. Each tile of every kernel is computed once and shared by all
        ``n (n - 1) / 2`` pairs.
    X : array-like (N, D), optional
        When given, ``kernels`` is a list of networks (vqgeom Networks or torch modules)
        and each is compared through its VQ-Kernel on these points.
    sigma2, squared, centered, tile, method, progress
        As in :func:`kernel_cosine`.
    executor : None, int, concurrent.futures.Executor, dask.distributed.Client or str
        Share the tiles of the histogram pass among workers (an int: that many local
        processes; a str: a Dask scheduler address; see :mod:`vqgeom._executor`). It applies
        to kernels given as codes or ``(net, X)`` with integer weights, whose exact integer
        counts add up to the serial pass's, so the result is identical to the serial one;
        other kernels are scanned serially.

    Returns
    -------
    ndarray, shape (n, n), or (len(sigma2), n, n) when ``sigma2`` is a sequence
        Symmetric, ones on the diagonal.

    Raises
    ------
    InvalidInputError
        For fewer than one kernel or the errors of :func:`kernel_cosine`.

    Examples
    --------
    >>> K = [[0, 1], [1, 0]]
    >>> pairwise_kernel_cosine([K, K, [[0, 3], [3, 0]]], sigma2=1.0).round(3).tolist()
    [[1.0, 1.0, 0.955], [1.0, 1.0, 0.955], [0.955, 0.955, 1.0]]
    >>> from vqgeom import Network
    >>> nets = [Network([{"weight": [[1.0]], "bias": [b]}]) for b in (0.0, 0.0, -0.5)]
    >>> pairwise_kernel_cosine(nets, [[-1.0], [0.25], [1.0]]).round(3).tolist()
    [[1.0, 1.0, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]]
    """
    kernels = list(kernels)
    if not kernels:
        raise InvalidInputError("kernels must hold at least one kernel, got none")
    if X is not None:
        kernels = [(net, X) for net in kernels]
    names = [f"kernels[{i}]" for i in range(len(kernels))]
    with job_runner(executor) as runner:
        results, is_list = _run(kernels, names, sigma2, squared, centered, tile, method, progress,
                                runner)
    return np.stack(results) if is_list else results[0]
