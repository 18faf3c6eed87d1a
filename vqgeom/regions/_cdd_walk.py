"""The exact facet walk behind the ``cdd`` engine (see :mod:`vqgeom.regions.cdd`).

Kept apart from the engine module so that the ``lp`` engine can fall back to it without
importing an engine (and the result type) twice over: this module needs only the domain
types, the exact certificates and :mod:`vqgeom.exact.cddlp`.
"""

from __future__ import annotations

import math
from collections import deque

from vqgeom.errors import CertificateError, RegionBudgetExceeded
from vqgeom.exact.cddlp import _q, cdd_modules, max_slack
from vqgeom.regions.domain import Box

__all__ = ["ExactCell", "CddWalk", "frame_box"]


def _box_rows(domain, D):
    """The box ``lower <= x <= upper`` as exact rows ``a x <= b`` (none for Whole)."""
    from vqgeom.exact.certificates import to_fmpq

    if not isinstance(domain, Box):
        return [], []
    one, zero = to_fmpq(1), to_fmpq(0)
    rows, rhs = [], []
    for k in range(D):
        rows.append([one if j == k else zero for j in range(D)])
        rhs.append(to_fmpq(domain.upper[k]))
        rows.append([-one if j == k else zero for j in range(D)])
        rhs.append(-to_fmpq(domain.lower[k]))
    return rows, rhs


class ExactCell:
    """The closed cell of one code: exact maps, constraint groups and exact LPs on them.

    Parameters
    ----------
    net : Network
        An exact network (floats are read at their exact binary64 values).
    code : tuple of tuples of bool
        One sign per neuron (True = +1), per layer.
    box_rows : (list, list)
        The domain's rows ``a x <= b`` (exact), appended to every LP.

    Attributes
    ----------
    maps : list of (fmpq_mat, fmpq_mat)
        The pre-activation maps ``(A_l, c_l)`` on the cell.
    valid : bool
        False when a constant neuron has the wrong sign (the cell is empty).
    groups : list of list of int
        Flat neuron indices per group (rows equal after 1-norm scaling).
    rows, rhs : list
        One exact row ``a x <= b`` per group (1-norm 1), aligned with ``groups``.
    """

    def __init__(self, net, code, box_rows):
        from vqgeom.exact.certificates import region_maps

        self.net = net
        self.code = code
        self.D = D = net.input_dim
        self.box_rows = box_rows
        self.maps = maps = region_maps(net, code)
        self.valid = True
        index = {}
        groups, rows, rhs = [], [], []
        flat = 0
        for l, (A, c) in enumerate(maps):
            for k in range(A.nrows()):
                s = 1 if code[l][k] else -1
                a = [-s * A[k, j] for j in range(D)]
                b = s * c[k, 0]
                norm = sum((abs(v) for v in a), 0 * b)
                if norm == 0:
                    # constant neuron: sign +1 where its value is >= 0
                    if (c[k, 0] >= 0) != (s > 0):
                        self.valid = False
                else:
                    key = tuple(v / norm for v in a) + (b / norm,)
                    gi = index.get(key)
                    if gi is None:
                        index[key] = len(groups)
                        groups.append([flat])
                        rows.append(list(key[:-1]))
                        rhs.append(key[-1])
                    else:
                        groups[gi].append(flat)
                flat += 1
        self.groups, self.rows, self.rhs = groups, rows, rhs
        self.group_of = {k: gi for gi, g in enumerate(groups) for k in g}

    def interior(self):
        """``(x, t)``: an exact point of maximal common slack ``t <= 1`` (t > 0: interior)."""

        if not self.valid:
            return None, None
        rows = self.rows + self.box_rows[0]
        if not rows:  # no hyperplane and no box: all of R^D
            from fractions import Fraction

            return tuple(Fraction(0) for _ in range(self.D)), Fraction(1)
        return max_slack(rows, self.rhs + self.box_rows[1])

    def facet(self, gi):
        """``(p, t)``: an exact point on group ``gi``'s hyperplane with maximal common slack
        ``t <= 1`` to every other row (t > 0: p is in the relative interior of a facet)."""
        from fractions import Fraction


        keep = [g for g in range(len(self.groups)) if g != gi]
        rows = [self.rows[g] for g in keep] + self.box_rows[0]
        rhs = [self.rhs[g] for g in keep] + self.box_rows[1]
        on = (self.rows[gi], self.rhs[gi])
        if not rows:  # a lone hyperplane in R^D: any point of it
            a, b = on
            k = next(j for j, v in enumerate(a) if v != 0)
            p = [Fraction(0)] * self.D
            p[k] = Fraction(int(b.p), int(b.q)) / Fraction(int(a[k].p), int(a[k].q))
            return tuple(p), Fraction(1)
        return max_slack(rows, rhs, on=on)

    def redundant_groups(self) -> set:
        """Groups whose row is redundant in the cell's H-representation (box rows included),
        decided exactly by cddlib. A full-dimensional cell's facets come from irredundant
        rows (grouping leaves no two rows of the same halfspace, except a group row equal
        to a box row, whose hyperplane carries no facet inside the domain), so a redundant
        group carries no facet."""
        cdd, _ = cdd_modules()

        rows = self.rows + self.box_rows[0]
        rhs = self.rhs + self.box_rows[1]
        mat = cdd.gmp.matrix_from_array([[b] + [-v for v in a] for a, b in zip(rows, rhs)],
                                        rep_type=cdd.RepType.INEQUALITY)
        return {r for r in cdd.gmp.redundant_rows(mat) if r < len(self.groups)}

    def neighbour(self, gi, point):
        """The code across group ``gi``'s facet at ``point`` (relative interior), and flips.

        Raises
        ------
        CertificateError
            When a neuron vanishes at ``point`` without vanishing on the facet's hyperplane
            (``point`` is then not in the facet's relative interior: a bug).
        """
        from flint import fmpq_mat

        from vqgeom.exact.certificates import exact_point, region_maps

        D = self.D
        P = exact_point(point, D)
        nrm = fmpq_mat(D, 1, self.rows[gi])  # outward normal of this cell
        nn = sum((v * v for v in self.rows[gi]), 0 * self.rhs[gi])
        far = []
        for l in range(self.net.depth):
            A, c = region_maps(self.net, far)[l]
            vals = (A * P + c).entries()
            ders = (A * nrm).entries()
            signs = []
            for k, (v, d) in enumerate(zip(vals, ders)):
                if v != 0:
                    signs.append(bool(v > 0))
                    continue
                aa = sum((A[k, j] * A[k, j] for j in range(D)), 0 * nn)
                if d * d != aa * nn:  # not parallel to the facet's normal (or not zero)
                    raise CertificateError(
                        f"neuron ({l}, {k}) vanishes at the facet point {_fmt(point)} of region "
                        f"{_code_str(self.code)} but not on the facet's hyperplane")
                signs.append(bool(d >= 0))
            far.append(tuple(signs))
        far = tuple(far)
        flips = tuple((l, k) for l, (u, v) in enumerate(zip(self.code, far))
                      for k, (x, y) in enumerate(zip(u, v)) if x != y)
        if not flips:
            raise CertificateError(f"the facet at {_fmt(point)} of region {_code_str(self.code)} "
                                   f"separates it from itself")
        return far, flips

    def vertices(self):
        """Exact points of the cell (without the domain box): its vertices, or one point of
        each minimal face when the cell has none (cddlib's vertex enumeration)."""
        cdd, _ = cdd_modules()

        if not self.rows:
            return []
        mat = cdd.gmp.matrix_from_array([[b] + [-v for v in a] for a, b in zip(self.rows, self.rhs)],
                                        rep_type=cdd.RepType.INEQUALITY)
        gens = cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat))

        return [tuple(_q(v) for v in g[1:]) for g in gens.array if g[0] != 0]


def _fmt(p) -> str:
    return "(" + ", ".join(str(v) for v in p) + ")"


def _code_str(code) -> str:
    return str(tuple(tuple(int(s) for s in layer) for layer in code))


def _start_points(domain, D):
    """Rational points to try as the start: the domain's centre, then a deterministic
    low-discrepancy sequence inside it (a point on a hyperplane is skipped)."""
    from fractions import Fraction

    if isinstance(domain, Box):
        centre = [(lo + hi) / 2 for lo, hi in zip(domain.lower, domain.upper)]
        half = [(hi - lo) / 2 for lo, hi in zip(domain.lower, domain.upper)]
    else:
        centre, half = [Fraction(0)] * D, [Fraction(1)] * D
    yield tuple(centre)
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53]
    for n in range(1, 10000):
        p = []
        for k in range(D):
            base = primes[k % len(primes)] + (k // len(primes)) * 59
            f, m, x = Fraction(1), n, Fraction(0)
            while m:
                f /= base
                x += f * (m % base)
                m //= base
            p.append(centre[k] + half[k] * (2 * x - 1) * Fraction(9, 10))
        yield tuple(p)


def _code_at(net, point):
    """The exact code at ``point`` and whether a non-constant neuron vanishes there."""
    from vqgeom.exact.certificates import exact_point, region_maps

    P = exact_point(point, net.input_dim)
    code = []
    for l in range(net.depth):
        A, c = region_maps(net, code)[l]
        vals = (A * P + c).entries()
        for k, v in enumerate(vals):
            if v == 0 and any(A[k, j] != 0 for j in range(net.input_dim)):
                return None
        code.append(tuple(bool(v >= 0) for v in vals))
    return tuple(code)


class CddWalk:
    """The exact facet walk (module docstring); ``run()`` returns codes, witnesses, edges.

    Parameters
    ----------
    net : Network
        Exact.
    domain : Box or Whole
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_regions_so_far, "cdd")``.
    """

    def __init__(self, net, domain, *, max_regions=None, progress=None):
        self.net = net
        self.domain = domain
        self.D = net.input_dim
        self.box = _box_rows(domain, self.D)
        self.max_regions = max_regions
        self.progress = progress
        self.n_lps = 0
        self.cells = []
        self.offsets = [0]
        for w in net.widths:
            self.offsets.append(self.offsets[-1] + w)

    def _start(self):
        for point in _start_points(self.domain, self.D):
            code = _code_at(self.net, point)
            if code is None:
                continue
            cell = ExactCell(self.net, code, self.box)
            x, t = cell.interior()
            self.n_lps += 1
            if t is not None and t > 0:
                return cell, x
        raise CertificateError("the cdd engine found no starting point off every hyperplane")

    def run(self, keep_cells=False):
        """Walk every region; returns ``(codes, witnesses, edges)`` (exact Fractions)."""
        cell, x = self._start()
        codes, witnesses = [cell.code], [x]
        index = {cell.code: 0}
        known = [set()]
        edges = {}
        pending = {0: cell}
        queue = deque([0])
        while queue:
            i = queue.popleft()
            cell = pending.pop(i)
            if i > 0:
                x, t = cell.interior()
                self.n_lps += 1
                if t is None or not t > 0:
                    raise CertificateError(
                        f"region {_code_str(cell.code)} reached across a facet has no interior")
                witnesses.append(x)
            if keep_cells:
                self.cells.append(cell)
            if self.progress is not None:
                self.progress(len(witnesses), "cdd")
            done = {cell.group_of[k] for k in known[i] if k in cell.group_of}
            if len(cell.groups) - len(done) > 2:
                done |= cell.redundant_groups()
            for gi in range(len(cell.groups)):
                if gi in done:
                    continue
                p, t = cell.facet(gi)
                self.n_lps += 1
                if t is None or not t > 0:
                    continue
                code_b, flips = cell.neighbour(gi, p)
                j = index.get(code_b)
                if j is None:
                    j = len(codes)
                    if self.max_regions is not None and j + 1 > self.max_regions:
                        raise RegionBudgetExceeded(j + 1, self.max_regions)
                    codes.append(code_b)
                    index[code_b] = j
                    known.append(set())
                    pending[j] = ExactCell(self.net, code_b, self.box)
                    queue.append(j)
                key = (min(i, j), max(i, j))
                if key in edges:
                    raise CertificateError(f"regions {i} and {j} share two facets")
                edges[key] = (i, j, flips, p)
                flat = {self.offsets[l] + k for l, k in flips}
                known[i] |= flat
                known[j] |= flat
        return codes, witnesses, list(edges.values())


def frame_box(cells, points, D):
    """An integer box whose interior holds ``points`` and every cell's vertices."""
    pts = [tuple(p) for p in points]
    for cell in cells:
        pts.extend(cell.vertices())
    lo = [math.floor(min(p[k] for p in pts)) - 1 for k in range(D)]
    hi = [math.ceil(max(p[k] for p in pts)) + 1 for k in range(D)]
    return Box(lo, hi)
