"""Shared command line of the examples/figN.py wrappers (they call ``vqgeom figures``)."""

from vqgeom.cli import main as vqgeom_main


def main(name, argv):
    """Run one figure through ``vqgeom figures --only NAME``; ``--out`` defaults to examples/output."""
    args = list(argv)
    if "--out" not in args and not any(a.startswith("--out=") for a in args):
        from pathlib import Path

        args += ["--out", str(Path(__file__).resolve().parent / "output")]
    return vqgeom_main(["figures", "--only", name, *args])
