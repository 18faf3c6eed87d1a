"""Fast Fraction construction for the planar certificate (private helpers of :mod:`.planar`).

The certificate's arithmetic (exact lines of many (neuron, code prefix) pairs, the filtered
signs at the vertices) is the arithmetic core's: :mod:`vqgeom.exact.arith`.
"""

from __future__ import annotations

import math
from fractions import Fraction


__all__ = ["frac"]


def frac(n, d) -> Fraction:
    """``Fraction(n, d)`` for Python ints ``n``, ``d > 0`` (one gcd, no type dispatch)."""
    g = math.gcd(n, d)
    if g != 1:
        n, d = n // g, d // g
    return _from_coprime(n, d)


if hasattr(Fraction, "_from_coprime_ints"):  # Python >= 3.12
    _from_coprime = Fraction._from_coprime_ints
else:  # pragma: no cover - Python 3.10 / 3.11 (Fraction keeps its value in these two slots)
    def _from_coprime(n, d):
        f = object.__new__(Fraction)
        f._numerator = n
        f._denominator = d
        return f
