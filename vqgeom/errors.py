"""The exceptions vqgeom raises.

Every error that comes from bad user input derives from both :class:`VQGeomError` and
the matching builtin (``ValueError`` or ``TypeError``), so ``except ValueError`` keeps
working for callers who do not know vqgeom's hierarchy.
"""

from __future__ import annotations

__all__ = [
    "VQGeomError",
    "InvalidNetworkError",
    "InvalidInputError",
    "DegenerateInputError",
    "UnsupportedModuleError",
    "RegionBudgetExceeded",
    "MemoryBudgetExceeded",
    "CertificateError",
    "MissingDependencyError",
    "EngineFallbackWarning",
    "WorkerLostError",
]


class VQGeomError(Exception):
    """Base class of every exception raised by vqgeom."""


class InvalidNetworkError(VQGeomError, ValueError):
    """A network description is malformed: shapes, values, activations or layout."""


class InvalidInputError(VQGeomError, ValueError):
    """A function argument (points, weights, options) is malformed."""


class DegenerateInputError(VQGeomError, ValueError):
    """The input is well formed but degenerate for the question asked.

    Examples: a point that lies exactly on a hyperplane where a region lookup needs an
    interior point, or a network that violates a hypothesis a routine requires.
    """


class UnsupportedModuleError(VQGeomError, TypeError):
    """A torch module cannot be converted into (or hooked as) a CPA network layer."""


class RegionBudgetExceeded(VQGeomError, RuntimeError):
    """Region enumeration found more regions than ``max_regions`` allows.

    Attributes
    ----------
    n_found : int
        How many regions had been found when the budget ran out.
    max_regions : int
        The budget that was exceeded.
    """

    def __init__(self, n_found: int, max_regions: int):
        self.n_found = int(n_found)
        self.max_regions = int(max_regions)
        super().__init__(
            f"region enumeration stopped: found {self.n_found} regions, more than "
            f"max_regions={self.max_regions}; raise max_regions or shrink the domain"
        )


class MemoryBudgetExceeded(VQGeomError, MemoryError):
    """A computation would need more memory than its ``max_memory`` budget allows.

    Raised *before* the allocation that would exceed the budget (or, for engines that do not
    estimate their memory, as soon as the process has grown past it).

    Attributes
    ----------
    needed : int
        Bytes the computation would hold after the refused step (an estimate).
    max_memory : int
        The budget in bytes.
    n_found : int or None
        How many regions (or other results) had been found so far.
    what : str
        What was being computed.
    message : str, optional
        Replaces the default message (which speaks of regions and ``max_memory``).
    """

    def __init__(self, needed: int, max_memory: int, n_found=None, what: str = "region enumeration",
                 message: str | None = None):
        self.needed = int(needed)
        self.max_memory = int(max_memory)
        self.n_found = None if n_found is None else int(n_found)
        self.what = what
        so_far = "" if n_found is None else f" after finding {self.n_found} regions"
        super().__init__(message or (
            f"{what} stopped{so_far}: it would need about {format_bytes(self.needed)}, more than "
            f"max_memory={format_bytes(self.max_memory)}; raise max_memory (--max-memory) or "
            f"shrink the domain"
        ))


def format_bytes(n) -> str:
    """``1536 -> '1.5 KiB'`` (binary units, 3 significant digits).

    >>> format_bytes(512), format_bytes(3 * 2**30), format_bytes(149.2 * 2**30)
    ('512 B', '3.00 GiB', '149 GiB')
    """
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            break
        n /= 1024
    if unit == "B":
        return f"{int(n)} B"
    return f"{n:.2f} {unit}" if n < 10 else f"{n:.3g} {unit}"


class CertificateError(VQGeomError, ArithmeticError):
    """An exact certificate (interior point, facet point) failed its exact check.

    This signals a bug or a numerical failure in a float stage that exact arithmetic
    caught; it is never a warning.
    """


class MissingDependencyError(VQGeomError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class EngineFallbackWarning(UserWarning):
    """A region engine named by the caller could not finish and another one ran instead.

    The message names both engines and the reason; the partition's ``engine`` is the one
    that ran. Turn it into an error with ``warnings.simplefilter("error", EngineFallbackWarning)``.
    """


class WorkerLostError(VQGeomError, RuntimeError):
    """A parallel run lost its workers more often than it retries a job, or an executor it
    was given broke for good (a process pool whose worker died cannot run jobs again)."""
