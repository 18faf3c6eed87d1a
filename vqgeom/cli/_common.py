"""Options every ``vqgeom`` subcommand shares: ``--json [FILE]`` and ``--progress`` / ``--quiet``.

``--json`` alone or ``--json -`` prints one JSON document and nothing else on stdout (the
text a command would print goes to stderr or is left out), so the output always parses;
``--json FILE`` writes it to FILE through a temporary file renamed at the end.
"""

from __future__ import annotations

import json
import sys

__all__ = ["add_json_option", "json_to_stdout", "emit_json", "check_json_target", "add_progress_options",
           "progress_wanted", "text_stream"]


def add_json_option(p, what: str = "the result") -> None:
    """Add ``--json [FILE]`` ('-' or no value: stdout, JSON alone)."""
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                   help=f"print {what} as one JSON object alone on stdout (no value or '-'), "
                        "or write it to FILE")


def json_to_stdout(args) -> bool:
    """True when stdout is reserved for the JSON document."""
    return getattr(args, "json", None) == "-"


def text_stream(args):
    """Where the human-readable text goes: stderr when stdout carries JSON, else stdout."""
    return sys.stderr if json_to_stdout(args) else sys.stdout


def emit_json(args, doc, indent=None) -> None:
    """Print ``doc`` alone on stdout, or write it (atomically) to the ``--json`` file."""
    text = json.dumps(doc, indent=indent, default=_plain)
    if json_to_stdout(args):
        print(text)
        return
    from vqgeom._paths import write_text_atomic

    write_text_atomic(args.json, text + "\n", "--json")


def _plain(obj):
    """numpy arrays and scalars as JSON lists and numbers."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def add_progress_options(p) -> None:
    """Add ``--progress`` (force a bar on stderr) and ``--quiet`` (none); by default a bar
    shows when stderr is a terminal."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true",
                   help="show a progress bar on stderr even when it is not a terminal")
    g.add_argument("--quiet", action="store_true", help="no progress bar or messages on stderr")


def progress_wanted(args) -> bool:
    """``--quiet``: False; ``--progress``: True; otherwise whether stderr is a terminal."""
    if getattr(args, "quiet", False):
        return False
    if getattr(args, "progress", False):
        return True
    return sys.stderr.isatty()


def check_json_target(args) -> None:
    """Fail before any work when ``--json FILE`` cannot be written."""
    if getattr(args, "json", None) not in (None, "-"):
        from vqgeom._paths import check_output_file

        check_output_file(args.json, "--json")
