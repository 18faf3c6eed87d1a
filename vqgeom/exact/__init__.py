"""Exact rational arithmetic: conversions and sign tests with a zero case.

Every float is a rational (its exact binary64 value), so exact mode converts floats
without rounding; strings spell integers, decimals or fractions and are read as the
rationals they spell (``"0.1"`` is 1/10, not the float nearest to it).
"""

from __future__ import annotations

import math
import numbers
import re
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError

__all__ = ["to_fraction", "fraction_array", "exact_sign", "vq_sign", "format_fraction",
           "MAX_EXPONENT", "MAX_DIGITS"]

#: Largest ``|exponent|`` accepted in a decimal string such as ``"1e-300"``: the value
#: 10^exponent is built exactly, so an unbounded one (``"1e1000000000"``) would take minutes
#: and gigabytes. Binary64 spans 10^-324 .. 10^308; this leaves a wide margin.
MAX_EXPONENT = 10_000

#: Longest number string accepted (digits of a numerator / denominator / decimal).
MAX_DIGITS = 10_000

_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)\s*$")


def to_fraction(value, *, name: str = "value") -> Fraction:
    """Convert ``value`` to the rational number it denotes, exactly.

    Parameters
    ----------
    value : int, float, Fraction, str or numpy scalar
        A float is taken at its exact binary64 value; a string is parsed as an integer,
        a decimal (``"0.1"``, ``"1e-3"``) or a fraction (``"-5/2"``).
    name : str
        How to name ``value`` in error messages.

    Raises
    ------
    InvalidInputError
        If ``value`` is not finite, not a number, a string that spells no rational, or a
        string longer than :data:`MAX_DIGITS` or with an exponent beyond :data:`MAX_EXPONENT`
        (checked before any arithmetic, so a hostile file costs no time).

    Examples
    --------
    >>> to_fraction("0.1"), to_fraction(0.5), to_fraction("-5/2")
    (Fraction(1, 10), Fraction(1, 2), Fraction(-5, 2))
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{name} must be a number, got a boolean {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        return Fraction(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidInputError(f"{name} must be finite, got {value!r}")
        return Fraction(float(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DIGITS:
            raise InvalidInputError(
                f"{name} is a number string of {len(text)} characters; at most {MAX_DIGITS} are "
                f"accepted")
        exp = _EXPONENT.search(text)
        if exp and abs(int(exp.group(1))) > MAX_EXPONENT:
            raise InvalidInputError(
                f"{name} has the exponent {exp.group(1)}; exponents must lie in "
                f"[-{MAX_EXPONENT}, {MAX_EXPONENT}] (got {value[:40]!r})")
        try:
            out = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise InvalidInputError(
                f"{name} must spell an integer, a decimal or a fraction such as '-5/2', "
                f"got {value!r}"
            ) from None
        return out
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    try:  # python-flint's fmpq and similar rationals
        return Fraction(int(value.p), int(value.q))
    except AttributeError:
        pass
    raise InvalidInputError(f"{name} must be a real number, got {type(value).__name__}")


if hasattr(Fraction, "_from_coprime_ints"):  # Python >= 3.12
    _from_coprime = Fraction._from_coprime_ints
else:  # pragma: no cover - Python 3.10 / 3.11 (Fraction keeps its value in these two slots)
    def _from_coprime(n, d):
        """``Fraction(n, d)`` for coprime Python ints ``n``, ``d > 0``, without normalising."""
        f = object.__new__(Fraction)
        f._numerator = n
        f._denominator = d
        return f


def fraction_array(values, *, name: str = "array") -> np.ndarray:
    """Convert an array-like of numbers to an object array of :class:`Fraction`, exactly.

    Examples
    --------
    >>> fraction_array([]).shape
    (0,)
    >>> fraction_array(np.array([0.5, -3.0])).tolist()
    [Fraction(1, 2), Fraction(-3, 1)]
    """
    if (isinstance(values, np.ndarray) and values.dtype.kind == "f" and values.dtype.itemsize <= 8
            and np.all(np.isfinite(values))):
        # fast path: as_integer_ratio gives every float's exact value in lowest terms
        out = np.empty(values.size, dtype=object)
        out[:] = [_from_coprime(*v.as_integer_ratio()) for v in values.astype(np.float64).ravel().tolist()]
        return out.reshape(values.shape)
    if isinstance(values, np.ndarray) and values.dtype == object:
        flat = values.ravel().tolist()
        if all(type(v) is Fraction for v in flat):   # already exact (a copy, as below)
            out = np.empty(values.size, dtype=object)
            out[:] = flat
            return out.reshape(values.shape)
    try:
        arr = np.asarray(values, dtype=object)
    except (ValueError, RuntimeError) as exc:   # ragged, or nested past numpy's 64 dimensions
        raise InvalidInputError(f"{name} must be an array of numbers ({str(exc).splitlines()[0]})") from None
    flat = arr.reshape(-1)
    out = np.empty(flat.shape, dtype=object)
    for k, v in enumerate(flat.tolist()):
        try:
            out[k] = to_fraction(v, name=name)
        except InvalidInputError:
            idx = [int(i) for i in np.unravel_index(k, arr.shape)] if arr.ndim else []
            out[k] = to_fraction(v, name=f"{name}{idx if idx else ''}")  # raises, naming the entry
    return out.reshape(arr.shape)


def exact_sign(value) -> int:
    """Orientation of an exact number: +1, 0 or -1 (the zero case is reported).

    >>> exact_sign(Fraction(0)), exact_sign(Fraction(-1, 3))
    (0, -1)
    """
    return (value > 0) - (value < 0)


def vq_sign(value) -> int:
    """The paper's sign: +1 when ``value >= 0`` else -1 (never 0).

    >>> vq_sign(0), vq_sign(-0.5)
    (1, -1)
    """
    return 1 if value >= 0 else -1


def format_fraction(value: Fraction) -> str:
    """Spell a rational as ``"p"`` or ``"p/q"`` (the JSON interchange form).

    >>> format_fraction(Fraction(-5, 2)), format_fraction(Fraction(3))
    ('-5/2', '3')
    """
    value = to_fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"
