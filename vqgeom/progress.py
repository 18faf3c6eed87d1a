"""Progress reports: the ``progress=`` argument of long-running vqgeom functions.

Every long computation (region enumeration, VQ-Kernel tiles, heat-kernel passes, the
counterexample search, the figures) takes ``progress=``:

* ``None`` / ``False``: silent (the default);
* ``True``: a tqdm progress bar on stderr, with counts, rate and elapsed time;
* a callable: called with the computation's own counters, e.g. ``progress(n_regions, stage)``
  for region enumeration or ``progress(done, total)`` for tiles.

:func:`reporter` turns the argument into one callable (or None) that the computation calls;
the caller closes it when done (a bar ends its line). Library code never prints: only a bar
the caller asked for writes to stderr.
"""

from __future__ import annotations

import sys
from typing import Callable

from vqgeom.errors import InvalidInputError

__all__ = ["ProgressBar", "reporter", "close"]


class ProgressBar:
    """A tqdm bar on stderr, driven by the calls a vqgeom computation makes.

    Called as ``bar(n, total)`` (an int: the bar knows its end), ``bar(n, stage)`` (a str:
    shown as the bar's label, e.g. an engine's stage) or ``bar(message)`` (one step more,
    labelled by the message: the figures). ``n`` is the count so far, not an increment.

    Parameters
    ----------
    unit : str
        What is counted ("regions", "tiles", "networks", "steps").
    desc : str
        The label before the bar.
    stream : file, optional
        Where the bar goes (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> s = io.StringIO()
    >>> bar = ProgressBar("tiles", "kernel", stream=s)
    >>> bar(3, 4); bar(4, 4); bar.close()
    >>> "4/4" in s.getvalue() and "tiles" in s.getvalue()
    True
    """

    def __init__(self, unit: str = "it", desc: str = "", stream=None):
        from tqdm import tqdm

        self.bar = tqdm(total=None, unit=" " + unit, desc=desc or None, leave=True, dynamic_ncols=True,
                        file=stream if stream is not None else sys.stderr, mininterval=0.2)

    def __call__(self, n, info=None) -> None:
        bar = self.bar
        if isinstance(n, str):  # a message: one step more
            bar.set_description_str(n, refresh=False)
            bar.update(1)
            return
        if isinstance(info, str):
            if info and info != bar.desc:
                bar.set_description_str(info, refresh=False)
        elif info is not None and bar.total != info:
            bar.total = int(info)
        delta = int(n) - bar.n
        if delta >= 0:
            bar.update(delta)
        else:  # a count that restarts (regions of the next layer)
            bar.n = bar.last_print_n = int(n)
            bar.refresh()

    def close(self) -> None:
        """End the bar's line (idempotent)."""
        self.bar.close()


def reporter(progress, *, unit: str = "it", desc: str = "") -> Callable | None:
    """Normalise a ``progress=`` argument: None/False -> None, True -> a :class:`ProgressBar`,
    a callable -> itself.

    Raises
    ------
    InvalidInputError
        For anything else.

    Examples
    --------
    >>> reporter(False) is None and reporter(None) is None
    True
    >>> reporter(print) is print
    True
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return ProgressBar(unit, desc)
    if callable(progress):
        return progress
    raise InvalidInputError(f"progress must be True, False, None or a callable, got {progress!r}")


def close(report) -> None:
    """Close what :func:`reporter` returned, when it is a bar (a user's callable is left alone)."""
    if isinstance(report, ProgressBar):
        report.close()
