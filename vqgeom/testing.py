"""Hypothesis strategies for property tests of ReLU-network geometry (importable by users).

Everything is exact: weights are small rationals (:class:`fractions.Fraction`), networks are
exact :class:`~vqgeom.network.Network` objects.

* :func:`rationals` -- small rationals.
* :func:`arrangements` -- hyperplane arrangements (one-hidden-layer networks) with distinct
  hyperplanes: ``kind="any"``, ``"general_position"`` or ``"degenerate"`` (concurrent and
  parallel hyperplanes on purpose), or ``"duplicated"`` (one hyperplane listed twice, possibly
  with the opposite orientation: Lemma 1's hypothesis dropped).
* :func:`deep_networks` -- plain deep ReLU networks; ``generic=True`` keeps only networks whose
  partition of ``domain`` is generic (decided exactly), ``generic=False`` only non-generic ones.
* :func:`max_networks` -- ReLU, then a max layer (pooling the ReLU outputs in windows, the CNN
  pattern, or windows of new affine rows), then ReLU.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, derandomize=True)
... @given(arrangements(dim=2, max_size=3))
... def test(net):
...     assert net.depth == 1 and net.input_dim == 2
>>> test()
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import assume, strategies as st

__all__ = ["rationals", "arrangements", "deep_networks", "max_networks", "in_general_position",
           "ARRANGEMENT_KINDS"]

ARRANGEMENT_KINDS = ("any", "general_position", "degenerate", "duplicated")


def rationals(max_abs: int = 3, max_denominator: int = 4, *, nonzero: bool = False):
    """Small rationals p/q with |p/q| <= max_abs and q <= max_denominator."""
    s = st.fractions(min_value=-max_abs, max_value=max_abs, max_denominator=max_denominator)
    return s.filter(lambda v: v != 0) if nonzero else s


def _rank(rows) -> int:
    import sympy

    return sympy.Matrix(rows).rank() if rows else 0


def in_general_position(weight, bias) -> bool:
    """Exact test: any k <= D normals are independent and no D + 1 hyperplanes share a point.

    >>> in_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, 0])   # concurrent lines
    False
    >>> in_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    True
    """
    A = [[Fraction(v) for v in row] for row in weight]
    b = [Fraction(v) for v in bias]
    if not A:
        return True
    D = len(A[0])
    n = len(A)
    for k in range(1, min(n, D) + 1):
        for idx in itertools.combinations(range(n), k):
            if _rank([A[i] for i in idx]) < k:
                return False
    if n > D:
        for idx in itertools.combinations(range(n), D + 1):
            if _rank([A[i] + [b[i]] for i in idx]) < D + 1:
                return False
    return True


def _distinct(rows) -> bool:
    keys = set()
    for r in rows:
        p = next(v for v in r if v != 0)
        key = tuple(v / p for v in r)
        if key in keys:
            return False
        keys.add(key)
    return True


@st.composite
def arrangements(draw, dim: int = 2, min_size: int = 1, max_size: int = 5, kind: str = "any"):
    """One-hidden-layer exact networks: the rows of layer 1 are the hyperplanes.

    Parameters
    ----------
    dim : int
    min_size, max_size : int
        Number of hyperplanes (``duplicated`` adds one more).
    kind : {"any", "general_position", "degenerate", "duplicated"}
        ``any``: distinct hyperplanes; ``general_position``: and in general position;
        ``degenerate``: distinct but at least ``min(D + 1, n)`` through one rational point
        (and possibly parallel ones); ``duplicated``: distinct ones plus a copy c * (a, b) of one
        of them with c != 0 (c < 0: opposite orientation).
    """
    from vqgeom.catalogue import arrangement

    if kind not in ARRANGEMENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ARRANGEMENT_KINDS)}, got {kind!r}")
    if kind == "degenerate" and dim < 2:
        raise ValueError("kind='degenerate' needs dim >= 2 (distinct points on a line are in general position)")
    n = draw(st.integers(min_size, max_size))
    normal = st.lists(st.integers(-3, 3), min_size=dim, max_size=dim).filter(any)
    A = [[Fraction(v) for v in draw(normal)] for _ in range(n)]
    if kind == "degenerate":
        p = [draw(rationals(1, 2)) for _ in range(dim)]
        m = min(dim + 1, n)
        b = [-sum(a * x for a, x in zip(A[i], p)) for i in range(m)]
        b += [draw(rationals(2, 3)) for _ in range(n - m)]
    else:
        b = [draw(rationals(2, 3)) for _ in range(n)]
    rows = [a + [c] for a, c in zip(A, b)]
    assume(_distinct(rows))
    if kind == "general_position":
        assume(in_general_position(A, b))
    if kind == "degenerate":
        assume(n >= 2 and not in_general_position(A, b))
    if kind == "duplicated":
        k = draw(st.integers(0, n - 1))
        c = Fraction(draw(st.sampled_from([-2, -1, 1, 2, 3])))
        A.append([c * v for v in A[k]])
        b.append(c * b[k])
        order = draw(st.permutations(range(len(A))))
        A, b = [A[i] for i in order], [b[i] for i in order]
    return arrangement(A, b)


@st.composite
def deep_networks(draw, dim: int = 2, depth: tuple = (2, 3), width: tuple = (1, 3), generic=None,
                  domain=None, max_denominator: int = 5):
    """Plain deep ReLU networks with small rational weights (exact).

    Parameters
    ----------
    dim : int
    depth, width : (min, max)
    generic : bool or None
        None: any network; True: only those whose partition of ``domain`` is generic
        (:func:`vqgeom.lemmas.genericity`, exact); False: only non-generic ones.
    domain : Box or None
        None is [-1, 1]^dim.
    """
    from vqgeom.network import Network

    L = draw(st.integers(*depth))
    layers, d_in = [], dim
    for l in range(L):
        n = draw(st.integers(*width))
        W = []
        for _ in range(n):
            row = [draw(rationals(2, max_denominator)) for _ in range(d_in)]
            if l == 0:
                assume(any(row))
            W.append(row)
        b = [draw(rationals(1, max_denominator)) for _ in range(n)]
        layers.append({"weight": W, "bias": b})
        d_in = n
    net = Network(layers, exact=True)
    if generic is not None:
        from vqgeom.lemmas.lemma2 import genericity
        from vqgeom.regions import enumerate_regions

        g = genericity(enumerate_regions(net, domain))
        assume(g.generic == generic)
    return net


@st.composite
def max_networks(draw, dim: int = 2, width: tuple = (2, 4), max_denominator: int = 4,
                 dyadic: bool = False):
    """Exact networks with a max layer: ReLU (``width`` units), a max layer, ReLU (1 or 2 units).

    The max layer pools either the ReLU outputs themselves in consecutive windows (the CNN
    pattern: a window of dead units ties, argmax 0) or new affine rows of them; its windows
    have 1 to 3 candidates. ``dyadic`` keeps denominators that are powers of two, so the
    float network is the exact one (for comparing float and exact enumerations).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, derandomize=True)
    ... @given(max_networks(dim=1))
    ... def test(net):
    ...     assert [lay.is_max for lay in net.layers] == [False, True, False]
    >>> test()
    """
    from vqgeom.network import Network

    def num(max_abs):
        s = rationals(max_abs, max_denominator)
        return s.filter(lambda v: v.denominator & (v.denominator - 1) == 0) if dyadic else s

    n = draw(st.integers(*width))
    W = []
    for _ in range(n):
        row = [draw(num(2)) for _ in range(dim)]
        assume(any(row))
        W.append(row)
    first = {"weight": W, "bias": [draw(num(1)) for _ in range(n)]}
    if draw(st.booleans()):       # pool the ReLU outputs
        rows = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        bias = [Fraction(0)] * n
    else:
        m = draw(st.integers(2, 5))
        rows = [[draw(num(2)) for _ in range(n)] for _ in range(m)]
        bias = [draw(num(1)) for _ in range(m)]
    groups, left = [], len(rows)
    while left:
        groups.append(draw(st.integers(1, min(3, left))))
        left -= groups[-1]
    assume(max(groups) > 1)
    k = draw(st.integers(1, 2))
    last = {"weight": [[draw(num(2)) for _ in groups] for _ in range(k)],
            "bias": [draw(num(1)) for _ in range(k)]}
    return Network([first, {"weight": rows, "bias": bias, "activation": "max", "groups": groups}, last],
                   exact=True)

