"""`vqgeom counterexample` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("counterexample", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom counterexample is not implemented yet")
