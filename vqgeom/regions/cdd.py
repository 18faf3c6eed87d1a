"""An exact region engine for any D: a facet walk decided by cddlib's rational LPs.

Every decision is made in exact rational arithmetic (python-flint for the cell maps,
cddlib's GMP simplex method through :mod:`vqgeom.exact.cddlp` for the LPs); no float
is ever compared with anything. Slower than the ``lp`` engine, it answers where float LPs
cannot (hyperplanes within float resolution of each other), and it is the independent
oracle the tests compare the other engines with.

The walk visits regions breadth first from the region of a rational starting point. For a
region with code ``s`` every pre-activation is affine on its closed cell
(:func:`vqgeom.exact.certificates.region_maps`), so the closure is the polyhedron
``{x in domain : s_k pre_k(x) >= 0 for every neuron k}``. For each region:

1. *Constraints.* A neuron whose map is constant on the cell constrains nothing; its
   constant must have the code's sign (0 counts as +1), else the cell is empty. Every
   other neuron gives the row ``a x <= b`` (``a = -s_k A_k``, ``b = s_k c_k``), scaled
   exactly to 1-norm 1. Rows that are then equal are the same halfspace (duplicate
   neurons, later-layer neurons whose zero set bends along an earlier one): one *group*,
   one candidate facet. Grouping is exact (dictionary keys of rationals).
2. *Interior witness.* An exact LP maximises the common slack ``t <= 1`` of the group rows
   and the domain box's rows (:func:`~vqgeom.exact.cddlp.max_slack`). ``t > 0`` exactly
   when the cell has interior in the domain; the optimiser is a rational point with slack
   ``>= t`` on every row: strictly inside the region and the domain.
3. *Facets.* Groups whose row cddlib's exact redundancy removal finds redundant carry no
   facet (for a full-dimensional cell the irredundant rows are the facet-defining ones)
   and are skipped, and so are groups whose facet is already known from the neighbour's
   side (across a facet there is one region, step 4). For every other group an exact LP
   maximises the common slack of every other row (box rows included) on its hyperplane. ``t > 0`` exactly when the hyperplane meets the closed region in a
   (D-1)-dimensional facet: if ``P ∩ H`` has dimension D - 1, no other row vanishes on
   all of it (such a row would be the same hyperplane: the same group, or the opposite
   halfspace, which would make P flat), so every other row is strict on its relative
   interior. The optimiser is an exact point in the facet's relative interior, strictly
   inside the domain.
4. *Neighbour.* At the facet point p (outward normal n) the code of the far side is read
   layer by layer from the far side's own maps: a neuron that is non-zero at p keeps the
   sign of its value there; one that vanishes at p vanishes on the whole facet (its sign
   is constant on the relative interior of the facet of P, by continuity), so its far-side
   row is parallel to n and its sign is the sign of its derivative along n (0: identically
   zero, sign +1). The flips are the neurons whose signs differ.

*Completeness.* Every group of every reached region is decided exactly: a facet (and its
neighbour is reached) or not a facet. Let Q be any region and x0 the start witness. Take y
in the interior of Q such that the segment [x0, y] meets no face of dimension <= D - 2 of
any cell (such y are dense in Q). The domain is convex, so the segment crosses from cell to
cell only through relative interiors of facets; if P is reached, the facet F it leaves
through lies in the hyperplane of one of P's groups (not a box row: the crossing point is
inside the domain), that group is a facet of P, ``P ∩ H`` is F's facet of P, and across
its relative interior there is exactly one region (step 4): the walk reached it. By
induction Q is reached. (This is the argument of :mod:`vqgeom.regions.lp`, with every
LP exact, so no group needs a separate redundancy certificate.)

For the domain :class:`~vqgeom.regions.domain.Whole` the LPs run on R^D itself (the slack
cap keeps them bounded), and the partition's :attr:`~Partition.frame` is a box with integer
bounds whose interior contains every witness and every vertex of every region (cddlib's
exact vertex enumeration per region), as the 2-D helpers expect.
"""

from __future__ import annotations

import time

from vqgeom.errors import InvalidInputError
from vqgeom.exact.cddlp import cdd_modules
from vqgeom.regions._cdd_walk import CddWalk, frame_box
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.partition import Partition

__all__ = ["enumerate_partition", "supports", "require"]


def require() -> None:
    """Check that pycddlib with GMP (the extra ``vqgeom[exact]``), this engine's arithmetic,
    is installed; else raise :class:`~vqgeom.errors.MissingDependencyError` (an ImportError)
    saying how to install it."""
    cdd_modules()


def supports(net, domain, arithmetic) -> bool:
    """The cdd engine handles every input dimension on a Box or all of R^D (no max layers: the
    dispatcher runs those on their ReLU tournament)."""
    return isinstance(domain, (Box, Whole)) and not net.has_max


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None):
    """Enumerate the activation regions of ``net`` on ``domain`` exactly with cddlib's LPs.

    Parameters
    ----------
    net : Network
    domain : Box or Whole
        Already normalised by :func:`vqgeom.regions.domain.as_domain`.
    arithmetic : {"exact", "float"}
        The enumeration is exact either way; ``"float"`` returns float witnesses (the
        nearest binary64 values of the exact ones) and a float partition.
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_regions_so_far, "cdd")``.

    Returns
    -------
    Partition
        ``engine="cdd"``; every edge carries its flipped neurons and an exact point in the
        relative interior of the shared facet; ``n_lps`` counts the exact LPs solved.

    Raises
    ------
    InvalidInputError
        For a domain that is neither a Box nor Whole, or an unknown arithmetic.
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.
    CertificateError
        Only on an internal inconsistency (a bug), never for a hard input.

    Examples
    --------
    >>> from vqgeom import Network
    >>> from vqgeom.regions.domain import Box, Whole
    >>> octants = Network([{"weight": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "bias": [0, 0, 0]}])
    >>> part = enumerate_partition(octants, Box(-1, 1, dim=3))
    >>> part.n_regions, part.n_adjacencies, part.engine
    (8, 12, 'cdd')
    >>> twice = Network([{"weight": [["1"], ["-2"]], "bias": ["0", "0"]}])  # one point, twice
    >>> enumerate_partition(twice, Whole()).non_generic_facets()
    [(0, 1, ((0, 0), (0, 1)))]
    """
    if arithmetic not in ("exact", "float"):
        raise InvalidInputError(f"arithmetic must be 'exact' or 'float', got {arithmetic!r}")
    if not supports(net, domain, arithmetic):
        raise InvalidInputError(
            f"domain must be a Box or Whole for the cdd engine, got {type(domain).__name__}")
    start = time.perf_counter()
    exact_net = net.to_exact()
    walk = CddWalk(exact_net, domain, max_regions=max_regions, progress=progress)
    whole = isinstance(domain, Whole)
    codes, witnesses, edges = walk.run(keep_cells=whole)
    frame = None
    if whole:
        frame = frame_box(walk.cells, witnesses + [p for _, _, _, p in edges], net.input_dim)
    if arithmetic == "float":
        net = net.to_float()
        witnesses = [tuple(float(v) for v in w) for w in witnesses]
        edges = [(i, j, fl, tuple(float(v) for v in p)) for i, j, fl, p in edges]
    else:
        net = exact_net
    part = Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic, engine="cdd",
                     seconds=time.perf_counter() - start, frame=frame)
    part.n_lps = walk.n_lps
    return part
