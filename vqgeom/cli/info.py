"""`vqgeom info` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("info", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom info is not implemented yet")
