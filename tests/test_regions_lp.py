"""Tests of the any-dimension LP engine, its exact certificates, and ``enclosing_box``.

Oracles: Zaslavsky's counts for arrangements in general position (regions and facets),
closed-form counts for concurrent and parallel hyperplanes, the 1-D interval engine and the
2-D polygon engine, dense random sampling of codes in 3-D, and independent exact checks of
every witness.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vqgeom import Network
from vqgeom.errors import CertificateError, RegionBudgetExceeded
from vqgeom.exact.certificates import check_facet, check_interior, region_maps
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.lp import enclosing_box, enumerate_partition


# ----------------------------------------------------------------------------- helpers
def _arrangement(W, b):
    """One hidden layer: the hyperplane arrangement {W x + b = 0} (exact)."""
    return Network([{"weight": [[Fraction(int(v)) for v in row] for row in W],
                     "bias": [Fraction(int(v)) for v in b]}], exact=True)


def _general_position(rng, n, D):
    """Integer hyperplanes; rejected until every D-subset is independent and no D+1 meet."""
    while True:
        W = rng.integers(-9, 10, size=(n, D))
        b = rng.integers(-9, 10, size=n)
        if not _is_general(W, b, D):
            continue
        return W, b


def _is_general(W, b, D):
    import sympy

    n = len(W)
    for k in range(1, min(n, D) + 1):
        for sub in combinations(range(n), k):
            if sympy.Matrix(W[list(sub)].tolist()).rank() < k:
                return False
    for sub in combinations(range(n), D + 1):  # no D+1 hyperplanes through a point
        M = sympy.Matrix(np.c_[W[list(sub)], b[list(sub)]].tolist())
        if M.rank() < D + 1:
            return False
    return True


def _vertices(W, b, D):
    """All exact intersection points of D hyperplanes of an arrangement."""
    import sympy

    pts = []
    for sub in combinations(range(len(W)), D):
        A = sympy.Matrix(W[list(sub)].tolist())
        if A.det() == 0:
            continue
        x = A.solve(sympy.Matrix((-b[list(sub)]).tolist()))
        pts.append([Fraction(int(v.p), int(v.q)) for v in x])
    return pts


def _zaslavsky(n, D):
    return sum(comb(n, i) for i in range(D + 1))


def _n_facets(n, D):
    # each hyperplane is cut by the other n - 1 into a general (D-1)-dimensional arrangement
    return n * sum(comb(n - 1, i) for i in range(D)) if D >= 1 else 0


def _edges(part):
    return {frozenset((part.codes[i], part.codes[j])): tuple(sorted(d["flips"]))
            for i, j, d in part.graph.edges(data=True)}


def _verify_independently(part):
    """Every witness and facet witness passes the exact checks (fresh maps, no caching)."""
    net = part.net
    for code, w in zip(part.codes, part.witnesses):
        check_interior(net, code, w, part.domain)
    for i, j, d in part.graph.edges(data=True):
        flips = check_facet(net, part.codes[i], part.codes[j], d["facet_witness"], part.domain)
        assert flips == d["flips"]


def _deep(rng, widths, scale=1.0, exact=True):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = rng.uniform(-1, 1, size=(b, a)) / np.sqrt(a) * scale
        layers.append({"weight": W, "bias": rng.uniform(-0.5, 0.5, size=b)})
    net = Network(layers)
    return net.to_exact() if exact else net


# --------------------------------------------------------------------- Zaslavsky oracle
@pytest.mark.parametrize("D,n,seed", [(1, 5, 0), (2, 5, 1), (2, 6, 2), (3, 5, 3), (3, 6, 4), (4, 6, 5), (5, 7, 6)])
def test_zaslavsky_whole_and_box(D, n, seed):
    rng = np.random.default_rng(seed)
    W, b = _general_position(rng, n, D)
    net = _arrangement(W, b)
    whole = enumerate_partition(net, Whole(), arithmetic="exact")
    assert whole.n_regions == _zaslavsky(n, D)
    assert whole.n_adjacencies == _n_facets(n, D)
    assert whole.is_generic
    _verify_independently(whole)
    # a box strictly containing every vertex has the same regions and adjacencies
    pts = _vertices(W, b, D)
    lo = [min([p[i] for p in pts] + [Fraction(0)]) - 1 for i in range(D)]
    hi = [max([p[i] for p in pts] + [Fraction(0)]) + 1 for i in range(D)]
    boxed = enumerate_partition(net, Box(lo, hi), arithmetic="exact")
    assert set(boxed.codes) == set(whole.codes)
    assert _edges(boxed) == _edges(whole)
    _verify_independently(boxed)
    # float mode runs the same walk
    fl = enumerate_partition(net.to_float(), Whole(), arithmetic="float")
    assert set(fl.codes) == set(whole.codes) and _edges(fl) == _edges(whole)


def test_zaslavsky_random_float_weights_3d():
    rng = np.random.default_rng(7)
    n, D = 7, 3
    net = Network([{"weight": rng.normal(size=(n, D)), "bias": rng.normal(size=n)}])
    part = enumerate_partition(net.to_exact(), Whole(), arithmetic="exact")
    assert part.n_regions == _zaslavsky(n, D)
    assert part.n_adjacencies == _n_facets(n, D)


# ------------------------------------------------------------ concurrent and parallel
@pytest.mark.parametrize("n", [2, 3, 5])
def test_concurrent_lines(n):
    # n distinct lines through (1/3, -2/7): 2n sectors, each adjacent to two
    angles = [Fraction(k, n) for k in range(n)]
    W = [[1, a] for a in angles[:-1]] + [[0, 1]]
    p = (Fraction(1, 3), Fraction(-2, 7))
    b = [-(w[0] * p[0] + w[1] * p[1]) for w in W]
    net = Network([{"weight": W, "bias": b}], exact=True)
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    assert part.n_regions == 2 * n and part.n_adjacencies == 2 * n
    assert all(d == 2 for _, d in part.graph.degree())
    _verify_independently(part)


def test_parallel_planes_and_grid():
    # 4 parallel planes in R^3: 5 slabs in a path
    net = Network([{"weight": [[1, 2, -1]] * 4, "bias": [0, 1, -3, 7]}], exact=True)
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    assert part.n_regions == 5 and part.n_adjacencies == 4
    assert sorted(d for _, d in part.graph.degree()) == [1, 1, 2, 2, 2]
    # a 3 x 2 family of lines (3 vertical, 2 horizontal): a 4 x 3 grid of cells
    net = Network([{"weight": [[1, 0]] * 3 + [[0, 1]] * 2, "bias": [0, -1, 2, 0, 5]}], exact=True)
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    assert part.n_regions == 12 and part.n_adjacencies == 4 * 2 + 3 * 3


def test_planes_through_a_common_line():
    # k planes in R^3 containing the z-axis: 2k wedges
    k = 4
    W = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [1, -3, 0]]
    net = Network([{"weight": W, "bias": [0] * k}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="exact")
    assert part.n_regions == 2 * k and part.n_adjacencies == 2 * k
    _verify_independently(part)


# ------------------------------------------------------------------- other engines
def test_agrees_with_interval_engine_1d():
    from vqgeom.regions.engines import enumerate_regions

    rng = np.random.default_rng(11)
    net = _deep(rng, [1, 6, 5, 4])
    for domain in (Box(-2, 2, dim=1), "whole"):
        a = enumerate_regions(net, domain, engine="interval")
        b = enumerate_regions(net, domain, engine="lp")
        assert set(a.codes) == set(b.codes)
        assert _edges(a) == _edges(b)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_polygon_and_planar_engines_2d(seed):
    from vqgeom.regions.engines import enumerate_regions

    rng = np.random.default_rng(100 + seed)
    net = _deep(rng, [2, 6, 6, 5], scale=2.0)
    for domain in (None, "whole"):
        b = enumerate_regions(net, domain, engine="lp")
        _verify_independently(b)
        for engine, arithmetic in (("polygon", "exact"), ("planar", "exact"), ("planar", "float")):
            a = enumerate_regions(net, domain, engine=engine, arithmetic=arithmetic)
            assert a.n_regions == b.n_regions, (engine, arithmetic)
            assert set(a.codes) == set(b.codes), (engine, arithmetic)
            assert _edges(a) == _edges(b), (engine, arithmetic)


def _rank(rows):
    """Exact rank of a list of Fraction rows (Gaussian elimination)."""
    rows = [list(r) for r in rows]
    rank, col = 0, 0
    ncol = len(rows[0]) if rows else 0
    while rank < len(rows) and col < ncol:
        piv = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for i in range(rank + 1, len(rows)):
            f = rows[i][col] / rows[rank][col]
            if f:
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[rank])]
        rank += 1
        col += 1
    return rank


def _whitney_regions(W, b):
    """Regions of the arrangement of the distinct hyperplanes {W x + b = 0} in R^D.

    Zaslavsky + Whitney: r = sum over subsets S with a non-empty intersection of
    (-1)^(|S| - rank S), after merging hyperplanes that are the same point set.
    """
    planes = {}
    for w, c in zip(W, b):
        row = [Fraction(int(v)) for v in w] + [Fraction(int(c))]
        piv = next(v for v in row[:-1] if v != 0)
        planes[tuple(v / piv for v in row)] = row
    rows = list(planes.values())
    total = 0
    for k in range(len(rows) + 1):
        for S in combinations(rows, k):
            if not S:
                total += 1
                continue
            r = _rank([s[:-1] for s in S])
            if r == _rank(S):
                total += (-1) ** (k - r)
    return total


@settings(deadline=None)
@given(st.integers(1, 3).flatmap(lambda D: st.tuples(
    st.just(D),
    st.lists(st.tuples(st.lists(st.integers(-2, 2), min_size=D, max_size=D).filter(any),
                       st.integers(-2, 2)), min_size=1, max_size=5))))
def test_any_arrangement_matches_whitney_formula(data):
    # small integer coefficients: many parallel, concurrent and duplicate hyperplanes
    D, planes = data
    W = [w for w, _ in planes]
    b = [c for _, c in planes]
    net = Network([{"weight": W, "bias": b}], exact=True)
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    assert part.n_regions == _whitney_regions(W, b)
    _verify_independently(part)


# ------------------------------------------------------------------ deep 3-D networks
@pytest.mark.parametrize("seed", [0, 1])
def test_deep_3d_against_sampling(seed):
    rng = np.random.default_rng(seed)
    net = _deep(rng, [3, 8, 8, 6], scale=2.0)
    box = Box(-1, 1, dim=3)
    part = enumerate_partition(net, box, arithmetic="exact")
    X = np.random.default_rng(1000 + seed).uniform(-1, 1, size=(40000, 3))
    signs = net.to_float().signs(X)
    widths = net.widths
    bits = np.concatenate(signs, axis=1)
    uniq = np.unique(bits, axis=0)
    offs = np.r_[0, np.cumsum(widths)]
    sampled = {tuple(tuple(bool(v) for v in row[offs[l]:offs[l + 1]]) for l in range(len(widths)))
               for row in uniq}
    found = set(part.codes)
    assert sampled <= found, f"{len(sampled - found)} sampled codes were not enumerated"
    assert len(found) == part.n_regions  # no region twice
    _verify_independently(part)
    # float mode finds the same partition
    fl = enumerate_partition(net.to_float(), box, arithmetic="float")
    assert set(fl.codes) == found and _edges(fl) == _edges(part)


def test_graph_is_connected_and_invariant_under_permutation():
    import networkx as nx

    rng = np.random.default_rng(5)
    net = _deep(rng, [3, 6, 5], scale=2.0)
    part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="exact")
    assert nx.is_connected(part.graph)
    perm = rng.permutation(6)
    lay0, lay1 = net.layers
    net2 = Network([{"weight": lay0.weight[perm], "bias": lay0.bias[perm]},
                    {"weight": lay1.weight[:, perm] * Fraction(3), "bias": lay1.bias * Fraction(3)}],
                   exact=True)
    part2 = enumerate_partition(net2, Box(-1, 1, dim=3), arithmetic="exact")
    assert part2.n_regions == part.n_regions and part2.n_adjacencies == part.n_adjacencies
    inv = np.argsort(perm)
    unperm = {(tuple(c[0][inv[j]] for j in range(6)), c[1]) for c in part2.codes}
    assert unperm == set(part.codes)


# ------------------------------------------------------------------- enclosing box
def test_enclosing_box_gives_the_partition_of_the_plane():
    rng = np.random.default_rng(21)
    net = _deep(rng, [2, 5, 4], scale=3.0)
    whole = enumerate_partition(net, Whole(), arithmetic="exact")
    box = enclosing_box(net)
    boxed = enumerate_partition(net, box, arithmetic="exact")
    assert set(boxed.codes) == set(whole.codes)
    assert _edges(boxed) == _edges(whole)
    # every vertex of the complex (exact intersections of two facet lines of a region,
    # inside the region) is strictly inside the box
    for code in whole.codes:
        maps = region_maps(net, code)
        rows = [(A.tolist(), c.tolist()) for A, c in maps]
        lines = [(r[k], cc[k][0], code[l][k]) for l, (r, cc) in enumerate(rows) for k in range(len(r))
                 if any(v != 0 for v in r[k])]
        for (a1, c1, _), (a2, c2, _) in combinations(lines, 2):
            det = a1[0] * a2[1] - a1[1] * a2[0]
            if det == 0:
                continue
            x = (-c1 * a2[1] + c2 * a1[1]) / det
            y = (-a1[0] * c2 + a2[0] * c1) / det
            inside = all((a[0] * x + a[1] * y + c >= 0) == s or a[0] * x + a[1] * y + c == 0
                         for a, c, s in lines)
            if inside:
                assert box.contains([x, y], strict=True)


def test_enclosing_box_3d():
    rng = np.random.default_rng(3)
    W, b = _general_position(rng, 5, 3)
    b = b * 20
    net = _arrangement(W, b)
    box = enclosing_box(net)
    for p in _vertices(W, b, 3):
        assert box.contains(p, strict=True)
    assert enumerate_partition(net, box).n_regions == _zaslavsky(5, 3)


# ---------------------------------------------------------------- corrupted certificates
def test_certificates_reject_corruption():
    net = _arrangement([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    code, w = part.codes[0], part.witnesses[0]
    check_interior(net, code, w)
    other = part.codes[1]
    with pytest.raises(CertificateError):
        check_interior(net, other, w)                     # wrong region
    with pytest.raises(CertificateError):
        check_interior(net, code, w, Box([w[0] + 1, -100], [w[0] + 2, 100]))   # outside domain
    i, j, d = next(iter(part.graph.edges(data=True)))
    f = d["facet_witness"]
    check_facet(net, part.codes[i], part.codes[j], f)
    with pytest.raises(CertificateError):                 # moved off the facet
        check_facet(net, part.codes[i], part.codes[j], [f[0] + Fraction(1, 10**9), f[1]])
    with pytest.raises(CertificateError):                 # same code twice
        check_facet(net, part.codes[i], part.codes[i], f)
    # the vertex (0, 0) touches four regions but is in no facet's relative interior
    for a, b_ in combinations(part.codes, 2):
        with pytest.raises(CertificateError):
            check_facet(net, a, b_, [0, 0])
    # codes that are not adjacent at all
    non = [(a, b_) for a, b_ in combinations(range(part.n_regions), 2) if not part.graph.has_edge(a, b_)]
    a, b_ = non[0]
    with pytest.raises(CertificateError):
        check_facet(net, part.codes[a], part.codes[b_], f)


def test_identically_zero_neuron_is_plus():
    # a layer-2 neuron fed only by a dead unit: identically 0 on the cell, so its sign is +1
    net = Network([{"weight": [[1.0, 0.0]], "bias": [-5.0]},
                   {"weight": [[1.0]], "bias": [0.0]}], exact=True)
    check_interior(net, [[False], [True]], [0, 0])
    with pytest.raises(CertificateError):
        check_interior(net, [[False], [False]], [0, 0])


# ----------------------------------------------------------------------- degenerate
def test_degenerate_networks_do_not_crash():
    cases = {
        "duplicates": ([[1, 2, 0], [1, 2, 0], [0, 1, 1]], [1, 1, 0], 4),
        "opposite duplicates": ([[1, 2, 0], [-1, -2, 0], [0, 1, 1]], [1, -1, 0], 4),
        "zero biases": ([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, 0], 14),
        "plane through a corner": ([[1, 1, 1], [1, -1, 0]], [3, 0], 2),
    }
    for name, (W, b, expected) in cases.items():
        net = Network([{"weight": W, "bias": b}], exact=True)
        part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="exact")
        assert part.n_regions == expected, name
        _verify_independently(part)
    # duplicated neurons flip together on one facet
    net = Network([{"weight": [[1, 2, 0], [1, 2, 0], [-1, -2, 0]], "bias": [1, 1, -1]}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=3))
    assert part.n_regions == 2 and part.n_adjacencies == 1
    (_, _, d), = part.graph.edges(data=True)
    assert d["flips"] == ((0, 0), (0, 1), (0, 2))
    assert not part.is_generic


def test_dead_and_constant_neurons():
    # layer 1: a dead unit on the box (x - 5) and two live ones; layer 2: a constant neuron
    # (zero row, positive bias), a zero neuron (zero row, zero bias), a live one
    net = Network([{"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": [-5, 0, 0]},
                   {"weight": [[0, 0, 0], [0, 0, 0], [1, 1, -1]], "bias": [2, 0, 0]}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="exact")
    sampled = set()
    X = np.random.default_rng(0).uniform(-1, 1, size=(20000, 3))
    for row in np.concatenate(net.to_float().signs(X), axis=1):
        sampled.add((tuple(row[:3]), tuple(row[3:])))
    assert sampled == {tuple(map(tuple, c)) for c in part.codes}
    assert all(c[1][0] and c[1][1] for c in part.codes)     # constant + and zero (+)
    _verify_independently(part)


def test_non_generic_deep_facets_report_all_flips():
    # leaky layer 1 (x -> x or x/2), layer 2 copies it: crossing x = 0 flips (0,0) and (1,0)
    net = Network([{"weight": [[1, 0], [0, 1]], "bias": [0, 0], "activation": "leaky_relu",
                    "negative_slope": "1/2"},
                   {"weight": [[1, 0]], "bias": [0]}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=2), arithmetic="exact")
    assert part.n_regions == 4
    flips = sorted(d["flips"] for _, _, d in part.graph.edges(data=True))
    assert flips == [((0, 0), (1, 0)), ((0, 0), (1, 0)), ((0, 1),), ((0, 1),)]
    _verify_independently(part)
    # |x| in layer 2 vanishes on x = 0 but keeps its sign: only the two layer-1 units flip
    net = Network([{"weight": [[1, 0, 0], [-1, 0, 0], [0, 1, 0]], "bias": [0, 0, 0]},
                   {"weight": [[1, 1, 0], [1, -1, 0]], "bias": [0, 0]}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="exact")
    assert part.n_regions == 4
    flips = {d["flips"] for _, _, d in part.graph.edges(data=True)}
    assert flips == {((0, 0), (0, 1), (1, 1)), ((0, 2),)}
    _verify_independently(part)
    assert all(c[1][0] for c in part.codes)


def test_region_budget():
    rng = np.random.default_rng(9)
    W, b = _general_position(rng, 6, 3)
    net = _arrangement(W, b)
    with pytest.raises(RegionBudgetExceeded) as err:
        enumerate_partition(net, Whole(), arithmetic="exact", max_regions=10)
    assert err.value.n_found == 11 and err.value.max_regions == 10
    assert enumerate_partition(net, Whole(), max_regions=_zaslavsky(6, 3)).n_regions == 42


def test_progress_callback_and_float_witnesses():
    calls = []
    net = _arrangement([[1, 0], [0, 1]], [0, 0]).to_float()
    part = enumerate_partition(net, Box(-1, 1, dim=2), arithmetic="float",
                               progress=lambda n, stage: calls.append((n, stage)))
    assert part.n_regions == 4 and calls[-1] == (4, "lp")
    assert all(isinstance(v, float) for w in part.witnesses for v in w)


def test_interior_fallback_steps_in_from_the_entry_facet():
    # a sliver region 0 < x < 2^-40: when the LP centre is unusable, the certified witness
    # comes from stepping into the region from the facet it was entered through
    from vqgeom.regions.lp import _Walk, _build_cell

    eps = Fraction(1, 2**40)
    net = Network([{"weight": [[1, 0], [1, 0]], "bias": [0, -eps]}], exact=True)
    part = enumerate_partition(net, Box(-1, 1, dim=2), arithmetic="exact")
    assert part.n_regions == 3
    walk = _Walk(net, Box(-1, 1, dim=2), "exact")
    cell = _build_cell(walk.arith, ((True, False),))
    cell.entry = ([Fraction(0), Fraction(1, 3)], [Fraction(1), Fraction(0)])
    w = walk._certify_interior(cell, None, None)
    check_interior(net, cell.code, w, Box(-1, 1, dim=2))
    assert 0 < w[0] < eps
    cell.entry = None
    with pytest.raises(CertificateError):
        walk._certify_interior(cell, np.array([0.5, 0.0]), 0.1)   # wrong point, no fallback


@pytest.mark.parametrize("bias", [Fraction(0), Fraction(1, 2**41)])
def test_thin_wedges_between_close_hyperplanes_are_found(bias):
    # y = 0 and y = 2^-40 x + bias cross inside the box at an angle of 2^-40: the wedges
    # between them are below float64 LP resolution; exact mode must still find all four
    # regions (re-examining the hyperplanes it cannot certify), never three silently
    from vqgeom.regions.engines import enumerate_regions

    e = Fraction(1, 2**40)
    net = Network([{"weight": [[0, 1], [-e, 1]], "bias": [0, -bias]}], exact=True)
    box = Box(-1, 1, dim=2)
    part = enumerate_partition(net, box, arithmetic="exact")
    assert part.n_regions == 4 and part.n_adjacencies == 4
    _verify_independently(part)
    ref = enumerate_regions(net, box, engine="polygon", arithmetic="exact")
    assert set(ref.codes) == set(part.codes) and _edges(ref) == _edges(part)


def test_facets_missed_by_every_lp_are_recovered_in_exact_mode(monkeypatch):
    # with the facet LP disabled, the walk sees no facet at all; the completeness check
    # must find every facet through its exact re-examination (float mode cannot)
    from vqgeom.regions import _lp_solver

    W, b = [[1, 0], [0, 1], [1, 1], [1, -2]], [0, 0, -1, 1]
    net = _arrangement(W, b)
    full = enumerate_partition(net, Whole(), arithmetic="exact")
    monkeypatch.setattr(_lp_solver.RegionLP, "facet", lambda self, *a, **k: (None, None))
    assert enumerate_partition(net.to_float(), Whole(), arithmetic="float").n_regions == 1
    part = enumerate_partition(net, Whole(), arithmetic="exact")
    assert part.n_regions == full.n_regions == _zaslavsky(4, 2)
    assert set(part.codes) == set(full.codes) and _edges(part) == _edges(full)
    _verify_independently(part)


def test_redundancy_certificates_are_checked_exactly(monkeypatch):
    pytest.importorskip("cdd.gmp", reason="the lp fallback's exact LPs: vqgeom[exact]", exc_type=ImportError)
    from vqgeom.exact import certificates
    from vqgeom.exact.certificates import check_redundant, farkas_solve, to_fmpq

    q = lambda *v: [to_fmpq(x) for x in v]
    rows = [(q(1, 0), to_fmpq(1)), (q(0, 1), to_fmpq(2))]
    target = (q(2, 3), to_fmpq(8))                     # 2x + 3y <= 8 from x <= 1, y <= 2
    (lam,) = farkas_solve(rows, [target])
    assert lam == q(2, 3)
    check_redundant(target, rows, lam)
    for bad in (q(2, 4), q(-2, 3), q(2, 3, 0)):        # wrong sum, negative, wrong length
        with pytest.raises(CertificateError):
            check_redundant(target, rows, bad)
    with pytest.raises(CertificateError, match="offsets"):
        check_redundant((q(2, 3), to_fmpq(7)), rows, lam)   # 2x + 3y <= 7 is not implied
    # in the walk: corrupted multipliers are rejected; the group is then decided by cddlib's
    # exact LPs, whose multipliers are checked exactly too (corrupted, they raise)
    net = _arrangement([[1, 0], [1, 0], [0, 1]], [0, -1, 0])  # x = 1 is redundant left of x = 0
    box = Box(-2, 2, dim=2)
    assert enumerate_partition(net, box, arithmetic="exact").n_regions == 6
    real = certificates.farkas_solve

    def corrupt(rows, targets):
        out = real(rows, targets)
        return None if out is None else [[v + to_fmpq(Fraction(1, 10**12)) for v in lam]
                                         for lam in out]

    monkeypatch.setattr(certificates, "farkas_solve", corrupt)
    part = enumerate_partition(net, box, arithmetic="exact")
    assert part.n_regions == 6 and part.engine == "lp+cdd" and part.n_exact_lps > 0
    _verify_independently(part)
    from vqgeom.exact import cddlp

    real_cdd = cddlp.farkas
    monkeypatch.setattr(cddlp, "farkas", lambda *a: [v + Fraction(1, 10**12) for v in real_cdd(*a)]
                        if real_cdd(*a) is not None else None)
    with pytest.raises(CertificateError, match="redundancy certificate"):
        enumerate_partition(net, box, arithmetic="exact")
