"""`vqgeom kernel` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("kernel", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom kernel is not implemented yet")
