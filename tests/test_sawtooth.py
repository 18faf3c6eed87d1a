"""The deep sawtooth, depths 1..10, exactly: both variants against independent oracles."""

from fractions import Fraction

import numpy as np
import pytest

from vqgeom import sawtooth, shallow_equivalent
from vqgeom.errors import InvalidInputError
from vqgeom.lemmas import check_sawtooth
from vqgeom.regions import Box, enumerate_regions

BOX = Box(0, 1, dim=1)


def gray(k):
    return k ^ (k >> 1)


def tent_oracle(L):
    """Pair counts from Gray codes alone: d = popcount(g(i) ^ g(j)), d_Omega = |i - j|."""
    n = 2 ** L
    g = np.array([gray(k) for k in range(n)], dtype=np.int64)
    x = g[:, None] ^ g[None, :]
    d = np.zeros_like(x)
    for b in range(L):
        d += (x >> b) & 1
    do = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    iu = np.triu_indices(n, 1)
    return int((d[iu] < do[iu]).sum()), int((d[iu] == do[iu]).sum()), int((d[iu] > do[iu]).sum())


def iterate(x, L, c):
    z = Fraction(x)
    for _ in range(L):
        z = 2 * z + c * max(2 * z - 1, Fraction(0))
    return z


@pytest.mark.parametrize("L", range(1, 11))
def test_tent_table_exact(L):
    v = check_sawtooth(L, "tent", shallow=L <= 6)
    det = v.details
    assert v.holds, det["mismatches"]
    assert det["n_regions"] == 2 ** L
    assert det["breakpoints"] == [Fraction(k, 2 ** L) for k in range(1, 2 ** L)]
    assert det["max_d"] == L and det["max_d_omega"] == 2 ** L - 1
    less, equal, greater = tent_oracle(L)
    assert (v.n_less, v.n_equal, v.n_greater) == (less, equal, greater)
    # the closed form proved in proofs/sawtooth.md
    assert equal == (1 if L == 1 else 5 * 2 ** (L - 1) - 5)
    assert det["shallow_neurons"] == 2 ** L - 1 and det["deep_neurons"] == L
    assert v.hypotheses["generic"]


@pytest.mark.parametrize("L", range(1, 11))
def test_printed_table_exact(L):
    v = check_sawtooth(L, "as_printed")
    det = v.details
    assert v.holds, det["mismatches"]
    assert det["n_regions"] == L + 1
    assert det["breakpoints"] == sorted(Fraction(1, 2 ** k) for k in range(1, L + 1))
    assert v.n_less == 0 and v.n_greater == 0 and v.n_equal == (L + 1) * L // 2
    assert det["max_d"] == det["max_d_omega"] == L
    assert det["shallow_neurons"] == L
    assert det["paper_2L_intervals"] == (L == 1)


@pytest.mark.parametrize("L", range(1, 7))
def test_interval_codes_are_gray_and_thermometer_codes(L):
    # the codes left to right, against Gray / thermometer codes computed here
    for variant in ("tent", "as_printed"):
        part = enumerate_regions(sawtooth(L, variant), BOX)
        order = sorted(range(part.n_regions), key=lambda i: part.witnesses[i][0])
        got = [tuple(layer[0] for layer in part.codes[i]) for i in order]
        if variant == "tent":
            want = [tuple(bool(gray(k) >> (L - 1 - l) & 1) for l in range(L)) for k in range(2 ** L)]
        else:  # interval p from the left (p = 0..L): the last p layers are on
            want = [tuple(l >= L - p for l in range(L)) for p in range(L + 1)]
        assert got == want


def test_check_reports_what_it_does_not_see(monkeypatch):
    # negative controls: check_sawtooth must be able to say "does not hold"
    import vqgeom.catalogue as catalogue
    import vqgeom.lemmas.sawtooth as saw

    real = catalogue.sawtooth
    monkeypatch.setattr(catalogue, "sawtooth", lambda L, variant="tent": real(L, "as_printed"))
    v = check_sawtooth(3, "tent", shallow=False)
    assert not v.holds and "4 regions, predicted 8" in v.details["mismatches"]
    monkeypatch.setattr(catalogue, "sawtooth", real)
    codes = saw.predicted_codes(3)
    monkeypatch.setattr(saw, "predicted_codes", lambda L, variant="tent": codes[1:2] + codes[:1] + codes[2:])
    v = check_sawtooth(3, "tent", shallow=False)
    assert not v.holds and v.details["mismatches"] == ["codes differ from the prediction"]


@pytest.mark.parametrize("variant,c", [("tent", -2), ("as_printed", -1)])
def test_forward_is_the_iterated_map(variant, c):
    L = 5
    net = sawtooth(L, variant)
    xs = [Fraction(k, 97) for k in range(98)]
    out = net.forward([[x] for x in xs])[:, 0]
    assert [Fraction(v) for v in out] == [iterate(x, L, c) for x in xs]


def test_printed_output_is_constant_on_the_right():
    L = 6
    xs = [Fraction(1, 2 ** L) + Fraction(k, 1000) for k in range(0, 980, 7)]
    assert all(iterate(x, L, -1) == 1 for x in xs)


def test_shallow_equivalent_has_the_same_partition():
    from vqgeom.lemmas.claims import CATALOGUE

    net, dom = CATALOGUE["deep-1d-generic"].build()
    sh = shallow_equivalent(net, dom)
    a, b = enumerate_regions(net, dom), enumerate_regions(sh, dom)
    assert a.n_regions == b.n_regions
    edges = lambda p: sorted(d["facet_witness"] for _, _, d in p.graph.edges(data=True))
    assert edges(a) == edges(b)
    assert sh.depth == 1 and sh.n_neurons == a.n_regions - 1


def test_shallow_equivalent_of_a_network_without_breakpoints():
    from vqgeom.catalogue import arrangement

    net = arrangement([[1]], [5])  # breakpoint -5, outside [-1, 1]
    sh = shallow_equivalent(net)
    assert sh.n_neurons == 1 and enumerate_regions(sh).n_regions == 1


def test_bad_arguments():
    with pytest.raises(InvalidInputError, match="depth"):
        sawtooth(0)
    with pytest.raises(InvalidInputError, match="variant"):
        sawtooth(2, "saw")
    from vqgeom.catalogue import arrangement

    with pytest.raises(InvalidInputError, match="1-D"):
        shallow_equivalent(arrangement([[1, 0]], [0]))
