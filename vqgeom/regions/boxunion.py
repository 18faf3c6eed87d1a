"""A union of finitely many boxes: a possibly non-convex domain.

On a union U a region is a connected piece of (cell of constant code) ∩ int U, and two
regions are adjacent when their closures share a (D-1)-dimensional facet inside U
(docs: MATH.md, "Other domains"). No engine enumerates U directly: the dispatcher
decomposes it (:mod:`vqgeom.regions.decompose`).
"""

from __future__ import annotations

import itertools

from vqgeom.errors import InvalidInputError
from vqgeom.regions.domain import Box
from vqgeom.regions.geometry import disjoint_boxes

__all__ = ["BoxUnion"]


class BoxUnion:
    """The union of finitely many closed boxes (a possibly non-convex domain).

    Parameters
    ----------
    boxes : sequence of Box or (lower, upper) pairs
        At least one box, all of the same dimension.

    Raises
    ------
    InvalidInputError
        If ``boxes`` is empty or the dimensions differ.

    Examples
    --------
    >>> U = BoxUnion([Box([0, 0], [3, 1]), Box([0, 0], [1, 3])])   # an L shape
    >>> U.dim, U.contains([2, 2]), U.contains([1/2, 2])
    (2, False, True)
    """

    def __init__(self, boxes):
        bs = []
        for i, b in enumerate(boxes):
            if isinstance(b, Box):
                bs.append(b)
            elif isinstance(b, (tuple, list)) and len(b) == 2:
                bs.append(Box(b[0], b[1]))
            else:
                raise InvalidInputError(f"boxes[{i}] must be a Box or a (lower, upper) pair, got {b!r}")
        if not bs:
            raise InvalidInputError("BoxUnion needs at least one box; got none")
        dims = {b.dim for b in bs}
        if None in dims:
            raise InvalidInputError("BoxUnion: give every box per-coordinate bounds (its dimension)")
        if len(dims) != 1:
            raise InvalidInputError(f"BoxUnion: the boxes have different dimensions {sorted(dims)}")
        self.boxes = tuple(bs)

    @property
    def dim(self) -> int:
        return self.boxes[0].dim

    def with_dim(self, dim: int) -> "BoxUnion":
        if dim != self.dim:
            raise InvalidInputError(f"domain has dimension {self.dim} but the network's input_dim is {dim}")
        return self

    def bounding_box(self) -> Box:
        lo = [min(b.lower[i] for b in self.boxes) for i in range(self.dim)]
        hi = [max(b.upper[i] for b in self.boxes) for i in range(self.dim)]
        return Box(lo, hi)

    def contains(self, x, *, strict: bool = False) -> bool:
        """Whether ``x`` lies in the union (``strict``: in the interior of one of the boxes)."""
        return any(b.contains(x, strict=strict) for b in self.boxes)

    def is_convex(self) -> bool:
        """True when the union equals its bounding box (so it is a box), decided exactly.

        A union of closed boxes is convex iff it is its bounding box. Cut the bounding box
        along every box coordinate; the union is the bounding box iff every cell's centre is
        in some box (e.g. two halves of a box, neither of them the bounding box).
        """
        cuts = [sorted({v for b in self.boxes for v in (b.lower[i], b.upper[i])}) for i in range(self.dim)]
        centres = [[(a + c) / 2 for a, c in zip(cs, cs[1:])] for cs in cuts]
        return all(self.contains(list(x)) for x in itertools.product(*centres))

    def disjoint_boxes(self) -> list:
        """Boxes with pairwise disjoint interiors and the same union
        (:func:`vqgeom.regions.geometry.disjoint_boxes`)."""
        return disjoint_boxes(self.boxes)

    def to_dict(self) -> dict:
        return {"type": "union", "boxes": [b.to_dict() for b in self.boxes]}

    def __eq__(self, other) -> bool:
        return isinstance(other, BoxUnion) and self.boxes == other.boxes

    def __hash__(self) -> int:
        return hash(self.boxes)

    def __repr__(self) -> str:
        return f"BoxUnion({', '.join(repr(b) for b in self.boxes)})"
