"""The exact 2-D polygon engine against oracles with known answers.

* line arrangements (one hidden layer): regions = 1 + n + sum_p (m_p - 1) over the vertices
  p (m_p distinct lines through p) and edges = sum over lines of (vertices on it + 1),
  computed here independently of the engine; general position gives Zaslavsky's
  sum_{i<=2} C(n, i);
* Euler's relation V - E + F = 1 and exact area of the subdivision of the box;
* dense grid sampling (every fat region is hit; no grid code is missing);
* Lemma 1 (distinct hyperplanes, convex domain): d_Omega = Hamming distance.
"""

from collections import defaultdict
from fractions import Fraction
from itertools import combinations
from math import comb, sqrt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vqgeom import Network, enumerate_regions
from vqgeom.errors import RegionBudgetExceeded
from vqgeom.regions import Box
from vqgeom.regions.engines import available_engines
from vqgeom.regions.polygon import shared_edges, split_polygon

ENGINES_2D = available_engines(2)

F = Fraction


# ------------------------------------------------------------------ oracle helpers
def _canonical_line(a, b, c):
    """The point set {a x + b y + c = 0} as a hashable key (orientation forgotten)."""
    a, b, c = F(a), F(b), F(c)
    lead = a if a != 0 else b
    return (a / lead, b / lead, c / lead)


def arrangement_oracle(lines):
    """Regions, edges and vertices of the arrangement of the distinct lines in R^2."""
    distinct = sorted(set(_canonical_line(*l) for l in lines))
    through = defaultdict(set)
    for (i, (a1, b1, c1)), (j, (a2, b2, c2)) in combinations(enumerate(distinct), 2):
        det = a1 * b2 - a2 * b1
        if det == 0:
            continue
        p = ((b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det)
        through[p] |= {i, j}
    n = len(distinct)
    regions = 1 + n + sum(len(s) - 1 for s in through.values())
    on_line = defaultdict(int)
    for s in through.values():
        for i in s:
            on_line[i] += 1
    edges = sum(on_line[i] + 1 for i in range(n))
    return regions, edges, list(through), distinct


def enclosing_test_box(vertices, distinct):
    """A box strictly containing every vertex and a point of every line."""
    pts = list(vertices)
    for a, b, c in distinct:
        s = a * a + b * b
        pts.append((-c * a / s, -c * b / s))
    xs = [p[0] for p in pts] + [F(0)]
    ys = [p[1] for p in pts] + [F(0)]
    return Box([min(xs) - 1, min(ys) - 1], [max(xs) + 1, max(ys) + 1])


def one_layer(lines):
    return Network([{"weight": [[F(a), F(b)] for a, b, _ in lines],
                     "bias": [F(c) for _, _, c in lines]}])


small = st.integers(-3, 3)
line = st.tuples(small, small, small).filter(lambda t: t[0] != 0 or t[1] != 0)


# ------------------------------------------------------------------ arrangements
@settings(max_examples=25)
@given(st.lists(line, min_size=1, max_size=7))
def test_line_arrangements_with_concurrencies_parallels_and_duplicates(lines):
    regions, edges, vertices, distinct = arrangement_oracle(lines)
    part = enumerate_regions(one_layer(lines), enclosing_test_box(vertices, distinct), engine="polygon")
    assert part.n_regions == regions
    assert part.n_adjacencies == edges
    # duplicated lines (either orientation) flip together: genericity fails exactly then
    assert part.is_generic == (len(distinct) == len(lines))


def test_zaslavsky_general_position():
    # tangents y = 2 t x - t^2 of a parabola: pairwise crossing, never three through a point
    for n in (1, 2, 5, 9):
        ts = [F(3 * k - 10, 7) for k in range(n)]
        lines = [(2 * t, -1, -t * t) for t in ts]
        regions, edges, vertices, distinct = arrangement_oracle(lines)
        assert len(distinct) == n and len(vertices) == comb(n, 2)   # general position
        part = enumerate_regions(one_layer(lines), enclosing_test_box(vertices, distinct))
        assert part.n_regions == comb(n, 0) + comb(n, 1) + comb(n, 2)
        assert part.n_adjacencies == n * n   # each line is cut into n pieces


def test_concurrent_and_parallel_lines():
    # n lines through the origin: 2n regions; n parallel lines: n + 1 regions
    n = 6
    concurrent = [(k, 7 - k, 0) for k in range(1, n + 1)]
    assert enumerate_regions(one_layer(concurrent), Box(-1, 1)).n_regions == 2 * n
    parallel = [(1, 2, k) for k in range(-n // 2, n - n // 2)]
    assert enumerate_regions(one_layer(parallel), Box(-4, 4)).n_regions == n + 1


def test_lemma1_d_omega_equals_hamming_for_distinct_lines():
    rng = np.random.default_rng(3)
    lines = [tuple(int(v) for v in rng.integers(-5, 6, size=3)) for _ in range(8)]
    lines = [l for l in lines if l[0] or l[1]]
    _, _, _, distinct = arrangement_oracle(lines)
    assert len(distinct) == len(lines)
    part = enumerate_regions(one_layer(lines), Box(-1, 1))
    np.testing.assert_array_equal(part.region_distances(), part.vq_distances())


# ------------------------------------------------------------------ Euler / area
def _subdivision_counts(polygons):
    V = set(p for poly in polygons for p in poly)
    E = set()
    for poly in polygons:
        n = len(poly)
        for k in range(n):
            p, q = poly[k], poly[(k + 1) % n]
            # vertices of the subdivision lying on the segment pq (T-junctions included)
            on = [v for v in V if (q[0] - p[0]) * (v[1] - p[1]) == (q[1] - p[1]) * (v[0] - p[0])
                  and min(p[0], q[0]) <= v[0] <= max(p[0], q[0])
                  and min(p[1], q[1]) <= v[1] <= max(p[1], q[1])]
            axis = 0 if p[0] != q[0] else 1
            on.sort(key=lambda v: v[axis], reverse=p[axis] > q[axis])
            for u, w in zip(on, on[1:]):
                E.add(frozenset((u, w)))
    return len(V), len(E), len(polygons)


def _area(poly):
    n = len(poly)
    return sum(poly[k][0] * poly[(k + 1) % n][1] - poly[(k + 1) % n][0] * poly[k][1] for k in range(n)) / 2


def _mlp(widths, rng, scale=1.0):
    layers, d = [], 2
    for w in widths:
        layers.append({"weight": rng.normal(size=(w, d)) * scale, "bias": rng.normal(size=w) * 0.5})
        d = w
    return Network(layers)


@pytest.mark.parametrize("engine", ENGINES_2D)
@pytest.mark.parametrize("seed", [0, 1])
def test_euler_relation_and_exact_area(seed, engine):
    net = _mlp((5, 4, 3), np.random.default_rng(seed))
    box = Box(["-1", "-1/2"], ["3/2", "1"])
    part = enumerate_regions(net, box, engine=engine)
    polys = part.polygons()
    V, E, Fc = _subdivision_counts(polys)
    assert V - E + Fc == 1
    assert all(_area(p) > 0 for p in polys)                 # counter-clockwise, positive area
    assert sum(_area(p) for p in polys) == (F(3, 2) + 1) * (1 + F(1, 2))


# ------------------------------------------------------------------ grid sampling
def _inradius(A, b):
    """Largest r with a ball of radius r inside {A x <= b} (float LP; for the grid test only)."""
    from scipy.optimize import linprog

    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    norms = np.linalg.norm(A, axis=1)
    res = linprog([0, 0, -1], A_ub=np.c_[A, norms], b_ub=b, bounds=[(None, None)] * 3, method="highs")
    return -res.fun


@pytest.mark.parametrize("engine", ENGINES_2D)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_region_count_against_dense_grid(seed, engine):
    rng = np.random.default_rng(seed)
    net = _mlp((6, 6), rng)
    part = enumerate_regions(net, engine=engine)
    m = 301
    h = 2 / (m - 1)
    xs = np.linspace(-1, 1, m)
    grid = np.array([(x, y) for x in xs for y in xs])
    bits = np.concatenate(net.signs(grid), axis=1)
    grid_codes = set(map(bytes, np.packbits(bits, axis=1)))
    region_codes = {bytes(np.packbits(row)) for row in part.code_bits()}
    # the partition is complete: every grid code is one of its regions
    assert grid_codes <= region_codes
    # and every region fat enough to hold a grid point is seen on the grid
    for i in range(part.n_regions):
        r = _inradius(*part.halfspaces(i))
        if r > h * sqrt(2) / 2 * 1.01:
            assert bytes(np.packbits(part.code_bits()[i])) in grid_codes, f"region {i} missed"
    assert len(grid_codes) >= 0.7 * part.n_regions


# ------------------------------------------------------------------ geometry helpers
def test_shared_edges_needs_positive_length():
    a = [(F(0), F(0)), (F(1), F(0)), (F(1), F(1)), (F(0), F(1))]
    b = [(F(1), F(0)), (F(2), F(0)), (F(2), F(1)), (F(1), F(1))]
    c = [(F(1), F(1)), (F(2), F(1)), (F(2), F(2)), (F(1), F(2))]
    d = [(F(1), F(1, 2)), (F(3), F(1, 2)), (F(3), F(3, 4))]       # T-junction against b's edge? no: inside
    pairs = shared_edges([a, b, c])
    assert set(pairs) == {(0, 1), (1, 2)}
    assert pairs[(0, 1)] == (F(1), F(1, 2))
    assert (0, 2) not in pairs                                   # a and c touch at (1, 1) only
    assert shared_edges([a, d]) == {}


def test_split_through_a_vertex_and_identically_zero():
    sq = [(F(0), F(0)), (F(2), F(0)), (F(2), F(2)), (F(0), F(2))]
    plus, minus = split_polygon(sq, 1, -1, 0)                    # the diagonal y = x
    assert sorted(plus) == [(0, 0), (2, 0), (2, 2)] and sorted(minus) == [(0, 0), (0, 2), (2, 2)]
    assert split_polygon(sq, 0, 0, 0) == (sq, None)              # sign(0) = +1, no split


def test_budget_is_reported():
    net = _mlp((8,), np.random.default_rng(0))
    with pytest.raises(RegionBudgetExceeded) as info:
        enumerate_regions(net, Box(-5, 5), engine="polygon", max_regions=4)
    assert info.value.n_found > 4


# ------------------------------------------------------------------ all of R^2
@settings(max_examples=10)
@given(st.lists(line, min_size=1, max_size=6))
def test_whole_plane_counts_match_the_arrangement_oracle(lines):
    regions, edges, _, distinct = arrangement_oracle(lines)
    part = enumerate_regions(one_layer(lines), "whole", engine="polygon")
    assert (part.n_regions, part.n_adjacencies) == (regions, edges)
    assert part.frame is not None
    part.verify()


@pytest.mark.parametrize("engine", ENGINES_2D)
def test_zaslavsky_on_the_whole_plane(engine):
    for n in (3, 7):
        ts = [F(2 * k + 1, 3) for k in range(n)]
        part = enumerate_regions(one_layer([(2 * t, -1, -t * t) for t in ts]), "whole", engine=engine)
        assert part.n_regions == 1 + n + comb(n, 2)
        # Euler's relation for the complex drawn in the frame box
        V, E, Fc = _subdivision_counts(part.polygons())
        assert V - E + Fc == 1
