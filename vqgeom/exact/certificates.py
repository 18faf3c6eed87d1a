"""Exact certificates for activation regions and their shared facets.

Every region engine can hand its float results to these checks, which decide them in exact
rational arithmetic (python-flint's ``fmpq``; a float is taken at its exact binary64 value):

* :func:`check_interior` -- a point lies strictly inside the activation region of a code
  (and strictly inside the domain);
* :func:`check_facet` -- a point lies in the relative interior of a (D-1)-dimensional facet
  shared by the closures of two regions (and strictly inside the domain); it returns the
  neurons whose sign flips across the facet.

A failed check raises :class:`~vqgeom.errors.CertificateError`; it is never a warning.

The checks rest on the local affine maps of a code (:func:`region_maps`): on the closed
cell of a code ``s`` every pre-activation is an affine function ``A_k x + c_k``. A neuron
whose map is identically zero on the cell (a constant neuron with zero bias, or a neuron
fed only by dead units) has sign +1 everywhere there and constrains nothing; every other
neuron contributes the halfspace ``s_k (A_k x + c_k) >= 0``.

*Interior*: ``p`` is strictly inside the region when every non-trivial pre-activation has
the strict sign of the code at ``p`` (by induction over the layers, a neighbourhood of ``p``
then has code ``s``). *Facet*: near ``p`` the closure of a region is cut out by the
constraints that vanish at ``p``; it is the halfspace ``{g >= 0}`` exactly when every
vanishing non-trivial constraint of side a is a positive multiple of one affine ``g`` (and of
``-g`` for side b). Then both closures are opposite halfspaces near ``p``, so they share the
(D-1)-dimensional piece ``{g = 0}`` of a facet with ``p`` in its relative interior; the
condition is also necessary, so a correct witness always passes.

*Redundancy* (:func:`farkas_solve`, :func:`check_redundant`): a constraint ``a x <= b`` is
implied by constraints ``a_i x <= b_i`` when there are ``lambda_i >= 0`` with
``sum lambda_i a_i = a`` and ``sum lambda_i b_i <= b`` (Farkas): every x satisfying the others
then satisfies it, so the constraint defines no facet that another one does not define too.
:func:`check_redundant` checks such a certificate exactly; :func:`farkas_solve` computes the
exact ``lambda`` on a given support (typically the basis a float LP or hull found).
"""

from __future__ import annotations

import numpy as np

from vqgeom.errors import CertificateError, InvalidInputError
from vqgeom.exact.arith import context, fmpq_matrix, scale_of, to_fmpq

__all__ = ["to_fmpq", "exact_point", "region_maps", "check_interior", "check_facet",
           "check_domain", "farkas_solve", "check_redundant", "check_redundant_many"]

_BOUNDS: dict = {}  # Box -> its bounds as fmpq (boxes are immutable and hashable)


def _norm_code(net, code, name="code"):
    widths = net.widths
    if (isinstance(code, tuple) and len(code) <= len(widths)
            and all(type(layer) is tuple and len(layer) == w and all(type(s) is bool for s in layer)
                    for layer, w in zip(code, widths))):
        return code
    code = [tuple(bool(s) for s in layer) for layer in code]
    if len(code) > net.depth:
        raise InvalidInputError(f"{name} has {len(code)} layers but the network has {net.depth}")
    for l, layer in enumerate(code):
        if len(layer) != net.widths[l]:
            raise InvalidInputError(
                f"{name} layer {l} has {len(layer)} signs but the layer has {net.widths[l]} neurons")
    return code


def region_maps(net, code):
    """Exact affine pre-activation maps of every layer on the closed cell of ``code``.

    Parameters
    ----------
    net : Network
        Float or exact (floats are read at their exact binary64 values).
    code : sequence of sequences of bool
        Signs per layer (True for +1); a shorter code gives ``len(code) + 1`` maps
        (at most ``net.depth``), as :meth:`Network.preactivation_maps`.

    Returns
    -------
    list of (A, c)
        python-flint ``fmpq_mat`` pairs, A of shape (n_l, D) and c of shape (n_l, 1), with
        ``pre_l(x) = A x + c`` on the cell.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0]], "bias": [0.5]}, {"weight": [[2.0]], "bias": [-1.0]}])
    >>> [(A.tolist(), c.tolist()) for A, c in region_maps(net, [[True]])]
    [([[1, 0]], [[1/2]]), ([[2, 0]], [[0]])]
    """
    ctx = context(net, "exact")
    return [ctx.split(h) for h in ctx.cell_maps(_norm_code(net, code))]


def _hmaps(net, code, maps):
    """Homogeneous exact maps ``[A c]`` of ``code``: ``maps`` when given (homogeneous, or
    the ``(A, c)`` pairs of :func:`region_maps`), else computed."""
    if maps is None:
        return context(net, "exact").cell_maps(code)
    if maps and isinstance(maps[0], tuple):
        from flint import fmpq_mat

        out = []
        for A, c in maps:
            n, D = A.nrows(), A.ncols()
            ea, ec = A.entries(), c.entries()
            out.append(fmpq_mat(n, D + 1, [v for i in range(n) for v in ea[i * D:(i + 1) * D] + [ec[i]]]))
        return out
    return maps


def exact_point(point, dim: int, *, name: str = "point"):
    """A point as a (dim, 1) ``fmpq_mat`` (floats exactly, strings as the rationals they spell)."""
    arr = np.asarray(point, dtype=object).ravel()
    if arr.shape != (dim,):
        raise InvalidInputError(f"{name} must have {dim} coordinates, got shape {np.shape(point)}")
    try:
        return fmpq_matrix(arr)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name}: {exc}") from None


def check_domain(domain, point, *, what: str = "point") -> None:
    """Raise :class:`CertificateError` unless ``point`` (an ``fmpq_mat`` column or sequence)
    lies strictly inside ``domain`` (a Box; Whole contains everything)."""
    lower = getattr(domain, "lower", None)
    if lower is None:
        return
    if hasattr(point, "entries"):
        vals = point.entries()
    else:
        vals = [to_fmpq(v) for v in point]
    bounds = _BOUNDS.get(domain)
    if bounds is None:
        bounds = ([to_fmpq(v) for v in domain.lower], [to_fmpq(v) for v in domain.upper])
        if len(_BOUNDS) > 64:
            _BOUNDS.clear()
        _BOUNDS[domain] = bounds
    for i, (lo, v, hi) in enumerate(zip(bounds[0], vals, bounds[1])):
        if not (lo < v < hi):
            raise CertificateError(
                f"{what} is not strictly inside the domain: coordinate {i} is {v}, bounds [{lo}, {hi}]")


def _constraints(net, code, maps):
    """Per layer ``(A, wants, labels)``: the homogeneous rows whose signs define the cell of
    ``code``, the sign each must have (True: ``>= 0``, False: ``< 0``, the paper's sign) and
    the neuron each belongs to.

    A ReLU-type layer gives its maps and code as they are. A max layer whose group has winner
    ``a`` gives, for every other row ``j`` of the group, ``f_a - f_j`` wanting True when
    ``j > a`` and ``f_j - f_a`` wanting False when ``j < a`` (``a`` beats ``j``, lowest index on
    ties), labelled ``(l, j)``: crossing the wall ``f_a = f_j`` makes ``j`` the winner, which
    flips the bits ``a`` and ``j`` of the one-hot code."""
    from flint import fmpq_mat

    out = []
    for l, A in enumerate(maps):
        lay = net.layers[l]
        if not lay.is_max:
            out.append((A, code[l], [(l, k) for k in range(len(code[l]))]))
            continue
        K = A.ncols()
        ent = A.entries()
        rows, wants, labels = [], [], []
        start = 0
        for size in lay.groups:
            a = next(start + t for t in range(size) if code[l][start + t])
            ra = ent[a * K:(a + 1) * K]
            for j in range(start, start + size):
                if j == a:
                    continue
                rj = ent[j * K:(j + 1) * K]
                rows.extend([x - y for x, y in zip(ra, rj)] if j > a else [y - x for x, y in zip(ra, rj)])
                wants.append(j > a)
                labels.append((l, j))
            start += size
        out.append((fmpq_mat(len(wants), K, rows) if wants else fmpq_mat(0, K), tuple(wants), labels))
    return out


def _row_is_zero(A, k, D) -> bool:
    return all(A[k, j] == 0 for j in range(D))


def _homogeneous(p):
    """A (D, 1) fmpq_mat point as the (D + 1, 1) column ``[p; 1]``."""
    from flint import fmpq_mat

    e = p.entries()
    return fmpq_mat(len(e) + 1, 1, e + [1])


def check_interior(net, code, point, domain=None, *, maps=None) -> None:
    """Check exactly that ``point`` lies strictly inside the activation region of ``code``.

    Parameters
    ----------
    net : Network
    code : sequence of sequences of bool, one per layer
    point : sequence of numbers, shape (D,)
        Floats are taken at their exact binary64 values.
    domain : Box or Whole or None
        When a Box, ``point`` must also be strictly inside it.
    maps : list, optional
        The exact maps of ``code`` when already computed: :func:`region_maps`' pairs, or
        the homogeneous ``[A c]`` of :meth:`vqgeom.exact.arith.ExactContext.cell_maps`.

    Raises
    ------
    CertificateError
        If a pre-activation has the wrong sign or vanishes without being identically zero
        on the cell, or the point is not strictly inside the domain.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0]], "bias": [0.0]}])
    >>> check_interior(net, [[True]], [0.25])
    >>> check_interior(net, [[True]], [0.0])
    Traceback (most recent call last):
    ...
    vqgeom.errors.CertificateError: interior witness of region ((1,),): neuron (0, 0) is 0 at the witness (not identically 0 on the region)
    """
    code = _norm_code(net, code)
    if len(code) != net.depth:
        raise InvalidInputError(f"code must have {net.depth} layers, got {len(code)}")
    D = net.input_dim
    p = exact_point(point, D)
    what = _Lazy(lambda: f"interior witness of region {_code_str(code)}")
    if domain is not None:
        check_domain(domain, p, what=what)
    ph = _homogeneous(p)
    for A, wants, labels in _constraints(net, code, _hmaps(net, code, maps)):
        vals = (A * ph).entries() if wants else []
        for k, (v, want, (l, j)) in enumerate(zip(vals, wants, labels)):
            if v > 0 and want or v < 0 and not want:
                continue
            if v == 0 and _row_is_zero(A, k, D):
                if want:
                    continue
                raise CertificateError(
                    f"{what}: neuron ({l}, {j}) is identically 0 on the cell, so its sign is +1, "
                    f"but the code says -1")
            if v == 0:
                raise CertificateError(
                    f"{what}: neuron ({l}, {j}) is 0 at the witness (not identically 0 on the region)")
            raise CertificateError(
                f"{what}: neuron ({l}, {j}) has value {v} at the witness, sign {'+' if want else '-'}1 expected")


class _Lazy:
    """A message part formatted only when an error is raised."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __str__(self) -> str:
        return self.fn()

    __format__ = lambda self, spec: format(str(self), spec)


def _code_str(code) -> str:
    return str(tuple(tuple(int(s) for s in layer) for layer in code))


def check_facet(net, code_a, code_b, point, domain=None, *, maps_a=None, maps_b=None):
    """Check exactly that ``point`` is in the relative interior of a facet shared by two regions.

    The closures of the regions of ``code_a`` and ``code_b`` must both be, near ``point``,
    opposite closed halfspaces of one hyperplane through ``point`` (so they share a
    (D-1)-dimensional facet containing ``point`` in its relative interior); ``point`` must be
    strictly inside ``domain``.

    Parameters
    ----------
    net : Network
    code_a, code_b : sequences of sequences of bool, one per layer
    point : sequence of numbers, shape (D,)
    domain : Box or Whole or None
    maps_a, maps_b : list, optional
        The exact maps of the two codes when already computed (as ``maps`` of
        :func:`check_interior`).

    Returns
    -------
    tuple of (layer, neuron)
        The neurons whose sign differs between the codes (every one vanishes at ``point``).

    Raises
    ------
    CertificateError
        When any of the conditions fails (the message names the neuron and the side).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0], [1.0, 0.0]], "bias": [0.0, 0.0]}])
    >>> check_facet(net, [[True, True]], [[False, False]], [0, 5])
    ((0, 0), (0, 1))
    """
    code_a = _norm_code(net, code_a, "code_a")
    code_b = _norm_code(net, code_b, "code_b")
    if len(code_a) != net.depth or len(code_b) != net.depth:
        raise InvalidInputError(f"codes must have {net.depth} layers")
    D = net.input_dim
    p = exact_point(point, D)
    what = _Lazy(lambda: f"facet witness between regions {_code_str(code_a)} and {_code_str(code_b)}")
    flips = tuple((l, k) for l, (ua, ub) in enumerate(zip(code_a, code_b)) if ua != ub
                  for k, (x, y) in enumerate(zip(ua, ub)) if x != y)
    if not flips:
        raise CertificateError(f"{what}: the two codes are equal")
    if domain is not None:
        check_domain(domain, p, what=what)
    maps_a = _hmaps(net, code_a, maps_a)
    maps_b = _hmaps(net, code_b, maps_b)
    ph = _homogeneous(p)
    flipset = set(flips)
    ref = None  # the reference normal g (side a orientation), as a list of D+1 fmpq
    for side, code, maps, orient in (("a", code_a, maps_a, 1), ("b", code_b, maps_b, -1)):
        n_cone = 0
        for A, wants, labels in _constraints(net, code, maps):
            vals = (A * ph).entries() if wants else []
            for (k, v), want, (l, nk) in zip(enumerate(vals), wants, labels):
                if v != 0:
                    if (l, nk) in flipset:
                        raise CertificateError(
                            f"{what}: flipped neuron ({l}, {nk}) is {v} at the witness, not 0 (side {side})")
                    if (v > 0) != want:
                        raise CertificateError(
                            f"{what}: neuron ({l}, {nk}) has value {v} at the witness, against the "
                            f"sign of side {side}")
                    continue
                if _row_is_zero(A, k, D):
                    if not want:
                        raise CertificateError(
                            f"{what}: neuron ({l}, {nk}) is identically 0 on side {side} but its code is -1")
                    continue
                s = 1 if want else -1
                row = [A[k, j] * s for j in range(D + 1)]
                if ref is None:
                    ref = row
                    n_cone += 1
                    continue
                lam = scale_of(row, ref)
                if lam is None or not (lam * orient > 0):
                    raise CertificateError(
                        f"{what}: neuron ({l}, {nk}) vanishes at the witness but its hyperplane is not "
                        f"the facet's (or it faces the wrong way) on side {side}: the point is not in "
                        f"the relative interior of one shared facet")
                n_cone += 1
        if n_cone == 0:
            raise CertificateError(f"{what}: no constraint of side {side} is tight at the witness")
    return flips


def farkas_solve(rows, targets):
    """Exact multipliers expressing each target normal in the normals of ``rows``.

    Solves ``sum_i lam_i a_i = a`` exactly for every target ``(a, b)``: directly when there
    are D rows, through the normal equations otherwise (the caller checks the answer with
    :func:`check_redundant`, which also checks ``lam >= 0`` and the offsets).

    Parameters
    ----------
    rows : list of (sequence of D fmpq, fmpq)
        The constraints ``a_i x <= b_i`` of the support.
    targets : list of (sequence of D fmpq, fmpq)

    Returns
    -------
    list of (list of fmpq) or None
        One multiplier list (aligned with ``rows``) per target, or None when the support's
        normals are linearly dependent.

    Examples
    --------
    >>> rows = [([to_fmpq(1), to_fmpq(0)], to_fmpq(1)), ([to_fmpq(0), to_fmpq(1)], to_fmpq(1))]
    >>> farkas_solve(rows, [([to_fmpq(1), to_fmpq(1)], to_fmpq(3))])
    [[1, 1]]
    """
    from flint import fmpq_mat

    if not rows or not targets:
        return None
    D, s = len(rows[0][0]), len(rows)
    M = fmpq_mat(D, s, [rows[k][0][i] for i in range(D) for k in range(s)])
    T = fmpq_mat(D, len(targets), [t[0][i] for i in range(D) for t in targets])
    try:
        if s == D:
            L = M.solve(T)
        else:
            Mt = M.transpose()
            L = (Mt * M).solve(Mt * T)
    except ZeroDivisionError:
        return None
    return [[L[k, j] for k in range(s)] for j in range(len(targets))]


def check_redundant(target, rows, lam, *, what="constraint") -> None:
    """Check exactly that ``lam`` is a Farkas certificate that ``target`` is implied by ``rows``.

    ``target = (a, b)`` stands for ``a x <= b`` and so does each row; the certificate holds
    when every ``lam_i >= 0``, ``sum lam_i a_i == a`` and ``sum lam_i b_i <= b``. Then
    ``{x : a_i x <= b_i for all i}`` lies in ``{a x <= b}``.

    Parameters
    ----------
    target : (sequence of D numbers, number)
    rows : list of (sequence of D numbers, number)
    lam : sequence of numbers, one per row
    what : str
        Names the constraint in the error message.

    Raises
    ------
    CertificateError
        When a multiplier is negative, the normals do not add up, or the offsets fail.

    Examples
    --------
    >>> check_redundant(([1, 1], 3), [([1, 0], 1), ([0, 1], 1)], [1, 1])
    >>> check_redundant(([1, 1], 1), [([1, 0], 1), ([0, 1], 1)], [1, 1])
    Traceback (most recent call last):
    ...
    vqgeom.errors.CertificateError: redundancy certificate of constraint: offsets give 2 > 1
    """
    if len(lam) != len(rows):
        raise CertificateError(f"redundancy certificate of {what}: {len(lam)} multipliers for "
                               f"{len(rows)} rows")
    if any(len(row[0]) != len(target[0]) for row in rows):
        raise CertificateError(f"redundancy certificate of {what}: rows and target have "
                               f"different dimensions")
    bad = check_redundant_many([target], rows, [lam])[0]
    if bad is not None:
        raise CertificateError(f"redundancy certificate of {what}: {bad}")


def check_redundant_many(targets, rows, lams):
    """:func:`check_redundant` for several targets over one support, in exact matrix form.

    Parameters
    ----------
    targets : list of (sequence of D numbers, number)
    rows : list of (sequence of D numbers, number), s of them
    lams : list of sequences of s numbers, one per target

    Returns
    -------
    list of (str or None)
        None where the certificate holds, otherwise why it fails.

    Examples
    --------
    >>> rows = [([1, 0], 1), ([0, 1], 1)]
    >>> check_redundant_many([([1, 1], 2), ([1, -1], 5)], rows, [[1, 1], [1, -1]])
    [None, 'multiplier 1 is -1 < 0']
    """
    from flint import fmpq, fmpq_mat

    cv = lambda v: v if type(v) is fmpq else to_fmpq(v)
    D, s, k = len(targets[0][0]), len(rows), len(targets)
    M = fmpq_mat(D, s, [cv(rows[j][0][i]) for i in range(D) for j in range(s)])
    B = fmpq_mat(1, s, [cv(row[1]) for row in rows])
    L = fmpq_mat(s, k, [cv(lams[t][j]) for j in range(s) for t in range(k)])
    N, O = M * L, B * L
    out = []
    for t, (a, b) in enumerate(targets):
        neg = next((j for j in range(s) if L[j, t] < 0), None)
        if neg is not None:
            out.append(f"multiplier {neg} is {L[neg, t]} < 0")
            continue
        acc = [N[i, t] for i in range(D)]
        if acc != [cv(v) for v in a]:
            out.append(f"the combination of normals is {acc}, not {list(a)}")
            continue
        if O[0, t] > cv(b):
            out.append(f"offsets give {O[0, t]} > {b}")
            continue
        out.append(None)
    return out
