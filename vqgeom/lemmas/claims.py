"""The registry of claims and their expectations: every case ``vqgeom verify`` runs.

:data:`CATALOGUE` maps a name to a :class:`CatalogueEntry`: a claim, a network and domain
from :mod:`vqgeom.catalogue` (built on demand), the checker's options, and the expected
outcome. An entry whose hypotheses hold must satisfy its claim, and an entry that drops a
hypothesis must show the violation (``expect_holds=False``).
"""

from __future__ import annotations

from vqgeom.errors import InvalidInputError
from vqgeom.lemmas import lemma1, lemma2, sawtooth
from vqgeom.lemmas._case import CatalogueEntry

__all__ = ["CatalogueEntry", "CATALOGUE", "get_entry"]

#: name -> CatalogueEntry (every case ``vqgeom verify`` runs): each claim's module lists its
#: own cases (``CASES``), with its checker. Cheap to build: networks are constructed only when
#: an entry's ``build`` is called.
CATALOGUE = {**lemma1.CASES, **lemma2.CASES, **sawtooth.CASES}


def get_entry(name: str) -> CatalogueEntry:
    """The catalogue entry ``name``.

    Raises
    ------
    InvalidInputError
        For an unknown name (the message lists the valid ones).
    """
    if name not in CATALOGUE:
        raise InvalidInputError(f"unknown catalogue entry {name!r}; known: {', '.join(CATALOGUE)}")
    return CATALOGUE[name]
