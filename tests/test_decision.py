"""Decision regions on a plane: the pieces tile each activation region, the class of every
piece is the exact argmax of the network's output inside it, the boundary separates classes."""

from fractions import Fraction

import numpy as np
import pytest

import vqgeom
from vqgeom import Network, Plane, enumerate_regions
from vqgeom.errors import InvalidInputError
from vqgeom.regions.decision import decision_regions


def _area(poly):
    n = len(poly)
    return sum(poly[k][0] * poly[(k + 1) % n][1] - poly[(k + 1) % n][0] * poly[k][1] for k in range(n)) / 2


def _inside(poly, p):
    n = len(poly)
    return all((poly[(k + 1) % n][0] - poly[k][0]) * (p[1] - poly[k][1])
               - (poly[(k + 1) % n][1] - poly[k][1]) * (p[0] - poly[k][0]) > 0 for k in range(n))


def _net(seed, D=6, K=4):
    rng = np.random.default_rng(seed)
    return Network([{"weight": rng.normal(size=(8, D)), "bias": rng.normal(size=8)},
                    {"weight": rng.normal(size=(8, 8)), "bias": rng.normal(size=8)}],
                   readout={"weight": rng.normal(size=(K, 8)), "bias": rng.normal(size=K)}), rng


@pytest.mark.parametrize("seed", [0, 1])
def test_pieces_tile_regions_and_carry_the_exact_argmax(seed):
    net, rng = _net(seed)
    X = rng.normal(size=(3, 6))
    part = enumerate_regions(net, Plane(*X, lo=-2, hi=2))
    dec = decision_regions(part)
    assert dec.n_pieces >= part.n_regions and len(dec.classes) >= 2
    area = {}
    for r, c, poly in dec.pieces:
        area[r] = area.get(r, 0) + _area(poly)
    polys = part.polygons()
    assert all(area[r] == _area(polys[r]) for r in range(part.n_regions))
    # random rational points: the piece that holds the point has the argmax class there
    U = np.array([[Fraction(int(a), 97) for a in row] for row in rng.integers(-194, 195, size=(300, 2))],
                 dtype=object)
    out = net.to_exact().forward(part.slice.embed(U))
    exact_net = part.net.to_exact()
    assert (exact_net.forward(U) == out).all()
    by_region = {}
    for r, c, poly in dec.pieces:
        by_region.setdefault(r, []).append((c, poly))
    regions = part.region_of_uv(U, on_boundary="mark")
    for u, o, r in zip(U, out, regions):
        holders = [c for c, poly in by_region.get(r, []) if _inside(poly, u)]
        if holders:  # not on a piece edge
            assert holders == [max(range(len(o)), key=lambda c: (o[c], -c))]
    # every boundary segment has two different classes on its two sides
    for a, b in dec.boundary[:20]:
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        nx_, ny_ = b[1] - a[1], a[0] - b[0]
        eps = Fraction(1, 10 ** 9)
        sides = [exact_net.forward([[mid[0] + s * eps * nx_, mid[1] + s * eps * ny_]])[0] for s in (1, -1)]
        wins = [max(range(len(o)), key=lambda c: (o[c], -c)) for o in sides]
        assert wins[0] != wins[1]


def test_a_single_line_splits_the_box_in_two():
    # hidden relu(+-x), relu(+-y) (the four quadrants) and scores x + y, 0: class 0 wins where
    # x + y >= 0; the boundary crosses the second and fourth quadrants
    net_y = Network([{"weight": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "bias": ["0", "0", "0", "0"]}],
                    readout={"weight": [["1", "-1", "1", "-1"], ["0", "0", "0", "0"]], "bias": ["0", "0"]})
    dec = decision_regions(enumerate_regions(net_y))
    assert dec.n_decision_regions == 2 and dec.classes == [0, 1] and dec.n_pieces == 6
    # the boundary is the line x + y = 0, cut at the origin by the regions' walls
    assert sorted(dec.boundary) == [((-1, 1), (0, 0)), ((0, 0), (1, -1))]


def test_decision_regions_need_a_plane_and_two_classes():
    with pytest.raises(InvalidInputError, match="1-D or 2-D"):
        decision_regions(enumerate_regions(Network([{"weight": [[1.0, 0.0, 0.0]], "bias": [0.0]}])))
    net, rng = _net(0)
    with pytest.raises(InvalidInputError, match="exact partition"):
        decision_regions(enumerate_regions(net, Plane(*rng.normal(size=(3, 6))), arithmetic="float"))
    with pytest.raises(InvalidInputError, match="two outputs"):
        decision_regions(enumerate_regions(Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}])))


def test_decision_intervals_on_a_line():
    net, rng = _net(3)
    X = rng.normal(size=(2, 6))
    part = enumerate_regions(net, vqgeom.Line(X[0], X[1], lo=-4, hi=4))
    dec = decision_regions(part)
    # the pieces tile [-4, 4] left to right, each inside its region's interval
    assert dec.pieces[0][2][0] == (-4,) and dec.pieces[-1][2][1] == (4,)
    assert all(p[2][1] == q[2][0] for p, q in zip(dec.pieces, dec.pieces[1:]))
    exact_net = part.net.to_exact()
    for r, c, (a, b) in dec.pieces:
        for t in (a[0] + (b[0] - a[0]) / 3, (a[0] + b[0]) / 2):
            o = exact_net.forward([[t]])[0]
            assert max(range(len(o)), key=lambda k: (o[k], -k)) == c
            assert part.region_of_uv([[t]])[0] == r
    # at a boundary point two classes tie; the components alternate classes
    for t, _ in dec.boundary:
        o = exact_net.forward([[t[0]]])[0]
        assert sorted(o)[-1] == sorted(o)[-2]
    assert all(a[0] != b[0] for a, b in zip(dec.components, dec.components[1:]))
    assert dec.n_decision_regions == len(dec.boundary) + 1
