"""``vqgeom figures``: reproduce the paper's figures (PNGs and a JSON of numbers per figure).

Examples::

    vqgeom figures --out figs                 # all five, 3 seeds each
    vqgeom figures --out figs --only fig3 --seeds 5
    vqgeom figures --out figs --only fig3 --only fig4 --mnist-dir ~/data/mnist
    vqgeom figures --out tmp --fast --only fig5
"""

from __future__ import annotations

import os

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option, add_progress_options
    from vqgeom.figures import FIGURES

    p = sub.add_parser(
        "figures",
        help="reproduce the paper's figures (PNG + JSON of numbers each)",
        description="Run the figure scripts of examples/ from the installed package. Figures: "
                    + "; ".join(f"{k}: {v[1]}" for k, v in FIGURES.items())
                    + ". Needs matplotlib and scikit-learn (pip install 'vqgeom[apps]').",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--only", action="append", choices=list(FIGURES), metavar="FIG",
                   help=f"run only this figure (repeatable; one of {', '.join(FIGURES)})")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds to average over (default 3)")
    p.add_argument("--fast", action="store_true",
                   help="a smoke run: small sizes and few training steps (the figures say so; their "
                        "numbers are not the paper's)")
    p.add_argument("--mnist-dir", metavar="DIR", default=None,
                   help="folder with MNIST IDX files (train-images-idx3-ubyte[.gz], ...); figs 3-4 then "
                        "use MNIST 8000/2000 instead of scikit-learn's digits")
    add_json_option(p, "the files written and each figure's numbers")
    add_progress_options(p)
    return p


def run(args) -> int:
    from vqgeom.cli._common import check_json_target, emit_json, progress_wanted
    from vqgeom.errors import InvalidInputError
    from vqgeom.figures import run_figures
    from vqgeom.progress import ProgressBar

    check_json_target(args)

    if args.seeds < 1:
        raise InvalidInputError(f"--seeds must be >= 1, got {args.seeds}")
    if args.mnist_dir is not None and not os.path.isdir(args.mnist_dir):
        raise InvalidInputError(f"--mnist-dir: folder {args.mnist_dir!r} does not exist")
    for mod in ("matplotlib", "sklearn"):
        try:
            __import__(mod)
        except ImportError:
            raise InvalidInputError(
                f"vqgeom figures needs {mod}; install it with: pip install 'vqgeom[apps]'") from None
    bar = ProgressBar("steps", "figures") if progress_wanted(args) else None
    try:
        results = run_figures(args.out, only=args.only, seeds=args.seeds, fast=args.fast,
                              mnist_dir=args.mnist_dir, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        emit_json(args, results, indent=1)
    if args.json != "-":
        for name, doc in results.items():
            files = ", ".join(doc.get("files", [])) + f", {name}.json"
            print(f"{name}: {args.out}/ {files}")
    return 0
