"""``python -m vqgeom.regions.union_check --check``: the exact check cited by proofs/union-merge.md.

Unions of boxes that tile [-1, 1]^D (two halves, a corner box inside the cube, overlapping
pieces) must give exactly the cube's partition through :func:`enumerate_regions`, for
D = 1 to 4, with a neuron lying on a wall between boxes and deeper neurons bending along it;
every facet witness of the merged partition is checked exactly.
"""

from __future__ import annotations

import sys
from fractions import Fraction

from vqgeom.exact.certificates import check_facet
from vqgeom.network import Network
from vqgeom.regions.boxunion import BoxUnion
from vqgeom.regions.domain import Box
from vqgeom.regions.engines import enumerate_regions

__all__: list = []


def _tilings(dim: int):
    """Unions that tile [-1, 1]^dim: halves, a corner box and the rest, overlapping pieces."""
    lo, hi = [-1] * dim, [1] * dim
    yield "halves", BoxUnion([Box(lo, [0] + hi[1:]), Box([0] + lo[1:], hi)])
    yield "corner", BoxUnion([Box(lo, [Fraction(1, 3)] * dim), Box(lo, hi)])
    yield "overlap", BoxUnion([Box(lo, [Fraction(1, 2)] + hi[1:]), Box([Fraction(-1, 4)] + lo[1:], hi)]
                              + [Box([0] * dim, [Fraction(1, 2)] * dim)])


def _check_main() -> int:
    """Exact check cited by proofs/union-merge.md: tilings of a box give the box's partition."""
    ok = True
    for dim in (1, 2, 3, 4):
        # a neuron on the wall x_0 = 0, one through the corner box, deeper neurons bending on both
        net = Network([{"weight": [[1] + [0] * (dim - 1), [Fraction(1, k + 1) for k in range(dim)],
                                   [2] + [(-1) ** k for k in range(1, dim)]],
                        "bias": [0, "-1/3", "1/5"]},
                       {"weight": [[1, -1, 1], [-1, 2, 1]], "bias": ["-1/7", "1/4"]}], exact=True)
        box = enumerate_regions(net, Box(-1, 1, dim=dim))
        edges = {frozenset((box.codes[i], box.codes[j])) for i, j in box.graph.edges}
        for name, union in _tilings(dim):
            part = enumerate_regions(net, union)
            got = {frozenset((part.codes[i], part.codes[j])) for i, j in part.graph.edges}
            good = sorted(part.codes) == sorted(box.codes) and got == edges
            for i, j, data in part.graph.edges(data=True):
                check_facet(net, part.codes[i], part.codes[j], data["facet_witness"])
            ok &= good
            print(f"{'ok  ' if good else 'FAIL'} D={dim} {name}: {part.n_regions} regions, "
                  f"{part.n_adjacencies} adjacencies (box: {box.n_regions}, {box.n_adjacencies})")
    print("union merge check:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] != ["--check"]:
        print("usage: python -m vqgeom.regions.union_check --check", file=sys.stderr)
        sys.exit(2)
    sys.exit(_check_main())
