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
    "CertificateError",
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


class CertificateError(VQGeomError, ArithmeticError):
    """An exact certificate (interior point, facet point) failed its exact check.

    This signals a bug or a numerical failure in a float stage that exact arithmetic
    caught; it is never a warning.
    """


class WorkerLostError(VQGeomError, RuntimeError):
    """A parallel run lost its workers more often than it retries a job, or an executor it
    was given broke for good (a process pool whose worker died cannot run jobs again)."""
