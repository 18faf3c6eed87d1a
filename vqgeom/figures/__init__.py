"""The paper's figures, reproduced on CPU in minutes (``vqgeom figures``, ``examples/``).

Each figure module has ``run(out, *, seeds, fast, mnist_dir, progress) -> dict`` that writes
``figN.png`` and ``figN.json`` (its numbers) into the folder ``out``. matplotlib,
scikit-learn and torch are imported only when a figure runs.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

__all__ = ["FIGURES", "run_figures"]

#: figure name -> (module, one-line description)
FIGURES = {
    "fig1": ("vqgeom.figures.fig1", "two moons: VQ-Kernel eigenvectors on a 96x96 grid, plain and rotated"),
    "fig2": ("vqgeom.figures.fig2", "high-dimensional two moons: MDS of the VQ-Kernel vs of the Euclidean distance"),
    "fig3": ("vqgeom.figures.fig3", "heat-kernel cosine similarities, 4- vs 6-layer MLPs, trained vs initial"),
    "fig4": ("vqgeom.figures.fig4", "the same across a sigma^2 sweep"),
    "fig5": ("vqgeom.figures.fig5", "shallow vs deep networks with the same partition: d vs d_Omega"),
}


def run_figures(out, *, only=None, seeds: int = 3, fast: bool = False, mnist_dir=None,
                progress=None, threads: int | None = 1) -> dict:
    """Run some or all figures into the folder ``out``; returns ``{name: numbers}``.

    Parameters
    ----------
    out : path
        Output folder (created).
    only : sequence of str, optional
        Figure names (default all, in order).
    seeds : int
        Seeds to average over (figures 1-4).
    fast : bool
        Small sizes and few training steps (for tests).
    mnist_dir : path, optional
        Folder with MNIST IDX files (figures 3-4 then use MNIST 8000 / 2000, else digits).
    progress : callable, optional
        Called with a message string per step.
    threads : int or None
        torch intra-op threads while the figures run (restored afterwards); the networks
        are tiny, so one thread is fastest. None leaves torch's setting alone.

    Raises
    ------
    InvalidInputError
        For an unknown figure name or a bad ``seeds``.
    """
    from vqgeom.errors import InvalidInputError

    names = list(FIGURES) if not only else list(only)
    for n in names:
        if n not in FIGURES:
            raise InvalidInputError(f"unknown figure {n!r}; expected one of {', '.join(FIGURES)}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InvalidInputError(f"seeds must be an integer >= 1, got {seeds!r}")
    if mnist_dir is not None and not Path(mnist_dir).is_dir():
        raise InvalidInputError(f"mnist_dir: folder {str(mnist_dir)!r} does not exist")
    prev = None
    if threads is not None:
        import torch

        prev = torch.get_num_threads()
        torch.set_num_threads(int(threads))
    cache: dict = {}
    results = {}
    try:
        for n in names:
            mod = importlib.import_module(FIGURES[n][0])
            kwargs = dict(seeds=seeds, fast=fast, mnist_dir=mnist_dir, progress=progress)
            if "cache" in inspect.signature(mod.run).parameters:
                kwargs["cache"] = cache
            results[n] = mod.run(out, **kwargs)
    finally:
        if prev is not None:
            import torch

            torch.set_num_threads(prev)
    return results
