"""The float polyhedral-complex engine behind :mod:`vqgeom.regions.subdivision` (private).

The complex of a box is kept as torch tensors: vertex positions ``X`` (n, D), the
*zero set* of every vertex ``Z`` (n, D): the ids of the D hyperplanes it lies on (neuron
``k`` for ``0 <= k < N``, box face ``N + i`` for ``x_i = lo_i`` and ``N + D + i`` for
``x_i = hi_i``), the packed *sign bits* ``S`` (n, W) of the neurons processed so far (bit
set: pre-activation > 0; a neuron that vanishes at the vertex has its bit clear), the
current layer's pre-activations ``P`` (n, width) and the edges ``E`` (m, 2).

Neurons are processed one at a time, layer by layer (the idea of edge subdivision,
Berzins, ICML 2023; the code is our own). For neuron k every edge whose ends have strictly
opposite values is split at the interpolated zero ``w`` (all pre-activations of the layer
are affine along an edge, which lies in one closed cell of the earlier layers). The new
edges of the complex are the chords ``H_k ∩ F`` of the 2-faces ``F`` that k cuts; a
2-face is named by its sign vector (zeros on D - 2 old hyperplanes, signs elsewhere). A new
vertex ``w`` on an edge with zero set ``Z_e`` (D - 1 hyperplanes) lies on the boundary of
the 2-faces obtained by relaxing one ``h in Z_e`` to either side (box faces: inside only),
so each gives one or two *keys*; in a simple complex every key occurs exactly twice and the
two vertices of a key are joined. Anything else (a vertex value within rounding of zero, a
key seen once or three times, an edge whose ends do not share D - 1 hyperplanes) means the
input is not simple, or rounding defeated the float engine: :class:`Degenerate` is raised
and the caller falls back to the LP engine.
"""

from __future__ import annotations

import numpy as np
import torch

from vqgeom.errors import RegionBudgetExceeded

__all__ = ["Complex", "Degenerate", "subdivide", "unpack_bits", "SNAP"]

#: float mode: vertex values with ``|value| <= SNAP * max |value|`` count as zeros (then:
#: Degenerate, and the LP engine answers), so that rounding near a degenerate vertex is not
#: taken for a sliver region. Exact mode passes ``snap=0`` (only exact zeros): the certificate
#: decides, and near-duplicate neurons (rows 1e-14 apart) are then resolved exactly.
SNAP = 2.0 ** -40

_M1, _M2 = 2147483647, 2147483629     # two primes below 2^31 for the 62-bit key hash
_B1, _B2 = 1000003, 998244353 % 2147483629


class Degenerate(ArithmeticError):
    """The complex is not simple (or rounding made it look so): the caller falls back."""


class _Buf:
    """Rows of a tensor with spare capacity: ``append`` doubles the storage when it is full."""

    def __init__(self, t):
        self.a, self.n = t, t.shape[0]

    def append(self, rows):
        end = self.n + rows.shape[0]
        if end > self.a.shape[0]:
            spare = torch.empty((max(end, 2 * self.a.shape[0], 64) - self.n,) + tuple(self.a.shape[1:]),
                                dtype=self.a.dtype, device=self.a.device)
            self.a = torch.cat([self.a[: self.n], spare])
        self.a[self.n: end] = rows
        self.n = end

    @property
    def v(self):
        return self.a[: self.n]


def unpack_bits(codes, N):
    """Packed int64 words (n, W) -> bool array (n, N) (numpy, on the CPU)."""
    u = codes.cpu().numpy().view(np.uint64)
    bits = (u[:, :, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    return bits.reshape(len(u), -1)[:, :N].astype(bool)


def _hash_rows(K):
    """A 62-bit hash of every row of an int64 tensor (32-bit pieces, two polynomial hashes)."""
    h1 = torch.zeros(K.shape[0], dtype=torch.int64, device=K.device)
    h2 = torch.zeros_like(h1)
    for c in range(K.shape[1]):
        col = K[:, c]
        for piece in (col & 0xFFFFFFFF, (col >> 32) & 0xFFFFFFFF):
            h1 = (h1 * _B1 + piece) % _M1
            h2 = (h2 * _B2 + piece) % _M2
    return h1 * (1 << 31) + h2


def _bit(ids, W, device):
    """Packed words (n, W) with the bit of every id in ``ids`` (ids >= W * 64: no bit)."""
    n = ids.shape[0]
    out = torch.zeros((n, W), dtype=torch.int64, device=device)
    ok = ids < W * 64
    rows = torch.nonzero(ok).flatten()
    ids = ids[ok]
    out[rows, ids // 64] = torch.bitwise_left_shift(torch.ones_like(ids), ids % 64)
    return out


class Complex:
    """The finished float complex (torch tensors on the engine's device).

    Attributes
    ----------
    X : float64 (n_vertices, D)
    Z : int64 (n_vertices, D)
        Zero sets, sorted ascending (neurons first, then box faces).
    S : int64 (n_vertices, W)
        Packed sign bits of all N neurons (constant-zero neurons: set).
    E : int64 (n_edges, 2)
    N : int
    """

    def __init__(self, X, Z, S, E, N, D):
        self.X, self.Z, self.S, self.E = X, Z, S, E
        self.N, self.D = N, D
        self.W = S.shape[1]

    def incidences(self):
        """The regions around every vertex, and the facets (neuron facets only).

        Returns
        -------
        codes : int64 (n_regions, W)
            Packed codes, one per region (sorted).
        inc_v, inc_r : int64 (n_inc,)
            Vertex-region incidences.
        fac_a, fac_b, fac_h : int64 (n_fac,)
            Facet (region a, region b, neuron h) with a < b, unique.
        finc_v, finc_f : int64 (n_finc,)
            Vertex-facet incidences.
        """
        X, Z, S, N, D, W = self.X, self.Z, self.S, self.N, self.D, self.W
        dev = X.device
        n = X.shape[0]
        isn = Z < N                                          # (n, D)
        masks = torch.stack([_bit(torch.where(isn[:, i], Z[:, i], torch.full_like(Z[:, i], W * 64)),
                                  W, dev) for i in range(D)], dim=1)       # (n, D, W)
        pats = torch.tensor([[(t >> i) & 1 for i in range(D)] for t in range(2 ** D)],
                            dtype=torch.bool, device=dev)  # (P, D)
        valid = ~(pats[None, :, :] & ~isn[:, None, :]).any(-1)               # (n, P)
        add = (pats[None, :, :, None].to(torch.int64) * masks[:, None, :, :]).sum(2)  # (n, P, W)
        codes_all = S[:, None, :] | add
        vi, pi = torch.nonzero(valid, as_tuple=True)
        rows = codes_all[vi, pi]
        codes, inv = _unique_rows(rows)
        rid = torch.full((n, 2 ** D), -1, dtype=torch.int64, device=dev)
        rid[vi, pi] = inv
        fa, fb, fh, fv = [], [], [], []
        for i in range(D):
            lowp = ~pats[:, i]
            sel = valid & lowp[None, :] & isn[:, i:i + 1]
            v, p = torch.nonzero(sel, as_tuple=True)
            q = p + (1 << i)
            a, b = rid[v, p], rid[v, q]
            fa.append(torch.minimum(a, b))
            fb.append(torch.maximum(a, b))
            fh.append(Z[v, i])
            fv.append(v)
        fa, fb, fh, fv = torch.cat(fa), torch.cat(fb), torch.cat(fh), torch.cat(fv)
        nr = codes.shape[0]
        key = fa * nr + fb
        ukey, finv = torch.unique(key, return_inverse=True)
        fac_a, fac_b = ukey // nr, ukey % nr
        fac_h = torch.empty_like(ukey)
        fac_h[finv] = fh
        return codes, vi, inv, fac_a, fac_b, fac_h, fv, finv


def _unique_rows(rows):
    """``(unique rows, inverse)`` of an int64 tensor, through a 62-bit hash of the rows (the
    grouping is checked row by row; a collision raises :class:`Degenerate`)."""
    hsh = _hash_rows(rows)
    uh, inv = torch.unique(hsh, return_inverse=True)
    first = torch.empty(uh.shape[0], dtype=torch.int64, device=rows.device)
    first.scatter_(0, inv, torch.arange(rows.shape[0], device=rows.device))
    codes = rows[first]
    if not bool((codes[inv] == rows).all()):
        raise Degenerate("a code hash collision")
    return codes, inv


def _forward_pre(net, layer, X):
    """Float pre-activations of ``layer`` at float points X (numpy, through the network)."""
    return net.preactivations(X)[layer]


def subdivide(net, lo, hi, *, device="cpu", max_regions=None, progress=None, snap=SNAP):
    """The float complex of the box ``[lo, hi]`` cut by every neuron of ``net``.

    Parameters
    ----------
    net : Network
        A float network.
    lo, hi : sequence of float
    device : str or torch.device
    max_regions : int, optional
        Checked after every neuron against the region count so far (every cell a neuron
        crosses splits in two; the count is exact for a simple complex).
    progress : callable, optional
        Called as ``progress(n_regions, "subdivision layer l")`` after every neuron.
    snap : float
        Relative threshold below which a vertex value counts as zero (see :data:`SNAP`).

    Returns
    -------
    Complex

    Raises
    ------
    Degenerate
        When the complex is not simple (see the module docstring).
    RegionBudgetExceeded
    """
    D = net.input_dim
    widths = net.widths
    N = int(sum(widths))
    W = max(1, (N + 63) // 64)
    dev = torch.device(device)
    f64, i64 = torch.float64, torch.int64
    corners = np.array([[(hi[i] if (c >> i) & 1 else lo[i]) for i in range(D)] for c in range(2 ** D)],
                       dtype=np.float64)
    Zc = np.array([[(N + D + i) if (c >> i) & 1 else (N + i) for i in range(D)] for c in range(2 ** D)],
                  dtype=np.int64)
    Ec = np.array([(c, c | (1 << i)) for c in range(2 ** D) for i in range(D) if not (c >> i) & 1],
                  dtype=np.int64)
    X = _Buf(torch.tensor(corners, dtype=f64, device=dev))
    Z = _Buf(torch.tensor(np.sort(Zc, axis=1), dtype=i64, device=dev))
    S = _Buf(torch.zeros((2 ** D, W), dtype=i64, device=dev))
    E = _Buf(torch.tensor(Ec, dtype=i64, device=dev))
    offset = 0
    n_regions = 1
    for l, width in enumerate(widths):
        lay = net.layers[l]
        wzero = ~np.any(np.asarray(lay.weight, dtype=np.float64) != 0, axis=1)
        const0 = wzero & (np.asarray(lay.bias, dtype=np.float64) == 0)
        P = _Buf(torch.tensor(_forward_pre(net, l, X.v.cpu().numpy()), dtype=f64, device=dev))
        for j in range(width):
            k = offset + j
            word, bit = k // 64, k % 64
            bitval = torch.bitwise_left_shift(torch.ones((), dtype=i64, device=dev), bit)
            if const0[j]:
                S.v[:, word] |= bitval      # identically zero: sign +1, no hyperplane
                continue
            vals = P.v[:, j]
            scale = float(vals.abs().max()) if vals.numel() else 0.0
            if scale == 0.0 or bool((vals.abs() <= snap * scale).any()):
                raise Degenerate(f"neuron {k} vanishes at a vertex of the complex")
            pos = vals > 0
            S.v[:, word] |= torch.where(pos, bitval, torch.zeros((), dtype=i64, device=dev))
            Ev = E.v
            a, b = Ev[:, 0], Ev[:, 1]
            cut = torch.nonzero(pos[a] != pos[b]).flatten()
            if cut.numel() == 0:
                continue
            ca, cb = a[cut], b[cut]
            va, vb = vals[ca], vals[cb]
            t = (va / (va - vb))[:, None]
            Xa, Xb = X.v[ca], X.v[cb]
            Xw = Xa + t * (Xb - Xa)
            Pa, Pb = P.v[ca], P.v[cb]
            Pw = Pa + t * (Pb - Pa)
            Pw[:, j] = 0.0
            Za, Zb = Z.v[ca], Z.v[cb]
            common = (Za[:, :, None] == Zb[:, None, :]).any(-1)
            if not bool((common.sum(1) == D - 1).all()):
                raise Degenerate("an edge whose ends do not share D - 1 hyperplanes")
            Ze = Za[common].view(-1, D - 1)
            Sw = S.v[ca] | S.v[cb]
            Sw[:, word] &= ~bitval
            nw = cut.numel()
            w0 = X.n
            wid = torch.arange(w0, w0 + nw, device=dev)
            Zw = torch.sort(torch.cat([Ze, torch.full((nw, 1), k, dtype=i64, device=dev)], 1), 1).values
            X.append(Xw)
            P.append(Pw)
            Z.append(Zw)
            S.append(Sw)
            # split the cut edges: (a, b) -> (a, w), (w, b)
            E.v[cut, 1] = wid
            E.append(torch.stack([wid, cb], 1))
            # the new edges: chords of the cut 2-faces, matched by key
            _connect(E, wid, Ze, Sw, N, D, W, dev)
            # every cell the neuron crosses is split in two: count the crossed cells
            n_regions += _crossed_cells(Ze, Sw, N, D, W, dev)
            if max_regions is not None and n_regions > max_regions:
                raise RegionBudgetExceeded(n_regions, max_regions)
            if progress is not None:
                progress(n_regions, f"subdivision layer {l}")
        offset += width
    return Complex(X.v, Z.v, S.v, E.v, N, D)


def _connect(E, wid, Ze, Sw, N, D, W, dev):
    """Join the new vertices that bound the same cut 2-face (see the module docstring)."""
    Ze = torch.sort(Ze, 1).values
    verts, keys = [], []
    for i in range(D - 1):
        h = Ze[:, i]
        rest = torch.cat([Ze[:, :i], Ze[:, i + 1:]], 1)
        isn = h < N
        base = torch.cat([rest, Sw], 1)
        # box face (or negative side of a neuron): the bits as they are
        verts.append(wid)
        keys.append(base)
        if bool(isn.any()):
            sel = torch.nonzero(isn).flatten()
            up = Sw[sel] | _bit(h[sel], W, dev)
            verts.append(wid[sel])
            keys.append(torch.cat([rest[sel], up], 1))
    verts = torch.cat(verts)
    keys = torch.cat(keys)
    hsh = _hash_rows(keys)
    order = torch.argsort(hsh)
    sh = hsh[order]
    _, counts = torch.unique_consecutive(sh, return_counts=True)
    if not bool((counts == 2).all()):
        raise Degenerate("a cut 2-face with other than two new vertices")
    pair = order.view(-1, 2)
    if not bool((keys[pair[:, 0]] == keys[pair[:, 1]]).all()):
        raise Degenerate("a key hash collision")
    E.append(torch.stack([verts[pair[:, 0]], verts[pair[:, 1]]], 1))


def _crossed_cells(Ze, Sw, N, D, W, dev):
    """The number of cells of the complex that the current neuron crosses: the distinct codes
    of the cells around its new vertices (sign patterns of the neurons among the D - 1
    hyperplanes of each cut edge), in a simple complex one per new (D-1)-face."""
    isn = Ze < N
    pats = torch.tensor([[(t >> i) & 1 for i in range(D - 1)] for t in range(2 ** (D - 1))],
                        dtype=torch.bool, device=dev)
    masks = torch.stack([_bit(torch.where(isn[:, i], Ze[:, i], torch.full_like(Ze[:, i], W * 64)), W, dev)
                         for i in range(D - 1)], dim=1)                       # (n, D-1, W)
    valid = ~(pats[None, :, :] & ~isn[:, None, :]).any(-1)
    add = (pats[None, :, :, None].to(torch.int64) * masks[:, None, :, :]).sum(2)
    rows = (Sw[:, None, :] | add)[valid]
    return int(_unique_rows(rows)[0].shape[0])
