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


def main(module: str, check: Callable[..., int], options: dict | None = None, argv=None) -> None:
    """The command line of ``python -m vqgeom.lemmas.<module>``: full ``--help`` (the module's
    docstring), ``--check`` runs ``check`` and exits with its code.

    Parameters
    ----------
    module : str
        The module's short name (``"sawtooth"``).
    check : callable
        Called with the ``options`` as keyword arguments; returns the exit code.
    options : dict, optional
        ``{name: (type, default, help)}``: extra options ``--name`` passed to ``check``.
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).
    """
    import argparse

    doc = getattr(sys.modules.get("__main__"), "__doc__", None) or ""
    parser = argparse.ArgumentParser(
        prog=f"python -m vqgeom.lemmas.{module}", description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Exit code 0 when every check passes, 1 when one fails, 2 for a usage error.")
    parser.add_argument("--check", action="store_true", required=True,
                        help="run the exact checks and print one line per case")
    for name, (typ, default, text) in (options or {}).items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=default,
                            help=f"{text} (default {default})")
    args = parser.parse_args(argv)
    sys.exit(check(**{name: getattr(args, name) for name in (options or {})}))
