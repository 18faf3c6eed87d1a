"""The 1-D engine: exact interval splitting, layer by layer.

Each piece is an interval (possibly unbounded) with the code of the layers seen so far and
the affine map of the current layer's input, ``z = M x + m``. A layer's pre-activations are
then affine on the piece, and each neuron with a nonzero slope splits it at its root when
the root is strictly inside. Unbounded pieces are processed with their affine maps like
bounded ones, so on all of R every breakpoint is found exactly (no guessed box).

Regions are the final intervals; two regions are adjacent when they share a breakpoint
(a 0-dimensional facet), and the facet witness is the breakpoint.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.regions.domain import Box, Whole

__all__ = ["enumerate_partition", "supports"]


def supports(net, domain, arithmetic) -> bool:
    """True for 1-D networks on a box or on all of R."""
    return net.input_dim == 1 and isinstance(domain, (Box, Whole))


def _interior_point(a, b, one):
    """A point strictly inside (a, b); None bounds are infinite."""
    if a is None and b is None:
        return one * 0
    if a is None:
        return b - one
    if b is None:
        return a + one
    return (a + b) / 2


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None):
    """Enumerate the intervals of constant activation code of a 1-D network.

    Parameters
    ----------
    net : Network
        Input dimension 1; exact (Fraction arrays) for ``arithmetic="exact"``.
    domain : Box or Whole
    arithmetic : {"exact", "float"}
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n_pieces, stage)`` after each layer.

    Returns
    -------
    Partition
        Regions sorted left to right; region ``i`` and ``i + 1`` share a breakpoint.

    Raises
    ------
    InvalidInputError
        If the network's input dimension is not 1.
    RegionBudgetExceeded
        When more than ``max_regions`` intervals exist.

    Examples
    --------
    >>> from vqgeom import Network
    >>> from vqgeom.regions.domain import Whole
    >>> net = Network([{"weight": [["1"]], "bias": ["0"]}])
    >>> part = enumerate_partition(net, Whole())
    >>> [w[0] for w in part.witnesses]
    [Fraction(-1, 1), Fraction(1, 1)]
    """
    from vqgeom.regions.partition import Partition

    if net.input_dim != 1:
        raise InvalidInputError(f"the interval engine needs input_dim=1, got {net.input_dim}")
    start = time.perf_counter()
    exact = arithmetic == "exact"
    if exact and not net.exact:
        net = net.to_exact()
    one = Fraction(1) if exact else 1.0
    zero = one * 0
    if isinstance(domain, Box):
        lo, hi = domain.lower[0], domain.upper[0]
        if not exact:
            lo, hi = float(lo), float(hi)
    elif isinstance(domain, Whole):
        lo = hi = None
    else:
        raise InvalidInputError(f"the interval engine needs a Box or Whole domain, got {domain!r}")

    dtype = object if exact else np.float64
    M0 = np.array([[one]], dtype=dtype)
    m0 = np.array([zero], dtype=dtype)
    # piece: (a, b, code (tuple of per-layer tuples), M, m)
    pieces = [(lo, hi, (), M0, m0)]
    for l, lay in enumerate(net.layers):
        new = []
        for a, b, code, M, m in pieces:
            slope = lay.weight @ M[:, 0]          # (n_l,)
            offset = lay.weight @ m + lay.bias    # (n_l,)
            cuts = set()
            for s, c in zip(slope, offset):
                if s != 0:
                    r = -c / s
                    if (a is None or r > a) and (b is None or r < b):
                        cuts.add(r)
            bounds = [a, *sorted(cuts), b]
            for k in range(len(bounds) - 1):
                ka, kb = bounds[k], bounds[k + 1]
                x = _interior_point(ka, kb, one)
                pre = slope * x + offset
                signs = np.asarray(pre >= 0, dtype=bool)
                M2, m2 = lay.output_map(M, m, signs)
                new.append((ka, kb, code + (tuple(bool(v) for v in signs),), M2, m2))
        if not exact:
            new = _merge_equal(new)
        pieces = new
        if progress is not None:
            progress(len(pieces), f"layer {l + 1}/{net.depth}")
        if max_regions is not None and len(pieces) > max_regions:
            raise RegionBudgetExceeded(len(pieces), max_regions)

    codes = [p[2] for p in pieces]
    conv = (lambda v: v) if exact else float
    witnesses = [(conv(_interior_point(p[0], p[1], one)),) for p in pieces]
    edges = []
    for i in range(len(pieces) - 1):
        flips = tuple((l, j) for l, (u, v) in enumerate(zip(codes[i], codes[i + 1]))
                      for j, (su, sv) in enumerate(zip(u, v)) if su != sv)
        edges.append((i, i + 1, flips, (conv(pieces[i][1]),)))
    return Partition(net, domain, codes, witnesses, edges, arithmetic=arithmetic,
                     engine="interval", seconds=time.perf_counter() - start)


def _merge_equal(pieces):
    """Float mode: merge neighbouring intervals whose codes agree (rounding artefacts)."""
    out = []
    for p in pieces:
        if out and out[-1][2] == p[2] and out[-1][1] == p[0]:
            q = out[-1]
            out[-1] = (q[0], p[1], q[2], q[3], q[4])
        else:
            out.append(p)
    return out
