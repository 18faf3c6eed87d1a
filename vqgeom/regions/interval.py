"""The 1-D engine: exact breakpoint propagation, layer by layer.

A layer's input ``z(x)`` is continuous and piecewise affine in x. It is carried as its exact
values at the current points (the breakpoints found so far, plus the box ends on a box) and
its slopes on the pieces between them. A layer's pre-activations are then known exactly at
the points (one matrix product) with their slopes on the pieces (another); a neuron splits a
piece only where its pre-activation changes sign strictly between the piece's ends (or, on an
unbounded piece of R, where value and slope say its root lies beyond the last point), and the
root is one exact division. The layer's output is propagated the same way: values at the old
points and new roots, slopes on the new pieces (the activation's slope per neuron is read off
the new codes), so no per-region affine map is ever formed.

The arithmetic is the core's (:mod:`vqgeom.exact.arith`): exact mode uses the exact
context's python-flint scalars and ``fmpq_mat`` products (several times faster than
:class:`fractions.Fraction` here) and returns Fractions; float mode runs the same
steps in float64 and merges neighbouring intervals whose codes agree (rounding artefacts).

Regions are the final intervals, left to right; region ``i`` and ``i + 1`` are adjacent across
the breakpoint they share (a 0-dimensional facet), which is the facet witness.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.exact.arith import context
from vqgeom.regions._planar_float import SNAP
from vqgeom.regions._maxpool import interval_argmax
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.geometry import interior_point

__all__ = ["enumerate_partition", "supports"]


def supports(net, domain, arithmetic) -> bool:
    """True for 1-D networks on a box or on all of R."""
    return net.input_dim == 1 and isinstance(domain, (Box, Whole))


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None):
    """Enumerate the intervals of constant activation code of a 1-D network.

    Parameters
    ----------
    net : Network
        Input dimension 1; exact (Fraction arrays) for ``arithmetic="exact"``.
    domain : Box or Whole
    arithmetic : {"exact", "float"}
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_pieces, stage)`` after each layer.

    Returns
    -------
    Partition
        Regions sorted left to right; region ``i`` and ``i + 1`` share a breakpoint, the
        facet witness of their edge (exact Fraction in exact mode).

    Raises
    ------
    InvalidInputError
        If the network's input dimension is not 1 or the domain is not a Box or Whole.
    RegionBudgetExceeded
        When more than ``max_regions`` intervals exist.

    Examples
    --------
    >>> from vqgeom import Network
    >>> from vqgeom.regions.domain import Whole
    >>> net = Network([{"weight": [["1"]], "bias": ["0"]}])
    >>> part = enumerate_partition(net, Whole())
    >>> [w[0] for w in part.witnesses]
    [Fraction(-1, 1), Fraction(1, 1)]
    """
    from vqgeom.regions.partition import Partition

    if net.input_dim != 1:
        raise InvalidInputError(f"the interval engine needs input_dim=1, got {net.input_dim}")
    if not isinstance(domain, (Box, Whole)):
        raise InvalidInputError(f"the interval engine needs a Box or Whole domain, got {domain!r}")
    start = time.perf_counter()
    exact = arithmetic == "exact"
    if exact and not net.exact:
        net = net.to_exact()
    F = context(net, "exact" if exact else "plain")   # scalars, arrays, products, signs
    pts, codes = _propagate(net, domain, F, exact, max_regions, progress)
    if not exact:
        pts, codes = _merge_equal(pts, codes, isinstance(domain, Whole))

    whole = isinstance(domain, Whole)
    n_pieces = codes.shape[0]
    # piece i lies between points i - 1 and i on R, between points i and i + 1 on a box
    ends = ([None, *pts, None] if whole else list(pts))
    ends = [None if v is None else F.out(v) for v in ends]
    witnesses = [(interior_point(ends[i], ends[i + 1], Fraction(1) if exact else 1.0),)
                 for i in range(n_pieces)]
    widths = np.cumsum((0,) + tuple(net.widths))
    diff = codes[1:] != codes[:-1]
    rows, cols = np.nonzero(diff)
    layer_of = np.searchsorted(widths, cols, side="right") - 1
    flips = [[] for _ in range(n_pieces - 1)]
    for r, l, c in zip(rows.tolist(), layer_of.tolist(), cols.tolist()):
        flips[r].append((l, c - int(widths[l])))
    edges = [(i, i + 1, tuple(flips[i]), (ends[i + 1],)) for i in range(n_pieces - 1)]
    return Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic,
                     engine="interval", seconds=time.perf_counter() - start)


def _propagate(net, domain, F, exact, max_regions, progress):
    """The final points and the codes of the pieces (bool array, layers concatenated).

    State per layer: ``pts`` (N,) sorted points; ``V`` (N, d + 1) the layer input at the
    points with a trailing column of ones; ``S`` (pieces, d) its slopes on the pieces. On a
    box the pieces are the N - 1 gaps between the points (the ends are the box ends); on R
    there are N + 1 pieces (two unbounded), and the first layer starts from the anchor 0,
    dropped afterwards unless it is a breakpoint.
    """
    whole = isinstance(domain, Whole)
    lead = 1 if whole else 0          # piece i spans points i - lead and i - lead + 1
    if whole:
        pts = np.array([F.zero], dtype=object)
        V = np.array([[F.zero, F.one]], dtype=object)
        S = np.array([[F.one], [F.one]], dtype=object)
    else:
        lo, hi = F.scalar(domain.lower[0]), F.scalar(domain.upper[0])
        pts = np.array([lo, hi], dtype=object)
        V = np.array([[lo, F.one], [hi, F.one]], dtype=object)
        S = np.array([[F.one]], dtype=object)
    if not exact:
        pts, V, S = (a.astype(np.float64) for a in (pts, V, S))
    codes = np.zeros((S.shape[0], 0), dtype=bool)
    depth = net.depth
    for l, lay in enumerate(net.layers):
        W = F.array(lay.weight)
        WT1 = np.concatenate([W.T, F.array(lay.bias)[None, :]], axis=0)
        P = F.matmul(V, WT1)                  # (N, n) pre-activations at the points
        Q = F.matmul(S, np.ascontiguousarray(W.T))  # (pieces, n) their slopes on the pieces
        if not exact:                         # as the planar engine: rounding residues are 0
            P, Q = _snap(P, V, WT1), _snap(Q, S, W.T)
        sP, sQ = F.sign(P), F.sign(Q)
        N, n_pieces = len(pts), S.shape[0]
        ia = np.arange(n_pieces) - lead       # left point of each piece (-1: -inf)
        ib = ia + 1                           # right point (N: +inf)
        anc = np.where(ia >= 0, ia, ib)       # a finite end of each piece
        cross = np.zeros(Q.shape, dtype=bool)
        base = np.zeros(Q.shape, dtype=bool)  # the code of a piece no root splits
        inner = (ia >= 0) & (ib < N)
        sa, sb = sP[ia[inner]], sP[ib[inner]]
        cross[inner] = sa * sb < 0
        base[inner] = (sa >= 0) & (sb >= 0)
        if whole:                             # pre(x) = v + s (x - p) beyond the last points
            v, s = sP[0], sQ[0]
            cross[0], base[0] = (v != 0) & (s == v), (v >= 0) & (s <= 0)
            v, s = sP[N - 1], sQ[-1]
            cross[-1], base[-1] = (v != 0) & (s == -v), (v >= 0) & (s >= 0)
        if lay.is_max:
            cross[:] = False                  # its walls are ties, found by _max_pieces
        # exact roots of the crossing neurons: pre(anchor) + slope (r - anchor) = 0
        ci, cj = np.nonzero(cross)
        ca = anc[ci]
        roots = (pts[ca] - P[ca, cj] / Q[ci, cj]).tolist() if ci.size else []
        # new pieces, left to right: (parent piece, code of this layer); new points likewise
        parent, layer_codes, new_pts = [], [], []
        # (point, neuron) pairs where a neuron's pre-activation is 0 by construction: its own
        # root, or in float mode an old point its rounded root was snapped onto
        on_root_new, on_root_old = [], []
        splits = np.searchsorted(ci, np.arange(n_pieces + 1))
        for i in range(n_pieces):
            lo_k, hi_k = splits[i], splits[i + 1]
            if i == 0 and not whole:
                new_pts.append((pts[0], 0, None))
            if lay.is_max:
                a = pts[ia[i]] if ia[i] >= 0 else None
                b = pts[ib[i]] if ib[i] < N else None
                uniq, block = _max_pieces(lay, P[anc[i]], Q[i], a, b, pts[anc[i]], F, exact)
                parent.extend([i] * len(block))
                layer_codes.extend(block)
                new_pts.extend((r, None, i) for r in uniq)
            elif lo_k == hi_k:
                parent.append(i)
                layer_codes.append(base[i])
            else:
                a = pts[ia[i]] if ia[i] >= 0 else None
                b = pts[ib[i]] if ib[i] < N else None
                rs = roots[lo_k:hi_k]
                a_in, b_in = _inner_ends(a, b, exact)   # float roots within rounding go on an end
                inside = [(a_in is None or r > a_in) and (b_in is None or r < b_in) for r in rs]
                uniq, at = _distinct_roots([r for r, ok in zip(rs, inside) if ok], exact)
                R = len(uniq)
                js = cj[lo_k:hi_k]
                k = np.array([at[r] if ok else (-1 if a_in is not None and r <= a_in else R)
                              for r, ok in zip(rs, inside)], dtype=np.int64)
                first = len(new_pts)
                on_root_new.extend((first + int(kk), int(j)) for kk, j, ok in zip(k, js, inside) if ok)
                on_root_old.extend((int(ia[i]) if kk < 0 else int(ib[i]), int(j))
                                   for kk, j, ok in zip(k, js, inside)
                                   if not ok and (ia[i] >= 0 if kk < 0 else ib[i] < N))
                block = np.repeat(base[i][None, :], R + 1, axis=0)
                left = np.arange(R + 1)[:, None] <= k[None, :]
                slope_neg = sQ[i, js] < 0
                block[:, js] = np.where(left, slope_neg[None, :], ~slope_neg[None, :])
                parent.extend([i] * (R + 1))
                layer_codes.extend(block)
                new_pts.extend((r, None, i) for r in uniq)
            if ib[i] < N:
                new_pts.append((pts[ib[i]], int(ib[i]), None))
        parent = np.array(parent, dtype=np.int64)
        layer_codes = np.array(layer_codes, dtype=bool).reshape(len(parent), lay.n_neurons)
        if whole and l == 0:
            # the anchor 0 is a breakpoint only when the codes on its two sides differ
            at = next(k for k, (_, o, _) in enumerate(new_pts) if o == 0)
            if np.array_equal(layer_codes[at], layer_codes[at + 1]):
                del new_pts[at]
                on_root_new = [(p - (p > at), j) for p, j in on_root_new]
                parent = np.delete(parent, at + 1)
                layer_codes = np.delete(layer_codes, at + 1, axis=0)
        codes = np.concatenate([codes[parent], layer_codes], axis=1)
        if progress is not None:
            progress(len(codes), f"layer {l + 1}/{depth}")
        if max_regions is not None and len(codes) > max_regions:
            raise RegionBudgetExceeded(len(codes), max_regions)
        old_pts = pts
        pts = np.empty(len(new_pts), dtype=object)
        pts[:] = [p for p, _, _ in new_pts]
        if not exact:
            pts = pts.astype(np.float64)
        if l == depth - 1:
            break
        # the layer's output at the points: old points keep their rows, a root r in piece i
        # gets pre(anchor) + slope * (r - anchor) (and z likewise when there is a skip)
        old = np.array([-1 if k is None else k for _, k, _ in new_pts], dtype=np.int64)
        is_new = old < 0
        src_piece = np.array([i for _, _, i in new_pts if i is not None], dtype=np.int64)
        src_anc = anc[src_piece]
        dr = pts[is_new] - old_pts[src_anc]
        if on_root_old:                       # float mode: a root snapped onto an old point
            r_, c_ = zip(*on_root_old)
            P[list(r_), list(c_)] = F.zero
        P_all = np.empty((len(new_pts), P.shape[1]), dtype=P.dtype)
        P_all[~is_new] = P[old[~is_new]]
        if is_new.any():
            P_all[is_new] = P[src_anc] + Q[src_piece] * dr[:, None]
        if on_root_new:                       # exact 0 at a neuron's own root (float: not a rounded
            r_, c_ = zip(*on_root_new)        # residue, whose sign later layers would read)
            P_all[list(r_), list(c_)] = F.zero
        # a max layer reads as a ReLU-type one with slopes 1 on the argmax, 0 elsewhere and
        # its effective out (Layer.effective_out), so one propagation serves both
        s_all = F.sign(P_all) if not lay.is_max else np.where(lay.argmax_code(P_all)[0], 1, -1)
        minus = F.scalar(lay.minus_slope)
        post = np.where(s_all < 0, P_all * minus, P_all) if minus != 0 else np.where(
            s_all < 0, F.zero, P_all)
        # slopes of sigma(pre) on the new pieces, read off this layer's codes
        Qp = Q[parent]
        dpost = np.where(layer_codes, Qp, Qp * minus) if minus != 0 else np.where(layer_codes, Qp, F.zero)
        Z, dZ = post, dpost
        if lay.effective_out is not None:
            outT = np.ascontiguousarray(F.array(lay.effective_out).T)
            Z, dZ = F.matmul(Z, outT), F.matmul(dZ, outT)
        if lay.skip is not None:
            skipT = np.ascontiguousarray(F.array(lay.skip).T)
            Zin = np.empty((len(new_pts), V.shape[1] - 1), dtype=V.dtype)
            Zin[~is_new] = V[old[~is_new], :-1]
            if is_new.any():
                Zin[is_new] = V[src_anc, :-1] + S[src_piece] * dr[:, None]
            Z, dZ = Z + F.matmul(Zin, skipT), dZ + F.matmul(S[parent], skipT)
        if lay.out_bias is not None:
            Z = Z + F.array(lay.out_bias)[None, :]
        ones = np.full((len(new_pts), 1), F.one, dtype=Z.dtype)
        V = np.concatenate([Z, ones], axis=1)
        S = dZ
    return pts, codes


def _max_pieces(lay, values, slopes, a, b, anchor, F, exact):
    """A max layer on one piece (ends ``a``, ``b``; None: unbounded): the points where some
    group's argmax changes, increasing, and the layer's one-hot code on each sub-piece.

    The pre-activations are ``values + slopes (x - anchor)``. Float mode keeps only the
    points beyond rounding of the ends (as for a ReLU-type layer's roots)."""
    a_in, b_in = _inner_ends(a, b, exact)
    starts = np.concatenate([[0], np.cumsum(lay.groups)])
    per_group = []
    cuts = set()
    for g in range(len(lay.groups)):
        rows = [(values[j], slopes[j]) for j in range(starts[g], starts[g + 1])]
        breaks, winners = interval_argmax(a_in, b_in, anchor, rows, F.one)
        per_group.append((breaks, winners))
        cuts.update(breaks)
    uniq = sorted(cuts)
    block = np.zeros((len(uniq) + 1, lay.n_neurons), dtype=bool)
    for t, left in enumerate([None, *uniq]):
        for g, (breaks, winners) in enumerate(per_group):
            w = winners[0 if left is None else bisect_right(breaks, left)]
            block[t, starts[g] + w] = True
    return uniq, list(block)


def _inner_ends(a, b, exact):
    """The ends a new point must lie strictly between: ``a`` and ``b`` in exact mode; in float
    mode moved inwards by ``1e-12`` (relative), so that a point within rounding of an end is
    put on that end (else a coincidence would leave a sliver piece). None ends are infinite."""
    if exact:
        return a, b
    return (None if a is None else a + 1e-12 * max(1.0, abs(a)),
            None if b is None else b - 1e-12 * max(1.0, abs(b)))


def _snap(values, inputs, weightsT):
    """Float mode: ``values = inputs @ weightsT`` with the entries of size at most
    :data:`SNAP` times their column's largest term magnitude set to 0 (the rule of the planar
    engine), so that a neuron vanishing at a point (or on a piece) where another does reads
    0 there rather than a rounding residue of either sign."""
    tol = SNAP * (np.abs(inputs) @ np.abs(weightsT)).max(axis=0, initial=0.0)
    return np.where(np.abs(values) <= tol, 0.0, values)


def _distinct_roots(roots, exact):
    """The distinct roots in increasing order, and the index of each root among them.

    Float roots within ``1e-12`` (relative) of the previous one are one root: concurrent
    neurons (an exact common root, rounded differently) must not leave a sliver piece.
    """
    uniq, at = [], {}
    for r in sorted(set(roots)):
        if uniq and not exact and r - uniq[-1] <= 1e-12 * max(1.0, abs(r)):
            at[r] = len(uniq) - 1
        else:
            at[r] = len(uniq)
            uniq.append(r)
    return uniq, at


def _merge_equal(pts, codes, whole):
    """Float mode: merge neighbouring intervals whose codes agree (rounding artefacts)."""
    if len(codes) < 2:
        return pts, codes
    same = np.all(codes[1:] == codes[:-1], axis=1)
    keep_piece = np.concatenate([[True], ~same])
    # the point between pieces i and i + 1 is pts[i] on R and pts[i + 1] on a box
    drop_pt = np.flatnonzero(same) + (0 if whole else 1)
    return np.delete(pts, drop_pt), codes[keep_piece]
