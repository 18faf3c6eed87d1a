"""Exact certification of a float polyhedral complex (private helpers of :mod:`.subdivision`).

:func:`certify` checks, in exact arithmetic or through a floating-point filter with a
rigorous error bound (:class:`vqgeom.exact.arith.FilteredContext`), the conditions of the
completeness argument in ``proofs/subdivision.md``:

1. every vertex ``v`` with zero set ``Z_v`` (D ids) is the exact solution ``x_v`` of the D
   equations of ``Z_v`` (a neuron's exact affine map under the code prefix of ``v``'s sign
   bits, or a box face ``x_i = bound``), and the system is non-singular;
2. at ``x_v`` every neuron outside ``Z_v`` is non-zero with the sign bit the float complex
   gave it (so, layer by layer, the prefix maps are the true pre-activations and the
   neurons of ``Z_v`` really vanish), and every box face outside ``Z_v`` is strictly
   non-tight (``x_v`` is in the box);
3. every edge joins two vertices whose zero sets share exactly D - 1 ids and whose signs
   agree off both zero sets;
4. at every vertex the edges carry each label ``(h, side)`` exactly once: both sides for a
   neuron ``h in Z_v``, the inside for a box face;
5. neurons the float engine treated as identically zero have an exactly zero weight row
   and bias.

Region witnesses are the float centroids of the regions' vertices when the filter certifies
every neuron's sign there (else the exact average of the region's exact vertices); facet
witnesses are the float centroids of the facets' vertices projected exactly onto the
flipping neuron's hyperplane, certified the same way (else the exact vertex average).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from vqgeom.errors import CertificateError
from vqgeom.regions._compact import Points

__all__ = ["certify", "certify_compact"]


def _prefix_rows(inet, layer_of, offsets, neurons, prefix_bits):
    """Exact integer rows ``(G, c)`` (G x + c = pre, up to a positive factor) of many
    (neuron, code prefix) pairs; one ``rows`` call of the exact context per layer over the
    distinct pairs."""
    n = len(neurons)
    D = inet.net.input_dim
    G = np.empty((n, D), dtype=object)
    c = np.empty(n, dtype=object)
    for l in range(len(offsets) - 1):
        sel = np.flatnonzero(layer_of[neurons] == l)
        if not len(sel):
            continue
        js = neurons[sel] - offsets[l]
        pref = prefix_bits[sel, : offsets[l]]
        key = np.concatenate([js[:, None].astype(np.uint64).view(np.uint8).reshape(len(sel), 8),
                              np.packbits(pref, axis=1)], axis=1)
        key = np.ascontiguousarray(key).view(np.dtype((np.void, key.shape[1]))).ravel()
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        Gr, cr, _ = inet.rows(l, js[first], pref[first])
        G[sel] = Gr[inverse]
        c[sel] = cr[inverse]
    return G, c


def _solve(A):
    """Fraction-free Gauss-Jordan on integer object arrays ``A`` (n, D, D+1) for ``A[:, :, :D] x
    + A[:, :, D] = 0``; returns ``(num, den)`` with ``x = num / den``, den > 0, checked exactly.

    Raises
    ------
    CertificateError
        If a system is singular.
    """
    n, D = A.shape[0], A.shape[1]
    M = A.copy()
    idx = np.arange(n)
    prev = np.ones(n, dtype=object)
    for k in range(D):
        nz = (M[:, k:, k] != 0)
        if not nz.any(axis=1).all():
            raise CertificateError("subdivision certificate: a vertex's D hyperplanes are dependent")
        r = k + np.argmax(nz, axis=1)
        swap = r != k
        if swap.any():
            rows_k = M[idx[swap], k].copy()
            M[idx[swap], k] = M[idx[swap], r[swap]]
            M[idx[swap], r[swap]] = rows_k
        p = M[:, k, k].copy()
        pk = M[:, k, :].copy()
        for i in range(D):
            if i == k:
                continue
            M[:, i, :] = (p[:, None] * M[:, i, :] - M[:, i, k][:, None] * pk) // prev[:, None]
        prev = p
    den = M[:, 0, 0]
    num = -M[:, :, D]
    neg = np.array([d < 0 for d in den], dtype=bool)
    den = np.where(neg, -den, den)
    num = np.where(neg[:, None], -num, num)
    # exact check of the solution: A x + c = 0, i.e. A num + c den = 0
    res = (A[:, :, :D] * num[:, None, :]).sum(axis=2) + A[:, :, D] * den[:, None]
    if any(v != 0 for v in res.ravel()) or any(d == 0 for d in den):
        raise CertificateError("subdivision certificate: a vertex solve failed its exact check")
    return num, den


def _to_float(num, den):
    """Correctly rounded floats of the rationals num / den (object int arrays)."""
    return np.array([a / b for a, b in zip(num.ravel().tolist(), np.broadcast_to(den[:, None], num.shape)
                                           .ravel().tolist())], dtype=np.float64).reshape(num.shape)


def certify(net, box, cx, out, progress=None):
    """Check a float complex exactly; return exact region witnesses and adjacencies.

    :func:`certify_compact`, with its witnesses and edges as lists of tuples.

    Returns
    -------
    witnesses : list of tuple of Fraction
    edges : list of (i, j, flips, facet_witness)
    """
    witnesses, fa, fb, fh, facets = certify_compact(net, box, cx, out, progress)
    index = net.neuron_index
    edges = [(i, j, (index[h],), p)
             for i, j, h, p in zip(fa.tolist(), fb.tolist(), fh.tolist(), facets.tolist())]
    return witnesses.tolist(), edges


def certify_compact(net, box, cx, out, progress=None):
    """Check a float complex exactly; return exact region witnesses and adjacencies as arrays.

    Parameters
    ----------
    net : Network
    box : Box
    cx : Complex
        From :func:`vqgeom.regions.subdivision.float_complex`.
    out : dict
        Its read-off (:func:`vqgeom.regions.subdivision._read_off`).
    progress : callable, optional
        Called as ``progress(n_regions, "subdivision certificate")`` between the stages.

    Returns
    -------
    witnesses : Points
        Exact region witnesses (row ``r`` for region ``r`` of ``out``).
    fa, fb, fh : int arrays
        The facets: regions ``fa < fb`` of ``out`` and the flat index of the one neuron
        that flips.
    facets : Points
        Exact facet witnesses.

    Raises
    ------
    CertificateError
        If any check of the module docstring fails (the message says which).
    """
    from vqgeom.exact.arith import context
    from vqgeom.regions._planar_exact import frac
    from vqgeom.regions._subdivision_float import unpack_bits

    exact_net = net.to_exact()
    N, D, widths = exact_net.n_neurons, exact_net.input_dim, exact_net.widths
    offsets = np.cumsum([0] + list(widths)).astype(np.int64)
    layer_of = np.repeat(np.arange(len(widths)), widths)
    Z, E = cx.Z.cpu().numpy(), cx.E.cpu().numpy()
    vbits = unpack_bits(cx.S, N)                  # (nv, N) sign bits
    nv = len(Z)
    lo = [Fraction(v) for v in box.lower]
    hi = [Fraction(v) for v in box.upper]

    # --- 5. identically zero neurons -----------------------------------------------------
    const0 = np.zeros(N, dtype=bool)
    for l, lay in enumerate(exact_net.layers):
        for j in range(lay.n_neurons):
            if all(v == 0 for v in lay.weight[j]) and lay.bias[j] == 0:
                const0[offsets[l] + j] = True
    if not np.all(vbits[:, const0]):
        raise CertificateError("subdivision certificate: an identically zero neuron without sign +1")
    isn = Z < N
    zmask = np.zeros((nv, N), dtype=bool)
    zr, zc = np.nonzero(isn)
    zmask[zr, Z[zr, zc]] = True
    if np.any(zmask[:, const0]):
        raise CertificateError("subdivision certificate: a vertex on an identically zero neuron")

    # --- 1. exact vertices -------------------------------------------------------------
    inet = context(exact_net, "exact")
    A = np.empty((nv, D, D + 1), dtype=object)
    A[:, :, :] = 0
    G, c = _prefix_rows(inet, layer_of, offsets, Z[zr, zc], vbits[zr])
    for t in range(D + 1):
        A[zr, zc, t] = G[:, t] if t < D else c
    br, bc = np.nonzero(~isn)
    for v, col in zip(br.tolist(), bc.tolist()):
        f = int(Z[v, col]) - N
        i, bound = (f, lo[f]) if f < D else (f - D, hi[f - D])
        A[v, col, i] = bound.denominator
        A[v, col, D] = -bound.numerator
    num, den = _solve(A)
    Vh = _to_float(num, den)
    Rv = np.abs(Vh) * 2.0 ** -52 + 2.0 ** -900

    tick = (lambda: progress(len(out["bits"]), "subdivision certificate")) if progress else (lambda: None)
    tick()

    # --- 2. signs at the vertices; the box --------------------------------------------------
    filt = context(exact_net, "filtered")
    free = ~zmask & ~const0[None, :]
    amb = _undecided(filt, Vh, Rv, vbits, ~free)
    if len(amb):
        pts = [tuple(frac(int(a), int(d)) for a in row) for row, d in zip(num[amb], den[amb])]
        sz = inet.signs(np.array(pts, dtype=object).reshape(len(pts), D))
        zero = np.concatenate([z for _, z in sz], axis=1)
        pos = np.concatenate([a for a, _ in sz], axis=1) & ~zero
        if np.any(zero & free[amb]) or np.any(free[amb] & (pos != vbits[amb])):
            raise CertificateError("subdivision certificate: a vertex's signs differ from the complex's")
    for i in range(D):
        onlo = np.any(Z == N + i, axis=1)
        onhi = np.any(Z == N + D + i, axis=1)
        flo, fhi = float(lo[i]), float(hi[i])
        ok = (Vh[:, i] - Rv[:, i] > flo) & (Vh[:, i] + Rv[:, i] < fhi)
        for v in np.flatnonzero(~ok).tolist():
            x = frac(int(num[v, i]), int(den[v]))
            if not ((onlo[v] or x > lo[i]) and (onhi[v] or x < hi[i])):
                raise CertificateError(f"subdivision certificate: vertex {v} is not strictly inside "
                                       f"the box off its box faces")

    # --- 3. edges --------------------------------------------------------------------------
    a, b = E[:, 0], E[:, 1]
    Za, Zb = Z[a], Z[b]
    in_b = (Za[:, :, None] == Zb[:, None, :]).any(axis=2)     # (ne, D)
    in_a = (Zb[:, :, None] == Za[:, None, :]).any(axis=2)
    if np.any(in_b.sum(axis=1) != D - 1):
        raise CertificateError("subdivision certificate: an edge whose ends do not share D - 1 hyperplanes")
    free_ab = ~zmask[a] & ~zmask[b]
    if np.any(free_ab & (vbits[a] != vbits[b])):
        raise CertificateError("subdivision certificate: an edge whose ends disagree off their zero sets")

    # --- 4. local completeness -------------------------------------------------------------
    counts = np.zeros((nv, 2 * D), dtype=np.int64)
    for src, dst, mask_src in ((a, b, in_b), (b, a, in_a)):
        col = np.argmax(~mask_src, axis=1)                  # the column of Z_src not in Z_dst
        h = Z[src, col]
        side = np.where(h < N, vbits[dst, np.minimum(h, N - 1)], False).astype(np.int64)
        np.add.at(counts, (src, 2 * col + side), 1)
    expected = np.zeros((nv, 2 * D), dtype=np.int64)
    expected[:, 0::2] = 1
    expected[:, 1::2] = isn
    if not np.array_equal(counts, expected):
        raise CertificateError("subdivision certificate: a vertex misses an edge of the complex "
                               "or has one twice")

    tick()

    # --- region witnesses --------------------------------------------------------------------
    bits = out["bits"]
    wit = out["wit"].cpu().numpy()
    nr = len(bits)
    inside = np.ones(nr, dtype=bool)
    inside[_undecided(filt, wit, np.zeros_like(wit), bits, const0[None, :])] = False
    for i in range(D):
        inside &= (wit[:, i] > float(lo[i])) & (wit[:, i] < float(hi[i]))
    vi = out["vi"].cpu().numpy()
    vr = out["vr"].cpu().numpy()
    witnesses = Points(wit, exact=True, explicit={r: _average(vi[vr == r], num, den)
                                                  for r in np.flatnonzero(~inside).tolist()})

    tick()

    # --- adjacencies and facet witnesses ---------------------------------------------------------
    fa = out["fa"].cpu().numpy()
    fb = out["fb"].cpu().numpy()
    fh = out["fh"].cpu().numpy()
    fw = out["fwit"].cpu().numpy()
    nf = len(fa)
    if nf:
        Gf, cf = _prefix_rows(inet, layer_of, offsets, fh, bits[fa])
        piv, pnum, pden, ph = _project(fw, Gf, cf)
        skip = const0[None, :].repeat(nf, axis=0)
        skip[np.arange(nf), fh] = True
        ok = np.ones(nf, dtype=bool)
        ok[_undecided(filt, ph, np.abs(ph) * 2.0 ** -52 + 2.0 ** -900, bits[fa], skip)] = False
        for i in range(D):
            ok &= (ph[:, i] - 2 * np.abs(ph[:, i]) * 2.0 ** -52 > float(lo[i]))
            ok &= (ph[:, i] + 2 * np.abs(ph[:, i]) * 2.0 ** -52 < float(hi[i]))
        fv = out["fv"].cpu().numpy()
        ff = out["ff"].cpu().numpy()
        facets = Points(fw, exact=True, pivot=piv, num=pnum, den=pden,
                        explicit={f: _average(fv[ff == f], num, den) for f in np.flatnonzero(~ok).tolist()})
    else:
        facets = Points(np.zeros((0, D)), exact=True)
    return witnesses, fa, fb, fh, facets


def _average(vs, num, den):
    """The exact average of the exact vertices ``vs``."""
    from vqgeom.regions._planar_exact import frac

    D = num.shape[1]
    acc = [Fraction(0)] * D
    for v in vs.tolist():
        d = int(den[v])
        for i in range(D):
            acc[i] += frac(int(num[v, i]), d)
    return tuple(x / len(vs) for x in acc)


def _undecided(filt, P, R, expect, skip, chunk=8192):
    """Rows of P (float points within R of the exact ones) where the filter does not certify
    every neuron outside ``skip`` non-zero with the sign ``expect`` (computed in chunks, so
    that memory stays bounded)."""
    if not filt.usable:      # weights beyond float range: nothing is decided by the filter
        return np.arange(len(P))
    bad = []
    for a in range(0, len(P), chunk):
        pb = filt.bounds(P[a:a + chunk], R[a:a + chunk])
        pre = np.concatenate([p for p, _ in pb], axis=1)
        bnd = np.concatenate([b for _, b in pb], axis=1)
        sk = skip[a:a + chunk] if skip.shape[0] == len(P) else skip
        good = ((np.abs(pre) > bnd) & ((pre > 0) == expect[a:a + chunk])) | sk
        bad.append(a + np.flatnonzero(~good.all(axis=1)))
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)


def _project(P, G, c):
    """Exact points of the hyperplanes ``G x + c = 0`` near the float points P (n, D): every
    coordinate but the one of the largest ``|G_i|`` is kept (a float, exactly), that one is
    solved for. Returns ``(pivot, num, den, floats)``: per row the solved column and its
    exact value ``num / den`` (coprime Python ints, den > 0, in object arrays), and the
    points as floats (only the solved coordinate rounded)."""
    n, D = P.shape
    if n == 0:
        empty = np.zeros(0, dtype=object)
        return np.zeros(0, dtype=np.int64), empty, empty.copy(), P.copy()
    piv = np.array([max(range(D), key=lambda i: abs(row[i])) for row in G.tolist()], dtype=np.int64)
    ratios = [x.as_integer_ratio() for x in P.ravel().tolist()]
    num = np.empty(n * D, dtype=object)
    den = np.empty(n * D, dtype=object)
    num[:] = [r[0] for r in ratios]
    den[:] = [r[1] for r in ratios]
    num, den = num.reshape(n, D), den.reshape(n, D)
    e = np.max(den, axis=1)                                  # powers of two: the lcm
    q = num * (e[:, None] // den)                            # P = q / e
    rows = np.arange(n)
    keep = np.ones((n, D), dtype=bool)
    keep[rows, piv] = False
    s = c * e + np.where(keep, G * q, 0).sum(axis=1)        # (g.p + c) e without the pivot term
    gi = G[rows, piv]
    neg = np.array([v < 0 for v in gi], dtype=bool)
    gi = np.where(neg, -gi, gi)
    s = np.where(neg, -s, s)
    dd = e * gi
    sl, dl = [int(a) for a in s.tolist()], [int(b) for b in dd.tolist()]
    gs = list(map(math.gcd, sl, dl))
    xnum = np.empty(n, dtype=object)
    xden = np.empty(n, dtype=object)
    xnum[:] = [-a // g for a, g in zip(sl, gs)]
    xden[:] = [b // g for b, g in zip(dl, gs)]
    fl = np.array(P, dtype=np.float64, copy=True)
    fl[rows, piv] = [-a / b for a, b in zip(sl, dl)]
    return piv, xnum, xden, fl
