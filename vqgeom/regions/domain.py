"""Domains on which a partition is built: the :class:`Domain` protocol, boxes (exact bounds)
and all of R^D.

Other domains live in their own modules and follow the same protocol: a union of boxes
(:class:`vqgeom.regions.boxunion.BoxUnion`), affine slices. Each engine says honestly which
domains it handles (its ``supports``); the dispatcher picks one that does, or decomposes the
domain (a union of boxes: box by box, merged exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol, runtime_checkable

import numpy as np

from vqgeom.errors import InvalidInputError
from vqgeom.exact import to_fraction

__all__ = ["Domain", "Box", "Whole", "as_domain"]


@runtime_checkable
class Domain(Protocol):
    """What every domain offers the dispatcher, the engines and :class:`Partition`.

    Examples
    --------
    >>> isinstance(Box(-1, 1, dim=2), Domain), isinstance(Whole(), Domain)
    (True, True)
    """

    def with_dim(self, dim: int) -> "Domain":
        """This domain for a network of ``dim`` inputs (checked, or broadcast)."""

    def contains(self, x, *, strict: bool = False) -> bool:
        """Whether the point ``x`` lies in the domain (``strict``: in its interior)."""

    def to_dict(self) -> dict:
        """The JSON form, with a ``"type"`` key (read back by ``serialize.domain_from_dict``)."""


@dataclass(frozen=True)
class Box:
    """The closed box ``[lower, upper]`` with exact rational bounds.

    Parameters
    ----------
    lower, upper : number or sequence of numbers
        Scalars apply to every coordinate; sequences give per-coordinate bounds. Floats
        are taken at their exact binary64 values, strings as the rationals they spell.
    dim : int, optional
        The dimension, needed when both bounds are scalars (else inferred).

    Raises
    ------
    InvalidInputError
        If a lower bound is not strictly below its upper bound, or the lengths disagree.

    Examples
    --------
    >>> Box(-1, 1, dim=2).lower
    (Fraction(-1, 1), Fraction(-1, 1))
    """

    lower: tuple
    upper: tuple

    def __init__(self, lower=-1, upper=1, dim: int | None = None):
        lo = _bounds(lower, "lower")
        hi = _bounds(upper, "upper")
        if lo is not None and hi is not None and len(lo) != len(hi):
            raise InvalidInputError(f"Box: lower has {len(lo)} coordinates but upper has {len(hi)}")
        n = len(lo) if lo is not None else (len(hi) if hi is not None else dim)
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
            raise InvalidInputError(f"Box: the dimension must be an integer >= 1, got {n!r}")
        if n is None:
            # both scalar: dimension decided later by with_dim
            lo_t = (to_fraction(lower, name="lower"),)
            hi_t = (to_fraction(upper, name="upper"),)
            object.__setattr__(self, "lower", lo_t)
            object.__setattr__(self, "upper", hi_t)
            object.__setattr__(self, "_scalar", True)
        else:
            if dim is not None and n != dim:
                raise InvalidInputError(f"Box: bounds have {n} coordinates but dim={dim}")
            lo_t = lo if lo is not None else (to_fraction(lower, name="lower"),) * n
            hi_t = hi if hi is not None else (to_fraction(upper, name="upper"),) * n
            object.__setattr__(self, "lower", tuple(lo_t))
            object.__setattr__(self, "upper", tuple(hi_t))
            object.__setattr__(self, "_scalar", False)
        for i, (a, b) in enumerate(zip(self.lower, self.upper)):
            if not a < b:
                raise InvalidInputError(
                    f"Box: lower[{i}]={a} must be strictly below upper[{i}]={b} (a box must be full-dimensional)"
                )

    @property
    def dim(self) -> int | None:
        return None if self._scalar else len(self.lower)

    def with_dim(self, dim: int) -> "Box":
        """This box in dimension ``dim`` (scalar bounds broadcast; others checked)."""
        if self._scalar:
            return Box(self.lower * dim, self.upper * dim)
        if len(self.lower) != dim:
            raise InvalidInputError(f"domain has dimension {len(self.lower)} but the network's input_dim is {dim}")
        return self

    def halfspaces(self, exact: bool = True):
        """``(A, b)`` with the box equal to ``{x : A @ x <= b}`` (2*dim rows: upper, then lower)."""
        d = len(self.lower)
        one, zero = (Fraction(1), Fraction(0)) if exact else (1.0, 0.0)
        A = np.array([[one if j == i else zero for j in range(d)] for i in range(d)]
                     + [[-one if j == i else zero for j in range(d)] for i in range(d)],
                     dtype=object if exact else np.float64)
        b = np.array(list(self.upper) + [-v for v in self.lower], dtype=object)
        return A, (b if exact else b.astype(np.float64))

    def contains(self, x, *, strict: bool = False) -> bool:
        x = [to_fraction(v, name="x") for v in x]
        if strict:
            return all(a < v < b for a, v, b in zip(self.lower, x, self.upper))
        return all(a <= v <= b for a, v, b in zip(self.lower, x, self.upper))

    def __repr__(self) -> str:
        if self._scalar or (len(set(self.lower)) == 1 and len(set(self.upper)) == 1):
            return f"Box({self.lower[0]}, {self.upper[0]}{'' if self._scalar else f', dim={len(self.lower)}'})"
        return f"Box({[str(v) for v in self.lower]}, {[str(v) for v in self.upper]})"

    def to_dict(self) -> dict:
        return {"type": "box", "lower": [str(v) for v in self.lower], "upper": [str(v) for v in self.upper]}


@dataclass(frozen=True)
class Whole:
    """All of R^D. Engines handle it exactly through a box that strictly contains every
    vertex of the complex (computed, not guessed)."""

    def with_dim(self, dim: int) -> "Whole":
        return self

    def contains(self, x, *, strict: bool = False) -> bool:
        return True

    def to_dict(self) -> dict:
        return {"type": "whole"}


def _bounds(value, name):
    if isinstance(value, (list, tuple, np.ndarray)):
        vals = tuple(to_fraction(v, name=f"{name}[{i}]") for i, v in enumerate(np.ravel(np.asarray(value, dtype=object))))
        if not vals:
            raise InvalidInputError(f"Box: {name} is empty")
        return vals
    return None


def as_domain(domain, dim: int):
    """Normalise ``domain`` (None, "whole", a Box, a Whole, or a (lower, upper) pair) for ``dim``.

    None means the default box [-1, 1]^dim.
    """
    if domain is None:
        return Box(-1, 1, dim=dim)
    if isinstance(domain, str):
        if domain.lower() in ("whole", "r^d", "rd"):
            return Whole()
        raise InvalidInputError(f"domain must be a Box, 'whole' or None, got the string {domain!r}")
    if isinstance(domain, (Box, Whole)):
        return domain.with_dim(dim)
    if isinstance(domain, Domain):  # other domain types (e.g. unions of boxes) follow the protocol
        return domain.with_dim(dim)
    if isinstance(domain, (tuple, list)) and len(domain) == 2:
        return Box(domain[0], domain[1], dim=dim).with_dim(dim)
    raise InvalidInputError(f"domain must be a Box, a BoxUnion, 'whole', a (lower, upper) pair or None, "
                            f"got {domain!r}")
