"""The ``python -m vqgeom.lemmas.<claim> --check`` entry points cited at the end of proofs/."""

from __future__ import annotations

import sys
from typing import Callable, Iterable

__all__ = ["report", "main"]


def report(name: str, lines: Iterable[tuple[str, bool]]) -> int:
    """Print one ``ok``/``FAIL`` line per ``(text, good)`` and a verdict; return the exit code."""
    ok = True
    for text, good in lines:
        ok &= bool(good)
        print(f"{'ok  ' if good else 'FAIL'} {text}")
    print(f"{name} check:", "passed" if ok else "FAILED")
    return 0 if ok else 1


def main(module: str, check: Callable[[], int]) -> None:
    """Run ``check`` for ``python -m vqgeom.lemmas.<module> --check`` and exit with its code."""
    if sys.argv[1:] != ["--check"]:
        print(f"usage: python -m vqgeom.lemmas.{module} --check", file=sys.stderr)
        sys.exit(2)
    sys.exit(check())
