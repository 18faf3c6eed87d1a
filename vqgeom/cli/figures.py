"""`vqgeom figures` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("figures", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom figures is not implemented yet")
