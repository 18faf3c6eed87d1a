"""The float planar-subdivision engine behind :mod:`vqgeom.regions.planar` (private).

The subdivision of a box is kept as arrays: vertex coordinates, the values at every vertex
of the current layer's pre-activations (and of its input ``z`` when the layer has a skip
connection; both are continuous functions of x, affine along every edge), faces as vertex
cycles (counter-clockwise, in CSR form, with the id of the edge leaving every cycle
position) and an edge table. Neurons are processed one at a time, vectorised over all
faces: a neuron with one strict sign at every vertex only sets its code bit; otherwise
every edge whose end values have strictly opposite signs is split at the interpolated zero,
then every face with a strictly positive and a strictly negative vertex is cut along the
chord between its two zero vertices. The first layer's pre-activations are an affine map of
the coordinates: they are evaluated at the vertices when a neuron is cut, not interpolated
at every new vertex (:class:`_FirstLayer`).
"""

from __future__ import annotations

import numpy as np

from vqgeom.errors import RegionBudgetExceeded
from vqgeom.exact.arith import context

__all__ = ["Subdivision", "Inconsistent", "subdivide", "SNAP"]

#: A vertex value with ``|value| <= SNAP * scale`` is taken as 0 in the float engine (scale:
#: the largest ``|w| . |z| + |b|`` of the neuron over the layer's vertices, which bounds it on the
#: whole box as z is affine on every face), so that lines meeting at a common point (integer
#: weights, concurrent lines, lines through box corners) meet at one vertex instead of
#: leaving slivers of rounding size. Exact mode certifies the outcome either way.
SNAP = 2.0 ** -40


class Inconsistent(ArithmeticError):
    """The float subdivision became combinatorially inconsistent (a face cut more than once by
    one line, a cut not at a zero vertex): rounding defeated the float engine."""


class _Grow:
    """A growable 2-D array (rows appended in blocks); each growth is first checked
    against ``budget`` (a :class:`vqgeom._memory.MemoryBudget`), which counts the buffer."""

    def __init__(self, arr, budget=None):
        self.a = np.ascontiguousarray(arr)
        self.n = len(arr)
        self.budget = budget
        if budget is not None:
            budget.track(self)

    @property
    def nbytes(self):
        return self.a.nbytes

    def extend(self, rows):
        k = len(rows)
        if self.n + k > len(self.a):
            cap = max(2 * len(self.a), self.n + k, 16)
            if self.budget is not None:
                self.budget.need(cap * (self.a.nbytes // max(len(self.a), 1)))  # old + new at once
            new = np.empty((cap,) + self.a.shape[1:], dtype=self.a.dtype)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n: self.n + k] = rows
        self.n += k

    @property
    def v(self):
        return self.a[: self.n]


class _GrowCols:
    """A growable 2-D array stored transposed: item ``i`` is column ``i`` (so that one
    neuron's values over all vertices, or one neuron's signs over all faces, are contiguous)."""

    def __init__(self, rows, capacity=0, budget=None):
        rows = np.asarray(rows)
        self.n = rows.shape[0]
        self.budget = budget
        cap = max(capacity, self.n)
        if budget is not None:
            budget.need(rows.shape[1] * cap * rows.dtype.itemsize)
            budget.track(self)
        self.a = np.empty((rows.shape[1], cap), dtype=rows.dtype)
        self.a[:, : self.n] = rows.T

    @property
    def nbytes(self):
        return self.a.nbytes

    def growth_bytes(self, k) -> int:
        """Bytes of the new buffer that appending ``k`` items would allocate (0: none)."""
        if self.n + k <= self.a.shape[1]:
            return 0
        return self.a.shape[0] * max(2 * self.a.shape[1], self.n + k, 16) * self.a.itemsize

    def append(self, k):
        """Append ``k`` items and return their (uninitialised) columns, a view to fill in
        (the buffer may move: take views of old items only after this call)."""
        if self.n + k > self.a.shape[1]:
            cap = max(2 * self.a.shape[1], self.n + k, 16)
            if self.budget is not None:
                self.budget.need(self.a.shape[0] * cap * self.a.itemsize)  # old + new at once
            new = np.empty((self.a.shape[0], cap), dtype=self.a.dtype)
            new[:, : self.n] = self.a[:, : self.n]
            self.a = new
        self.n += k
        return self.a[:, self.n - k: self.n]

    @property
    def v(self):
        return self.a[:, : self.n]


class _Interpolated(_GrowCols):
    """A layer's values (one row per neuron) at every vertex, interpolated along the edge
    when a vertex is created (pre-activations of any layer; a layer input for a skip)."""

    def row(self, j):
        """Neuron ``j``'s values at every vertex (a view: snapping writes through)."""
        return self.a[j, : self.n]

    def one_sign(self, j, tol) -> int:
        """1 (-1) when neuron ``j`` is above ``tol`` (below ``-tol``) at every vertex, else 0."""
        vals = self.a[j, : self.n]
        return 1 if vals.min() > tol else (-1 if vals.max() < -tol else 0)

    def split_bytes(self, k) -> int:
        """Bytes :meth:`split` of ``k`` vertices allocates (temporaries and buffer growth)."""
        return 8 * k * 3 * self.a.shape[0] + self.growth_bytes(k)

    def split(self, a, c, t, zero=None):
        """Append the values at the points ``a + t (c - a)`` of vertex pairs; row ``zero`` is
        set to 0 there (they lie on that neuron's line)."""
        Ga, Gc = self.a[:, a], self.a[:, c]
        Gn = self.append(len(a))
        np.subtract(Gc, Ga, out=Gn)
        Gn *= t
        Gn += Ga
        if zero is not None:
            Gn[zero] = 0.0

    def at_vertices(self, tol):
        """The values (n_vertices, n_rows), as snapped when each neuron was cut."""
        return self.v.T


class _FirstLayer:
    """The pre-activations of the first layer, an affine map ``W x + b`` of the vertex
    coordinates: a neuron's values are computed from the coordinates when it is cut, so a new
    vertex costs nothing here (an interpolated table would cost a row per neuron)."""

    budget = None

    def __init__(self, X, layer):
        self.X = X
        self.W = np.ascontiguousarray(layer.weight, dtype=np.float64)
        self.b = np.asarray(layer.bias, dtype=np.float64)
        # an affine function on the box lies between its values at the four corners (the
        # first four vertices), up to the rounding of its evaluation at a vertex, which is far
        # below the snap tolerance: twice the tolerance away from 0 there, one sign everywhere
        corners = X.v[:4] @ self.W.T + self.b
        self.low, self.high = corners.min(axis=0), corners.max(axis=0)

    def one_sign(self, j, tol) -> int:
        return 1 if self.low[j] > 2 * tol else (-1 if self.high[j] < -2 * tol else 0)

    @property
    def n(self):
        return self.X.n

    def row(self, j):
        X, (w0, w1) = self.X.v, self.W[j]     # (no BLAS call per neuron: its threads cost more here)
        return X[:, 0] * w0 + X[:, 1] * w1 + self.b[j]

    def split_bytes(self, k) -> int:
        return 0

    def split(self, a, c, t, zero=None):
        pass

    def at_vertices(self, tol):
        """All values (n_vertices, n_neurons), those within ``tol`` (per neuron) of 0 set to 0."""
        P = self.X.v @ self.W.T + self.b
        P[np.abs(P) <= tol] = 0.0
        return P


class Subdivision:
    """The finished float subdivision (all arrays are plain numpy arrays).

    Attributes
    ----------
    X : float array (n_vertices, 2)
    vlines : int array (n_vertices, 2)
        The two lines a vertex was created on: a neuron's global index, or
        ``n_neurons + side`` for a box side (0: x = lo0, 1: y = lo1, 2: x = hi0, 3: y = hi1).
    fptr : int array (n_faces + 1,)
    fv, fe : int arrays (total cycle length,)
        ``fv[fptr[f]:fptr[f+1]]`` is face f's counter-clockwise vertex cycle; ``fe[i]`` is the
        edge from ``fv[i]`` to the next vertex of the cycle.
    ev : int array (n_edges, 2)
    eline : int array (n_edges,)
        The line each edge lies on (same encoding as ``vlines``).
    codes : bool array (n_faces, n_neurons)
    """

    def __init__(self, X, vlines, fptr, fv, fe, ev, eline, codes, n_neurons):
        self.X, self.vlines = X, vlines
        self.fptr, self.fv, self.fe = fptr, fv, fe
        self.ev, self.eline, self.codes = ev, eline, codes
        self.n_neurons = n_neurons

    @property
    def n_faces(self) -> int:
        return len(self.fptr) - 1

    def face_of_position(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_faces), np.diff(self.fptr))

    def next_position(self) -> np.ndarray:
        return _next_positions(self.fptr)

    def adjacency(self):
        """``(pairs, edge)``: face pairs (i < j) sharing an edge, and one shared edge id each."""
        fe, fof = self.fe, self.face_of_position()
        order = np.argsort(fe, kind="stable")
        se = fe[order]
        same = se[1:] == se[:-1]
        a = fof[order[:-1][same]]
        b = fof[order[1:][same]]
        e = se[1:][same]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key = lo.astype(np.int64) * (self.n_faces + 1) + hi
        _, first = np.unique(key, return_index=True)
        return np.stack([lo[first], hi[first]], axis=1), e[first]


def _next_positions(fptr):
    n = int(fptr[-1])
    nxt = np.arange(1, n + 1)
    ends = fptr[1:] - 1
    nxt[ends] = fptr[:-1]
    return nxt


class _Faces:
    """Face cycles in a growable buffer: face f is ``FV[start[f]:start[f]+length[f]]`` (edges in
    ``FE``); rewritten faces are appended and their old storage left as garbage until the
    next compaction. ``ef[e] = (face traversing e forwards, face traversing it backwards)``."""

    def __init__(self, budget=None):
        self.budget = budget
        self.FV = _Grow(np.array([0, 1, 2, 3], dtype=np.int64), budget)
        self.FE = _Grow(np.array([0, 1, 2, 3], dtype=np.int64), budget)
        self.start = _Grow(np.array([0], dtype=np.int64), budget)
        self.length = _Grow(np.array([4], dtype=np.int64), budget)
        self.ef = _Grow(np.array([[0, -1]] * 4, dtype=np.int64), budget)

    def buffers(self):
        return self.FV, self.FE, self.start, self.length, self.ef

    def positions(self, faces):
        """Buffer positions of the cycles of ``faces`` (concatenated) and their segment starts."""
        st = self.start.v[faces]
        ln = self.length.v[faces]
        seg = np.concatenate([[0], np.cumsum(ln)])
        rep = np.repeat(np.arange(len(faces)), ln)
        pos = st[rep] + (np.arange(int(seg[-1])) - seg[:-1][rep])
        return pos, seg, rep

    def compact(self):
        nf = self.start.n
        pos, seg, _ = self.positions(np.arange(nf))
        if self.budget is not None:
            self.budget.need(3 * pos.nbytes)
            self.budget.untrack(self.FV, self.FE, self.start)
        self.FV = _Grow(self.FV.v[pos], self.budget)
        self.FE = _Grow(self.FE.v[pos], self.budget)
        self.start = _Grow(seg[:-1].copy(), self.budget)

    def csr(self):
        pos, seg, _ = self.positions(np.arange(self.start.n))
        return seg, self.FV.v[pos].copy(), self.FE.v[pos].copy()


def subdivide(net, lower, upper, *, max_regions=None, progress=None, budget=None) -> Subdivision:
    """Build the float subdivision of the box ``[lower, upper]`` (2 floats each) by ``net``.

    ``budget`` (a :class:`vqgeom._memory.MemoryBudget`), when given, is asked before every
    buffer grows; buffers start at the size of the work (vertices so far), never ahead of it.

    Raises
    ------
    Inconsistent
        When rounding makes the subdivision inconsistent (callers fall back to exact code).
    RegionBudgetExceeded
        As soon as more than ``max_regions`` faces exist.
    MemoryBudgetExceeded
        Before a buffer would grow past ``budget``.
    """
    N = net.n_neurons
    x0, y0 = float(lower[0]), float(lower[1])
    x1, y1 = float(upper[0]), float(upper[1])
    X = _Grow(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64), budget)
    L, B, R, T = N, N + 1, N + 2, N + 3
    vlines = _Grow(np.array([[L, B], [B, R], [R, T], [T, L]], dtype=np.int64), budget)
    ev = _Grow(np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int64), budget)
    eline = _Grow(np.array([B, R, T, L], dtype=np.int64), budget)
    faces = _Faces(budget)
    codes = _GrowCols(np.zeros((1, N), dtype=bool), budget=budget)
    Z = X.v.copy()
    offset = 0
    depth = len(net.layers)
    ctx = context(net.to_float(), "plain")
    for l, lay in enumerate(net.layers):
        nl = lay.n_neurons
        if budget is not None:   # Z, |Z| and the temporaries of the pre-activations and their magnitudes
            budget.need(8 * len(Z) * (2 * Z.shape[1] + 3 * nl))
        state = ctx.points(Z)
        tol = SNAP * ctx.magnitude(l, state).max(axis=0)
        if l == 0 and lay.skip is None:   # Z is the vertex coordinates
            P = _FirstLayer(X, lay)
        else:
            P = _Interpolated(ctx.pre(l, state), len(Z), budget)
        state = None
        # the layer input at the vertices is needed again only for a skip connection
        Zg = _Interpolated(Z, len(Z), budget) if lay.skip is not None else None
        for j in range(nl):
            before = faces.start.n
            _cut(offset + j, j, P, tol[j], Zg, X, vlines, ev, eline, codes, faces)
            nf = faces.start.n
            if nf == before:   # no face was cut
                continue
            if budget is not None:
                budget.n_found = nf
            if max_regions is not None and nf > max_regions:
                raise RegionBudgetExceeded(nf, max_regions)
            if faces.FV.n > 3 * int(faces.length.v.sum()) + 64:
                faces.compact()
        if progress is not None:
            progress(faces.start.n, f"layer {l + 1}/{depth}")
        if budget is not None:   # the layer output and its temporaries
            budget.need(8 * P.n * (2 * nl + lay.output_dim))
        if l + 1 < depth:   # the layer output at every vertex, from the (snapped) P
            Zin = Zg.v.T if Zg is not None else np.empty((P.n, 0))   # (the input only feeds a skip)
            Z = ctx.advance(l, P.at_vertices(tol), ctx.points(Zin), None)[0][:, :-1]
        if budget is not None:
            budget.untrack(*[G for G in (P, Zg) if isinstance(G, _GrowCols)])
        P = Zg = None
        offset += nl
    if budget is not None:   # the copies below
        budget.need(X.v.nbytes + vlines.v.nbytes + ev.v.nbytes + eline.v.nbytes + codes.v.nbytes
                    + 3 * faces.FV.v.nbytes)
        budget.untrack(X, vlines, ev, eline, codes, *faces.buffers())
    fptr, fv, fe = faces.csr()
    return Subdivision(X.v.copy(), vlines.v.copy(), fptr, fv, fe, ev.v.copy(), eline.v.copy(),
                       np.ascontiguousarray(codes.v.T), N)


def _cut(g, j, P, tol, Zg, X, vlines, ev, eline, codes, faces):
    """Cut the subdivision by neuron ``g`` (column ``j`` of the current layer)."""
    cv = codes.v
    side = P.one_sign(j, tol)   # many neurons miss the box: one strict sign at every vertex
    if side:
        cv[g] = side > 0
        return
    vals = P.row(j)
    small = np.abs(vals) <= tol
    if small.any():
        vals[small] = 0.0
    s = (vals > 0).astype(np.int8) - (vals < 0)
    FV, FE = faces.FV, faces.FE
    nf = faces.start.n
    # faces whose vertices all have one strict sign: the sign of their first vertex
    cv[g] = s[FV.a[faces.start.v]] >= 0
    E = ev.v
    s0, s1 = s[E[:, 0]], s[E[:, 1]]
    prod = s0 * s1
    cross_e = prod < 0
    touch = cross_e | (prod == 0)
    if not touch.any():
        return
    mark = np.zeros(nf + 1, dtype=bool)   # faces on either side of a touched edge (-1: none)
    mark[faces.ef.v[touch].ravel() + 1] = True
    cand = np.flatnonzero(mark[1:])
    pos, seg, rep = faces.positions(cand)
    sp = s[FV.a[pos]]
    has_pos = np.maximum.reduceat(sp, seg[:-1]) > 0
    has_neg = np.minimum.reduceat(sp, seg[:-1]) < 0
    cv[g, cand] = has_pos | ~has_neg
    crossed = has_pos & has_neg
    if not crossed.any():
        return
    cf = cand[crossed]
    lens = np.diff(seg)
    pos = pos[np.repeat(crossed, lens)]     # the cycles of the crossed faces among cand's
    seg = np.concatenate([[0], np.cumsum(lens[crossed])])
    m = len(cf)
    fv = FV.a[pos]
    fe = FE.a[pos]
    sp = s[fv]
    nxt = np.arange(1, len(pos) + 1)
    nxt[seg[1:] - 1] = seg[:-1]
    # 1. split every edge whose ends have strictly opposite signs
    cedges = np.flatnonzero(cross_e)
    k = len(cedges)
    ne = ev.n
    nv = X.n
    if k:
        a, c = E[cedges, 0], E[cedges, 1]
        # split edge cedges[i] gets vertex nv + i and its second half is edge ne + i
        va, vc = vals[a], vals[c]
        t = (va / (va - vc))[:, None]
        tt = t[:, 0]
        if codes.budget is not None:   # the interpolated values' temporaries and new columns
            codes.budget.need(P.split_bytes(k) + (0 if Zg is None else Zg.split_bytes(k))
                              + k * codes.a.shape[0])
        P.split(a, c, tt, j)
        if Zg is not None:
            Zg.split(a, c, tt)
        Xa = X.v[a]
        X.extend(Xa + t * (X.v[c] - Xa))
        lines = eline.v[cedges]
        vlines.extend(np.stack([lines, np.full(k, g, dtype=np.int64)], axis=1))
        ev.extend(np.stack([nv + np.arange(k), c], axis=1))
        eline.extend(lines)
        faces.ef.extend(faces.ef.v[cedges])
        ev.a[cedges, 1] = nv + np.arange(k)
        s = np.concatenate([s, np.zeros(k, dtype=np.int8)])
        ins = (sp * sp[nxt]) < 0
        cnt = 1 + ins.astype(np.int64)
        out_start = np.cumsum(cnt) - cnt
        total = int(out_start[-1] + cnt[-1])
        nfv = np.empty(total, dtype=np.int64)
        nfe = np.empty(total, dtype=np.int64)
        nfv[out_start] = fv
        nfe[out_start] = fe
        pi = np.flatnonzero(ins)
        e = fe[pi]
        ie = np.searchsorted(cedges, e)
        forward = fv[pi] == a[ie]
        nfe[out_start[pi]] = np.where(forward, e, ne + ie)
        nfv[out_start[pi] + 1] = nv + ie
        nfe[out_start[pi] + 1] = np.where(forward, ne + ie, e)
        seg = np.concatenate([[0], np.cumsum(np.add.reduceat(cnt, seg[:-1]))])
        fv, fe = nfv, nfe
        sp = s[fv]
        nxt = np.arange(1, len(fv) + 1)
        nxt[seg[1:] - 1] = seg[:-1]
    # 2. cut every crossed face along the chord between its two zero vertices
    fof = np.repeat(np.arange(m), np.diff(seg))
    nzp = np.flatnonzero(sp != 0)
    nzf = fof[nzp]
    run_start = np.flatnonzero(np.concatenate([[True], nzf[1:] != nzf[:-1]]))
    nidx = np.arange(1, len(nzp) + 1)
    nidx[np.concatenate([run_start[1:], [len(nzp)]]) - 1] = run_start
    trans = sp[nzp] != sp[nzp[nidx]]
    pos_down = nzp[trans & (sp[nzp] > 0)]
    pos_up = nzp[trans & (sp[nzp] < 0)]
    if (len(pos_down) != m or len(pos_up) != m
            or np.any(fof[pos_down] != np.arange(m)) or np.any(fof[pos_up] != np.arange(m))):
        raise Inconsistent(f"neuron {g}: a face is crossed more than once by its zero line")
    c1 = nxt[pos_down]   # first zero after the + run: the + face ends here
    c2 = nxt[pos_up]     # first zero after the - run: the - face ends here
    if np.any(sp[c1] != 0) or np.any(sp[c2] != 0):
        raise Inconsistent(f"neuron {g}: a cut does not pass through a zero vertex")
    st = seg[:-1]
    n = np.diff(seg)
    o1, o2 = c1 - st, c2 - st
    Lp = (o1 - o2) % n + 1
    Lm = (o2 - o1) % n + 1
    out_len = np.concatenate([Lp, Lm])
    out_off = np.concatenate([o2, o1])
    src_start = np.concatenate([st, st])
    src_len = np.concatenate([n, n])
    new_ptr = np.concatenate([[0], np.cumsum(out_len)])
    tot = int(new_ptr[-1])
    orep = np.repeat(np.arange(2 * m), out_len)
    r = np.arange(tot) - new_ptr[:-1][orep]
    src = src_start[orep] + (out_off[orep] + r) % src_len[orep]
    nfv = fv[src]
    nfe = fe[src]
    chord = ev.n + np.arange(m)
    minus_ids = nf + np.arange(m)
    ev.extend(np.stack([fv[c1], fv[c2]], axis=1))
    eline.extend(np.full(m, g, dtype=np.int64))
    faces.ef.extend(np.stack([cf, minus_ids], axis=1))
    nfe[new_ptr[1: m + 1] - 1] = chord
    nfe[new_ptr[m + 1:] - 1] = chord
    # the - parts are new faces: relabel their (non-chord) edges in ef
    keep = np.ones(tot - new_ptr[m], dtype=bool)
    keep[new_ptr[m + 1:] - 1 - new_ptr[m]] = False    # the chords
    mpos = new_ptr[m] + np.flatnonzero(keep)
    me = nfe[mpos]
    back = (nfv[mpos] != ev.a[me, 0]).astype(np.int64)
    faces.ef.a[me, back] = minus_ids[orep[mpos] - m]
    base = faces.FV.n
    faces.FV.extend(nfv)
    faces.FE.extend(nfe)
    faces.start.a[cf] = base + new_ptr[:m]
    faces.length.a[cf] = Lp
    faces.start.extend(base + new_ptr[m:-1])
    faces.length.extend(Lm)
    cv[g, cf] = True
    minus_codes = cv[:, cf]
    codes.append(m)[...] = minus_codes
    codes.a[g, codes.n - m: codes.n] = False
