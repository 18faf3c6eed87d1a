"""Exact rational linear programs over a polyhedron ``{x : a_i x <= b_i}`` (cddlib, GMP).

Three questions, each answered in exact rational arithmetic by cddlib's simplex method
through pycddlib's ``cdd.gmp`` (no floating-point decision anywhere):

* :func:`max_slack` -- the largest common slack ``t`` (capped at 1, so unbounded polyhedra
  work) with which a point satisfies every row, optionally on the hyperplane of one row.
  ``t > 0`` exactly when the polyhedron has non-empty interior (or, on a hyperplane, when
  the hyperplane meets the polyhedron in a set of dimension D - 1 that no other row
  touches in its relative interior), and the optimiser is then a rational point with slack
  at least ``t * w_i > 0`` on every row: an exact interior (relative-interior) witness.
* :func:`farkas` -- an exact Farkas certificate that a row is implied by others: the dual
  solution of ``max a x`` over the other rows, checked by the caller.

Rows and offsets are python-flint ``fmpq`` values (or anything pycddlib accepts: int,
Fraction); results are :class:`fractions.Fraction`.
"""

from __future__ import annotations

from fractions import Fraction

from vqgeom.errors import MissingDependencyError

__all__ = ["max_slack", "farkas", "l1_weight", "cdd_modules"]

#: What to run when pycddlib is missing (it builds against cddlib's and GMP's headers).
INSTALL_HINT = ("apt-get install libcdd-dev libgmp-dev, then pip install 'vqgeom[exact]' "
                "(pycddlib with GMP)")


def cdd_modules():
    """``(cdd, cdd.gmp)``: pycddlib and its exact GMP arithmetic.

    Raises
    ------
    MissingDependencyError
        When pycddlib (with GMP) is not installed; the message says how to install it.
    """
    try:
        import cdd
        import cdd.gmp
    except ImportError as exc:
        raise MissingDependencyError(
            f"exact rational LPs need pycddlib with GMP ({exc}); install it: {INSTALL_HINT}") from None
    return cdd, cdd.gmp


def _q(v) -> Fraction:
    """An exact number (int, Fraction, fmpq) as a Fraction."""
    if hasattr(v, "p") and hasattr(v, "q"):
        return Fraction(int(v.p), int(v.q))
    return Fraction(v)


def _lp(array, maximise=True):
    cdd, _ = cdd_modules()
    lp = cdd.gmp.linprog_from_array(array, cdd.LPObjType.MAX if maximise else cdd.LPObjType.MIN)
    cdd.gmp.linprog_solve(lp)
    return lp


def _optimal(lp) -> bool:
    cdd, _ = cdd_modules()
    return lp.status == cdd.LPStatusType.OPTIMAL


def l1_weight(row):
    """The 1-norm of a row (rational, positive unless the row is zero)."""
    return sum((abs(v) for v in row), 0 * row[0])


def max_slack(rows, rhs, *, weights=None, on=None, cap=1):
    """Maximise ``t`` subject to ``a_i x + w_i t <= b_i`` for every row and ``t <= cap``.

    Parameters
    ----------
    rows : sequence of sequences of D exact numbers
        The normals ``a_i``.
    rhs : sequence of exact numbers
        The offsets ``b_i``.
    weights : sequence of positive exact numbers, optional
        ``w_i`` (default: the 1-norm of ``a_i``, which makes ``t`` invariant under scaling
        a row by a positive factor).
    on : (sequence of D exact numbers, exact number), optional
        ``(a, b)``: also require ``a x == b`` (a hyperplane; it takes no slack).
    cap : exact number
        Upper bound on ``t`` (keeps unbounded polyhedra bounded).

    Returns
    -------
    x : tuple of Fraction or None
        An optimal point (None when the constraints are infeasible, i.e. only possible with
        ``on``).
    t : Fraction or None
        The optimal slack (``t > 0``: ``x`` satisfies every row strictly).

    Examples
    --------
    >>> x, t = max_slack([[1, 0], [-1, 0], [0, 1], [0, -1]], [1, 1, 1, 1])
    >>> t > 0, all(abs(v) < 1 for v in x)
    (True, True)
    >>> max_slack([[1, 0], [-1, 0]], [0, 0])[1]       # the slab {0 <= x_0 <= 0} is flat
    Fraction(0, 1)
    """
    rows = [list(r) for r in rows]
    D = len(rows[0]) if rows else (len(on[0]) if on is not None else 0)
    if weights is None:
        weights = [l1_weight(r) for r in rows]
    # cdd's layout: each row [b, -a] stands for b - a x >= 0; variables (x, t)
    arr = [[b] + [-v for v in a] + [-w] for a, b, w in zip(rows, rhs, weights)]
    arr.append([cap] + [0] * D + [-1])
    if on is not None:
        a, b = on
        arr.append([b] + [-v for v in a] + [0])
        arr.append([-b] + list(a) + [0])
    arr.append([0] * (D + 1) + [1])  # objective: t
    lp = _lp(arr)
    if not _optimal(lp):
        return None, None
    sol = [_q(v) for v in lp.primal_solution]
    return tuple(sol[:D]), sol[D]


def farkas(rows, rhs, target):
    """Exact multipliers proving ``a x <= b`` from the rows, or None.

    Solves ``max a x`` subject to ``a_i x <= b_i`` exactly; when the optimum is at most
    ``b`` the dual solution ``lambda >= 0`` has ``sum lambda_i a_i = a`` and
    ``sum lambda_i b_i = max <= b`` (check it with
    :func:`vqgeom.exact.certificates.check_redundant`).

    Parameters
    ----------
    rows : sequence of sequences of D exact numbers
    rhs : sequence of exact numbers
    target : (sequence of D exact numbers, exact number)

    Returns
    -------
    list of Fraction or None
        One multiplier per row; None when the maximum exceeds ``b`` or is unbounded.

    Examples
    --------
    >>> farkas([[1, 0], [0, 1]], [1, 1], ([1, 1], 2))
    [Fraction(1, 1), Fraction(1, 1)]
    >>> farkas([[1, 0], [0, 1]], [1, 1], ([1, 1], 1)) is None
    True
    """
    a, b = target
    arr = [[bi] + [-v for v in ai] for ai, bi in zip(rows, rhs)]
    arr.append([0] + list(a))
    lp = _lp(arr)
    if not _optimal(lp) or _q(lp.obj_value) > _q(b):
        return None
    lam = [Fraction(0)] * (len(arr) - 1)
    for k, v in lp.dual_solution:
        lam[k] = _q(v)
    return lam
