"""The exact cdd engine as an independent oracle, and the exact LP engine's cdd fallback.

The cdd engine decides everything with cddlib's exact rational LPs, so it shares no float
stage with the other engines. Oracles: Zaslavsky's counts, the 1-D interval engine, the 2-D
polygon and planar engines, the LP engine (exact and float) on random and degenerate
networks in D = 2..4 (hypothesis draws the weights: small integers, halves, duplicated,
opposite and scaled rows, dead neurons), and the near-duplicate networks on which the LP
engine's float LPs go blind.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("cdd.gmp", reason="pycddlib with GMP is the optional extra vqgeom[exact]",
                    exc_type=ImportError)

from vqgeom import Network, enumerate_regions
from vqgeom.catalogue import near_duplicates
from vqgeom.errors import (CertificateError, DegenerateInputError, EngineFallbackWarning, InvalidInputError,
                           RegionBudgetExceeded)
from vqgeom.regions import lp as lp_engine
from vqgeom.regions.domain import Box


def signature(part):
    """Codes, and adjacencies named by their two codes with their flipped neurons."""
    codes = set(part.codes)
    edges = {(frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
             for i, j, d in part.graph.edges(data=True)}
    assert len(codes) == part.n_regions            # one region per code on a convex domain
    return codes, edges


# -------------------------------------------------------------------- strategies
_VALUES = st.sampled_from([Fraction(v, 2) for v in range(-6, 7)])


@st.composite
def degenerate_networks(draw, dim):
    """Exact networks with small weights (integers and halves) made degenerate on purpose:
    rows copied with a positive or negative factor, dead neurons (a zero row in a later
    layer, with zero or non-zero bias), repeated later-layer rows."""
    depth = draw(st.integers(1, 2))
    layers, d_in = [], dim
    for l in range(depth):
        n = draw(st.integers(2, 4 if l == 0 else 3))
        W = [[draw(_VALUES) for _ in range(d_in)] for _ in range(n)]
        b = [draw(_VALUES) for _ in range(n)]
        for k in range(n):
            kind = draw(st.sampled_from(["plain", "plain", "copy", "dead"] if l else
                                        ["plain", "plain", "copy"]))
            if kind == "copy" and k > 0:
                src = draw(st.integers(0, k - 1))
                c = draw(st.sampled_from([Fraction(-2), Fraction(-1), Fraction(1, 2), Fraction(3)]))
                W[k] = [c * v for v in W[src]]
                b[k] = c * b[src]
            elif kind == "dead":
                W[k] = [Fraction(0)] * d_in
            if l == 0:
                assume(any(W[k]))
        layers.append({"weight": W, "bias": b})
        d_in = n
    return Network(layers, exact=True)


# ----------------------------------------------------------- oracle comparisons
def _networks(dims):
    return st.sampled_from(dims).flatmap(lambda d: degenerate_networks(d))


@settings(max_examples=12)
@given(_networks([2, 3, 4]), st.booleans())
def test_cdd_equals_the_lp_engine_exact_and_float(net, whole):
    _check_engines_agree(net, "whole" if whole else None,
                         [("lp", "exact"), ("lp", "float")])


@settings(max_examples=12)
@given(_networks([1, 2]), st.booleans())
def test_cdd_equals_the_exact_low_dimensional_engines(net, whole):
    others = ["interval"] if net.input_dim == 1 else ["polygon", "planar"]
    _check_engines_agree(net, "whole" if whole else None, [(e, "exact") for e in others])


def _check_engines_agree(net, domain, others):
    cdd = enumerate_regions(net, domain, engine="cdd")
    cdd.verify()
    ref = signature(cdd)
    for name, arithmetic in others:
        got = signature(enumerate_regions(net, domain, engine=name, arithmetic=arithmetic))
        assert got == ref, f"{name} ({arithmetic}) disagrees with cdd"


@pytest.mark.parametrize("dim, n", [(3, 5), (4, 6)])
def test_zaslavsky_counts_for_a_generic_arrangement(dim, n):
    # moment-curve normals with distinct offsets: generic for these sizes (checked by the
    # LP engine's own tests; here the count itself is the oracle)
    rng = np.random.default_rng(dim)
    W = [[Fraction(t) ** k for k in range(1, dim + 1)] for t in range(1, n + 1)]
    b = [Fraction(int(v), 7) for v in rng.integers(-20, 21, n)]
    net = Network([{"weight": W, "bias": b}], exact=True)
    part = enumerate_regions(net, "whole", engine="cdd")
    assert part.n_regions == sum(comb(n, k) for k in range(dim + 1))
    # facets: each hyperplane is cut by the other n - 1 into an arrangement in D - 1
    assert part.n_adjacencies == n * sum(comb(n - 1, k) for k in range(dim))
    assert part.is_generic
    part.verify()


def test_duplicate_and_opposite_rows_give_one_facet_with_every_flip():
    net = Network([{"weight": [["1", "1", "0"], ["-2", "-2", "0"], ["1", "1", "0"], ["0", "0", "1"]],
                    "bias": ["0", "0", "0", "1/2"]}])
    part = enumerate_regions(net, engine="cdd")
    part.verify()
    assert part.n_regions == 4
    assert sorted(len(f) for _, _, f in part.non_generic_facets()) == [3, 3]


def test_whole_space_frame_contains_every_vertex_and_draws_polygons():
    net = Network([{"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -10]}], exact=True)
    part = enumerate_regions(net, "whole", engine="cdd")
    assert isinstance(part.frame, Box)
    for v in [(0, 0), (10, 0), (0, 10)]:                       # the complex's vertices
        assert part.frame.contains(v, strict=True)
    assert sum(len(part.polygon(i)) for i in range(part.n_regions)) > 0
    assert signature(enumerate_regions(net, "whole", engine="polygon")) == signature(part)


def test_float_arithmetic_returns_a_float_partition_with_the_exact_combinatorics():
    net = near_duplicates(17)
    exact = enumerate_regions(net, engine="cdd")
    flt = enumerate_regions(net, engine="cdd", arithmetic="float")
    assert flt.arithmetic == "float" and isinstance(flt.witnesses[0][0], float)
    assert signature(flt) == signature(exact)


# ------------------------------------------------------------------ budgets, progress
def test_max_regions_raises_with_the_count_and_progress_is_reported():
    net = Network([{"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": [0, 0, 0]}], exact=True)
    with pytest.raises(RegionBudgetExceeded) as info:
        enumerate_regions(net, engine="cdd", max_regions=5)
    assert info.value.n_found == 6 and info.value.max_regions == 5
    seen = []
    part = enumerate_regions(net, engine="cdd", progress=lambda n, stage: seen.append((n, stage)))
    assert part.n_regions == 8 and seen[-1] == (8, "cdd")


def test_a_union_of_boxes_is_refused_by_name():
    from vqgeom.regions.cdd import enumerate_partition

    class Odd:  # a domain the engine does not handle
        pass

    net = Network([{"weight": [[1, 0]], "bias": [0]}], exact=True)
    with pytest.raises(InvalidInputError, match="domain must be a Box or Whole"):
        enumerate_partition(net, Odd())


# -------------------------------------------- near-duplicate neurons: the LP engine answers
# Seeds of near_duplicates(seed) (D = 3, 8 neurons, three near-copies perturbed by 1e-6 ..
# 1e-14) on which the exact LP engine used to raise: DegenerateInputError on 17 and 24,
# CertificateError (documented as a bug) on 14 and 20. All 40 seeds (35 used to raise):
# benchmarks/bench_near_duplicates.py.
@pytest.mark.parametrize("seed, used_to_raise", [(17, "degenerate"), (24, "degenerate"),
                                                 (14, "certificate"), (20, "certificate")])
def test_the_exact_lp_engine_answers_near_duplicate_networks(seed, used_to_raise, monkeypatch):
    import vqgeom.exact.certificates as certificates

    net = near_duplicates(seed)
    rejected = []
    check = certificates.check_facet

    def spy(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except CertificateError:
            rejected.append(args[3])
            raise

    monkeypatch.setattr(certificates, "check_facet", spy)
    part = enumerate_regions(net, engine="lp")
    part.verify()
    assert signature(part) == signature(enumerate_regions(net, engine="cdd"))
    if used_to_raise == "degenerate":
        # float LPs are blind on some group: cddlib's exact LPs decided it
        assert part.engine == "lp+cdd" and part.n_exact_lps > 0
    else:
        # the cause of the CertificateError: a float facet point (near rows need only a
        # slack of 1e-6 t, below HiGHS's feasibility tolerance) failed its exact check; it is
        # now a rejected proposal, and the group is decided exactly
        assert rejected


def test_the_exact_lp_engine_falls_back_to_cdd_on_the_whole_network(monkeypatch):
    net = near_duplicates(24)

    def blind(self):
        raise DegenerateInputError("float LPs are blind here")

    monkeypatch.setattr(lp_engine._Walk, "run", blind)
    with pytest.warns(EngineFallbackWarning, match="float LPs are blind here"):  # lp asked for: said so
        part = enumerate_regions(net, engine="lp")
    assert part.engine == "lp+cdd"
    part.verify()
    assert signature(part) == signature(enumerate_regions(net, engine="cdd"))
    with pytest.raises(DegenerateInputError):   # float mode certifies nothing: no fallback
        enumerate_regions(net, engine="lp", arithmetic="float")


def test_an_interior_witness_comes_from_cddlib_when_the_float_centre_fails():
    from vqgeom.exact.certificates import check_interior

    net = Network([{"weight": [[1, 0, 0], [0, 1, 0], [1, 1, 1]], "bias": [0, 0, "1/3"]}], exact=True)
    walk = lp_engine._Walk(net, Box(-1, 1, dim=3), "exact")
    cell, an, _, _, _ = walk._start_cell()
    with pytest.raises(CertificateError):          # no float centre, no entry facet
        walk._certify_interior(cell, None, None)
    witness = walk._certify_interior(cell, None, None, an)
    check_interior(net, cell.code, witness, Box(-1, 1, dim=3))
    assert walk.n_exact_lps == 1


@pytest.mark.parametrize("widths", [(3, 4, 3), (4, 3, 2)])
def test_cdd_equals_the_lp_engine_on_random_float_networks(widths):
    rng = np.random.default_rng(sum(widths))
    layers, d = [], widths[0]
    for w in widths[1:]:
        layers.append({"weight": rng.normal(size=(w, d)), "bias": rng.normal(size=w) * 0.5})
        d = w
    net = Network(layers)
    for domain in (None, "whole"):
        _check_engines_agree(net, domain, [("lp", "exact"), ("lp", "float")])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
def test_cdd_equals_the_lp_engine_with_skips_outputs_and_other_activations(activation):
    rng = np.random.default_rng(5)
    ints = lambda shape, lo, hi: rng.integers(lo, hi + 1, shape).tolist()
    extra = {"negative_slope": "1/4"} if activation == "leaky_relu" else {}
    net = Network([{"weight": ints((4, 3), -2, 2), "bias": ints(4, -1, 1), "activation": activation,
                    "skip": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "out": ints((3, 4), -1, 1), **extra},
                   {"weight": ints((3, 3), -2, 2), "bias": ints(3, -1, 1), "activation": activation,
                    **extra}], exact=True)
    for domain in (None, "whole"):
        _check_engines_agree(net, domain, [("lp", "exact")])
