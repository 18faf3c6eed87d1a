"""The result of checking a claim: :class:`Verdict` and its exact :class:`Violation` witnesses."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from vqgeom.exact import format_fraction

__all__ = ["Violation", "Verdict"]


def _fmt(v) -> str:
    return format_fraction(v) if isinstance(v, (Fraction, int)) else repr(v)


def _code_str(code) -> str:
    return "|".join("".join("+" if s else "-" for s in layer) for layer in code)


@dataclass(frozen=True)
class Violation:
    """One pair of regions on which a claim fails, with an exact witness.

    Attributes
    ----------
    regions : (int, int)
        Region indices in the partition that was checked.
    x, y : tuple of Fraction
        Exact interior points of the two regions.
    code_x, code_y : tuple of tuple of bool
        Their activation codes (per layer; True is sign +1).
    d : Fraction
        The (weighted) VQ distance d(x, y; N).
    d_omega : int
        The partition distance (shortest region path length).
    path : tuple of int
        A shortest path of regions from ``x``'s region to ``y``'s.
    explanation : str
        Why it fails, in words.
    """

    regions: tuple
    x: tuple
    y: tuple
    code_x: tuple
    code_y: tuple
    d: Fraction
    d_omega: int
    path: tuple
    explanation: str = ""

    def to_dict(self) -> dict:
        return {
            "regions": list(self.regions),
            "x": [_fmt(v) for v in self.x],
            "y": [_fmt(v) for v in self.y],
            "code_x": _code_str(self.code_x),
            "code_y": _code_str(self.code_y),
            "d": _fmt(self.d),
            "d_omega": int(self.d_omega),
            "path": list(self.path),
            "explanation": self.explanation,
        }

    def describe(self) -> str:
        """A one-paragraph human-readable account of the witness."""
        xs = ", ".join(_fmt(v) for v in self.x)
        ys = ", ".join(_fmt(v) for v in self.y)
        return (f"x = ({xs}) [code {_code_str(self.code_x)}], y = ({ys}) [code {_code_str(self.code_y)}]: "
                f"d = {_fmt(self.d)}, d_Omega = {self.d_omega}; region path {list(self.path)}"
                + (f". {self.explanation}" if self.explanation else ""))


@dataclass
class Verdict:
    """Whether a claim holds on a network and domain, checked exhaustively over region pairs.

    Attributes
    ----------
    claim : str
        ``"lemma1"``, ``"lemma2"`` or ``"sawtooth"``.
    subject : str
        What was checked (network and domain, in words).
    holds : bool
        True when no pair of regions violates the claim.
    hypotheses : dict of str -> bool
        Each hypothesis of the claim and whether it is met.
    n_regions : int
    pairs_checked : int
        Unordered pairs of distinct regions compared (all of them).
    n_less, n_equal, n_greater : int
        Pairs with d < d_Omega, d = d_Omega, d > d_Omega.
    n_violations : int
        Pairs that violate the claim (all counted; at most ``max_witnesses`` stored).
    violations : list of Violation
        Exact witnesses, largest gap first.
    notes : list of str
        Explanations (which hypothesis fails, and why).
    details : dict
        Claim-specific facts (e.g. the sawtooth's breakpoints).
    seconds : float
    """

    claim: str
    subject: str
    holds: bool
    hypotheses: dict
    n_regions: int = 0
    pairs_checked: int = 0
    n_less: int = 0
    n_equal: int = 0
    n_greater: int = 0
    n_violations: int = 0
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def hypotheses_met(self) -> bool:
        """True when every hypothesis of the claim holds for this input."""
        return all(self.hypotheses.values())

    @property
    def failed_hypotheses(self) -> list:
        return [k for k, v in self.hypotheses.items() if not v]

    def to_dict(self) -> dict:
        """A JSON-serialisable form (exact numbers as strings)."""
        def enc(v):
            if isinstance(v, Fraction):
                return _fmt(v)
            if isinstance(v, dict):
                return {str(k): enc(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [enc(x) for x in v]
            if hasattr(v, "item") and not isinstance(v, (str, bytes)):
                return v.item()
            return v

        return {
            "claim": self.claim, "subject": self.subject, "holds": self.holds,
            "hypotheses": dict(self.hypotheses), "hypotheses_met": self.hypotheses_met,
            "n_regions": self.n_regions, "pairs_checked": self.pairs_checked,
            "n_less": self.n_less, "n_equal": self.n_equal, "n_greater": self.n_greater,
            "n_violations": self.n_violations,
            "violations": [v.to_dict() for v in self.violations],
            "notes": list(self.notes), "details": enc(self.details), "seconds": round(self.seconds, 4),
        }

    def summary(self) -> str:
        """A few lines: the result, the hypotheses, the counts and the first witness."""
        hyp = ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in self.hypotheses.items())
        lines = [f"{self.claim} on {self.subject}: {'holds' if self.holds else 'VIOLATED'}",
                 f"  hypotheses: {hyp}",
                 f"  {self.n_regions} regions, {self.pairs_checked} pairs: d<d_Omega {self.n_less}, "
                 f"d=d_Omega {self.n_equal}, d>d_Omega {self.n_greater}; violations {self.n_violations}"]
        lines += [f"  note: {n}" for n in self.notes]
        if self.violations:
            lines.append(f"  witness: {self.violations[0].describe()}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
