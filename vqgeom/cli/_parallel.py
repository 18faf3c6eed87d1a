"""The command line's options for running on several processes or a Dask cluster."""

from __future__ import annotations

__all__ = ["add_executor_options", "executor_of"]


def add_executor_options(p, flag: str = "--workers") -> None:
    """Add ``flag N`` (local worker processes) and ``--scheduler ADDRESS`` (a running Dask
    scheduler) to the subcommand parser ``p``, as mutually exclusive options."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(flag, type=int, default=None, metavar="N", dest="workers",
                       help="run on N local worker processes")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask cluster: the address of its scheduler, e.g. "
                            "tcp://10.0.0.1:8786 (needs pip install 'vqgeom[dask]')")


def executor_of(args, flag: str = "--workers"):
    """The ``executor`` argument the options ask for (None: serial).

    Raises
    ------
    InvalidInputError
        For ``N < 1`` or an address without a scheme.
    """
    from vqgeom.errors import InvalidInputError

    if args.workers is not None:
        if args.workers < 1:
            raise InvalidInputError(f"{flag} must be a positive integer, got {args.workers}")
        return args.workers
    if args.scheduler is not None:
        if "://" not in args.scheduler:
            raise InvalidInputError(f"--scheduler must be an address such as tcp://host:8786, "
                                    f"got {args.scheduler!r}")
        return args.scheduler
    return None
