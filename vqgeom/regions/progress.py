"""Progress reporting for the enumeration engines: the ``progress=`` argument, normalised."""

from __future__ import annotations

import sys
import time
from typing import Callable

from vqgeom.errors import InvalidInputError

__all__ = ["progress_reporter"]


class _StderrCounter:
    """A one-line progress counter on stderr (used for ``progress=True``)."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.last = 0.0
        self.shown = False

    def __call__(self, n_regions: int, stage: str = "") -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        self.shown = True
        msg = f"  {stage + ': ' if stage else ''}{n_regions} regions"
        self.stream.write(f"\r{msg:<48}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def progress_reporter(progress) -> Callable | None:
    """Normalise a ``progress=`` argument: None/False -> None, True -> stderr counter,
    a callable -> itself. Engines call the result as ``report(n_regions, stage)``.

    Examples
    --------
    >>> progress_reporter(False) is None
    True
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return _StderrCounter()
    if callable(progress):
        return progress
    raise InvalidInputError(f"progress must be a bool or a callable, got {progress!r}")
