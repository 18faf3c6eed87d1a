"""The any-dimension region engine: a facet walk with LPs and exact certificates.

Starting from one region, the walk visits regions breadth first. For a region with code
``s`` every pre-activation is affine on its closed cell (:meth:`Network.preactivation_maps`),
so the closure is the polyhedron ``{x in domain : s_k pre_k(x) >= 0 for every neuron k}``.
For each region:

1. *Constraints.* Neurons whose map is identically zero on the cell constrain nothing (their
   sign is +1 there). The others give unit-normalised rows ``G x <= h``; rows that are the
   same hyperplane (duplicate neurons, ``(a, b)`` and ``(-a, -b)``, later-layer neurons whose
   zero set bends along an earlier one) form one *group*: one candidate facet. Distinct
   hyperplanes within float resolution of a group (either orientation) are its *near* rows.
2. *Interior point.* An LP maximises the common slack ``t <= 1`` (a Chebyshev centre; the cap
   makes unbounded regions of R^D work).
3. *Facets.* Groups whose hyperplane misses the region's bounding box are skipped, and so are
   facets already known from the neighbour's side. For each remaining group an LP maximises
   the slack of every other row on the group's hyperplane (near rows need only a small
   fraction of it, so thin slabs between close parallel hyperplanes are still crossed); a
   positive optimum is a facet, and its optimiser a point in the facet's relative interior.
   The candidates come from a conservative float filter: with the centre ``x`` strictly
   inside, row k can only be a facet when ``G_k / (h_k - G_k x)`` is near the boundary of the
   convex hull of these points and the origin (polar duality; one Qhull call), or, when that
   hull is degenerate, when its hyperplane meets the region's bounding box.
4. *Neighbour.* Across the facet the lowest-layer neurons of the group flip; every later
   neuron keeps its sign unless it vanishes on the facet too, in which case its sign on the
   far side is the sign of its (far-side) derivative along the outward normal (0: it is
   identically zero there, sign +1). All differing neurons are the edge's flips, so a
   non-generic facet reports two or more.

In ``arithmetic="exact"`` the combinatorics (identically zero rows, groups, the neighbour's
code) are decided in exact rationals from the exact cell maps, and every region and every
adjacency is certified by :mod:`vqgeom.exact.certificates`: a rational interior point (the LP
centre at its exact binary64 value; when that fails for a sliver region, points stepped in
from the facet it was entered through) and a rational facet point (the LP's facet point
projected exactly onto the facet hyperplane). A failed check raises
:class:`~vqgeom.errors.CertificateError`. Float mode runs the same walk with tolerances.

*Completeness (exact mode).* After its facet LPs, every constraint group ``g`` of every
reached region P (rows ``a x <= b`` in exact rationals; the groups are checked to be exactly
the classes of positively proportional rows) is certified to be one of

* a *facet with a neighbour*: an edge of P has an exact facet witness p on g's hyperplane
  (:func:`check_facet`: every row of P vanishing at p is a positive multiple of g, p strictly
  inside the domain), so p is in the relative interior of the facet ``P ∩ H_g``;
* *redundant*: an exact Farkas certificate ``lambda >= 0`` over the rows outside g (neuron
  rows and domain box rows), ``sum lambda_i a_i = a_g``, ``sum lambda_i b_i <= b_g``
  (:func:`check_redundant`). The basis comes from the polar hull of the float interior point
  (the hull facet that the ray towards ``u_g`` leaves through) or from a dual LP, and the
  multipliers are solved exactly on it.

A group that is neither is re-examined: the other rows are restricted to its hyperplane in
exact arithmetic and re-normalised (rows nearly parallel to it, invisible to float64 LPs at
their original scale, become ordinary constraints), a Chebyshev LP in D - 1 dimensions
proposes a point, and if that rational point satisfies every other row strictly it is a facet
witness: the neighbour is certified and joins the walk. Otherwise cddlib's exact rational
LPs decide the group (:meth:`_Walk._decide_cdd`): ``max a_g x`` over the other rows gives an
exact Farkas certificate (its dual solution, checked exactly) when g is redundant, else a
max-slack LP on g's hyperplane gives an exact relative-interior facet point; for a
full-dimensional region one of the two always exists. The partition's engine then reads
``"lp+cdd"``. Box rows need no certificate.

A float facet point that fails its exact check is a rejected proposal, not an error: near
rows (hyperplanes within float resolution of the group's) need only a slack of ``1e-6 t``
in the facet LP, which is below HiGHS's feasibility tolerance when ``t`` is small, so the
LP's optimum may violate them. Such a group stays uncertified until the completeness
stage decides it exactly. If a :class:`~vqgeom.errors.DegenerateInputError` still arises
in exact mode (e.g. no starting region), the whole partition comes from the exact
:mod:`vqgeom.regions.cdd` engine (engine ``"lp+cdd"``).

Why this proves the region set complete: let Q be any region (open cell with non-empty
interior in the domain Ω, a box or R^D) and x0 an interior witness of a reached region. Take
y in the interior of Q, chosen so that the segment [x0, y] meets no face of dimension <= D - 2
of any cell (such y are dense in Q: the bad ones lie in finitely many cones of dimension
<= D - 1). Ω is convex, so the segment stays in Ω's interior; it passes through finitely many
cells, and each change of cell happens at a point z in the relative interior of a facet F
shared by the cell before (P) and after (Q'). If P was reached and Q' not, take the
first such change. F = P ∩ H lies in a hyperplane H, and some row of P defines F; it is no box
row (z is inside Ω), so it belongs to a neuron group g with H_g = H, and every row defining F
is in g (same halfspace, exactly proportional). g is not certified redundant, since then P is
cut out by the rows outside g and one of them would define F. So g carries an edge witness p
in relint(P ∩ H_g) = relint(F), with a reached neighbour. Across relint(F) there is exactly
one region (a neuron that vanishes at one relative interior point of F vanishes on all of F,
since it has one sign on P; its far-side sign is fixed by its far-side derivative, layer by
layer), so that neighbour is Q', a contradiction. Hence every cell along the segment, Q
included, is reached. (This is the connectivity of the facet graph, made exact.)

Limits: float mode, and the walk's LPs in both modes, resolve regions or facets whose
inradius is above about ``1e-9`` (times the box size / 1e4 for boxes wider than 1e4); thinner
ones may be missed in float mode. Exact mode recovers them through the re-examination above
and cddlib's exact LPs; what it reports is certified: every region, every facet, and the
completeness of the list. Float mode certifies nothing (no exact checks at all).
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import deque
from fractions import Fraction
from itertools import combinations

import numpy as np

from vqgeom.errors import CertificateError, DegenerateInputError, RegionBudgetExceeded
from vqgeom.exact.arith import context, scale_of, to_fmpq
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.partition import Partition

__all__ = ["enumerate_partition", "enclosing_box", "supports"]

#: relative slack below which an LP answer counts as "no interior" / "no facet"
_EPS = 1e-9


def supports(net, domain, arithmetic) -> bool:
    """The LP engine handles every input dimension on a box or on all of R^D (nothing else:
    a union of boxes is decomposed by the dispatcher), for networks without max layers (the
    dispatcher runs those on their ReLU tournament, :mod:`vqgeom.regions._max_tournament`)."""
    return isinstance(domain, (Box, Whole)) and not net.has_max


class _Cell:
    """A code with its chain of layer-input maps and pre-activation maps (homogeneous maps
    of the arithmetic core's context, :mod:`vqgeom.exact.arith`)."""

    __slots__ = ("code", "chain", "maps", "entry")

    def __init__(self, code, chain, maps):
        self.code = code
        self.chain = chain
        self.maps = maps
        self.entry = None  # (exact facet point, exact inward direction) it was entered through


def _build_cell(arith, code):
    """The chain of layer-input maps and the pre-activation maps of ``code``."""
    chain, maps = [], []
    state = arith.start()
    for l in range(len(code)):
        chain.append(state)
        maps.append(arith.pre(l, state))
        if l + 1 < len(code):
            state = arith.advance(l, maps[-1], state, code[l])
    return _Cell(code, chain, maps)


class _Analysis:
    """A cell's constraint rows (float, unit normals), groups and identically-zero neurons."""

    __slots__ = ("G", "h", "GA", "hA", "neuron", "neuron_arr", "gid", "groups", "near", "zero",
                 "entries", "offsets", "D", "code", "valid", "hull")

    def exact_row(self, flat):
        """``(row, c, s)``: the exact map of neuron ``flat`` on the cell and its sign."""
        l = bisect_right(self.offsets, flat) - 1
        k = flat - self.offsets[l]
        He = self.entries[l]            # row-major entries of the map [A c]
        D = self.D
        return He[k * (D + 1):k * (D + 1) + D], He[k * (D + 1) + D], (1 if self.code[l][k] else -1)


def _proportional(r1, r2):
    """True when the exact rows (lists) satisfy r2 = lam * r1 with lam > 0."""
    lam = scale_of(r2, r1)
    return lam is not None and lam > 0


def _analyse(arith, cell, offsets, box_G, box_h):
    """Rows ``G x <= h`` (one per non-trivial neuron), grouped by hyperplane.

    Exact mode decides identically zero maps, constant signs and groups exactly (the float
    clustering only proposes groups); float mode uses relative tolerances.
    """
    D = arith.D
    code = cell.code
    an = _Analysis()
    an.valid = True
    an.hull = None
    an.offsets = offsets
    an.D = D
    an.code = code
    zero = set()
    Gs, hs, neuron = [], [], []
    entries = []
    exact = arith.mode == "exact"
    for l, hmap in enumerate(cell.maps):
        want = np.asarray(code[l], dtype=bool)
        if exact:
            He = hmap.entries()
            entries.append(He)
            n = hmap.nrows()
            Hf = np.array([float(v) for v in He], dtype=np.float64).reshape(n, D + 1)
            A, c = Hf[:, :D], Hf[:, D]
            ce = He[D::D + 1]
            norms = np.linalg.norm(A, axis=1)
            zrow = norms == 0.0
            for k in np.flatnonzero(zrow).tolist():
                if any(v != 0 for v in He[k * (D + 1):k * (D + 1) + D]):
                    raise DegenerateInputError(
                        f"neuron ({l}, {k}) has a non-zero map too small for float64 LPs")
                if ce[k] == 0:
                    zero.add(offsets[l] + k)
                    if not want[k]:
                        an.valid = False
                elif (ce[k] > 0) != want[k]:
                    an.valid = False
        else:
            A, c = arith.split(hmap)
            if not len(c):
                continue
            norms = np.linalg.norm(A, axis=1)
            scale = max(1.0, float(norms.max()), float(np.abs(c).max()))
            zrow = norms <= 1e-13 * scale
            zval = np.abs(c) <= 1e-13 * scale
            zero.update((offsets[l] + np.flatnonzero(zrow & zval)).tolist())
            if np.any(zrow & ~zval & ((c > 0) != want)):
                an.valid = False
        keep = np.flatnonzero(~zrow)
        sg = np.where(want[keep], 1.0, -1.0)
        Gs.append(-(sg / norms[keep])[:, None] * A[keep])
        hs.append(sg * c[keep] / norms[keep])
        neuron.extend((offsets[l] + keep).tolist())
    an.entries = entries
    an.G = np.concatenate(Gs).reshape(-1, D) if Gs else np.zeros((0, D))
    an.h = np.concatenate(hs) if hs else np.zeros(0)
    groups = []
    near = {}  # group index -> rows of other hyperplanes within float resolution
    if len(neuron):
        R = np.column_stack([an.G, an.h])
        # cluster hyperplanes within float resolution, either orientation (a thin slab
        # between two close parallel hyperplanes is a cluster too)
        probe = np.sin(np.arange(1, D + 1) * 1.618033988749895) + 0.5  # any generic vector
        orient = np.where(an.G @ probe >= 0, 1.0, -1.0)
        Rc = R * orient[:, None]
        tol = 1e-9 * (1.0 + np.abs(R[:, -1]))
        close = np.max(np.abs(Rc[:, None, :] - Rc[None, :, :]), axis=2) <= tol[:, None]
        np.fill_diagonal(close, False)
        if not close.any():
            groups = [[i] for i in range(len(R))]
        else:
            done = np.zeros(len(R), dtype=bool)
            for i in range(len(R)):
                if done[i]:
                    continue
                members = [i] + [j for j in np.flatnonzero(close[i]).tolist() if not done[j]]
                done[members] = True
                if len(members) == 1:
                    groups.append(members)
                    continue
                cluster = list(members)
                if exact:  # a group: exactly the same signed row up to a positive factor
                    rows = {}
                    for r in members:
                        row, cc, sgn = an.exact_row(neuron[r])
                        rows[r] = [v * sgn for v in row] + [cc * sgn]
                    same = lambda u, v: _proportional(rows[u], rows[v])
                else:  # float: the same orientation within the cluster
                    same = lambda u, v: orient[u] == orient[v]
                parts = []
                while members:
                    head, rest = members[0], []
                    sub = [head]
                    for r in members[1:]:
                        (sub if same(head, r) else rest).append(r)
                    parts.append(sub)
                    members = rest
                for sub in parts:
                    if len(parts) > 1:
                        near[len(groups)] = [r for r in cluster if r not in sub]
                    groups.append(sub)
    an.GA = np.concatenate([an.G, box_G])
    an.hA = np.concatenate([an.h, box_h])
    an.neuron = neuron
    an.neuron_arr = np.array(neuron, dtype=np.int64)
    gid = np.zeros(len(neuron), dtype=np.int64)
    for gi, g in enumerate(groups):
        gid[g] = gi
    an.gid = gid
    an.groups = groups
    an.near = near
    an.zero = zero
    return an


def _fq_point(x):
    return [to_fmpq(float(v)) for v in x]


def _frac(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


# ----------------------------------------------------------------------------- the walk
class _Walk:
    def __init__(self, net, domain, arithmetic, max_regions=None, progress=None,
                 collect_facets=False):
        self.net = net
        self.domain = domain
        self.arithmetic = arithmetic
        self.exact = arithmetic == "exact"
        self.fnet = net.to_float()
        self.arith = context(net, "exact") if self.exact else context(self.fnet, "plain")
        self.D = net.input_dim
        self.max_regions = max_regions
        self.progress = progress
        self.collect = collect_facets
        self.offsets = np.r_[0, np.cumsum(net.widths)].astype(int).tolist()
        self.layer_of = [l for l, w in enumerate(net.widths) for _ in range(w)]
        if isinstance(domain, Box):
            lo = np.array([float(v) for v in domain.lower])
            hi = np.array([float(v) for v in domain.upper])
            D = self.D
            self.box_G = np.r_[np.eye(D), -np.eye(D)]
            self.box_h = np.r_[hi, -lo]
            self.scale = float(np.max(hi - lo))
            self.lo, self.hi = lo, hi
        else:
            self.box_G = np.zeros((0, self.D))
            self.box_h = np.zeros(0)
            self.scale = 1.0
            self.lo = self.hi = None
        # slacks are Euclidean distances (unit rows): an absolute threshold, loosened only
        # for very large boxes, where float rounding of the rows grows with |x|
        self.eps = _EPS * max(1.0, self.scale / 1e4)
        self.n_lps = 0
        self.n_exact_lps = 0  # cddlib's exact LPs, where the float LPs could not decide
        self._solver = None

    # ------------------------------------------------------------------ helpers
    def _code_at(self, x):
        signs = self.fnet.signs(np.asarray(x, dtype=np.float64)[None, :])
        return tuple(tuple(bool(v) for v in s[0]) for s in signs)

    def _lp(self, an):
        from vqgeom.regions._lp_solver import RegionLP

        if self._solver is None:
            from vqgeom.regions._lp_solver import new_solver

            self._solver = new_solver()
        return RegionLP(an.GA, an.hA, self._solver)

    def _certify_interior(self, cell, x, t, an=None):
        """An exact (or float) interior witness of ``cell``: the float centre, points
        stepped in from the facet it was entered through, or cddlib's exact max-slack LP
        over the rows of ``an``."""
        if not self.exact:
            return tuple(float(v) for v in x)
        from vqgeom.exact.certificates import check_interior

        error = None
        if x is not None:
            try:
                check_interior(self.net, cell.code, [float(v) for v in x], self.domain, maps=cell.maps)
                return tuple(Fraction(float(v)) for v in x)
            except CertificateError as exc:
                error = exc
        if cell.entry is not None:  # step in from the facet it was entered through
            p, d = cell.entry
            step = Fraction(1)
            for _ in range(200):
                cand = [pi + di * step for pi, di in zip(p, d)]
                try:
                    check_interior(self.net, cell.code, cand, self.domain, maps=cell.maps)
                    return tuple(cand)
                except CertificateError:
                    step /= 4
        if an is not None:
            from vqgeom.exact.cddlp import max_slack

            ex = self._exact_rows(an)
            rows = [ex(r) for r in range(len(an.GA))]
            self.n_exact_lps += 1
            p, tq = max_slack([a for a, _ in rows], [b for _, b in rows])
            if p is not None and tq > 0:
                check_interior(self.net, cell.code, p, self.domain, maps=cell.maps)
                return tuple(p)
        raise error if error is not None else CertificateError(
            f"no interior witness found for region {cell.code}")

    def _start_cell(self):
        rng = np.random.default_rng(20240601)
        if self.lo is not None:
            centre, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        else:
            centre, half = np.zeros(self.D), np.ones(self.D)
        x0 = centre
        for attempt in range(200):
            code = self._code_at(x0)
            cell = _build_cell(self.arith, code)
            an = _analyse(self.arith, cell, self.offsets, self.box_G, self.box_h)
            if an.valid:
                lp = self._lp(an)
                x, t = lp.chebyshev()
                self.n_lps += 1
                if t is not None and t > self.eps:
                    return cell, an, lp, x, t
            x0 = centre + rng.uniform(-0.9, 0.9, self.D) * half * (1 if attempt < 100 else 0.1)
        raise DegenerateInputError("the LP engine found no full-dimensional starting region")

    # ----------------------------------------------------------- facet filter
    def _candidates(self, an, lp, x):
        """Rows whose hyperplane may carry a facet (a conservative float filter), or None.

        With ``x`` strictly inside, row k is a facet exactly when ``u_k = G_k / (h_k - G_k x)``
        is a vertex of ``conv({0} u {u})`` (polar duality); rows near that hull's boundary
        are kept. When the hull is degenerate, the region's bounding box (2 D LPs) decides.
        """
        G, h = an.GA, an.hA
        n = len(an.G)
        D = self.D
        if x is not None and D >= 2:
            d = h - G @ x
            if np.all(d > 0):
                U = G / d[:, None]
                try:
                    from scipy.spatial import ConvexHull

                    hull = ConvexHull(np.concatenate([np.zeros((1, D)), U]))
                    eq = hull.equations
                    an.hull = (x, U, eq, hull.simplices)
                except Exception:
                    eq = None
                if eq is not None:
                    dist = np.max(U @ eq[:, :D].T + eq[:, D], axis=1)
                    return dist[:n] >= -1e-8 * max(1.0, float(np.abs(U).max()))
        lo, hi = lp.bounds()
        self.n_lps += 2 * D
        Gn, hn = an.G, an.h
        with np.errstate(invalid="ignore"):
            top = np.where(Gn > 0, Gn * hi, Gn * lo)
        top = np.where(Gn == 0, 0.0, top)
        mx = top.sum(axis=1)
        span = np.where(np.isfinite(hi - lo), hi - lo, 0.0)
        tol = 1e-7 * (1.0 + np.abs(hn) + np.abs(Gn) @ span)
        return ~np.isfinite(mx) | (mx >= hn - tol)

    # ------------------------------------------------------------ one facet
    def _take_facet(self, i, cell, an, gi, point, force=False):
        """Record the facet of group ``gi`` of region ``i`` through ``point`` and its neighbour.

        In exact mode ``point`` (fmpq list) is checked with :func:`check_facet`. With
        ``force`` the check runs even when the edge is already known (it then certifies that
        this group carries a facet); returns True when the facet was certified.
        """
        from vqgeom.exact.certificates import check_facet

        g = an.groups[gi]
        rep = g[0]
        members = [an.neuron[r] for r in g]
        code_b, cell_b, flips = self._neighbour(cell, an, members, rep)
        j = self.index.get(code_b)
        known_edge = j is not None and (min(i, j), max(i, j)) in self.edges
        if known_edge and not force:
            return False
        pending = self.pending
        if self.exact:
            maps_b = cell_b.maps if j is None or j not in pending else pending[j][0].maps
            try:
                got = check_facet(self.net, cell.code, code_b, point, self.domain,
                                  maps_a=cell.maps, maps_b=maps_b)
            except CertificateError:
                if force:
                    raise
                # a float LP's facet point that fails its exact check (rows within float
                # resolution of the facet's hyperplane): no facet is recorded, and
                # _certify_complete decides the group exactly
                return False
            if got != flips:
                raise CertificateError(f"facet flips {got} differ from the walk's {flips}")
            point = tuple(_frac(v) for v in point)
        if known_edge:
            return True
        if j is None:
            j = len(self.codes)
            if self.max_regions is not None and j + 1 > self.max_regions:
                raise RegionBudgetExceeded(j + 1, self.max_regions)
            self.codes.append(code_b)
            self.index[code_b] = j
            self.known.append(set())
            if self.collect:
                self.facets.append([])
            if self.exact:
                row, _, s = an.exact_row(an.neuron[rep])
                cell_b.entry = ([v for v in point], [Fraction(-s) * _frac(v) for v in row])
            pending[j] = (cell_b, None)
            self.queue.append(j)
        self.edges[(min(i, j), max(i, j))] = (i, j, flips, point)
        flat = {self.offsets[l] + k for l, k in flips}
        self.known[i] |= flat
        self.known[j] |= flat
        if self.collect:
            row = an.exact_row(an.neuron[rep]) if self.exact else None
            self.facets[i].append(row)
            self.facets[j].append(row)
        return True

    # ------------------------------------------------------ completeness
    def _exact_rows(self, an):
        """A function ``r -> (a, b)``: row r of ``an.GA x <= an.hA`` in exact rationals."""
        n, D = len(an.G), self.D
        cache = {}
        if self.lo is not None and not hasattr(self, "_ex_box"):
            zero, one = to_fmpq(0), to_fmpq(1)
            lo = [to_fmpq(v) for v in self.domain.lower]
            hi = [to_fmpq(v) for v in self.domain.upper]
            box = []
            for sgn, bound in ((one, hi), (-one, [-v for v in lo])):
                for k in range(D):
                    box.append(([sgn if c == k else zero for c in range(D)], bound[k]))
            self._ex_box = box

        def get(r):
            got = cache.get(r)
            if got is None:
                if r < n:
                    row, c, sg = an.exact_row(an.neuron[r])
                    got = ([v * (-sg) for v in row], c * sg)
                else:
                    got = self._ex_box[r - n]
                cache[r] = got
            return got

        return get

    def _check_groups(self, an, ex):
        """Check that no two groups hold positively proportional rows (exactly).

        Rows are compared exactly where their unit-normalised float rows agree to 1e-6;
        exactly proportional rows agree to float rounding (about 1e-15), far inside that.
        """
        R = np.column_stack([an.G, an.h])
        if len(R) < 2:
            return
        diff = np.max(np.abs(R[:, None, :] - R[None, :, :]), axis=2)
        near = diff <= 1e-6 * (1.0 + np.abs(an.h))[:, None]
        near &= an.gid[:, None] != an.gid[None, :]
        for u, v in zip(*np.nonzero(np.triu(near))):
            au, bu = ex(int(u))
            av, bv = ex(int(v))
            if _proportional(list(au) + [bu], list(av) + [bv]):
                raise CertificateError(
                    f"rows {int(u)} and {int(v)} of region {an.code} are the same halfspace but "
                    f"were not grouped")

    def _certify_complete(self, i, cell, an, x):
        """Certify every constraint group of region ``i`` as a facet or as redundant.

        Groups carrying an edge's facet witness are facets. Every other group gets an exact
        Farkas certificate over the rows outside it (basis from the polar hull, else from a
        dual LP); failing that, its hyperplane is re-examined with the other rows restricted
        to it and re-normalised, and a strict exact point there is a facet witness whose
        neighbour joins the walk. A group that is neither raises
        :class:`DegenerateInputError`.
        """
        from vqgeom.exact.certificates import check_redundant, check_redundant_many, farkas_solve

        if not len(an.groups):
            return
        cert = np.zeros(len(an.groups), dtype=bool)
        if self.known[i]:
            cert[an.gid[np.isin(an.neuron_arr, np.fromiter(self.known[i], dtype=np.int64))]] = True
        ex = self._exact_rows(an)
        self._check_groups(an, ex)
        todo = np.flatnonzero(~cert).tolist()
        if not todo:
            return
        todo = self._farkas_hull(an, x, todo, ex, farkas_solve, check_redundant_many)
        for gi in todo:
            if self._farkas_lp(an, gi, ex, farkas_solve, check_redundant):
                continue
            point = self._facet_exact(an, gi, ex)
            if point is not None and self._take_facet(i, cell, an, gi, point, force=True):
                continue
            if self._decide_cdd(i, cell, an, gi, ex):
                continue
            names = ", ".join(str(self.net.neuron_index[an.neuron[r]]) for r in an.groups[gi])
            raise DegenerateInputError(
                f"exact mode cannot certify whether the hyperplane of neuron(s) {names} carries "
                f"a facet of region {cell.code}: no exact Farkas certificate of redundancy and no "
                f"exact facet point was found (the float64 LPs cannot resolve it); the region "
                f"set would not be certified complete")

    def _decide_cdd(self, i, cell, an, gi, ex):
        """Decide group ``gi`` with cddlib's exact rational LPs, where float LPs are blind.

        ``max a_g x`` over the other rows: at most ``b_g`` gives an exact Farkas certificate
        (the dual solution, checked by :func:`check_redundant`); otherwise a max-slack LP
        on the hyperplane gives an exact relative-interior facet point, and the neighbour
        joins the walk. Returns True when decided (it always is: for a full-dimensional
        region a constraint that defines no facet is redundant).
        """
        from vqgeom.exact.cddlp import farkas, max_slack
        from vqgeom.exact.certificates import check_redundant, to_fmpq

        g = set(an.groups[gi])
        rows = [ex(r) for r in range(len(an.GA)) if r not in g]
        target = ex(an.groups[gi][0])
        self.n_exact_lps += 1
        lam = farkas([a for a, _ in rows], [b for _, b in rows], target)
        if lam is not None:
            check_redundant(target, rows, [to_fmpq(v) for v in lam])
            return True
        self.n_exact_lps += 1
        p, t = max_slack([a for a, _ in rows], [b for _, b in rows], on=target)
        if p is None or not t > 0:
            return False
        return self._take_facet(i, cell, an, gi, [to_fmpq(v) for v in p], force=True)

    def _farkas_hull(self, an, x, todo, ex, farkas_solve, check_many):
        """Farkas certificates from the polar hull; returns the groups still uncertified.

        With ``x`` strictly inside, row j is redundant iff ``u_j = G_j / (h_j - G_j x)`` lies
        in ``conv({0} u {u_i})``; the hull facet the ray from 0 through ``u_j`` leaves by
        names a basis (its D rows), on which the exact multipliers are solved and checked.
        """
        D = self.D
        if x is None or D < 2:
            return todo
        if an.hull is not None and an.hull[0] is x:
            _, U, eq, simp = an.hull
        else:
            G, h = an.GA, an.hA
            d = h - G @ x
            if not np.all(d > 0):
                return todo
            U = G / d[:, None]
            try:
                from scipy.spatial import ConvexHull

                hull = ConvexHull(np.concatenate([np.zeros((1, D)), U]))
            except Exception:
                return todo
            eq, simp = hull.equations, hull.simplices
        off = -eq[:, D]
        good = np.flatnonzero(off > 1e-12)
        if not len(good):
            return todo
        reps = [an.groups[gi][0] for gi in todo]
        score = (U[reps] @ eq[good, :D].T) / off[good]
        best = good[np.argmax(score, axis=1)]
        by = {}
        for gi, f in zip(todo, best.tolist()):
            by.setdefault(f, []).append(gi)
        left = []
        n = len(an.G)
        for f, gis in by.items():
            basis = [int(v) - 1 for v in simp[f] if v != 0]
            use = [gi for gi in gis
                   if not any(r < n and an.gid[r] == gi for r in basis)]
            left.extend(gi for gi in gis if gi not in use)
            if not use:
                continue
            rows = [ex(r) for r in basis]
            lams = farkas_solve(rows, [ex(an.groups[gi][0]) for gi in use])
            if lams is None:
                left.extend(use)
                continue
            bad = check_many([ex(an.groups[gi][0]) for gi in use], rows, lams)
            left.extend(gi for gi, why in zip(use, bad) if why is not None)
        return left

    def _farkas_lp(self, an, gi, ex, farkas_solve, check_redundant):
        """A Farkas certificate from the dual of ``max G_j x`` over the other rows."""
        from scipy.optimize import linprog

        g = set(an.groups[gi])
        rep = an.groups[gi][0]
        keep = np.array([r for r in range(len(an.GA)) if r not in g], dtype=np.int64)
        if not len(keep):
            return False
        self.n_lps += 1
        res = linprog(-an.GA[rep], A_ub=an.GA[keep], b_ub=an.hA[keep],
                      bounds=[(None, None)] * self.D, method="highs")
        if res.status != 0:
            return False
        lam = -np.asarray(res.ineqlin.marginals, dtype=np.float64)
        if not np.any(lam > 0):
            return False
        tol = 1e-12 * float(lam.max())
        support = []
        for k in np.argsort(-lam).tolist():
            if lam[k] <= tol or len(support) == self.D:
                break
            trial = support + [int(keep[k])]
            if np.linalg.matrix_rank(an.GA[trial]) == len(trial):
                support = trial
        rows = [ex(r) for r in support]
        lams = farkas_solve(rows, [ex(rep)])
        if lams is None:
            return False
        try:
            check_redundant(ex(rep), rows, lams[0])
        except CertificateError:
            return False
        return True

    def _facet_exact(self, an, gi, ex):
        """An exact point on group ``gi``'s hyperplane strictly inside every other row, or None.

        The other rows are restricted to the hyperplane exactly (one coordinate eliminated)
        and re-normalised there, so rows nearly parallel to it, whose restriction is tiny in
        float64, become well-scaled constraints for a Chebyshev LP in D - 1 dimensions.
        """
        from vqgeom.regions._lp_solver import RegionLP

        D = self.D
        g = set(an.groups[gi])
        a, b = ex(an.groups[gi][0])
        p = max(range(D), key=lambda k: abs(float(a[k])))
        ap = a[p]
        free = [k for k in range(D) if k != p]
        R, rhs = [], []
        for r in range(len(an.GA)):
            if r in g:
                continue
            ar, br = ex(r)
            f = ar[p] / ap
            row = [ar[k] - f * a[k] for k in free]
            c = br - f * b
            if all(v == 0 for v in row):
                if c > 0:
                    continue
                return None  # the hyperplane misses the region or touches it in a flat
            R.append(row)
            rhs.append(c)
        if D == 1 or not R:
            y = []
        else:
            Rf = np.array([[float(v) for v in row] for row in R], dtype=np.float64)
            cf = np.array([float(v) for v in rhs], dtype=np.float64)
            nrm = np.linalg.norm(Rf, axis=1)
            if np.any(nrm == 0) or not np.all(np.isfinite(cf / nrm)):
                return None
            self.n_lps += 1
            yf, t = RegionLP(Rf / nrm[:, None], cf / nrm).chebyshev()
            if yf is None or t is None or not t > 0:
                return None
            y = [to_fmpq(float(v)) for v in yf]
        for row, c in zip(R, rhs):
            if not sum((u * v for u, v in zip(row, y)), 0 * c) < c:
                return None
        point = [None] * D
        for k, v in zip(free, y):
            point[k] = v
        point[p] = (b - sum((a[k] * point[k] for k in free), 0 * b)) / ap
        return point

    # ---------------------------------------------------------------- neighbour
    def _neighbour(self, cell, an, members_neurons, rep_row):
        """The code across the facet of the group ``members_neurons``, its cell, and flips."""
        arith = self.arith
        D = self.D
        l0 = min(self.layer_of[k] for k in members_neurons)
        vanish = set(members_neurons) | an.zero
        code = [list(layer) for layer in cell.code]
        for k in members_neurons:
            if self.layer_of[k] == l0:
                j = k - self.offsets[l0]
                code[l0][j] = not code[l0][j]
        if self.exact:
            from flint import fmpq_mat

            row, _, s = an.exact_row(an.neuron[rep_row])
            normal = fmpq_mat(D + 1, 1, [-s * v for v in row] + [0])  # outward normal of this cell
        else:
            normal = an.G[rep_row]
        depth = self.net.depth
        chain = list(cell.chain[:l0 + 1])
        maps = list(cell.maps[:l0 + 1])
        for l in range(l0 + 1, depth):
            state = arith.advance(l - 1, maps[l - 1], chain[l - 1], code[l - 1])
            A = arith.pre(l, state)
            chain.append(state)
            maps.append(A)
            ks = [k for k in range(self.offsets[l], self.offsets[l + 1]) if k in vanish]
            if not ks:
                continue
            if self.exact:
                dvals = (A * normal).entries()
                for k in ks:
                    j = k - self.offsets[l]
                    d = dvals[j]
                    if d == 0:
                        if any(A[j, i] != 0 for i in range(D)):
                            raise CertificateError(
                                f"neuron ({l}, {j}) vanishes on a facet but crosses it: the facet "
                                f"point is not in a facet's relative interior")
                        code[l][j] = True
                    else:
                        code[l][j] = bool(d > 0)
            else:
                A = arith.split(A)[0]
                for k in ks:
                    j = k - self.offsets[l]
                    nrm = float(np.linalg.norm(A[j]))
                    d = float(A[j] @ normal)
                    code[l][j] = not (d < -1e-9 * nrm)
        code_b = tuple(tuple(layer) for layer in code)
        flips = tuple((l, j) for l in range(depth) for j in range(self.net.widths[l])
                      if code_b[l][j] != cell.code[l][j])
        return code_b, _Cell(code_b, chain, maps), flips

    def _facet_point(self, an, rep_row, q):
        if not self.exact:
            g, h = an.G[rep_row], an.h[rep_row]
            q = q - (g @ q - h) * g
            return tuple(float(v) for v in q)
        row, c, _ = an.exact_row(an.neuron[rep_row])
        p = _fq_point(q)
        val = sum((a * x for a, x in zip(row, p)), c)
        nn = sum((a * a for a in row), 0 * c)
        f = val / nn
        return [x - f * a for x, a in zip(p, row)]

    def _check_clusters(self, cell, an, lp, clusters):
        """Refuse, loudly, hyperplanes that float64 LPs cannot tell apart on this region.

        When distinct hyperplanes lie within float resolution of each other, none of them
        shows a facet, yet together they do, the regions between them cannot be resolved
        by the LPs; silently skipping them would lose regions.
        """
        for rows, found in clusters.items():
            if found:
                continue
            rows = sorted(rows)
            q, t = lp.facet(rows[0], rows)
            self.n_lps += 1
            if q is not None and t is not None and t > self.eps:
                names = ", ".join(str(self.net.neuron_index[an.neuron[r]]) for r in rows)
                raise DegenerateInputError(
                    f"the hyperplanes of neurons {names} are distinct but within float64 "
                    f"resolution of each other on region {cell.code}; the LP engine cannot "
                    f"resolve the regions between them (for D = 2 use engine='polygon')")

    # --------------------------------------------------------------------- run
    def run(self):
        cell, an, lp, x, t = self._start_cell()
        self.codes = codes = [cell.code]
        self.index = {cell.code: 0}
        witnesses = []
        self.edges = edges = {}
        self.known = known = [set()]
        self.facets = facets = [[]] if self.collect else None
        self.pending = pending = {0: (cell, (an, lp, x, t))}
        self.queue = queue = deque([0])
        while queue:
            i = queue.popleft()
            cell, pre = pending.pop(i)
            if pre is None:
                an = _analyse(self.arith, cell, self.offsets, self.box_G, self.box_h)
                if not an.valid:
                    raise CertificateError(f"region {cell.code} reached by the walk is empty")
                lp = self._lp(an)
                x, t = lp.chebyshev()
                self.n_lps += 1
            else:
                an, lp, x, t = pre
            if x is not None and self.lo is not None:
                x = np.clip(x, self.lo, self.hi)
            witnesses.append(self._certify_interior(cell, x, t, an))
            if self.progress is not None:
                self.progress(len(witnesses), "lp")
            ok = np.ones(len(an.groups), dtype=bool)
            clusters = {}  # near-duplicate hyperplanes: has any of them a facet here?
            for gi, rows in an.near.items():
                clusters.setdefault(frozenset(an.groups[gi]) | frozenset(rows), False)
            if known[i]:
                ok[an.gid[np.isin(an.neuron_arr, np.fromiter(known[i], dtype=np.int64))]] = False
                for gi in np.flatnonzero(~ok).tolist():
                    if gi in an.near:
                        clusters[frozenset(an.groups[gi]) | frozenset(an.near[gi])] = True
            if ok.sum() > 2 * self.D + 1:
                cand = self._candidates(an, lp, x)
                if cand is not None:
                    hit = np.zeros(len(an.groups), dtype=bool)
                    hit[an.gid[cand]] = True
                    ok &= hit
            for gi in np.flatnonzero(ok).tolist():
                g = an.groups[gi]
                q, tf = lp.facet(g[0], g, an.near.get(gi, ()))
                self.n_lps += 1
                if q is None or tf is None or tf <= self.eps:
                    continue
                if gi in an.near:
                    clusters[frozenset(g) | frozenset(an.near[gi])] = True
                self._take_facet(i, cell, an, gi, self._facet_point(an, g[0], q))
            if self.exact:
                self._certify_complete(i, cell, an, x)
            else:
                self._check_clusters(cell, an, lp, clusters)
        edge_list = [(a, b, fl, p) for (a, b, fl, p) in edges.values()]
        return codes, witnesses, edge_list, facets


# ------------------------------------------------------------------------- public API
def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None):
    """Enumerate the activation regions of ``net`` on ``domain`` by an LP facet walk.

    Parameters
    ----------
    net : Network
        Exact for ``arithmetic="exact"`` (the dispatcher converts), float otherwise.
    domain : Box or Whole
        Already normalised by :func:`vqgeom.regions.domain.as_domain`.
    arithmetic : {"exact", "float"}
        ``"exact"``: every region gets a rational interior witness and every adjacency a
        rational point in the relative interior of the shared facet, both checked exactly,
        and every other constraint of every region an exact Farkas certificate of
        redundancy, which certifies that no region is missing (module docstring).
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_regions_so_far, "lp")``.

    Returns
    -------
    Partition
        ``engine="lp"``, or ``"lp+cdd"`` where cddlib's exact LPs decided (``n_exact_lps``
        counts them); edges carry the flipped neurons and the facet witness.

    Raises
    ------
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.
    CertificateError
        When an exact check fails (a float stage went wrong; never silently ignored).
    DegenerateInputError
        In float mode only, when hyperplanes lie within float64 resolution of each other
        (exact mode falls back to cddlib's exact LPs there and answers).

    Examples
    --------
    >>> from vqgeom import Network
    >>> from vqgeom.regions.domain import Whole
    >>> net = Network([{"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -1]}], exact=True)
    >>> part = enumerate_partition(net, Whole())
    >>> part.n_regions, part.n_adjacencies       # 1 + 3 + 3 for 3 lines in general position
    (7, 9)
    """
    own = None
    if progress is True:
        from vqgeom.regions.progress import progress_reporter

        progress = own = progress_reporter(True)
    elif progress is False:
        progress = None
    if arithmetic not in ("exact", "float"):
        from vqgeom.errors import InvalidInputError

        raise InvalidInputError(f"arithmetic must be 'exact' or 'float', got {arithmetic!r}")
    if not isinstance(domain, (Box, Whole)):
        from vqgeom.errors import InvalidInputError

        raise InvalidInputError(f"the lp engine needs a Box or Whole domain, got {domain!r} "
                                f"(enumerate_regions decomposes unions of boxes)")
    net = net.to_exact() if arithmetic == "exact" else net.to_float()
    start = time.perf_counter()
    walk = _Walk(net, domain, arithmetic, max_regions=max_regions, progress=progress)
    try:
        codes, witnesses, edges, _ = walk.run()
    except DegenerateInputError as exc:
        if arithmetic != "exact":
            raise
        # the float LPs are blind here and the cell-local exact LPs did not help (e.g. no
        # starting region): the whole partition from the cdd engine's exact walk
        from vqgeom.regions._cdd_walk import CddWalk

        exact_walk = CddWalk(net, domain, max_regions=max_regions, progress=progress)
        codes, witnesses, edges = exact_walk.run()
        part = Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic,
                         engine="lp+cdd", seconds=time.perf_counter() - start)
        part.n_lps = walk.n_lps
        part.n_exact_lps = walk.n_exact_lps + exact_walk.n_lps
        part.fallback_reason = f"the float LP walk could not run ({exc}); cddlib's exact walk found every region"
        return part
    finally:
        if own is not None:
            own.close()
    # in 2-D a partition of the plane is drawn and clipped inside its frame box
    frame = None
    if isinstance(domain, Whole) and net.input_dim == 2:
        frame = enclosing_box(net, max_regions=max_regions)
    part = Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic,
                     engine="lp+cdd" if walk.n_exact_lps else "lp",
                     seconds=time.perf_counter() - start, frame=frame)
    part.n_lps = walk.n_lps
    part.n_exact_lps = walk.n_exact_lps
    return part


def _vertices(net, codes, facets, D):
    """Exact vertices of every region of R^D: feasible intersections of D facet hyperplanes."""
    from flint import fmpq_mat

    ctx = context(net, "exact")
    out = []
    for code, rows in zip(codes, facets):
        uniq = {}
        for row, c, _ in rows:
            piv = next(v for v in row if v != 0)
            key = tuple(v / piv for v in row) + (c / piv,)
            uniq[key] = (row, c)
        rows = list(uniq.values())
        if len(rows) < D:
            continue
        maps = None
        for sub in combinations(rows, D):
            A = fmpq_mat(D, D, [v for row, _ in sub for v in row])
            if A.det() == 0:
                continue
            b = fmpq_mat(D, 1, [-c for _, c in sub])
            v = A.solve(b)
            if maps is None:
                maps = ctx.cell_maps(code)
            vh = fmpq_mat(D + 1, 1, v.entries() + [1])
            ok = True
            for l, Hl in enumerate(maps):
                vals = (Hl * vh).entries()
                if any((val < 0) if code[l][k] else (val > 0) for k, val in enumerate(vals)):
                    ok = False
                    break
            if ok:
                out.append([_frac(e) for e in v.entries()])
    return out


def enclosing_box(net, *, max_regions=None) -> Box:
    """A box with integer bounds that gives exactly the regions and adjacencies of R^D.

    The regions of R^D are enumerated exactly (the LP walk on :class:`Whole`); the box's
    interior strictly contains an exact interior witness of every region, an exact
    relative-interior witness of every facet, and every vertex of the complex (for D <= 4:
    all feasible intersections of D facet hyperplanes of a region, computed exactly).

    Why enumerating on the box gives R^D's partition: every region R is convex, so
    ``R ∩ box`` is convex, hence connected: one region of the box, and it is non-empty
    because R's witness is inside. Every region of the box is such a piece, so the codes
    agree. A facet F shared by regions R, S has a witness p in the box's interior, so a
    neighbourhood of p in F lies inside the box and ``R ∩ box``, ``S ∩ box`` still share a
    (D-1)-dimensional facet; conversely a facet inside the box is part of a facet of R^D. So
    the adjacency graphs agree too; for D = 2 the box also shows every vertex, so planar
    counts (Euler's relation) of the boxed complex hold for the complex itself.

    Parameters
    ----------
    net : Network
    max_regions : int, optional
        Budget for the enumeration of R^D.

    Returns
    -------
    Box

    Raises
    ------
    RegionBudgetExceeded

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -10]}], exact=True)
    >>> box = enclosing_box(net)
    >>> all(lo < 0 and hi > 10 for lo, hi in zip(box.lower, box.upper))
    True
    """
    net = net.to_exact()
    walk = _Walk(net, Whole(), "exact", max_regions=max_regions, collect_facets=True)
    codes, witnesses, edges, facets = walk.run()
    D = net.input_dim
    points = [list(w) for w in witnesses] + [list(p) for _, _, _, p in edges]
    if D <= 4:
        points += _vertices(net, codes, facets, D)
    lo = [math.floor(min(p[i] for p in points)) - 1 for i in range(D)]
    hi = [math.ceil(max(p[i] for p in points)) + 1 for i in range(D)]
    return Box(lo, hi)
