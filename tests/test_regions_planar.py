"""The fast planar engine: float subdivision and its exact certification.

Oracles: the exact polygon-splitting engine (same codes, same adjacencies named by codes,
same flips), Euler's relation for the planar subdivision, Regioncam's region counts, and
exact Fraction arithmetic for the floating-point filter's error bound. The certifier must
reject corrupted subdivisions.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Network
from vqgeom.errors import CertificateError, EngineFallbackWarning, RegionBudgetExceeded
from vqgeom.regions import planar, polygon
from vqgeom.regions.domain import Box
from vqgeom.regions.engines import enumerate_regions

BOX = Box(-1, 1, dim=2)


def signature(part):
    codes = set(part.codes)
    edges = {(frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
             for i, j, d in part.graph.edges(data=True)}
    return codes, edges


@st.composite
def integer_networks(draw, max_width=5, depth=(1, 2)):
    """Small 2-D networks with integer weights in [-2, 2]: many concurrent lines, lines
    through box corners, parallel and duplicate neurons, dead and constant neurons."""
    layers, d_in = [], 2
    for l in range(draw(st.integers(*depth))):
        n = draw(st.integers(1, max_width))
        W = [draw(st.lists(st.integers(-2, 2), min_size=d_in, max_size=d_in)) for _ in range(n)]
        if l == 0:
            W = [row if any(row) else [1, 0] for row in W]
        b = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
        layers.append({"weight": W, "bias": b})
        d_in = n
    if draw(st.booleans()):          # duplicate a neuron of the last layer (also with factor 2)
        c = draw(st.sampled_from([1, 2]))
        layers[-1]["weight"].append([c * v for v in layers[-1]["weight"][0]])
        layers[-1]["bias"].append(c * layers[-1]["bias"][0])
    return Network(layers)


def _assert_same_as_polygon(net, box=BOX):
    ref = polygon.enumerate_partition(net.to_exact(), box, arithmetic="exact")
    ex = planar.enumerate_partition(net.to_exact(), box, arithmetic="exact")
    fl = planar.enumerate_partition(net.to_float(), box, arithmetic="float")
    assert signature(ex) == signature(ref)
    assert signature(fl) == signature(ref)
    ex.verify()
    return ex


@given(integer_networks())
def test_planar_matches_the_exact_polygon_engine_on_degenerate_integer_networks(net):
    part = _assert_same_as_polygon(net)
    # these integer networks are certified directly (no fallback to the polygon engine)
    assert part.engine == "planar"


@pytest.mark.parametrize("seed", range(4))
def test_planar_matches_polygon_on_random_float_networks(seed):
    rng = np.random.default_rng(seed)
    net = Network([{"weight": rng.normal(size=(7, 2)), "bias": rng.normal(size=7) * 0.5},
                   {"weight": rng.normal(size=(6, 7)), "bias": rng.normal(size=6) * 0.5},
                   {"weight": rng.normal(size=(4, 6)), "bias": rng.normal(size=4) * 0.5}])
    part = _assert_same_as_polygon(net)
    assert part.engine == "planar"
    # exact polygons: each one's exact area is positive and the areas add up to the box's
    area = Fraction(0)
    for poly in part.polygons():
        a = sum(p[0] * q[1] - p[1] * q[0] for p, q in zip(poly, poly[1:] + poly[:1])) / 2
        assert a > 0
        area += a
    assert area == 4


@pytest.mark.parametrize("case", ["corner", "concurrent", "duplicate", "dead", "constant", "parallel"])
def test_degenerate_named_cases(case):
    if case == "corner":          # lines through box corners and along a diagonal
        layers = [{"weight": [[1, 1], [1, -1], [1, 0]], "bias": [0, 0, -1]}]
    elif case == "concurrent":    # five lines through (1/2, 1/4)
        layers = [{"weight": [[1, 0], [0, 1], [1, 1], [1, -2], [2, 4]], "bias": [-0.5, -0.25, -0.75, 0, -2]}]
    elif case == "duplicate":     # the same hyperplane twice, once reversed: a facet flips 2 neurons
        layers = [{"weight": [[1, 2], [-2, -4], [1, -1]], "bias": [0.5, -1, 0]}]
    elif case == "dead":          # a layer-2 neuron reading only a neuron that is dead here
        layers = [{"weight": [[1, 0], [0, 1]], "bias": [-3, 0]},
                  {"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, -0.5, 0]}]
    elif case == "constant":      # an all-zero weight row in layer 2, zero bias
        layers = [{"weight": [[1, 0], [0, 1]], "bias": [0, 0]},
                  {"weight": [[0, 0], [1, -1]], "bias": [0, 0.25]}]
    else:                         # parallel lines
        layers = [{"weight": [[1, 1], [1, 1], [2, 2]], "bias": [0, -0.5, 1]}]
    part = _assert_same_as_polygon(Network(layers))
    if case == "duplicate":
        assert not part.is_generic
        assert any(len(f) == 2 for _, _, f in part.graph.edges(data="flips"))


def test_euler_relation_of_the_subdivision():
    rng = np.random.default_rng(5)
    net = Network([{"weight": rng.normal(size=(12, 2)), "bias": rng.normal(size=12) * 0.3},
                   {"weight": rng.normal(size=(10, 12)), "bias": rng.normal(size=10) * 0.3}])
    sub = planar.float_subdivision(net, BOX)
    V, E, F = len(sub.X), len(sub.ev), sub.n_faces
    assert V - E + F == 1
    # every inner edge borders two faces, every box edge one
    counts = np.bincount(sub.fe, minlength=E)
    assert set(counts.tolist()) <= {1, 2}
    assert np.all((counts == 1) == (sub.eline >= net.n_neurons))


def _certifiable():
    rng = np.random.default_rng(11)
    net = Network([{"weight": rng.normal(size=(6, 2)), "bias": rng.normal(size=6) * 0.4},
                   {"weight": rng.normal(size=(5, 6)), "bias": rng.normal(size=5) * 0.4}])
    return net, planar.float_subdivision(net, BOX)


def _copy(sub, **changes):
    from vqgeom.regions._planar_float import Subdivision

    fields = dict(X=sub.X, vlines=sub.vlines, fptr=sub.fptr, fv=sub.fv, fe=sub.fe, ev=sub.ev,
                  eline=sub.eline, codes=sub.codes)
    fields.update({k: v for k, v in changes.items()})
    return Subdivision(n_neurons=sub.n_neurons, **{k: np.array(v, copy=True) for k, v in fields.items()})


def test_certifier_accepts_the_honest_subdivision():
    net, sub = _certifiable()
    witnesses, edges, polygons = planar.certify(net, BOX, sub)
    assert len(witnesses) == sub.n_faces and all(isinstance(v, Fraction) for w in witnesses for v in w)
    exact = net.to_exact()
    pres = np.concatenate(exact.preactivations(np.array(witnesses, dtype=object)), axis=1)
    assert np.all(pres != 0)
    assert np.array_equal(pres > 0, sub.codes)


@pytest.mark.parametrize("corruption", ["code", "vertex_line", "swap_cycle", "drop_face", "box"])
def test_certifier_rejects_corrupted_subdivisions(corruption):
    net, sub = _certifiable()
    if corruption == "code":            # a face claims a wrong sign for one neuron
        codes = sub.codes.copy()
        codes[3, 2] = ~codes[3, 2]
        bad = _copy(sub, codes=codes)
    elif corruption == "vertex_line":   # a vertex claims to lie on another neuron's line
        vl = sub.vlines.copy()
        v = int(np.flatnonzero(vl[:, 1] < net.n_neurons)[-1])
        vl[v, 1] = (vl[v, 1] + 1) % net.widths[0] if vl[v, 0] != (vl[v, 1] + 1) % net.widths[0] else 0
        bad = _copy(sub, vlines=vl)
    elif corruption == "swap_cycle":    # two consecutive vertices of a face swapped
        fv = sub.fv.copy()
        a = int(sub.fptr[2])
        fv[a], fv[a + 1] = fv[a + 1], fv[a]
        bad = _copy(sub, fv=fv)
    elif corruption == "drop_face":     # a region goes missing
        keep = np.arange(sub.n_faces) != 4
        lens = np.diff(sub.fptr)[keep]
        pos = np.concatenate([np.arange(sub.fptr[f], sub.fptr[f + 1]) for f in np.flatnonzero(keep)])
        bad = _copy(sub, fptr=np.concatenate([[0], np.cumsum(lens)]), fv=sub.fv[pos], fe=sub.fe[pos],
                    codes=sub.codes[keep])
    else:                               # certified against a box the subdivision does not cover
        with pytest.raises(CertificateError):
            planar.certify(net, Box(-1, 2, dim=2), sub)
        return
    with pytest.raises(CertificateError):
        planar.certify(net, BOX, bad)


def test_failed_certificate_falls_back_to_the_polygon_engine(monkeypatch):
    net, _ = _certifiable()

    def refuse(*args, **kwargs):
        raise CertificateError("refused for the test")

    monkeypatch.setattr(planar, "certify", refuse)
    part = planar.enumerate_partition(net, BOX, arithmetic="exact")
    assert part.engine == "polygon"
    assert signature(part) == signature(polygon.enumerate_partition(net.to_exact(), BOX))


def test_filter_bounds_hold_against_exact_arithmetic():
    from vqgeom.exact.arith import ExactContext, context

    rng = np.random.default_rng(3)
    net = Network([{"weight": rng.normal(size=(8, 2)) * 3, "bias": rng.normal(size=8)},
                   {"weight": rng.normal(size=(8, 8)), "bias": rng.normal(size=8),
                    "activation": "leaky_relu", "negative_slope": 0.1},
                   {"weight": rng.normal(size=(5, 8)), "bias": rng.normal(size=5),
                    "skip": rng.normal(size=(5, 8)), "out": rng.normal(size=(5, 5))},
                   {"weight": rng.normal(size=(4, 5)), "bias": rng.normal(size=4)}])
    exact = net.to_exact()
    # also a network whose weights are not floats (0.1 as the decimal rational)
    net2 = Network([{"weight": [["0.1", "1/3"], ["-2/7", "5"]], "bias": ["1/10", "0"]}])
    for ex in (exact, net2):
        X = rng.uniform(-1, 1, size=(40, 2))
        pb = context(ex, "filtered").bounds(X)
        pre = np.concatenate([p for p, _ in pb], axis=1)
        bnd = np.concatenate([b for _, b in pb], axis=1)
        truth = np.concatenate([ExactContext.to_fractions(p).T for p in context(ex, "exact").preactivations(X)],
                               axis=1)
        err = np.array([[abs(Fraction(p) - t) for p, t in zip(prow, trow)] for prow, trow in zip(pre, truth)])
        assert np.all(err <= np.array([[Fraction(b) for b in row] for row in bnd], dtype=object))
        assert np.all(bnd < 1e-10)   # and it is a tight bound, not a tolerance


def test_exact_rows_are_the_region_maps():
    from vqgeom.exact.arith import context

    rng = np.random.default_rng(4)
    net = Network([{"weight": rng.normal(size=(4, 2)), "bias": rng.normal(size=4)},
                   {"weight": rng.normal(size=(3, 4)), "bias": rng.normal(size=3), "skip": rng.normal(size=(3, 4)),
                    "out": rng.normal(size=(3, 3)), "activation": "leaky_relu", "negative_slope": 0.25},
                   {"weight": rng.normal(size=(2, 3)), "bias": rng.normal(size=2)}]).to_exact()
    code = [np.array([True, False, True, True]), np.array([False, True, True])]
    maps = net.preactivation_maps(code)
    inet = context(net, "exact")
    prefix = np.concatenate(code)[None, :]
    for l in range(3):
        G, c, den = inet.rows(l, np.arange(net.widths[l]), np.repeat(prefix[:, :sum(net.widths[:l])], net.widths[l], 0))
        A, b = maps[l]
        assert [[Fraction(int(v), den) for v in row] for row in G] == A.tolist()
        assert [Fraction(int(v), den) for v in c] == b.tolist()


def test_max_regions_and_whole_plane():
    net = Network([{"weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, -0.5]}])
    with pytest.raises(RegionBudgetExceeded) as info:
        enumerate_regions(net, engine="planar", max_regions=3)
    assert info.value.n_found > 3
    part = enumerate_regions(net, "whole", engine="planar")
    assert part.n_regions == 7 and part.engine == "planar"   # Zaslavsky: 1 + 3 + 3
    part.verify()


@pytest.mark.parametrize("seed", range(3))
def test_region_counts_agree_with_regioncam(seed):
    regioncam = pytest.importorskip("regioncam")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    mods = []
    for a, b in ((2, 12), (12, 12), (12, 8)):
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(rng.normal(size=(b, a)) / np.sqrt(a)))
            lin.bias.copy_(torch.from_numpy(rng.normal(size=b) * 0.3))
        mods += [lin, torch.nn.ReLU()]
    module = torch.nn.Sequential(*mods)
    net = Network.from_torch(module)
    rc = regioncam.Regioncam(size=1.0)
    rc.add(regioncam.nn.convert(module))
    part = enumerate_regions(net, arithmetic="float", engine="planar")
    assert part.n_regions == rc.num_faces


def test_inconsistent_float_subdivision_falls_back(monkeypatch):
    from vqgeom.regions import _planar_float

    net, _ = _certifiable()

    def broken(*args, **kwargs):
        raise _planar_float.Inconsistent("rounding, for the test")

    monkeypatch.setattr(_planar_float, "subdivide", broken)
    for arithmetic in ("exact", "float"):
        part = planar.enumerate_partition(net, BOX, arithmetic=arithmetic)
        assert part.engine == "polygon"
        assert signature(part) == signature(polygon.enumerate_partition(net.to_exact(), BOX))


def test_box_bounds_that_are_not_floats_use_the_exact_engine():
    net = Network([{"weight": [[3, 0], [0, 3], [3, 3]], "bias": [0, 0, -1]}])
    box = Box("-1/3", "1/3", dim=2)
    with pytest.warns(EngineFallbackWarning, match="not floats"):  # asked for planar: said so
        part = enumerate_regions(net, box, engine="planar")
    assert part.engine == "polygon"
    assert signature(part) == signature(polygon.enumerate_partition(net.to_exact(), box))


def test_progress_is_reported_per_layer():
    net, _ = _certifiable()
    calls = []
    enumerate_regions(net, engine="planar", arithmetic="float", progress=lambda n, stage: calls.append((n, stage)))
    assert [stage for _, stage in calls] == ["layer 1/2", "layer 2/2"]
    assert calls[-1][0] == enumerate_regions(net, engine="planar", arithmetic="float").n_regions


@pytest.mark.parametrize("seed", range(3))
def test_planar_on_cpa_layers(seed):
    """Leaky ReLU, abs, skip and out maps: the same partition as the exact polygon engine."""
    rng = np.random.default_rng(seed)
    net = Network([{"weight": rng.normal(size=(5, 2)), "bias": rng.normal(size=5) * 0.5,
                    "activation": "leaky_relu", "negative_slope": 0.2},
                   {"weight": rng.normal(size=(4, 5)), "bias": rng.normal(size=4) * 0.5, "activation": "abs",
                    "skip": rng.normal(size=(3, 5)), "out": rng.normal(size=(3, 4)), "out_bias": rng.normal(size=3)},
                   {"weight": rng.normal(size=(3, 3)), "bias": rng.normal(size=3) * 0.5}])
    part = _assert_same_as_polygon(net)
    assert part.engine == "planar"
