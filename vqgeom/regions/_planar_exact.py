"""Fast Fraction construction for the planar certificate (private helpers of :mod:`.planar`).

The certificate's arithmetic (exact lines of many (neuron, code prefix) pairs, the filtered
signs at the vertices) is the arithmetic core's: :mod:`vqgeom.exact.arith`.
"""

from __future__ import annotations

import math
from fractions import Fraction

from vqgeom.exact import _from_coprime

__all__ = ["frac", "_from_coprime"]


def frac(n, d) -> Fraction:
    """``Fraction(n, d)`` for Python ints ``n``, ``d > 0`` (one gcd, no type dispatch)."""
    g = math.gcd(n, d)
    if g != 1:
        n, d = n // g, d // g
    return _from_coprime(n, d)


