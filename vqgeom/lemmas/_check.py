"""The ``python -m vqgeom.lemmas.<claim> --check`` entry points cited at the end of proofs/."""

from __future__ import annotations

import sys
from typing import Callable, Iterable

__all__ = ["report", "catalogue_lines", "main"]


def report(name: str, lines: Iterable[tuple[str, bool]]) -> int:
    """Print one ``ok``/``FAIL`` line per ``(text, good)`` and a verdict; return the exit code."""
    ok = True
    for text, good in lines:
        ok &= bool(good)
        print(f"{'ok  ' if good else 'FAIL'} {text}")
    print(f"{name} check:", "passed" if ok else "FAILED")
    return 0 if ok else 1


def catalogue_lines(claim: str):
    """``(text, good)`` for every catalogue case of ``claim``: good when the verdict and the
    hypotheses met are the ones the catalogue expects."""
    from vqgeom.catalogue import CATALOGUE

    for entry in CATALOGUE.values():
        if entry.claim != claim:
            continue
        v = entry.check()
        good = v.holds == entry.expect_holds and v.hypotheses_met == entry.hypotheses_expected
        yield (f"{entry.name}: {'holds' if v.holds else 'violated'} "
               f"({v.n_regions} regions, {v.pairs_checked} pairs, {v.n_violations} violations)", good)


def main(module: str, check: Callable[[], int]) -> None:
    """Run ``check`` for ``python -m vqgeom.lemmas.<module> --check`` and exit with its code."""
    if sys.argv[1:] != ["--check"]:
        print(f"usage: python -m vqgeom.lemmas.{module} --check", file=sys.stderr)
        sys.exit(2)
    sys.exit(check())
