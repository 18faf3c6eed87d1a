"""Shared helpers of the figure scripts: output files, seeds, summaries, embeddings."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from vqgeom._paths import atomic_output, write_text_atomic
from vqgeom.errors import InvalidInputError

__all__ = ["prepare_out", "write_json", "save_figure", "mean_std", "top_eigen", "to_network", "note",
           "mark_smoke_run", "SMOKE_NOTE"]

#: what a ``--fast`` figure says about itself (on the image and in its JSON)
SMOKE_NOTE = "SMOKE RUN (--fast): small sizes, few training steps; not the paper's set-up or numbers"


def prepare_out(out) -> Path:
    """The output folder, created if missing."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"output path {str(path)!r} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def write_json(path: Path, doc) -> Path:
    """Write ``doc`` as JSON atomically (a temporary file renamed into place)."""
    write_text_atomic(path, json.dumps(_jsonable(doc), indent=1) + "\n")
    return path


def save_figure(fig, path: Path, dpi: int = 90) -> Path:
    """Save a matplotlib figure atomically as a PNG with a 256-colour palette, and close it.

    The palette (Pillow's median-cut quantisation) keeps the files small enough to commit.
    """
    import matplotlib.pyplot as plt

    try:
        png = io.BytesIO()
        fig.savefig(png, dpi=dpi, format="png")
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow ships with matplotlib
            Image = None
        if Image is not None:
            png.seek(0)
            with Image.open(png) as im:
                small = im.convert("RGB").quantize(colors=256)
            png = io.BytesIO()
            small.save(png, format="PNG", optimize=True)
        with atomic_output(path, "path") as f:
            f.write(png.getvalue())
    finally:
        plt.close(fig)
    return path


def mean_std(values) -> dict:
    """``{"mean", "std", "min", "max", "n"}`` of a list of numbers (std with ddof=0)."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
            "max": float(v.max()), "n": int(v.size)}


def to_network(model):
    """The vqgeom Network (float64) of a trained torch MLP."""
    from vqgeom.network import Network

    return Network.from_torch(model)


def top_eigen(net, X, k: int):
    """Top-k classical-MDS eigenpairs of the VQ-Kernel on X (low-rank route).

    Returns ``(coords (N, k), eigenvalues (k,), total)`` from :func:`vqgeom.mds_embedding`.
    """
    from vqgeom.embedding import mds_embedding

    emb = mds_embedding(net, X, k=k)
    return emb.coords, emb.eigenvalues, emb.total


def note(progress, message: str) -> None:
    """Report a step when the caller asked for progress (the CLI does)."""
    if progress is not None:
        progress(message)


def mark_smoke_run(fig, doc: dict, fast: bool) -> None:
    """Label a ``--fast`` figure as a smoke run, on the image (a red banner) and in its JSON."""
    doc["smoke_run"] = bool(fast)
    if fast:
        doc["smoke_note"] = SMOKE_NOTE
        fig.suptitle(SMOKE_NOTE, color="red", fontsize=11, fontweight="bold")
