"""The fast 2-D engine: a float planar subdivision, certified exactly in exact mode.

Float engine
------------
The box is kept as a planar subdivision in arrays (vertices, edges, faces as vertex
cycles with their codes). Every layer's input and pre-activations are continuous
functions of x, affine on every face, so they are stored at the vertices and interpolated
along edges (the first layer's are evaluated from the coordinates). Neurons are processed one at a time, vectorised over all faces: edges whose
end values have strictly opposite signs are split at the interpolated zero, then every face
with a strictly positive and a strictly negative vertex is cut along the chord between its
two zero vertices (this is the idea behind Regioncam / SplineCam; the code is our own).
Vertex values within ``2^-40`` of zero relative to their scale are taken as zero, so that
concurrent lines meet at one vertex.

Exact mode: what is certified
-----------------------------
The float subdivision is not recomputed in rationals; it is *checked* (:func:`certify`):

1. every vertex gets exact rational coordinates: the intersection of the two lines it was
   created on, each line the exact affine map of its neuron under the code prefix of a face
   containing the vertex (computed in integers with python-flint);
2. at every vertex, the sign of every other neuron's exact pre-activation is decided (by a
   floating-point filter with a rigorous error bound, else in exact arithmetic) and must be
   consistent with the code of every face around the vertex (a zero is consistent with both
   signs): so the vertex lies in every incident face's closed cell ``C_f``;
3. every face cycle, with exact vertices, is a convex polygon, counter-clockwise, turning
   once (left turns or straight angles only, total turning 2 pi);
4. every interior edge is used by exactly two faces, in opposite directions; every other
   edge lies on the box boundary, traversed counter-clockwise, and these edges cover each
   side of the box exactly once (exact lengths);
5. codes are pairwise distinct, and every neuron is non-zero at some vertex of every face
   unless its exact map on that face is identically zero.

Then the face polygons tile the box (by 3 and 4, the sum of the face boundaries is the box
boundary, so every point off the edges has total winding number 1 and lies in exactly one
face); each polygon lies in its cell (2, convexity), and by 5 the cell is the closure of a
non-empty open region of that code: hence the faces are *exactly* the activation regions
(a missed region would overlap some face), each polygon is its region's closure, and two
regions share a facet exactly when their polygons share an edge of positive length.

Witnesses follow without evaluating the network again: every pre-activation is affine on a
cell, so a point strictly inside a face's polygon (the float centroid, tested strictly
inside every edge by filtered orientation tests, else the exact vertex average) has every
pre-activation non-zero with the face's signs (by 5); the exact midpoint of a shared edge is
in the relative interior of the shared facet, the flipping neurons vanish there, and every
other neuron is non-zero there with the common sign unless it vanishes along the whole
edge (it touches zero without changing sign, e.g. a bent line meeting a straight one).
A failed check raises :class:`CertificateError`
internally and the engine falls back to the exact polygon engine (reported by the
partition's ``engine``: ``"polygon"``); it never returns an uncertified result.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from vqgeom._gcpause import gc_paused
from vqgeom._threads import one_native_thread
from vqgeom.errors import CertificateError, InvalidInputError, InvalidNetworkError
from vqgeom.exact import _from_coprime
from vqgeom.exact.arith import context
from vqgeom.regions._planar_exact import frac
from vqgeom.regions.domain import Box, Whole

__all__ = ["enumerate_partition", "supports", "certify", "float_subdivision"]


def supports(net, domain, arithmetic) -> bool:
    """The planar engine handles 2-D networks on a box or on the whole plane (no max layers:
    for those it runs on their ReLU tournament, see :mod:`vqgeom.regions._max_tournament`,
    which ``auto`` picks in float on a box; exact, ``auto`` takes ``polygon``)."""
    return net.input_dim == 2 and isinstance(domain, (Box, Whole)) and not net.has_max


def _box_of(net, domain):
    if isinstance(domain, Whole):
        from vqgeom.regions.lp import enclosing_box

        frame = enclosing_box(net.to_exact())
        return frame, frame
    if isinstance(domain, Box):
        return domain, None
    raise InvalidInputError(f"the planar engine needs a Box or Whole domain, got {domain!r}")


def _float_box(box) -> bool:
    try:
        return all(Fraction(float(v)) == v for v in list(box.lower) + list(box.upper))
    except OverflowError:   # a bound beyond float64's range
        return False


def float_subdivision(net, box, *, max_regions=None, progress=None, budget=None):
    """The float planar subdivision of ``box`` by ``net`` (a :class:`_planar_float.Subdivision`).

    Raises
    ------
    InvalidInputError
        If a bound of ``box`` is not exactly a float.
    vqgeom.regions._planar_float.Inconsistent
        When rounding made the subdivision inconsistent.
    RegionBudgetExceeded
        As soon as more than ``max_regions`` faces exist.
    MemoryBudgetExceeded
        Before a buffer would grow past ``budget`` (a :class:`vqgeom._memory.MemoryBudget`).
    """
    from vqgeom.regions._planar_float import subdivide

    if not _float_box(box):
        raise InvalidInputError(f"the float planar engine needs box bounds that are floats exactly, "
                                f"got {box!r}")
    lo = [float(v) for v in box.lower]
    hi = [float(v) for v in box.upper]
    return subdivide(net.to_float(), lo, hi, max_regions=max_regions, progress=progress, budget=budget)


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None,
                        max_memory=None):
    """Enumerate the activation regions of a 2-D network (float engine, certified when exact).

    Parameters
    ----------
    net : Network
        Input dimension 2.
    domain : Box or Whole
        For Whole, :func:`vqgeom.regions.lp.enclosing_box` gives the frame.
    arithmetic : {"exact", "float"}
        ``"exact"`` certifies the float result (see the module docstring) and returns exact
        witnesses, facet witnesses and polygons; ``"float"`` returns float ones.
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_faces, stage)`` after each layer.
    max_memory : int, optional
        Bytes the subdivision and the result may take (default:
        :func:`vqgeom._memory.default_max_memory`); checked before every allocation.

    Returns
    -------
    Partition
        ``engine="planar"``; or ``engine="polygon"`` where the float subdivision could not be
        certified (or became inconsistent) and the exact polygon engine was used instead; its
        ``fallback_reason`` then says why (and :func:`~vqgeom.enumerate_regions` warns when
        ``engine="planar"`` was asked for).

    Raises
    ------
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.
    MemoryBudgetExceeded
        Before an allocation would take the run past ``max_memory`` (it says how many
        regions were found by then).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "bias": [0.0, 0.0, 0.0]}])
    >>> part = enumerate_partition(net, Box(-1, 1, dim=2))
    >>> part.n_regions, part.n_adjacencies, part.engine, part.is_generic
    (6, 6, 'planar', True)
    """
    from vqgeom.regions._planar_float import Inconsistent

    if net.input_dim != 2:
        raise InvalidInputError(f"the planar engine needs input_dim=2, got {net.input_dim}")
    if arithmetic not in ("exact", "float"):
        raise InvalidInputError(f"arithmetic must be 'exact' or 'float', got {arithmetic!r}")
    from vqgeom._memory import MemoryBudget, check_max_memory

    budget = MemoryBudget(check_max_memory(max_memory))
    start = time.perf_counter()
    box, frame = _box_of(net, domain)
    try:
        if not _float_box(box):
            raise Inconsistent("box bounds that are not floats: the exact polygon engine splits it")
        if arithmetic == "exact":
            try:
                net.to_float()
            except InvalidNetworkError:
                raise Inconsistent("values beyond float64: the exact polygon engine takes it") from None
        with one_native_thread("blas"), gc_paused():
            sub = float_subdivision(net, box, max_regions=max_regions, progress=progress, budget=budget)
            budget.n_found = sub.n_faces
            budget.need(_result_bytes(sub, arithmetic))
            if arithmetic == "exact":
                witnesses, edges, polygons = certify(net, box, sub)
            else:
                witnesses, edges, polygons = _float_output(sub, net.neuron_index)
    except (Inconsistent, CertificateError) as exc:
        from vqgeom.regions import polygon

        part = polygon.enumerate_partition(net, domain, arithmetic=arithmetic,
                                           max_regions=max_regions, progress=progress)
        part.seconds = time.perf_counter() - start
        part.fallback_reason = f"the float subdivision could not be used ({exc})"
        return part
    from vqgeom.regions.partition import Partition

    net = net.to_exact() if arithmetic == "exact" else net.to_float()
    with gc_paused():
        return Partition(net, domain, sub.codes, witnesses, edges, arithmetic=arithmetic, engine="planar",
                         seconds=time.perf_counter() - start, polygons=polygons, frame=frame)


def _result_bytes(sub, arithmetic) -> int:
    """About what certification and the Partition add to the subdivision ``sub``.

    Calibrated on a 2-96-96-96 network (41,728 vertices, 41,433 faces): exact certification
    peaks at about 11 kB a vertex (the float filter's values and bounds of every neuron at
    every vertex, exact coordinates and line data), and the partition with its graph at about
    3.5 kB a face; float output is small besides the per-pair codes.
    """
    N = sub.n_neurons
    if arithmetic == "exact":
        per_vertex, per_face = 28 * N + 3000, 6000 + 2 * N
    else:
        per_vertex, per_face = 300, 2000 + 3 * N
    return (len(sub.X) * per_vertex + sub.n_faces * per_face
            + sum(a.nbytes for a in (sub.X, sub.vlines, sub.fv, sub.fe, sub.ev, sub.eline, sub.codes)))


def _flips(flipmask, index):
    """Per row of a bool matrix, the tuple of ``index[k]`` for its True columns."""
    rows, cols = np.nonzero(flipmask)
    ends = np.cumsum(np.bincount(rows, minlength=len(flipmask))).tolist()
    labels = [index[c] for c in cols.tolist()]
    return [tuple(labels[a:b]) for a, b in zip([0] + ends[:-1], ends)]


def _pair_flips(sub, pairs, eids, index):
    """The neurons whose signs differ between the faces of each adjacent pair.

    Usually exactly the neuron whose line carries the shared edge ``eids``: that is checked
    on bit-packed codes (8 neurons a byte) and only the other pairs are unpacked.
    """
    if not len(pairs):
        return []
    packed = np.packbits(sub.codes, axis=1)
    diff = packed[pairs[:, 0]] ^ packed[pairs[:, 1]]
    line = sub.eline[eids]
    out = [None] * len(pairs)
    inner = np.flatnonzero(line < sub.n_neurons)
    g = line[inner]
    onehot = np.zeros((len(inner), packed.shape[1]), dtype=np.uint8)
    onehot[np.arange(len(inner)), g // 8] = (128 >> (g % 8)).astype(np.uint8)
    single = (diff[inner] == onehot).all(axis=1)
    for r, k in zip(inner[single].tolist(), g[single].tolist()):
        out[r] = (index[k],)
    rest = np.setdiff1d(np.arange(len(pairs)), inner[single])
    if len(rest):
        more = np.unpackbits(diff[rest], axis=1, count=sub.n_neurons).astype(bool)
        for r, f in zip(rest.tolist(), _flips(more, index)):
            out[r] = f
    return out


def _polygons(fptr, fv, points):
    pts = [tuple(p) for p in points] if isinstance(points, np.ndarray) else points
    fvl = fv.tolist()
    bounds = fptr.tolist()
    return [[pts[v] for v in fvl[a:b]] for a, b in zip(bounds[:-1], bounds[1:])]


def _float_output(sub, neuron_index):
    X, fptr, fv = sub.X, sub.fptr, sub.fv
    lens = np.diff(fptr)
    cent = np.stack([np.add.reduceat(X[fv, 0], fptr[:-1]), np.add.reduceat(X[fv, 1], fptr[:-1])],
                    axis=1) / lens[:, None]
    witnesses = cent  # an array: Partition makes the tuples on first use
    pairs, e = sub.adjacency()
    flips = _pair_flips(sub, pairs, e, neuron_index)
    return witnesses, _FloatEdges(pairs, flips, (X[sub.ev[e, 0]] + X[sub.ev[e, 1]]) / 2), _polygons(fptr, fv, X)


class _FloatEdges:
    """The adjacencies ``(i, j, flips, facet_witness)`` of a float subdivision (the facet
    witness: the float midpoint of the shared edge), as tuples when iterated (once, when
    the Partition first builds its graph)."""

    def __init__(self, pairs, flips, mids):
        self.pairs, self.flips, self.mids = pairs, flips, mids

    def __len__(self):
        return len(self.flips)

    def __iter__(self):
        for (i, j), f, m in zip(self.pairs.tolist(), self.flips, self.mids.tolist()):
            yield i, j, f, tuple(m)


# ----------------------------------------------------------------------------- certification
def certify(net, box, sub):
    """Check a float subdivision exactly; return exact witnesses, adjacencies and polygons.

    Parameters
    ----------
    net : Network
        The network (exact or float; float weights are taken at their exact values).
    box : Box
        The box the subdivision covers.
    sub : Subdivision
        From :func:`float_subdivision`; it is not modified.

    Returns
    -------
    witnesses : list of tuple of Fraction
        One point strictly inside every face's region.
    edges : sized iterable of (i, j, flips, facet_witness)
        The facet witnesses (exact edge midpoints) are made when it is iterated.
    polygons : list of list of (Fraction, Fraction)

    Raises
    ------
    CertificateError
        If any check of the module docstring fails (the message says which).
    """
    exact_net = net.to_exact()
    N = exact_net.n_neurons
    widths = exact_net.widths
    offsets = np.concatenate([[0], np.cumsum(widths)])
    layer_of = np.repeat(np.arange(len(widths)), widths)
    index = exact_net.neuron_index
    codes = sub.codes
    nf = sub.n_faces
    X, vlines, fptr, fv, fe = sub.X, sub.vlines, sub.fptr, sub.fv, sub.fe
    nv = len(X)
    fof = sub.face_of_position()
    nxt = sub.next_position()
    prv = np.empty_like(nxt)
    prv[nxt] = np.arange(len(nxt))
    first, _ = _row_groups(np.packbits(codes, axis=1))
    if len(first) != nf:
        raise CertificateError("planar certificate: two faces have the same code")
    lo = [Fraction(v) for v in box.lower]
    hi = [Fraction(v) for v in box.upper]

    # --- 1. exact vertices --------------------------------------------------------------
    face_at = np.full(nv, -1, dtype=np.int64)
    face_at[fv] = fof
    if np.any(face_at < 0):
        raise CertificateError("planar certificate: a vertex belongs to no face")
    inet = context(exact_net, "exact")
    G = np.empty((nv, 2, 2), dtype=object)
    C = np.empty((nv, 2), dtype=object)
    for slot in range(2):
        ln = vlines[:, slot]
        for sd in range(4):
            sel = np.flatnonzero(ln == N + sd)
            if not len(sel):
                continue
            val = (lo, lo, hi, hi)[sd][sd % 2]
            g = [0, 0]
            g[sd % 2] = val.denominator
            for v in sel:
                G[v, slot, 0], G[v, slot, 1] = g
                C[v, slot] = -val.numerator
    # neuron lines: one exact row per distinct (neuron, code prefix), all slots together
    slot_of = np.repeat([[0, 1]], nv, axis=0).ravel()
    vert_of = np.repeat(np.arange(nv), 2)
    lines = vlines.ravel()
    for l in range(len(widths)):
        sel = np.flatnonzero((lines < N) & (layer_of[np.minimum(lines, N - 1)] == l))
        if not len(sel):
            continue
        js = lines[sel] - offsets[l]
        pref = codes[face_at[vert_of[sel]], : offsets[l]]
        key = np.concatenate([js[:, None].astype(np.uint64).view(np.uint8).reshape(len(sel), 8),
                              np.packbits(pref, axis=1)], axis=1)
        first, inverse = _row_groups(key)
        Gr, cr, _ = inet.rows(l, js[first], pref[first])
        vs, ss = vert_of[sel], slot_of[sel]
        G[vs, ss, 0] = Gr[inverse, 0]
        G[vs, ss, 1] = Gr[inverse, 1]
        C[vs, ss] = cr[inverse]
    det = G[:, 0, 0] * G[:, 1, 1] - G[:, 0, 1] * G[:, 1, 0]
    xn = -C[:, 0] * G[:, 1, 1] + C[:, 1] * G[:, 0, 1]
    yn = -G[:, 0, 0] * C[:, 1] + G[:, 1, 0] * C[:, 0]
    if any(d == 0 for d in det):
        raise CertificateError("planar certificate: a vertex's two lines are parallel")
    neg = np.array([d < 0 for d in det], dtype=bool)
    det[neg], xn[neg], yn[neg] = -det[neg], -xn[neg], -yn[neg]
    xn, yn, det = xn.tolist(), yn.tolist(), det.tolist()
    Vh = np.array([[x / d, y / d] for x, y, d in zip(xn, yn, det)], dtype=np.float64)
    verts = [(frac(x, d), frac(y, d)) for x, y, d in zip(xn, yn, det)]
    Rv = np.abs(Vh) * 2.0 ** -52 + 2.0 ** -900     # normal floats only: subnormals are slow

    # --- 2. signs at the vertices ---------------------------------------------------------
    filt = context(exact_net, "filtered")
    if filt.usable:
        pb = filt.bounds(Vh, Rv)
        pre = np.concatenate([p for p, _ in pb], axis=1)
        bnd = np.concatenate([b for _, b in pb], axis=1)
    else:  # weights beyond float range: every sign is decided exactly
        pre, bnd = np.zeros((nv, N)), np.full((nv, N), np.inf)
    amb = ~(np.abs(pre) > bnd)
    expected = np.zeros((nv, N), dtype=bool)
    for slot in range(2):
        ln = vlines[:, slot]
        ok = ln < N
        expected[np.flatnonzero(ok), ln[ok]] = True
    vpos = pre > 0
    vzero = expected.copy()
    bad = np.flatnonzero((amb & ~expected).any(axis=1) | (expected & ~amb).any(axis=1))
    if len(bad):
        pts = [verts[v] for v in bad]
        sz = inet.signs(np.array(pts, dtype=object).reshape(len(pts), 2))
        zero = np.concatenate([z for _, z in sz], axis=1)
        vzero[bad] = zero
        vpos[bad] = np.concatenate([a for a, _ in sz], axis=1) & ~zero
    # vertex in the box (exactly)
    for i in range(2):
        low = Vh[:, i] - Rv[:, i] > float(lo[i]) if Fraction(float(lo[i])) == lo[i] else np.zeros(nv, bool)
        up = Vh[:, i] + Rv[:, i] < float(hi[i]) if Fraction(float(hi[i])) == hi[i] else np.zeros(nv, bool)
        for v in np.flatnonzero(~(low & up)):
            p = verts[v][i]
            if not lo[i] <= p <= hi[i]:
                raise CertificateError(f"planar certificate: vertex {v} lies outside the box")
    # consistency with every incident face's code
    # (bit-packed: 8 neurons a byte)
    nzP = np.packbits(~vzero, axis=1)[fv]        # neurons non-zero at the vertex of a position
    mismatch = nzP & (np.packbits(vpos, axis=1)[fv] ^ np.packbits(codes, axis=1)[fof])
    if mismatch.any():
        p = int(np.flatnonzero(mismatch.any(axis=1))[0])
        raise CertificateError(
            f"planar certificate: vertex {int(fv[p])} is not in the closed cell of face {int(fof[p])}")

    # --- 3. convex counter-clockwise faces turning once ----------------------------------
    u, w, x = fv[prv], fv, fv[nxt]
    d1 = Vh[w] - Vh[u]
    d2 = Vh[x] - Vh[w]
    e1 = Rv[w] + Rv[u] + 2.0 ** -52 * np.abs(d1)
    e2 = Rv[x] + Rv[w] + 2.0 ** -52 * np.abs(d2)
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    dot = d1[:, 0] * d2[:, 0] + d1[:, 1] * d2[:, 1]
    a1, a2 = np.abs(d1) + e1, np.abs(d2) + e2
    cb = (a1[:, 0] * e2[:, 1] + a2[:, 1] * e1[:, 0] + a1[:, 1] * e2[:, 0] + a2[:, 0] * e1[:, 1]
          + 2.0 ** -50 * (np.abs(d1[:, 0] * d2[:, 1]) + np.abs(d1[:, 1] * d2[:, 0])))
    cb = cb * (1 + 2.0 ** -40) + 2.0 ** -900
    good = cross > cb    # the rest (straight angles, near-degenerate turns) are decided exactly
    for p in np.flatnonzero(~good):
        P = [verts[v] for v in (u[p], w[p], x[p])]
        f1 = (P[1][0] - P[0][0], P[1][1] - P[0][1])
        f2 = (P[2][0] - P[1][0], P[2][1] - P[1][1])
        cr = f1[0] * f2[1] - f1[1] * f2[0]
        dt = f1[0] * f2[0] + f1[1] * f2[1]
        if cr < 0 or (cr == 0 and dt <= 0):
            raise CertificateError(f"planar certificate: face {int(fof[p])} is not convex counter-clockwise")
    # total turning: each turn is in [0, pi); the float sum is within `err` of the exact sum
    ang = np.arctan2(cross, dot)
    len1 = np.hypot(d1[:, 0], d1[:, 1])
    len2 = np.hypot(d2[:, 0], d2[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        aerr = 2 * (np.hypot(e1[:, 0], e1[:, 1]) / len1 + np.hypot(e2[:, 0], e2[:, 1]) / len2) + 1e-14
    aerr = np.where(np.isfinite(aerr), aerr, np.inf)
    tot = np.add.reduceat(ang, fptr[:-1])
    terr = np.add.reduceat(aerr, fptr[:-1]) + 1e-12
    if np.any(terr >= 1.0) or np.any(np.abs(tot - 2 * np.pi) + terr >= np.pi):
        raise CertificateError("planar certificate: a face does not turn exactly once")

    # --- 4. the edge chain --------------------------------------------------------------
    ne = len(sub.ev)
    order = np.argsort(fe, kind="stable")
    cnt = np.bincount(fe, minlength=ne)
    if np.any(cnt > 2):
        raise CertificateError("planar certificate: an edge is used by more than two faces")
    se = fe[order]
    same = np.flatnonzero(se[1:] == se[:-1])
    p, q = order[same], order[same + 1]
    if np.any(fv[p] != fv[nxt[q]]) or np.any(fv[q] != fv[nxt[p]]):
        raise CertificateError("planar certificate: a shared edge is not traversed in opposite directions")
    single = np.flatnonzero(cnt[fe] == 1)
    sides = sub.eline[fe[single]] - N
    if np.any(sides < 0):
        raise CertificateError("planar certificate: an inner edge borders only one face")
    from flint import fmpq   # exact sums of the boundary steps in C

    total = [fmpq(0)] * 4
    for pos, sd in zip(single.tolist(), sides.tolist()):
        a, b = int(fv[pos]), int(fv[nxt[pos]])
        for v in (a, b):
            if N + sd not in vlines[v]:
                raise CertificateError("planar certificate: a boundary edge is not on the box boundary")
        num = xn if sd % 2 == 1 else yn   # the coordinate along the side (denominator det > 0)
        step = fmpq(num[b] * det[a] - num[a] * det[b], det[a] * det[b])
        sign = 1 if sd in (1, 2) else -1   # bottom: +x, right: +y, top: -x, left: -y
        if sign * step <= 0:
            raise CertificateError("planar certificate: a boundary edge runs clockwise")
        total[sd] += sign * step
    for sd in range(4):
        coord = 0 if sd % 2 == 1 else 1
        side = hi[coord] - lo[coord]
        if total[sd] != fmpq(side.numerator, side.denominator):
            raise CertificateError("planar certificate: the boundary edges do not cover the box once")

    # --- 5. region witnesses ----------------------------------------------------------------
    # Every pre-activation is affine on the closed cell C_f, which contains the polygon; a
    # neuron that is non-zero at some vertex of f is therefore non-zero, with f's sign, at
    # every interior point of the polygon (an affine function >= 0 on a convex set that
    # vanishes at an interior point vanishes on all of it); one that vanishes at every
    # vertex is identically zero on the region. So a point strictly inside the polygon is a
    # witness; the float centroid is tested strictly inside every edge (filtered orientation
    # tests), else the exact vertex average (a strictly positive combination of all vertices
    # of a polygon with positive area) is taken.
    lens = np.diff(fptr)
    cent = np.stack([np.add.reduceat(Vh[fv, 0], fptr[:-1]), np.add.reduceat(Vh[fv, 1], fptr[:-1])],
                    axis=1) / lens[:, None]
    inside = np.ones(nf, dtype=bool)
    for i in range(2):
        flo, fhi = float(lo[i]), float(hi[i])
        if Fraction(flo) == lo[i] and Fraction(fhi) == hi[i]:
            inside &= (cent[:, i] > flo) & (cent[:, i] < fhi)
        else:
            inside &= np.array([lo[i] < Fraction(c) < hi[i] for c in cent[:, i]])
    q = cent[fof] - Vh[w]                       # from each edge's start w to the centroid
    eq = Rv[w] + 2.0 ** -52 * np.abs(q)
    side = d2[:, 0] * q[:, 1] - d2[:, 1] * q[:, 0]
    sb = ((a2[:, 0] * eq[:, 1] + (np.abs(q[:, 1]) + eq[:, 1]) * e2[:, 0]
           + a2[:, 1] * eq[:, 0] + (np.abs(q[:, 0]) + eq[:, 0]) * e2[:, 1]
           + 2.0 ** -50 * (np.abs(d2[:, 0] * q[:, 1]) + np.abs(d2[:, 1] * q[:, 0])))
          * (1 + 2.0 ** -40) + 2.0 ** -900)
    inside &= np.logical_and.reduceat(side > sb, fptr[:-1])
    witnesses = [(_from_coprime(*a.as_integer_ratio()), _from_coprime(*b.as_integer_ratio()))
                 for a, b in cent.tolist()]
    for f in np.flatnonzero(~inside):
        witnesses[f] = _vertex_average(fv[fptr[f]:fptr[f + 1]], verts)
    # every neuron is non-zero at some vertex of every face, unless identically zero there
    nonzero = np.bitwise_or.reduceat(nzP, fptr[:-1], axis=0)
    short = np.flatnonzero((nonzero != np.packbits(np.ones(N, dtype=bool))).any(axis=1))
    missing = ~np.unpackbits(nonzero[short], axis=1, count=N).astype(bool)
    for f, k in zip(short[np.nonzero(missing)[0]], np.nonzero(missing)[1]):
        l = int(layer_of[k])
        G_, c_, _ = inet.rows(l, np.array([k - offsets[l]]), codes[f][None, : offsets[l]])
        if any(v != 0 for v in G_[0]) or c_[0] != 0:
            raise CertificateError(f"planar certificate: neuron {index[k]} vanishes at every vertex "
                                   f"of face {int(f)} without vanishing on it")

    # --- adjacencies and their facet witnesses -------------------------------------------------
    # the exact midpoint of a shared edge of positive length lies in the relative interior of
    # the shared facet (tiling); a non-flipping neuron is non-zero there with the regions'
    # common sign unless it vanishes at both ends (then it vanishes along the whole edge)
    pairs, eids = sub.adjacency()
    flips = _pair_flips(sub, pairs, eids, index)
    edges = _MidpointEdges(pairs, flips, sub.ev[eids], verts)
    return witnesses, edges, _polygons(fptr, fv, verts)


class _MidpointEdges:
    """The certified adjacencies ``(i, j, flips, facet_witness)``, the facet witness being the
    exact midpoint of the shared edge, made when iterated: :class:`Partition` iterates them
    once, when its graph is first built (as it builds its per-region tuples on first use)."""

    def __init__(self, pairs, flips, ends, verts):
        self.pairs, self.flips, self.ends, self.verts = pairs.tolist(), flips, ends.tolist(), verts

    def __len__(self):
        return len(self.pairs)

    def __iter__(self):
        verts = self.verts
        for (i, j), fl, (a, b) in zip(self.pairs, self.flips, self.ends):
            yield i, j, fl, tuple(frac(p.numerator * q.denominator + q.numerator * p.denominator,
                                       2 * p.denominator * q.denominator) for p, q in zip(verts[a], verts[b]))


def _row_groups(M):
    """``(first, inverse)`` of the distinct rows of a uint8 matrix: ``M[first]`` are the
    distinct rows and ``M[first[inverse]] == M``, exactly.

    Rows are grouped by a 64-bit hash (one sort of integers instead of a sort of byte
    strings), then every row is compared with its group's first row; a hash collision (two
    different rows, one hash) is detected there and the rows are grouped by
    :func:`numpy.unique` on the rows themselves instead.
    """
    n, w = M.shape
    pad = np.zeros((n, -(-w // 8) * 8), dtype=np.uint8)
    pad[:, :w] = M
    words = pad.view(np.uint64)
    h = np.full(n, w, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(words.shape[1]):   # multiply-xorshift mixing, column by column
            h = (h ^ words[:, c]) * np.uint64(0x9E3779B97F4A7C15)
            h ^= h >> np.uint64(29)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    if not np.array_equal(M[first[inverse]], M):
        _, first, inverse = np.unique(M, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
    return first, inverse


def _vertex_average(vs, verts):
    sx = sum(verts[v][0] for v in vs)
    sy = sum(verts[v][1] for v in vs)
    return (sx / len(vs), sy / len(vs))
