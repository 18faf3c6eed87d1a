"""The deep sawtooth of the paper's Appendix B.2: what each formula really gives.

The corrected claim (proved for every depth L in ``proofs/sawtooth.md``), on [0, 1]:

* tent map f(z) = 2z - 2 sigma(2z - 1): 2^L intervals, breakpoints k / 2^L (0 < k < 2^L), the
  code of the k-th interval (from the left) is the reflected Gray code of k (layer 1 = most
  significant bit), so max d = L while max d_Omega = 2^L - 1; the partition is generic and
  d <= d_Omega on every pair, strictly on some pair once L >= 2. Its shallow equivalent needs
  2^L - 1 neurons.
* as printed, f(z) = 2z - sigma(2z - 1): only L + 1 intervals, breakpoints 2^-k (1 <= k <= L),
  codes are "thermometer" codes and d = d_Omega on every pair (no strict inequality at all);
  its shallow equivalent has L neurons.

:func:`check_sawtooth` computes everything exactly (region enumeration, all pairs) and compares
with the claim. ``python -m vqgeom.lemmas.sawtooth --check`` runs L = 1..10 for both variants.
"""

from __future__ import annotations

import functools
import time
from fractions import Fraction

from vqgeom.lemmas._case import CatalogueEntry
from vqgeom.lemmas.verdict import Verdict

__all__ = ["check_sawtooth", "sawtooth_table", "predicted_breakpoints", "predicted_codes"]


def predicted_breakpoints(depth: int, variant: str = "tent") -> list:
    """The breakpoints on (0, 1) that ``proofs/sawtooth.md`` proves, increasing.

    >>> [str(t) for t in predicted_breakpoints(3, "as_printed")]
    ['1/8', '1/4', '1/2']
    """
    if variant == "tent":
        return [Fraction(k, 2 ** depth) for k in range(1, 2 ** depth)]
    return [Fraction(1, 2 ** k) for k in range(depth, 0, -1)]


def predicted_codes(depth: int, variant: str = "tent") -> list:
    """The codes of the intervals from left to right (tuple per layer of one bool).

    >>> ["".join("+" if c[0] else "-" for c in code) for code in predicted_codes(2)]
    ['--', '-+', '++', '+-']
    """
    if variant == "tent":
        out = []
        for k in range(2 ** depth):
            g = k ^ (k >> 1)
            out.append(tuple((bool((g >> (depth - 1 - l)) & 1),) for l in range(depth)))
        return out
    return [tuple((l >= depth - p,) for l in range(depth)) for p in range(depth + 1)]


def check_sawtooth(depth: int, variant: str = "tent", *, shallow="auto") -> Verdict:
    """Compute the sawtooth's partition on [0, 1] exactly and compare it with the corrected claim.

    Parameters
    ----------
    depth : int >= 1
    variant : {"tent", "as_printed"}
    shallow : bool or "auto"
        The shallow equivalent (:func:`~vqgeom.catalogue.shallow_equivalent`) is always built
        and its breakpoints compared; with True its own partition is also enumerated and
        checked against Lemma 1 (d = d_Omega on every pair). "auto": when it has <= 1023 neurons
        (every depth up to 10).

    Returns
    -------
    Verdict
        ``holds`` is True when every predicted fact is observed. ``details`` holds the report:
        ``n_regions``, ``breakpoints``, ``max_d``, ``max_d_omega``, ``pairs_less``,
        ``pairs_equal``, ``pairs_greater``, ``shallow_neurons``, ``paper_2L_intervals`` (whether
        the paper's "2^L intervals" is true for this variant), and ``mismatches``.

    Examples
    --------
    >>> v = check_sawtooth(3, "as_printed")
    >>> v.holds, v.n_regions, v.details["paper_2L_intervals"], v.n_less
    (True, 4, False, 0)
    >>> v = check_sawtooth(3)
    >>> v.holds, v.n_regions, v.details["max_d"], v.details["max_d_omega"], v.n_less
    (True, 8, 3, 7, 13)
    """
    from vqgeom.catalogue import sawtooth, shallow_equivalent
    from vqgeom.lemmas.lemma1 import check_lemma1
    from vqgeom.lemmas.lemma2 import check_lemma2
    from vqgeom.regions import Box, enumerate_regions

    start = time.perf_counter()
    net = sawtooth(depth, variant)
    box = Box(0, 1, dim=1)
    part = enumerate_regions(net, box, arithmetic="exact")
    v2 = check_lemma2(net, box, partition=part)
    order = sorted(range(part.n_regions), key=lambda i: part.witnesses[i][0])
    codes = [part.codes[i] for i in order]
    breaks = sorted(Fraction(d["facet_witness"][0]) for _, _, d in part.graph.edges(data=True))
    L = depth
    mismatches = []
    n_pred = 2 ** L if variant == "tent" else L + 1
    if part.n_regions != n_pred:
        mismatches.append(f"{part.n_regions} regions, predicted {n_pred}")
    if breaks != predicted_breakpoints(L, variant):
        mismatches.append("breakpoints differ from the prediction")
    if codes != predicted_codes(L, variant):
        mismatches.append("codes differ from the prediction")
    max_d, max_o = v2.details["max_d"], v2.details["max_d_omega"]
    if max_d != L:
        mismatches.append(f"max d = {max_d}, predicted {L}")
    if max_o != n_pred - 1:
        mismatches.append(f"max d_Omega = {max_o}, predicted {n_pred - 1}")
    if not v2.hypotheses["generic"]:
        mismatches.append("the partition is not generic")
    if v2.n_greater:
        mismatches.append(f"{v2.n_greater} pairs with d > d_Omega")
    strict_expected = variant == "tent" and L >= 2
    if (v2.n_less > 0) != strict_expected:
        mismatches.append(f"{v2.n_less} pairs with d < d_Omega; predicted "
                          f"{'some' if strict_expected else 'none'}")
    sh = shallow_equivalent(net, box)
    shallow_neurons = sh.n_neurons
    if sorted(-b for b in sh.layers[0].bias) != breaks:
        mismatches.append("the shallow equivalent's breakpoints differ")
    if shallow == "auto":
        shallow = shallow_neurons <= 1023
    if shallow:
        v1 = check_lemma1(sh, box)
        if v1.n_regions != part.n_regions or not v1.holds:
            mismatches.append("the shallow equivalent does not satisfy d = d_Omega")
    if shallow_neurons != n_pred - 1:
        mismatches.append(f"the shallow equivalent has {shallow_neurons} neurons, predicted {n_pred - 1}")
    details = {
        "depth": L, "variant": variant, "n_regions": part.n_regions, "breakpoints": breaks,
        "max_d": int(max_d), "max_d_omega": int(max_o), "pairs_less": v2.n_less,
        "pairs_equal": v2.n_equal, "pairs_greater": v2.n_greater,
        "shallow_neurons": shallow_neurons, "deep_neurons": net.n_neurons,
        "shallow_lemma1_checked": bool(shallow),
        "paper_2L_intervals": part.n_regions == 2 ** L, "mismatches": mismatches,
    }
    notes = list(mismatches)
    if part.n_regions != 2 ** L:
        notes.append(f"the {variant} layer gives {part.n_regions} intervals, not 2^{L} = {2 ** L}")
    return Verdict("sawtooth", f"sawtooth(depth={L}, variant={variant!r}) on [0, 1]",
                   holds=not mismatches, hypotheses=dict(v2.hypotheses), n_regions=part.n_regions,
                   pairs_checked=v2.pairs_checked, n_less=v2.n_less, n_equal=v2.n_equal,
                   n_greater=v2.n_greater, n_violations=len(mismatches), violations=[],
                   notes=notes, details=details, seconds=time.perf_counter() - start)


def sawtooth_table(depths=range(1, 11), variants=("tent", "as_printed")) -> list:
    """The per-depth report for each variant (a list of dicts, see :func:`check_sawtooth`)."""
    rows = []
    for variant in variants:
        for L in depths:
            v = check_sawtooth(L, variant)
            row = {k: v.details[k] for k in ("variant", "depth", "n_regions", "max_d", "max_d_omega",
                                              "pairs_less", "pairs_equal", "pairs_greater",
                                              "deep_neurons", "shallow_neurons", "paper_2L_intervals")}
            row["breakpoints"] = [str(t) for t in v.details["breakpoints"]]
            row["holds"] = v.holds
            rows.append(row)
    return rows


def _cases() -> dict:
    """This claim's cases of the registry (:data:`vqgeom.lemmas.claims.CATALOGUE`)."""
    E = functools.partial(CatalogueEntry, checker=check_sawtooth)
    entries = []
    for L in (1, 2, 3, 6, 8):
        entries.append(E(f"sawtooth-tent-{L}", "sawtooth", f"the tent map, depth {L}: 2^{L} intervals",
                         options={"depth": L, "variant": "tent"}))
    for L in (1, 2, 3, 6, 8):
        entries.append(E(f"sawtooth-printed-{L}", "sawtooth",
                         f"the printed formula, depth {L}: {L + 1} intervals, not 2^{L}",
                         options={"depth": L, "variant": "as_printed"}))
    return {e.name: e for e in entries}


#: name -> CatalogueEntry: this claim's cases
CASES = _cases()


def _check_main(max_depth: int = 10) -> int:
    ok = True
    cols = ("variant", "depth", "n_regions", "max_d", "max_d_omega", "pairs_less", "pairs_equal",
            "pairs_greater", "shallow_neurons", "holds")
    print("  ".join(f"{c:>15}" if i == 0 else f"{c:>11}" for i, c in enumerate(cols)))
    for row in sawtooth_table(range(1, max_depth + 1)):
        ok &= row["holds"]
        print("  ".join(f"{str(row[c]):>15}" if i == 0 else f"{str(row[c]):>11}" for i, c in enumerate(cols)))
    print("sawtooth check (L = 1..%d, both variants):" % max_depth, "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    from vqgeom.lemmas._check import main

    main("sawtooth", _check_main, {"max_depth": (int, 10, "check the depths L = 1..MAX_DEPTH")})
