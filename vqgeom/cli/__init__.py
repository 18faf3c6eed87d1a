"""The ``vqgeom`` command. Each subcommand lives in its own module of this package and
exposes ``add_parser(subparsers)`` (cheap: no heavy imports) and ``run(args) -> int``."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import warnings

__all__ = ["main", "CLIError"]

#: subcommand name -> module (in the order ``vqgeom --help`` lists them)
COMMANDS = {
    "verify": "vqgeom.cli.verify",
    "info": "vqgeom.cli.info",
    "kernel": "vqgeom.cli.kernel",
    "regions": "vqgeom.cli.regions",
    "counterexample": "vqgeom.cli.counterexample",
    "figures": "vqgeom.cli.figures",
}


class CLIError(Exception):
    """A user error in the command line: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vqgeom",
        description="The exact geometry of ReLU networks: regions, partition distances, VQ-Kernels.",
    )
    from vqgeom import __version__

    parser.add_argument("--version", action="version", version=f"vqgeom {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        mod = importlib.import_module(module)
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run)
    return parser


_NEGATIVE_NUMBER = re.compile(r"-(\d|\.\d)")


def _protect_negative_numbers(argv):
    """Let values such as ``-1/3``, ``-1e-3`` or ``-1,2`` follow an option.

    argparse reads any token that starts with ``-`` and is not a plain negative number as an
    option name, so ``--box -1/3 1`` or ``--weights -1,2`` would fail with "expected one
    argument". No vqgeom option starts with a digit, so a leading space is added to tokens of
    the form ``-<digit>...`` / ``-.<digit>...``; every number parser strips it again.
    """
    return [" " + a if isinstance(a, str) and _NEGATIVE_NUMBER.match(a) else a for a in argv]


#: exit code after the reader of stdout went away (128 + SIGPIPE, as a shell reports it)
EXIT_BROKEN_PIPE = 141


def main(argv=None) -> int:
    """Entry point of the ``vqgeom`` console script; returns the exit code.

    A closed stdout (``vqgeom verify | head``) ends the command quietly with exit code 141,
    whichever command was writing: nothing is printed and Python's flush at exit is
    pointed at /dev/null so that it cannot complain either.
    """
    try:
        code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here at the latest
        return code
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout has no file descriptor (captured): nothing to flush
            pass
        return EXIT_BROKEN_PIPE


def _main(argv) -> int:
    from vqgeom.errors import VQGeomError

    parser = build_parser()
    args = parser.parse_args(_protect_negative_numbers(sys.argv[1:] if argv is None else argv))
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():  # a warning is one line too, naming the command
            warnings.showwarning = lambda message, *_, **__: print(
                f"vqgeom {args.command}: warning: {message}", file=sys.stderr)
            code = args._run(args)
    except KeyboardInterrupt:
        print("vqgeom: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # handled by main(), quietly
    except MemoryError as exc:   # MemoryBudgetExceeded says more; a raw one only this
        msg = str(exc).splitlines()[0] if str(exc) else "out of memory"
        print(f"vqgeom {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except (CLIError, VQGeomError, ValueError, TypeError, OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename and exc.strerror:
            msg = f"{exc.strerror}: {exc.filename}"
        print(f"vqgeom {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
