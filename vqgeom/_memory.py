"""Memory budgets: estimate before allocating, refuse with what was found so far.

A :class:`MemoryBudget` is made per call (no global state). Engines that know their buffers
register them with :meth:`MemoryBudget.track` and call :meth:`MemoryBudget.need` before every
allocation; :meth:`MemoryBudget.watch` wraps a progress callback so that any engine is also
stopped once the process has grown past the budget since the call started (a backstop for
engines that do not estimate).
"""

from __future__ import annotations

import os
import re
import time

from vqgeom.errors import InvalidInputError, MemoryBudgetExceeded

__all__ = ["MemoryBudget", "default_max_memory", "parse_size", "check_max_memory", "available_bytes"]

_FALLBACK = 4 * 2**30


def available_bytes():
    """Bytes of memory available to new allocations (Linux: MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def default_max_memory() -> int:
    """The default budget: 3/4 of the memory available now (4 GiB where that is unknown).

    >>> default_max_memory() > 0
    True
    """
    avail = available_bytes()
    return _FALLBACK if not avail else max(int(avail * 3 // 4), 64 * 2**20)


def check_max_memory(max_memory, name: str = "max_memory") -> int:
    """Validate a ``max_memory`` argument (bytes, or None for :func:`default_max_memory`).

    >>> check_max_memory(2**20)
    1048576
    """
    if max_memory is None:
        return default_max_memory()
    if isinstance(max_memory, bool) or not isinstance(max_memory, int) or max_memory < 1:
        raise InvalidInputError(f"{name} must be a positive number of bytes or None, got {max_memory!r}")
    return max_memory


_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def parse_size(text: str, name: str = "--max-memory") -> int:
    """``"512M"`` -> 536870912: a byte count with an optional K/M/G/T suffix (powers of 1024).

    >>> parse_size("4G"), parse_size("1.5k"), parse_size("1000")
    (4294967296, 1536, 1000)
    """
    m = _SIZE.fullmatch(str(text)) if len(str(text)) < 40 else None
    if not m:
        raise InvalidInputError(f"{name} must be a size such as 512M, 4G or 1000000 (bytes), got {text!r}")
    value = float(m.group(1)) * 1024 ** " kmgt".index((m.group(2) or " ").lower())
    if not value >= 1:
        raise InvalidInputError(f"{name} must be at least 1 byte, got {text!r}")
    return int(value)


def _resident_bytes():
    """The resident set size of this process (Linux), or None where unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class MemoryBudget:
    """A budget of ``limit`` bytes for one computation.

    Parameters
    ----------
    limit : int
        Bytes the computation may hold.
    what : str
        What is computed, for the message of :class:`MemoryBudgetExceeded`.

    Attributes
    ----------
    n_found : int or None
        Results found so far; the engine keeps it current, the error reports it.

    Examples
    --------
    >>> b = MemoryBudget(1000)
    >>> b.need(600)
    >>> b.need(2000)
    Traceback (most recent call last):
    ...
    vqgeom.errors.MemoryBudgetExceeded: region enumeration stopped: it would need about 1.95 KiB, more than max_memory=1000 B; raise max_memory (--max-memory) or shrink the domain
    """

    def __init__(self, limit: int, what: str = "region enumeration"):
        self.limit = int(limit)
        self.what = what
        self.n_found = None
        self._tracked = []
        self._rss0 = _resident_bytes()

    def track(self, *buffers) -> None:
        """Count these buffers (objects with an ``nbytes`` property) as held."""
        self._tracked.extend(buffers)

    def untrack(self, *buffers) -> None:
        """Stop counting these buffers (they are about to be freed)."""
        drop = {id(b) for b in buffers}
        self._tracked = [b for b in self._tracked if id(b) not in drop]

    @property
    def held(self) -> int:
        """Bytes held by the tracked buffers."""
        return sum(int(b.nbytes) for b in self._tracked)

    def need(self, extra: int) -> None:
        """Raise :class:`MemoryBudgetExceeded` unless ``extra`` more bytes fit the budget."""
        total = self.held + int(extra)
        if total > self.limit:
            raise MemoryBudgetExceeded(total, self.limit, self.n_found, self.what)

    def watch(self, report=None, interval: float = 0.05):
        """A progress callback that also stops the run once the process has grown by more
        than the budget since this budget was made (then calls ``report`` when given)."""
        rss0 = self._rss0
        last = [0.0]

        def watched(n_found, stage=""):
            self.n_found = n_found
            now = time.monotonic()
            if rss0 is not None and now - last[0] >= interval:
                last[0] = now
                rss = _resident_bytes()
                if rss is not None and rss - rss0 > self.limit:
                    raise MemoryBudgetExceeded(rss - rss0, self.limit, n_found, self.what)
            if report is not None:
                report(n_found, stage)

        if report is not None and hasattr(report, "close"):
            watched.close = report.close
        return watched
