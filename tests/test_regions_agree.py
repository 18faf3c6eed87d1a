"""Every engine that handles a catalogue network's dimension gives the same partition:
the same codes, the same adjacencies (named by codes) with the same flipped neurons, and
exact witnesses that pass verification."""

import numpy as np
import pytest

from vqgeom import Network, enumerate_regions
from vqgeom.lemmas.claims import CATALOGUE
from vqgeom.regions.domain import Box
from vqgeom.regions.engines import available_engines


def _cases():
    out = []
    for name, entry in CATALOGUE.items():
        if entry.build is None:
            continue
        net, domain = entry.build()
        if not (isinstance(domain, Box) or domain == "whole") or net.input_dim > 2:
            continue
        out.append(pytest.param(net, domain, id=name))
    return out


def signature(part):
    codes = set(part.codes)
    edges = {(frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
             for i, j, d in part.graph.edges(data=True)}
    return codes, edges


@pytest.mark.parametrize("net, domain", _cases())
def test_engines_agree_on_the_catalogue(net, domain):
    engines = available_engines(net.input_dim)
    assert len(engines) >= 2                       # a reference engine and the LP engine
    parts = {e: enumerate_regions(net, domain, engine=e) for e in engines}
    ref = signature(parts[engines[0]])
    for e, part in parts.items():
        assert signature(part) == ref, f"engine {e} disagrees with {engines[0]}"
        part.verify()


@pytest.mark.parametrize("seed", [0, 1])
def test_engines_agree_on_random_2d_networks_in_a_box_and_the_plane(seed):
    rng = np.random.default_rng(seed)
    net = Network([{"weight": rng.normal(size=(5, 2)), "bias": rng.normal(size=5) * 0.5},
                   {"weight": rng.normal(size=(4, 5)), "bias": rng.normal(size=4) * 0.5}])
    for domain in (None, "whole"):
        parts = {e: enumerate_regions(net, domain, engine=e) for e in available_engines(2)}
        sigs = {e: signature(p) for e, p in parts.items()}
        assert len({(frozenset(c), frozenset(ed)) for c, ed in sigs.values()}) == 1, sorted(parts)
        # float mode of each engine finds the same regions here (no near-degeneracies)
        for e in parts:
            assert signature(enumerate_regions(net, domain, engine=e, arithmetic="float")) == sigs[e]


def test_engines_agree_in_one_dimension_on_the_whole_line():
    from vqgeom.lemmas.claims import CATALOGUE

    net, _ = CATALOGUE["deep-1d-generic"].build()
    parts = {e: enumerate_regions(net, "whole", engine=e) for e in available_engines(1)}
    assert len(parts) >= 2
    sigs = {e: signature(p) for e, p in parts.items()}
    assert len({(frozenset(c), frozenset(ed)) for c, ed in sigs.values()}) == 1
    for p in parts.values():
        p.verify()


@pytest.mark.parametrize("seed", range(6))
def test_engines_agree_on_degenerate_rational_networks(seed):
    # quarter-integer weights: coincident lines, concurrent bends, dead and constant units
    from fractions import Fraction as F

    rng = np.random.default_rng(100 + seed)
    layers, d = [], 2
    for w in [(3, 3), (4, 3, 2), (2, 2, 2, 2)][seed % 3]:
        W = [[F(int(v), 4) for v in row] for row in rng.integers(-4, 5, size=(w, d))]
        if not layers:
            W = [row if any(row) else [F(1), F(0)] for row in W]
        layers.append({"weight": W, "bias": [F(int(v), 4) for v in rng.integers(-3, 4, size=w)]})
        d = w
    net = Network(layers)
    for domain in (None, "whole"):
        parts = {e: enumerate_regions(net, domain, engine=e) for e in available_engines(2)}
        sigs = {e: signature(p) for e, p in parts.items()}
        assert len({(frozenset(c), frozenset(ed)) for c, ed in sigs.values()}) == 1, sorted(parts)
        for p in parts.values():
            p.verify()
