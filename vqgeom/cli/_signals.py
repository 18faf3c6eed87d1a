"""SIGTERM as a clean stop for commands that write files (private to the CLI)."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

__all__ = ["Terminated", "sigterm_as_interrupt", "run_terminable"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that ``finally`` blocks remove temporary files."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While the block runs, SIGTERM raises :class:`Terminated` (cleaned up like Ctrl-C)
    instead of killing the process with its temporary files left behind. Only in the main
    thread (elsewhere signal handlers cannot be set; the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run_terminable(command: str, fn, args) -> int:
    """``fn(args)``; on SIGTERM one line on stderr and exit code 143 (128 + SIGTERM)."""
    try:
        with sigterm_as_interrupt():
            return fn(args)
    except Terminated:
        print(f"vqgeom {command}: terminated", file=sys.stderr)
        return 143
