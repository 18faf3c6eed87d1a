"""Progress reporting for the enumeration engines: the ``progress=`` argument, normalised."""

from __future__ import annotations

from typing import Callable

__all__ = ["progress_reporter"]


def progress_reporter(progress) -> Callable | None:
    """Normalise a ``progress=`` argument: None/False -> None, True -> a tqdm bar of regions
    on stderr (:class:`vqgeom.progress.ProgressBar`), a callable -> itself. Engines call the
    result as ``report(n_regions, stage)``.

    Examples
    --------
    >>> progress_reporter(False) is None
    True
    """
    from vqgeom.progress import reporter

    return reporter(progress, unit="regions", desc="regions")
