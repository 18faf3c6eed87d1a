"""The network argument shared by the commands that load a network file."""

from __future__ import annotations

__all__ = ["add_trust_pickle", "load_network_arg"]

TRUST_PICKLE_HELP = (
    "load a .pt/.pth file with full unpickling (torch.load(weights_only=False)); this RUNS ANY "
    "CODE the file carries, so use it only for files you trust as much as a script. Without it "
    "a torch file may hold only tensors and Sequential/Linear/ReLU/LeakyReLU/Flatten/Identity"
)


def add_trust_pickle(parser) -> None:
    """Add ``--trust-pickle`` to a subcommand's parser."""
    parser.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)


def load_network_arg(args):
    """``load_network(args.network)``, unpickling torch files only with ``--trust-pickle``."""
    from vqgeom.network import load_network

    return load_network(args.network, allow_pickle=bool(getattr(args, "trust_pickle", False)))
