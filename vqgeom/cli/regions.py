"""`vqgeom regions` (placeholder: its owner replaces this module)."""


def add_parser(sub):
    return sub.add_parser("regions", help="(not yet implemented)")


def run(args):
    raise NotImplementedError("vqgeom regions is not implemented yet")
