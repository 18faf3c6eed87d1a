"""The VQ distance and the VQ-Kernel: weighted Hamming distances between activation codes.

For points x, y and layer weights w_l > 0 (default 1),

    d(x, y) = sum_l w_l * d^(l)(x, y),   d^(l) = Hamming distance of the layer-l signs,

and the VQ-Kernel of point sets X (m points) and Y (n points) is the m x n matrix
``K[i, j] = d(X[i], Y[j])``.

Two exact routes compute it, tile by tile (never an m x n x B intermediate):

* ``"gemm"``: for bits x, y in {0, 1}, ``d = sum x (1 - 2 y) + |y|``, i.e. the matrix product
  of ``[X, 1]`` and ``[1 - 2 Y, |Y|]^T`` -- the +-1 identity ``K = (tr W / 2) 11^T - (1/2) S W S^T``
  of MATH.md with the constant folded in. The bits are cut into chunks so short that every
  partial sum is an integer the compute dtype holds exactly (bfloat16 on CPUs with native
  bf16 -- AVX512-BF16 / AMX: <= 256 bits; float16 on CUDA: <= 2048; float32 otherwise:
  <= 2^24), whatever order or precision the BLAS accumulates in; the chunks' counts are
  summed in int32 (int64 / float64 when the result needs it). On CPUs where torch multiplies
  int8 matrices (``torch._int_mm``, int32 results: VNNI / AMX) the route is integer
  arithmetic throughout and needs no chunks (see :class:`_GemmGroup`). A symmetric kernel
  computes the block rows from the diagonal on and mirrors them.
* ``"popcount"``: XOR of the packed uint64 words and a population count (numpy).

``method="auto"`` uses popcount for small problems (no torch start-up) and the GEMM route
otherwise. Integer weights give integer results equal to a naive count exactly.
"""

from __future__ import annotations

import errno
import io
import math
import numbers
import os
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

from vqgeom._paths import AtomicFile
from vqgeom.codes import Codes, activation_codes, d_layers
from vqgeom.errors import InvalidInputError, MemoryBudgetExceeded, format_bytes

__all__ = ["vq_distance", "vq_kernel", "layer_weights", "METHODS", "hamming_reference", "save_npy"]

#: Kernel routes accepted by ``method=``.
METHODS = ("auto", "gemm", "popcount")

_DEFAULT_BUDGET = 512 * 2**20
_INT32_MAX = 2**31 - 1
_PLAIN_PAGES_FROM = 2**26  # bytes: outputs from this size on skip numpy's huge-page request
_INT64_MAX = 2**63 - 1
#: Bytes per entry of an exact (object) kernel: the pointer, the number, its int64 precursor
_EXACT_ENTRY_BYTES = 120
_EXACT_HINT = "exact kernels are held in memory: use fewer points, or float weights with out='K.npy'"
_TILE = 256
_BLOCK_ENTRIES = 2**19


# ================================================================ weights
def layer_weights(weights, n_layers: int):
    """Validate layer weights; return ``(values, kind)`` with kind "int", "float" or "exact".

    Parameters
    ----------
    weights : None or sequence of positive numbers, length ``n_layers``
        None means every weight is 1 (kind "int"). Python / numpy integers give "int",
        Fractions give "exact", any float gives "float".

    Raises
    ------
    InvalidInputError
        Wrong length, a non-number, a non-finite, zero or negative weight.

    Examples
    --------
    >>> layer_weights(None, 2)
    ((1, 1), 'int')
    >>> layer_weights([1, 0.5], 2)
    ((1.0, 0.5), 'float')
    """
    if weights is None:
        return (1,) * n_layers, "int"
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise InvalidInputError(
            f"weights must be a sequence of {n_layers} positive numbers (one per layer), got {weights!r}"
        )
    vals = list(np.asarray(weights, dtype=object).ravel()) if isinstance(weights, np.ndarray) else list(weights)
    if len(vals) != n_layers:
        raise InvalidInputError(
            f"weights must have one entry per layer ({n_layers}), got {len(vals)}"
        )
    kinds = set()
    out = []
    for l, w in enumerate(vals):
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (numbers.Real, np.number)):
            raise InvalidInputError(f"weights[{l}] must be a real number, got {w!r}")
        if isinstance(w, (numbers.Integral, np.integer)):
            kinds.add("int")
            w = int(w)
        elif isinstance(w, Fraction):
            kinds.add("exact")
        else:
            w = float(w)
            if not np.isfinite(w):
                raise InvalidInputError(f"weights[{l}] must be finite, got {w!r}")
            kinds.add("float")
        if not w > 0:
            raise InvalidInputError(f"weights[{l}] must be > 0 (d is a sum of positively weighted "
                                    f"Hamming distances), got {w!r}")
        out.append(w)
    if "float" in kinds:
        return tuple(float(w) for w in out), "float"
    if "exact" in kinds:
        return tuple(Fraction(w) for w in out), "exact"
    return tuple(out), "int"


# ============================================================ references
def hamming_reference(codes_x: Codes, codes_y: Codes | None = None, weights=None) -> np.ndarray:
    """Naive reference: ``sum_l w_l * #(differing signs of layer l)`` pair by pair.

    Plain Python integers / Fractions over unpacked bits; quadratic in everything, for
    tests on small inputs. Returns an object array (m, n).

    >>> c = Codes.from_bits([np.array([[True, False], [False, False]])])
    >>> hamming_reference(c).tolist()
    [[0, 1], [1, 0]]
    """
    codes_y = codes_x if codes_y is None else codes_y
    w, _ = layer_weights(weights, codes_x.n_layers)
    bx = [codes_x.layer_bits(l).tolist() for l in range(codes_x.n_layers)]
    by = [codes_y.layer_bits(l).tolist() for l in range(codes_y.n_layers)]
    out = np.empty((codes_x.n_points, codes_y.n_points), dtype=object)
    for i in range(codes_x.n_points):
        for j in range(codes_y.n_points):
            out[i, j] = sum(w[l] * sum(a != b for a, b in zip(bx[l][i], by[l][j]))
                            for l in range(codes_x.n_layers))
    return out


# ================================================================= inputs
def _is_tensor(x) -> bool:
    return hasattr(x, "detach") and hasattr(x, "device") and hasattr(x, "dtype")


def _resolve_codes(net, X, Y, device):
    """Return (codes_x, codes_y or None, torch device or None)."""
    dev = None
    if device is not None:
        import torch

        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidInputError(f"device must name a torch device, got {device!r} ({exc})") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise InvalidInputError(f"device={device!r} was asked for but CUDA is not available here")
    if isinstance(net, Codes):
        if Y is not None:
            raise InvalidInputError(
                "with precomputed codes, call vq_kernel(codes_x) or vq_kernel(codes_x, codes_y); "
                "a third argument is not accepted"
            )
        if X is not None and not isinstance(X, Codes):
            raise InvalidInputError(
                f"the second argument must be a Codes object when the first is one, got "
                f"{type(X).__name__}"
            )
        cy = X
        if cy is not None and cy.widths != net.widths:
            raise InvalidInputError(
                f"codes_x and codes_y have different layer widths: {net.widths} vs {cy.widths}"
            )
        return net, cy, dev
    if X is None:
        raise InvalidInputError("X (the points) is required when the first argument is a network")
    if dev is None and _is_tensor(X):
        dev = X.device
    layers = d_layers(net)
    cx = activation_codes(net, X, layers=layers, device=device)
    cy = None if Y is None else activation_codes(net, Y, layers=layers, device=device)
    return cx, cy, dev



def _groups(weights, per_layer: bool, n_layers: int):
    """Layer groups computed together: [(layer indices, weight)]."""
    if per_layer:
        return [([l], weights[l]) for l in range(n_layers)]
    groups: dict = {}
    for l, w in enumerate(weights):
        groups.setdefault(w, []).append(l)
    return [(ls, w) for w, ls in groups.items()]


def _result_dtype(kind, weights, widths):
    if kind == "float":
        return np.dtype(np.float64)
    if kind == "exact":
        return np.dtype(object)
    top = sum(w * n for w, n in zip(weights, widths))
    if top > _INT64_MAX:   # exact Python integers rather than a wrap-around
        return np.dtype(object)
    for dt in (np.int16, np.int32, np.int64):  # the smallest that holds every count
        if top <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


# ============================================================ hamming engines
def _group_words(codes: Codes, layers) -> np.ndarray:
    return np.concatenate([codes.packed[l] for l in layers], axis=1)


if hasattr(np, "bitwise_count"):
    def _popcount(x: np.ndarray) -> np.ndarray:
        return np.bitwise_count(x)
else:  # numpy < 2: byte lookup table
    _LUT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def _popcount(x: np.ndarray) -> np.ndarray:
        b = x.reshape(x.shape + (1,)).view(np.uint8)
        return _LUT[b].sum(axis=-1, dtype=np.uint8)


def _popcount_tile(ax: np.ndarray, ay: np.ndarray, out: np.ndarray) -> None:
    """out (T, P) int32 <- Hamming distances between word rows ax (T, W) and ay (P, W)."""
    out[...] = 0
    for k in range(ax.shape[1]):
        x = np.bitwise_xor(ax[:, k, None], ay[None, :, k])
        np.add(out, _popcount(x), out=out, casting="unsafe")


class _GemmGroup:
    """Codes of one layer group prepared for exact chunked GEMMs on a torch device.

    For bits x, y in {0, 1} of a chunk of k bits, ``H = sum x (1 - 2 y) + |y|``: the product
    of ``P = [x, 1]`` (rows) and ``Q = [1 - 2 y, |y|]`` (columns) is the chunk's Hamming
    distance directly. Its terms are ``+1`` (x=1, y=0: a of them), ``-1`` (x=1, y=1: b) and
    ``|y| = b + c`` (c: x=0, y=1), so every partial sum, in any order or grouping, is an
    integer in ``[-b, a + b + c]``, inside ``[-k, k]``. With ``k <= 256`` (bfloat16, 8
    significant bits), ``<= 2048`` (float16) or ``<= 2^24`` (float32) every partial sum and
    the result are held exactly, whatever order and precision the GEMM accumulates in.

    The int8 route (``torch._int_mm``: int8 operands, int32 result) is integer arithmetic:
    nothing rounds, so one chunk holds every bit. int8 cannot hold ``|y|`` past 127, so the
    constant column is split into ``ceil(k / 127)`` columns, column r holding the count of
    ones of y among bits ``[127 r, 127 (r + 1))`` against a 1 in ``P``; every operand is then
    an integer in [-127, 127] and every partial sum lies in ``[-k, 2 k]``, far inside int32.
    """

    def __init__(self, cx: Codes, cy: Codes, layers, dev, torch):
        self.torch = torch
        self.layers = layers
        self.cx, self.cy = cx, cy
        self.n_bits = sum(cx.widths[l] for l in layers)
        self.dev = dev
        self.dtype, chunk = _gemm_dtype(dev, torch)
        self.integer = self.dtype == torch.int8
        #: dtype of a GEMM's result: int32 for the int8 route, else the compute dtype
        self.result_dtype = torch.int32 if self.integer else self.dtype
        n_chunks = max(1, -(-self.n_bits // chunk))
        size = max(1, -(-self.n_bits // n_chunks))  # balanced chunks
        self.chunks = [(a, min(a + size, self.n_bits)) for a in range(0, self.n_bits, size)] or [(0, 0)]

    def _counts(self, a: int, b: int):
        """Bit ranges whose counts of ones fill the constant columns of chunk [a, b)."""
        if not self.integer:
            return [(a, b)]
        return [(s, min(s + _INT8_COUNT, b)) for s in range(a, b, _INT8_COUNT)] or [(a, b)]

    def bits(self, codes: Codes, rows: slice):
        """0/1 uint8 tensor (rows, n_bits) of the group's bits, on the CPU."""
        arr = np.concatenate([_unpack_rows(codes, l, rows) for l in self.layers], axis=1)
        return self.torch.from_numpy(arr.view(np.uint8))

    def prepare_columns(self, cols: slice):
        """One contiguous (k + 1, P) tensor ``[1 - 2 y, |y|]^T`` per chunk, on the device."""
        torch = self.torch
        y = self.bits(self.cy, cols).to(self.dev)
        out = []
        for a, b in self.chunks:
            yc, k = y[:, a:b], b - a
            counts = self._counts(a, b)
            q = torch.empty((k + len(counts), yc.shape[0]), dtype=self.dtype, device=self.dev)
            q[:k] = yc.T
            q[:k].mul_(-2).add_(1)
            for r, (s, e) in enumerate(counts):
                q[k + r] = y[:, s:e].sum(dim=1, dtype=torch.int32)
            out.append(q)
        return out

    def prepare_rows(self, rows: slice):
        """One contiguous (T, k + 1) tensor ``[x, 1]`` per chunk, on the device."""
        torch = self.torch
        x = self.bits(self.cx, rows).to(self.dev)
        out = []
        for a, b in self.chunks:
            k = b - a
            p = torch.empty((x.shape[0], k + len(self._counts(a, b))), dtype=self.dtype,
                            device=self.dev)
            p[:, :k] = x[:, a:b]
            p[:, k:] = 1
            out.append(p)
        return out

    def tile(self, P, Q, cols: slice, buf, acc):
        """Hamming distances of the group: rows of ``P`` vs columns ``cols`` of ``Q``.

        ``buf`` is a (T, C) scratch of the compute dtype, ``acc`` a (T, C) float32 (float64
        past 2^24 bits) scratch. Returns a (t, w) view of one of them holding the exact
        counts; blocks are small enough to stay in cache, so the caller writes the output
        from it once.
        """
        torch = self.torch
        t, w = P[0].shape[0], cols.stop - cols.start
        b = buf.view(-1)[:t * w].view(t, w)  # contiguous (_int_mm writes only to those)
        mm = torch._int_mm if self.integer else torch.mm
        if len(self.chunks) == 1:
            mm(P[0], Q[0][:, cols], out=b)
            return b
        a = acc[:t, :w]
        for c, (p, q) in enumerate(zip(P, Q)):
            mm(p, q[:, cols], out=b)
            if c == 0:
                a.copy_(b)
            else:
                a.add_(b)
        return a


def _gemm_dtype(dev, torch):
    """Compute dtype and the longest exact chunk (bits) for GEMMs on ``dev``."""
    if dev.type == "cuda":
        return torch.float16, 2048
    if dev.type == "cpu" and _cpu_int8_mm(torch):
        return torch.int8, 2**30
    if dev.type == "cpu" and _cpu_fast_bf16(torch):
        return torch.bfloat16, 256
    return torch.float32, 2**24


def _unpack_rows(codes: Codes, l: int, rows: slice) -> np.ndarray:
    from vqgeom.codes import unpack_bits

    return unpack_bits(codes.packed[l][rows], codes.widths[l])


_INT8_COUNT = 127  # the most ones of y one int8 constant column holds

_INT8_CACHE: dict = {}


def _cpu_int8_mm(torch) -> bool:
    """True when ``torch._int_mm`` (int8 x int8 -> int32) runs on this CPU build.

    Probed once on a product whose answer is known (an int32 overflow-free check of the
    operand layout the tiles use: a transposed, column-sliced right operand).
    """
    if "ok" not in _INT8_CACHE:
        fn = getattr(torch, "_int_mm", None)
        ok = False
        if fn is not None:
            a = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=torch.int8)
            q = torch.tensor([[1, -1, 1, 127], [-1, 1, 1, 2], [1, 1, -1, 3]], dtype=torch.int8)
            try:
                got = fn(a, q.T.contiguous().T[:, 1:])
                ok = got.tolist() == [[0, 0, 130], [2, 0, 5]]
            except (RuntimeError, NotImplementedError, TypeError):  # not built for this CPU
                ok = False
        _INT8_CACHE["ok"] = ok
    return _INT8_CACHE["ok"]


_BF16_CACHE: dict = {}


def _cpu_fast_bf16(torch) -> bool:
    """True when this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    if "ok" not in _BF16_CACHE:
        ok = False
        for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
            fn = getattr(torch.cpu, probe, None)
            if fn is not None:
                try:
                    ok = ok or bool(fn())
                except RuntimeError:
                    pass
        _BF16_CACHE["ok"] = ok
    return _BF16_CACHE["ok"]


# ================================================================ outputs
class _Output:
    """Where the kernel goes: an in-memory array / tensor, or a .npy memmap written atomically
    (an :class:`vqgeom._paths.AtomicFile`: free space checked and reserved first, a random
    temporary name beside the target, removed by :meth:`abort`)."""

    def __init__(self, shape, dtype, out, dev, as_tensor):
        self.path = None
        self.file = None
        self.shape = shape
        self.dtype = dtype
        nbytes = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
        if out is None:
            if as_tensor and dtype != object:
                import torch

                try:
                    self.array = torch.empty(shape, dtype=_torch_dtype(torch, dtype), device=dev)
                except torch.OutOfMemoryError:
                    raise MemoryBudgetExceeded(nbytes, 0, what="vq_kernel", message=(
                        f"vq_kernel: the result ({' x '.join(map(str, shape))} {np.dtype(dtype)}) "
                        f"would take {format_bytes(nbytes)}, more than {dev} can hold; compute "
                        f"on the CPU with out='K.npy' to write it to a file")) from None
            else:
                self.array = _allocate(shape, dtype, nbytes)
        elif isinstance(out, (str, os.PathLike)):
            if dtype == object:
                raise InvalidInputError(
                    "out= as a file needs a numeric kernel, but these weights give an object array "
                    "(Fraction weights, or integer weights whose distances can exceed int64): "
                    "pass smaller integer weights or floats"
                )
            self.path = Path(out)
            if self.path.suffix != ".npy":
                raise InvalidInputError(f"out must be a path ending in .npy, got {str(out)!r}")
            if not self.path.parent.is_dir():
                raise InvalidInputError(f"out: directory {str(self.path.parent)!r} does not exist")
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {
                "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                "shape": tuple(shape)})
            self.file = AtomicFile(self.path, "out", mode="w+b", size=len(header.getvalue()) + nbytes)
            try:
                self.file.file.write(header.getvalue())
                self.file.file.flush()
                self.array = (np.memmap(self.file.file, dtype=dtype, mode="r+", shape=shape,
                                        offset=len(header.getvalue())) if nbytes else
                              np.empty(shape, dtype=dtype))
            except BaseException:
                self.file.discard()
                raise
        elif isinstance(out, np.ndarray):
            if out.shape != tuple(shape):
                raise InvalidInputError(f"out must have shape {tuple(shape)}, got {out.shape}")
            wider = dtype.kind == "i" and out.dtype.kind == "i" and out.dtype.itemsize >= dtype.itemsize
            if out.dtype != dtype and not wider:
                raise InvalidInputError(f"out must have dtype {dtype} (or a wider signed integer "
                                        f"dtype for an integer kernel), got {out.dtype}")
            self.dtype = out.dtype
            self.array = out
        else:
            raise InvalidInputError(
                f"out must be None, a .npy path or a numpy array, got {type(out).__name__}"
            )

    def finish(self):
        if self.path is None:
            return self.array
        if isinstance(self.array, np.memmap):
            self.array.flush()
        self.array = None
        self.file.commit()
        self.file = None
        return np.load(self.path, mmap_mode="r")

    def abort(self):
        if self.file is not None:
            self.array = None
            self.file.discard()
            self.file = None


def _refuse_unless_fits(shape, what, nbytes, hint=None):
    """Raise :class:`MemoryBudgetExceeded` (with the result's size and the way out) when a
    result of ``nbytes`` cannot fit in the memory available now."""
    from vqgeom._memory import available_bytes

    avail = available_bytes()
    if avail is not None and nbytes > avail:
        raise _too_large(shape, what, nbytes, avail, hint)


def _too_large(shape, what, nbytes, avail, hint=None):
    have = "" if avail is None else f", more than the {format_bytes(avail)} of memory available"
    hint = hint or "pass out='K.npy' to write it to a file instead (returned as a read-only memory map)"
    return MemoryBudgetExceeded(nbytes, avail or 0, what="vq_kernel", message=(
        f"vq_kernel: the result ({' x '.join(map(str, shape))} {what}) would take "
        f"{format_bytes(nbytes)}{have}; {hint}"))


def _allocate(shape, dtype, nbytes):
    """An uninitialised array (:func:`_host_empty`), refused with the size and the way out
    (``out=``) when it cannot fit in the memory available."""
    _refuse_unless_fits(shape, np.dtype(dtype), nbytes)
    try:
        return _host_empty(shape, dtype)
    except MemoryError:
        raise _too_large(shape, np.dtype(dtype), nbytes, None) from None
    except OSError as exc:  # mmap: ENOMEM
        if exc.errno != errno.ENOMEM:
            raise
        raise _too_large(shape, np.dtype(dtype), nbytes, None) from None


def _host_empty(shape, dtype) -> np.ndarray:
    """An uninitialised array; a large one on plain anonymous pages, faulted in by the tiles.

    numpy asks the kernel for transparent huge pages for large arrays; where the kernel
    compacts memory to find them (``defrag=madvise``) the first large kernel of a process
    spent more time in that than in its GEMMs. Plain pages, mapped in at once where the
    system can (``MAP_POPULATE``: about half the CPU time of a page fault per page), cost
    the same on every call.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if dtype == object or nbytes < _PLAIN_PAGES_FROM:
        return np.empty(shape, dtype=dtype)
    import mmap

    if hasattr(mmap, "MAP_POPULATE"):  # Linux: the pages come in one call, not one fault each
        buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
    else:
        buf = mmap.mmap(-1, nbytes)
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def save_npy(array, path) -> None:
    """Write ``array`` to the ``.npy`` file ``path`` atomically (a temporary file, then a rename).

    Nothing is left half-written when writing fails.

    Parameters
    ----------
    array : array-like of numbers
    path : str or path-like
        Must end in ``.npy``, in an existing directory.

    Raises
    ------
    InvalidInputError
        For a path not ending in ``.npy``, a missing directory, or an object array.
    """
    arr = np.asarray(array)
    sink = _Output(arr.shape, arr.dtype, path, None, False)
    try:
        sink.array[...] = arr
        sink.finish()
    except BaseException:
        sink.abort()
        raise


def _torch_dtype(torch, dtype):
    return {np.dtype(np.int16): torch.int16, np.dtype(np.int32): torch.int32, np.dtype(np.int64): torch.int64,
            np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[np.dtype(dtype)]


# ================================================================= driver
def _tile_sizes(m, n, n_bits, budget):
    """Row tile T, column block C and column panel P (columns converted at once).

    The panel's converted codes take at most half the budget; a T x C block (a few copies of
    it live at once) about 1 MiB, so that it stays in the caches between the GEMM and the
    writes of the output.
    """
    per_col = (max(n_bits, 1) + 64) * 4
    P = max(1, min(n, max(_TILE, (budget // 2) // per_col)))
    T = max(1, min(m, _TILE))
    C = max(1, min(P, _BLOCK_ENTRIES // T))
    return T, C, P


def vq_kernel(net, X=None, Y=None, *, weights=None, per_layer: bool = False, device=None,
              out=None, memory_budget: int | None = None, method: str = "auto", progress=None):
    """The VQ-Kernel: the matrix of weighted Hamming distances between activation codes.

    ``K[i, j] = sum_l w_l * d^(l)(X[i], Y[j])`` with ``d^(l)`` the number of layer-l neurons
    whose signs (``sign(0) = +1``) differ. The sum runs over the ReLU-type layers: a
    network's max layers (max pooling) are not counted by d (their argmax is part of the
    region code, not of d; see the README), and ``weights`` has one entry per ReLU-type layer.

    Call it as ``vq_kernel(net, X[, Y])`` with a :class:`~vqgeom.Network` or a torch module
    and points, or on precomputed codes as ``vq_kernel(codes_x[, codes_y])`` (codes from
    :func:`vqgeom.activation_codes`, e.g. to reuse them or to hook selected modules; every
    layer of precomputed codes counts, so for a network with max layers compute them with
    ``layers=vqgeom.codes.d_layers(net)``).

    Parameters
    ----------
    net : Network, torch.nn.Module or Codes
    X : array-like (m, D), torch tensor, or Codes
        Points (or ``codes_y`` when ``net`` is a Codes).
    Y : array-like (n, D), optional
        Second point set; default ``X`` (the symmetric kernel).
    weights : sequence of L positive numbers, optional
        Layer weights ``w_l`` (default all 1). Integers give an integer kernel of the
        smallest of int16, int32, int64 that holds ``sum_l w_l n_l``, the largest possible
        count (int16 up to 32767: half the memory of int32; cast before squaring, e.g.
        ``K.astype(np.int64) ** 2``, or use :func:`vqgeom.heat_kernel`, which works in
        float64), or an object array of exact Python ints when it could exceed 2^63 - 1
        (never a wrap-around); Fractions give an exact object array of Fractions; floats
        give float64.
    per_layer : bool
        Return the (L, m, n) stack ``w_l * d^(l)`` instead of its sum over layers.
    device : str or torch.device, optional
        Compute with torch on this device and return a torch tensor there. By default the
        device of a torch ``X``; otherwise the CPU, returning a numpy array.
    out : str, os.PathLike or numpy array, optional
        A ``.npy`` path: the kernel is written tile by tile into a memory map (to a temporary
        file renamed at the end, so nothing half-written is left) and returned as a
        read-only memmap: for kernels too large to hold. A numpy array of the right shape and
        dtype (or, for an integer kernel, any wider signed integer dtype) is filled in place.
    memory_budget : int, optional
        Bytes of working memory besides the output (default 512 MiB); sets the tile sizes.
    method : {"auto", "gemm", "popcount"}
        The route (see the module docstring); all give identical results.
    progress : bool or callable, optional
        True shows a tqdm bar of row tiles on stderr; a callable is called as
        ``progress(done_tiles, total_tiles)``.

    Returns
    -------
    ndarray or torch.Tensor, shape (m, n) or (L, m, n)

    Raises
    ------
    InvalidInputError
        Bad points (dimension, non-finite), bad weights (wrong count, <= 0, non-finite),
        an unknown method, a bad ``out`` or ``memory_budget``, or too little free space
        for ``out`` (checked and reserved before anything is computed).
    MemoryBudgetExceeded
        When the result cannot be held in memory (the message gives its size; pass a
        ``.npy`` path as ``out``).

    Notes
    -----
    Exactness: integer weights give exactly the integer counts on every route (see the
    module docstring for why the low-precision GEMMs cannot round). Fraction weights always
    return a numpy object array, whatever ``device``.

    Threads: on the CPU the GEMM route splits the kernel into row tiles run by
    ``torch.get_num_threads()`` Python threads while torch itself is set to one thread for
    the duration of the call (the setting is restored on return, also on an error). Other
    threads that use torch meanwhile see one intra-op thread.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 1.0]}])
    >>> vq_kernel(net, [[-2.0], [0.5], [2.0]]).tolist()
    [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    >>> vq_kernel(net, np.zeros((0, 1))).shape
    (0, 0)
    """
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if not isinstance(per_layer, (bool, np.bool_)):
        raise InvalidInputError(f"per_layer must be True or False, got {per_layer!r}")
    if memory_budget is None:
        memory_budget = _DEFAULT_BUDGET
    elif (not isinstance(memory_budget, (numbers.Integral, np.integer)) or isinstance(memory_budget, bool)
          or memory_budget < 2**16):
        raise InvalidInputError(f"memory_budget must be an int >= 65536 (bytes), got {memory_budget!r}")
    cx, cy, dev = _resolve_codes(net, X, Y, device)
    symmetric = cy is None
    cy = cx if symmetric else cy
    w, kind = layer_weights(weights, cx.n_layers)
    dtype = _result_dtype(kind, w, cx.widths)
    m, n = cx.n_points, cy.n_points
    L = cx.n_layers
    shape = (L, m, n) if per_layer else (m, n)
    groups = _groups(w, per_layer, L)
    if kind == "exact":
        denom = 1
        for _, wg in groups:
            denom = denom * wg.denominator // np.gcd(denom, wg.denominator)
        int_groups = [(ls, int(wg * denom)) for ls, wg in groups]
        top = sum(iw * sum(cx.widths[l] for l in ls) for ls, iw in int_groups)
        acc_dtype = np.dtype(np.int64) if top < 2**63 else np.dtype(object)
        _refuse_unless_fits(shape, "Fraction", math.prod(shape) * _EXACT_ENTRY_BYTES, _EXACT_HINT)
        ints = _compute(cx, cy, int_groups, per_layer, acc_dtype, (L, m, n) if per_layer else (m, n),
                        None, memory_budget, method, None)
        res = np.empty(shape, dtype=object)
        for idx, v in np.ndenumerate(ints):
            res[idx] = Fraction(int(v), denom)
        return res
    from vqgeom.progress import close, reporter

    report = reporter(progress, unit="tiles", desc="VQ-Kernel")
    try:
        return _compute(cx, cy, groups, per_layer, dtype, shape, out, memory_budget, method, dev,
                        symmetric, report)
    finally:
        close(report)


def _compute(cx, cy, groups, per_layer, dtype, shape, out, budget, method, dev, symmetric=False,
             report=None):
    m, n = cx.n_points, cy.n_points
    if method == "auto":
        words = sum(p.shape[1] for p in cx.packed)
        work = m * n * max(words, 1)
        # numpy's popcount needs no torch start-up (about a second when torch is not loaded yet)
        small = 2**21 if "torch" in sys.modules else 2**25
        method = "gemm" if dev is not None or work > small else "popcount"
    if dtype == object:
        # exact accumulation with Python ints (only for enormous integer weights)
        _refuse_unless_fits(shape, "Python int", math.prod(shape) * (_EXACT_ENTRY_BYTES + 8 * len(groups)),
                            _EXACT_HINT)
        parts = _compute(cx, cy, [(ls, 1) for ls, _ in groups], True, np.dtype(np.int64),
                         (len(groups), m, n), None, budget, method, None)
        res = np.empty(shape, dtype=object)
        res[...] = 0
        for g, (_, wg) in enumerate(groups):
            if per_layer:
                res[g] = parts[g].astype(object) * wg
            else:
                res += parts[g].astype(object) * wg
        return res
    as_tensor = dev is not None
    sink = _Output(shape, dtype, out, dev, as_tensor)
    try:
        if m and n:
            if method == "popcount":
                _run_popcount(cx, cy, groups, per_layer, sink, budget, report)
            else:
                _run_gemm(cx, cy, groups, per_layer, sink, budget, dev, symmetric, report)
        return sink.finish()
    except BaseException:
        sink.abort()
        raise


def _run_popcount(cx, cy, groups, per_layer, sink, budget, report=None):
    words = [(_group_words(cx, ls), _group_words(cy, ls), wg) for ls, wg in groups]
    n = cy.n_points
    T = max(1, min(cx.n_points, budget // max(1, n * 16)))
    arr = sink.array
    host = isinstance(arr, np.ndarray)
    for i0 in range(0, cx.n_points, T):
        i1 = min(i0 + T, cx.n_points)
        h = np.empty((i1 - i0, n), dtype=np.int32)
        acc = None
        for g, (ax, ay, wg) in enumerate(words):
            _popcount_tile(ax[i0:i1], ay, h)
            val = h if wg == 1 else h * (np.int64(wg) if isinstance(wg, int) else wg)
            if per_layer:
                _put(arr, (g, slice(i0, i1), slice(None)), val, host)
            elif acc is None:
                acc = val.astype(sink.dtype, copy=True)
            else:
                acc += val
        if not per_layer:
            _put(arr, (slice(i0, i1), slice(None)), acc, host)
        if report is not None:
            report(i0 // T + 1, -(-cx.n_points // T))


def _put(arr, index, value, host):
    if host:
        arr[index] = value
    else:
        import torch

        arr[index] = torch.as_tensor(value).to(arr.device, arr.dtype)


def _run_gemm(cx, cy, groups, per_layer, sink, budget, dev, symmetric, report=None):
    import torch

    if dev is None:
        dev = torch.device("cpu")
    workers = torch.get_num_threads() if dev.type == "cpu" else 1
    if workers <= 1:
        return _run_gemm_tiles(cx, cy, groups, per_layer, sink, budget, dev, symmetric, 1, torch,
                               report)
    # torch itself runs single-threaded meanwhile (restored at the end): the parallelism is
    # over tiles, on Python threads (see _for_each)
    try:
        torch.set_num_threads(1)
        return _run_gemm_tiles(cx, cy, groups, per_layer, sink, budget, dev, symmetric, workers,
                               torch, report)
    finally:
        torch.set_num_threads(workers)


def _run_gemm_tiles(cx, cy, groups, per_layer, sink, budget, dev, symmetric, workers, torch,
                    report=None):
    m, n = cx.n_points, cy.n_points
    prepared = [(_GemmGroup(cx, cy, ls, dev, torch), wg) for ls, wg in groups]
    T, C, P = _tile_sizes(m, n, cx.n_bits, budget)
    arr = sink.array
    target = torch.from_numpy(arr) if isinstance(arr, np.ndarray) else arr
    host_copy = target.device != dev
    direct = not host_copy and len(prepared) == 1 and not per_layer and prepared[0][1] == 1
    # the symmetric kernel: blocks from the diagonal on, each mirrored while it is in cache
    mirror = symmetric and P >= n and not per_layer
    acc_dt = torch.float32 if cx.n_bits < 2**24 else torch.float64
    local_state = threading.local()
    stop = threading.Event()

    def scratch():
        if not hasattr(local_state, "buf"):
            local_state.buf = torch.empty((T, C), dtype=prepared[0][0].result_dtype, device=dev)
            local_state.acc = torch.empty((T, C), dtype=acc_dt, device=dev)
        return local_state.buf, local_state.acc

    n_tiles = sum(1 for j0 in range(0, n, P) for i0 in range(0, m, T)
                  if not (mirror and min(i0 + T, m) <= j0))
    done = [0]

    def tick():
        done[0] += 1
        if report is not None:
            report(done[0], n_tiles)

    for j0 in range(0, n, P):
        j1 = min(j0 + P, n)
        panels = [grp.prepare_columns(slice(j0, j1)) for grp, _ in prepared]

        def row_tile(i0, j0=j0, j1=j1, panels=panels):
            i1 = min(i0 + T, m)
            rows = slice(i0, i1)
            Pts = [grp.prepare_rows(rows) for grp, _ in prepared]
            buf, acc = scratch()
            for c0 in range(max(j0, i0) if mirror else j0, j1, C):
                if stop.is_set():
                    return
                c1 = min(c0 + C, j1)
                cols = slice(c0, c1)
                local = slice(c0 - j0, c1 - j0)
                if direct:  # one group of weight 1: write from the cached block, mirror from it
                    res = prepared[0][0].tile(Pts[0], panels[0], local, buf, acc)
                    target[rows, cols].copy_(res)
                    if mirror and c1 > i1:
                        lo = max(c0, i1)
                        target[lo:c1, i0:i1].copy_(res[:, lo - c0:].T)
                    continue
                _gemm_block(prepared, panels, Pts, rows, cols, local, per_layer, target,
                            host_copy, buf, acc, dev, torch)
                if mirror and c1 > i1:
                    lo = max(c0, i1)
                    target[lo:c1, i0:i1].copy_(target[i0:i1, lo:c1].T)

        starts = [i0 for i0 in range(0, m, T) if not (mirror and min(i0 + T, m) <= j0)]
        _for_each(row_tile, starts, workers, torch, stop, tick)


def _for_each(fn, items, workers, torch, stop, tick=None):
    """Run ``fn`` on every item, on ``workers`` Python threads when more than one.

    Each worker runs its tiles with a single-threaded torch (the GEMMs and copies release the
    GIL), so no tile waits at a barrier of torch's thread pool: on a loaded machine many small
    parallel regions each stall until every pool thread has been scheduled. Tiles write
    disjoint parts of the output. When the caller is interrupted (Ctrl-C reaches the main
    thread while it waits here), ``stop`` (a :class:`threading.Event`) is set, tiles not yet
    started are cancelled and running ones return at their next block, so the interrupt is
    honoured within about one block, not after the whole kernel. ``tick()`` runs
    after each tile, in the calling thread.
    """
    workers = min(workers, len(items))
    if workers <= 1:
        for it in items:
            fn(it)
            if tick is not None:
                tick()
        return
    from concurrent.futures import ThreadPoolExecutor

    def init():
        torch.set_num_threads(1)  # this worker's OpenMP team

    pool = ThreadPoolExecutor(max_workers=workers, initializer=init)
    try:
        for fut in [pool.submit(fn, it) for it in items]:
            fut.result()
            if tick is not None:
                tick()
    except BaseException:
        # an error or an interrupt (KeyboardInterrupt, or a signal turned into one): drop the
        # tiles not started and let the running ones see ``stop`` at their next block
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _gemm_block(prepared, panels, Pts, rows, cols, local, per_layer, target, host_copy,
                buf, acc, dev, torch):
    t, w = rows.stop - rows.start, cols.stop - cols.start
    total = None
    for g, ((grp, wg), panel, Pt) in enumerate(zip(prepared, panels, Pts)):
        hv = grp.tile(Pt, panel, local, buf, acc).to(target.dtype)
        if per_layer or len(prepared) == 1:
            _write(target, (g, rows, cols) if per_layer else (rows, cols),
                   hv if wg == 1 else hv.mul_(wg), host_copy)
            continue
        if total is None:
            total = torch.zeros((t, w), dtype=target.dtype, device=dev)
        total.add_(hv, alpha=wg)
    if total is not None:
        _write(target, (rows, cols), total, host_copy)


def _write(target, index, value, host_copy):
    if host_copy:
        value = value.to(target.device)
    target[index].copy_(value)


# ================================================================ distance
def vq_distance(net, x, y, weights=None):
    """The VQ distance ``d(x, y) = sum_l w_l * d^(l)(x, y)`` between two points.

    Parameters
    ----------
    net : Network or torch.nn.Module
    x, y : array-like (D,)
    weights : sequence of L positive numbers, optional

    Returns
    -------
    int (integer weights), float, or Fraction (Fraction weights)

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 1.0]}])
    >>> vq_distance(net, [-2.0], [2.0])
    2
    """
    for name, p in (("x", x), ("y", y)):
        shape = np.shape(p.detach().cpu() if _is_tensor(p) else np.asarray(p, dtype=object))
        if len(shape) != 1:
            raise InvalidInputError(f"{name} must be a single point of shape (D,), got shape {shape}")
    X = np.stack([np.asarray(x.detach().cpu() if _is_tensor(x) else x, dtype=object),
                  np.asarray(y.detach().cpu() if _is_tensor(y) else y, dtype=object)])
    if not getattr(net, "exact", False):
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"x and y must hold real numbers ({exc})") from None
    codes = activation_codes(net, X, layers=d_layers(net))
    K = vq_kernel(codes, weights=weights, method="popcount")
    v = K[0, 1]
    return v if isinstance(v, Fraction) else (int(v) if np.issubdtype(type(v), np.integer) else float(v))
