"""Doctest collection: modules whose examples need an optional extra are skipped without it."""

try:  # cddlib's exact LPs: the optional extra vqgeom[exact]
    import cdd.gmp  # noqa: F401
except ImportError:
    collect_ignore = ["vqgeom/exact/cddlp.py", "vqgeom/regions/cdd.py"]
