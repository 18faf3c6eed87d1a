"""`vqgeom verify` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("verify", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom verify is not implemented yet")
