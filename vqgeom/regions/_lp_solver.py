"""Small warm-started LPs over one region's constraint rows (HiGHS through ``highspy``).

The LP engine asks three questions of a region ``{x : G x <= h}`` (rows normalised to unit
length, so slacks are Euclidean distances):

* ``chebyshev()`` -- max t subject to ``G x + t <= h``, ``t <= 1``: an interior point and
  the radius of a ball inside the region (capped at 1, so unbounded regions work);
* ``facet(rep, members)`` -- the same with row ``rep`` made an equality (slack term
  dropped) and the rows in ``members`` (the same hyperplane) dropped: positive optimum
  means the hyperplane meets the region in a (D-1)-dimensional face;
* ``bounds()`` -- the region's bounding box (2 D LPs, infinite where unbounded).

One HiGHS model is built per region and modified between solves, so each facet LP is a
warm-started re-solve, through HiGHS's own Python binding ``highspy`` (a dependency). Where
it cannot be imported each LP goes through the public :func:`scipy.optimize.linprog`
instead (same answers, slower).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RegionLP", "new_solver"]

try:  # HiGHS's own binding (a dependency; fall back to linprog when it cannot be imported)
    import highspy as _hc

    _INF = _hc.kHighsInf
    _OPTIMAL = _hc.HighsModelStatus.kOptimal
    _UNBOUNDED = (_hc.HighsModelStatus.kUnbounded, _hc.HighsModelStatus.kUnboundedOrInfeasible)
except ImportError:  # pragma: no cover - highspy is a dependency
    _hc = None


if _hc is not None:
    class _QuietHighs(_hc.Highs):
        """``highspy.Highs`` without its Python callbacks (the engine uses none). Its
        constructor enables them, which prints HiGHS's banner on stdout once per process
        unless ``output_flag`` is already off; here the flag goes off and nothing is enabled."""

        def enableCallbacks(self):
            self.setOptionValue("output_flag", False)


def new_solver():
    """A configured HiGHS instance (silent, tight tolerances), or None without the binding."""
    if _hc is None:
        return None
    H = _QuietHighs()
    H.setOptionValue("output_flag", False)
    H.setOptionValue("primal_feasibility_tolerance", 1e-10)
    H.setOptionValue("dual_feasibility_tolerance", 1e-10)
    H.setOptionValue("presolve", "off")
    return H


class RegionLP:
    """LPs on ``{x : G x <= h}``; see the module docstring.

    Parameters
    ----------
    G : array, shape (m, D)
        Rows of unit length.
    h : array, shape (m,)
    solver : object, optional
        A HiGHS instance from :func:`new_solver` to reuse (its model is replaced); one
        region at a time may use it.
    """

    def __init__(self, G: np.ndarray, h: np.ndarray, solver=None):
        self.G = np.ascontiguousarray(G, dtype=np.float64)
        self.h = np.ascontiguousarray(h, dtype=np.float64)
        self.m, self.D = self.G.shape
        self._H = None
        if _hc is not None:
            self._H = self._build(solver)

    # ----------------------------------------------------------- HiGHS model
    def _build(self, H=None):
        m, D = self.m, self.D
        if H is None:
            H = new_solver()
        lp = _hc.HighsLp()
        lp.num_col_ = D + 1
        lp.num_row_ = m
        lp.col_cost_ = np.r_[np.zeros(D), -1.0]
        lp.col_lower_ = np.full(D + 1, -_INF)
        lp.col_upper_ = np.r_[np.full(D, _INF), 1.0]
        lp.row_lower_ = np.full(m, -_INF)
        lp.row_upper_ = self.h.copy()
        A = np.c_[self.G, np.ones(m)]
        lp.a_matrix_.format_ = _hc.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, m * (D + 1) + 1, D + 1, dtype=np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(D + 1, dtype=np.int32), m)
        lp.a_matrix_.value_ = A.ravel()
        lp.a_matrix_.num_col_ = D + 1
        lp.a_matrix_.num_row_ = m
        H.passModel(lp)
        return H

    def _solve(self):
        H = self._H
        H.run()
        status = H.getModelStatus()
        if status == _OPTIMAL:
            x = np.array(H.getSolution().col_value, dtype=np.float64)
            return x, -H.getInfo().objective_function_value, "optimal"
        if status in _UNBOUNDED:
            return None, np.inf, "unbounded"
        return None, None, str(status)

    # --------------------------------------------------------------- linprog
    def _linprog(self, cost, A_ub, b_ub, A_eq=None, b_eq=None, t_bounds=(None, 1.0)):
        from scipy.optimize import linprog

        bounds = [(None, None)] * self.D + [t_bounds]
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                      method="highs", options={"primal_feasibility_tolerance": 1e-10,
                                               "dual_feasibility_tolerance": 1e-10})
        if res.status == 0:
            return res.x, -res.fun, "optimal"
        if res.status == 3:
            return None, np.inf, "unbounded"
        return None, None, res.message

    # ------------------------------------------------------------- queries
    def chebyshev(self):
        """``(x, t)``: a point with slack ``t`` to every row (``t <= 1``); t None on failure."""
        if self._H is not None:
            x, t, _ = self._solve()
            if x is not None:
                return x[:self.D], t
        cost = np.r_[np.zeros(self.D), -1.0]
        x, t, _ = self._linprog(cost, np.c_[self.G, np.ones(self.m)], self.h)
        return (None, None) if x is None else (x[:self.D], t)

    def facet(self, rep: int, members=(), weak=(), weak_weight: float = 1e-6):
        """``(x, t)``: a point on row ``rep``'s hyperplane with slack ``t`` to the other rows.

        Rows in ``members`` (the same hyperplane) are dropped; rows in ``weak`` (distinct
        hyperplanes within float resolution of it) need only slack ``weak_weight * t``.
        """
        members = [j for j in members if j != rep]
        weak = [j for j in weak if j != rep and j not in members]
        H = self._H
        if H is not None:
            H.changeCoeff(rep, self.D, 0.0)
            H.changeRowBounds(rep, self.h[rep], self.h[rep])
            for j in members:
                H.changeRowBounds(j, -_INF, _INF)
            for j in weak:
                H.changeCoeff(j, self.D, weak_weight)
            try:
                x, t, _ = self._solve()
            finally:
                H.changeCoeff(rep, self.D, 1.0)
                H.changeRowBounds(rep, -_INF, self.h[rep])
                for j in members:
                    H.changeRowBounds(j, -_INF, self.h[j])
                for j in weak:
                    H.changeCoeff(j, self.D, 1.0)
            if x is not None:
                return x[:self.D], t
        keep = np.ones(self.m, dtype=bool)
        keep[rep] = False
        keep[members] = False
        coef = np.ones(self.m)
        coef[weak] = weak_weight
        cost = np.r_[np.zeros(self.D), -1.0]
        x, t, _ = self._linprog(cost, np.c_[self.G[keep], coef[keep]], self.h[keep],
                                A_eq=np.r_[self.G[rep], 0.0][None, :], b_eq=self.h[rep:rep + 1])
        return (None, None) if x is None else (x[:self.D], t)

    def bounds(self):
        """``(lo, hi)``, arrays of shape (D,): the region's bounding box (+-inf where unbounded)."""
        D = self.D
        lo = np.full(D, -np.inf)
        hi = np.full(D, np.inf)
        H = self._H
        if H is not None:
            H.changeColBounds(D, 0.0, 0.0)
            H.changeColCost(D, 0.0)
            try:
                for i in range(D):
                    for sign, out in ((1.0, lo), (-1.0, hi)):
                        H.changeColCost(i, sign)
                        x, val, status = self._solve()
                        H.changeColCost(i, 0.0)
                        if x is not None:
                            out[i] = x[i]
                        elif status != "unbounded":
                            return self._bounds_linprog()
            finally:
                H.changeColBounds(D, -_INF, 1.0)
                H.changeColCost(D, -1.0)
            return lo, hi
        return self._bounds_linprog()

    def _bounds_linprog(self):
        D = self.D
        lo = np.full(D, -np.inf)
        hi = np.full(D, np.inf)
        for i in range(D):
            for sign, out in ((1.0, lo), (-1.0, hi)):
                cost = np.zeros(D + 1)
                cost[i] = sign
                x, _, status = self._linprog(cost, np.c_[self.G, np.ones(self.m)], self.h,
                                             t_bounds=(0.0, 0.0))
                if x is not None:
                    out[i] = x[i]
        return lo, hi
