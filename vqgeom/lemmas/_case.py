"""A case of the registry of claims: a named network and domain, a claim, its expected outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["CatalogueEntry", "catalogue_lines"]


@dataclass
class CatalogueEntry:
    """A named case for ``vqgeom verify``.

    Attributes
    ----------
    name : str
    claim : {"lemma1", "lemma2", "sawtooth"}
    description : str
    build : callable () -> (Network, domain)
    options : dict
        Passed to the checker (``adjacency``, ``weights``, ``omega``; for the sawtooth
        ``depth`` and ``variant``).
    expect_holds : bool
        True for a case meeting every hypothesis; False where a hypothesis is dropped and
        the checker must find the violation.
    relaxed : str or None
        The hypothesis dropped on purpose.
    expect_hypotheses_met : bool or None
        None: the same as ``expect_holds``. False with ``expect_holds=True``: a hypothesis
        fails but the claim still holds (the hypotheses are sufficient, not necessary).
    checker : callable
        The claim's checker (``check_lemma1``, ``check_lemma2`` or ``check_sawtooth``); each
        claim's module lists its own cases with it.
    """

    name: str
    claim: str
    description: str
    build: Callable = None
    options: dict = field(default_factory=dict)
    expect_holds: bool = True
    relaxed: str | None = None
    expect_hypotheses_met: bool | None = None
    checker: Callable = None

    @property
    def hypotheses_expected(self) -> bool:
        """Whether every hypothesis should hold (default: exactly when the claim should)."""
        return self.expect_holds if self.expect_hypotheses_met is None else self.expect_hypotheses_met

    def check(self):
        """Run the claim's checker on this entry and return its Verdict."""
        if self.claim == "sawtooth":
            return self.checker(**self.options)
        net, domain = self.build()
        return self.checker(net, domain, name=self.name, **self.options)


def catalogue_lines(entries):
    """``(text, good)`` for every case: good when the verdict and the hypotheses met are the
    ones the case expects."""
    for entry in entries:
        v = entry.check()
        good = v.holds == entry.expect_holds and v.hypotheses_met == entry.hypotheses_expected
        yield (f"{entry.name}: {'holds' if v.holds else 'violated'} "
               f"({v.n_regions} regions, {v.pairs_checked} pairs, {v.n_violations} violations)", good)
