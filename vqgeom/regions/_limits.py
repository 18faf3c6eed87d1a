"""Limits checked before an enumeration starts: float range of the domain, size of the exact
network (private helpers of :func:`vqgeom.regions.engines.enumerate_regions`)."""

from __future__ import annotations

import sys
from fractions import Fraction

from vqgeom.errors import InvalidInputError

__all__ = ["check_float_domain", "exact_network_bytes"]

_FLOAT_MAX = Fraction(sys.float_info.max)

#: Bytes of one exact value (a Fraction of a float's numerator and denominator, its array slot)
_EXACT_BYTES_PER_VALUE = 160


def check_float_domain(dom) -> None:
    """Raise :class:`InvalidInputError` when a box bound lies beyond float64's range (float
    arithmetic cannot represent the domain).

    >>> from vqgeom.regions.domain import Box
    >>> check_float_domain(Box(-1, 1, dim=2))
    """
    for v in getattr(dom, "lower", ()) + getattr(dom, "upper", ()):
        if abs(v) > _FLOAT_MAX:
            digits = int((abs(v.numerator).bit_length() - v.denominator.bit_length()) * 0.30103)
            raise InvalidInputError(
                f"a domain bound (about {'-' if v < 0 else ''}1e{digits}) lies beyond float64's "
                f"range (about 1.8e308); use exact arithmetic")


def exact_network_bytes(net) -> int:
    """About how many bytes ``net.to_exact()`` adds (0 when ``net`` is exact already)."""
    if net.exact:
        return 0
    return _EXACT_BYTES_PER_VALUE * sum(lay.weight.size + lay.bias.size for lay in net.layers)
