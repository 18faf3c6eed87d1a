"""Region enumeration spread over workers: the box cut into pieces, each enumerated alone,
the results merged exactly.

``enumerate_regions(net, box, executor=...)`` lands here (the dispatcher in
:mod:`vqgeom.regions.engines` resolves the engine first). The argument that the merge is
exact is written in ``proofs/distributed.md``; in short:

1. *Tiles.* The box is cut into tiles (closed boxes with disjoint interiors whose union is
   the box) by a k-d split balanced on a float estimate of the number of regions (distinct
   codes of sample points), at dyadic fractions of a tile's side so that every wall is a
   short exact rational.
2. *Pieces.* Each tile is widened by a margin (2^-10 of the box's side, clipped to the box)
   across every wall it shares with another tile. Every point of the box then lies in the
   interior, relative to the box, of some piece; in particular every facet of the box's
   partition has relative-interior points strictly inside some piece, hyperplanes lying
   exactly on a tile wall included.
3. *Pieces are enumerated independently* with the chosen engine, in float or exact
   arithmetic, on whatever executes the jobs (local processes, a ``concurrent.futures``
   executor, a Dask cluster).
4. *Merge.* A region's cell is convex, so its intersection with the (convex) box is one
   region: regions of different pieces with the same code are the same region. Two regions
   are adjacent when some piece finds them adjacent. The flips of an edge are the neurons
   whose signs differ between the two codes.

The result is in a canonical order that does not depend on the executor or on the order in
which pieces finish: regions sorted by code (the bit string of all neurons, layers
concatenated, ``0`` before ``1``), edges sorted by their two region indices, each witness
taken from the first piece (in tile order) that found it. :func:`canonical` puts any
partition in the same order, so ``canonical(serial)`` and the distributed result have equal
codes, edges and flips. Witnesses depend on the tiles only (each is a valid certificate): the
same ``pieces`` gives the same witnesses on every executor; by default there are
:data:`PIECES_PER_WORKER` tiles per worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vqgeom._executor import job_runner
from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.partition import Partition

__all__ = ["enumerate_pieces", "split_box", "widen", "canonical", "PieceStat", "PIECES_PER_WORKER"]

#: tiles per worker when ``pieces`` is not given (each tile wall costs the regions it cuts
#: once more, so few tiles per worker; the largest go first)
PIECES_PER_WORKER = 2
#: the margin by which a tile is widened across a wall, as a fraction of the box's side
MARGIN = Fraction(1, 1024)
#: sample points of the float region-count estimate that balances the split
_SAMPLES = 16384
#: a tile is cut at one of the fractions q/8 of its side, q = 1..7
_CUTS = 8


@dataclass(frozen=True)
class PieceStat:
    """What one piece cost: its box, its region count, the engine's wall seconds and CPU
    seconds (on the worker), the LPs it solved."""

    box: Box
    n_regions: int
    seconds: float
    cpu_seconds: float
    n_lps: int | None = None


# ------------------------------------------------------------------------------ tiles
def _sample_codes(net, box, n, seed=0):
    """Float sample points of the box and a code id per point (equal ids = equal codes)."""
    rng = np.random.default_rng(seed)
    lo = np.array([float(v) for v in box.lower])
    hi = np.array([float(v) for v in box.upper])
    P = lo + (hi - lo) * rng.random((n, len(lo)))
    fnet = net.to_float()
    bits = np.concatenate([pre >= 0 for pre in fnet.preactivations(P)], axis=1)
    _, ids = np.unique(np.packbits(bits, axis=1), axis=0, return_inverse=True)
    return P, ids.ravel()


def _estimate(P, ids, lo, hi):
    inside = np.all((P >= lo) & (P <= hi), axis=1)
    return max(1, np.unique(ids[inside]).size)


def split_box(net, box: Box, n_pieces: int) -> list[Box]:
    """Cut ``box`` into ``n_pieces`` tiles balanced on an estimate of their region counts.

    A k-d split: the tile with the largest estimate (distinct codes among 16384 seeded
    sample points; ties to the first) is cut across its widest side relative to the box, at
    the fraction q/8 of that side (q = 1..7) that best balances the two halves' estimates
    (ties to the middle). Deterministic; the tiles are closed boxes with disjoint interiors
    whose union is ``box``.

    Parameters
    ----------
    net : Network
    box : Box
    n_pieces : int

    Returns
    -------
    list of Box

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}])
    >>> [(str(t.lower[0]), str(t.upper[0])) for t in split_box(net, Box(-1, 1, dim=2), 2)]
    [('-1', '0'), ('0', '1')]
    """
    return [t for t, _ in _split(net, box, n_pieces)]


def _floats(v):
    return np.array([float(x) for x in v])


def _split(net, box, n_pieces):
    """``split_box``'s tiles with their estimates."""
    P, ids = _sample_codes(net, box, _SAMPLES)
    width = [hi - lo for lo, hi in zip(box.lower, box.upper)]
    tiles = [(list(box.lower), list(box.upper))]
    est = [_estimate(P, ids, _floats(box.lower), _floats(box.upper))]
    while len(tiles) < n_pieces:
        k = int(np.argmax(est))
        lo, hi = tiles[k]
        axis = max(range(len(lo)), key=lambda i: ((hi[i] - lo[i]) / width[i], -i))
        best = None
        for q in sorted(range(1, _CUTS), key=lambda q: abs(2 * q - _CUTS)):
            cut = lo[axis] + (hi[axis] - lo[axis]) * Fraction(q, _CUTS)
            left_hi = hi[:axis] + [cut] + hi[axis + 1:]
            right_lo = lo[:axis] + [cut] + lo[axis + 1:]
            e = (_estimate(P, ids, _floats(lo), _floats(left_hi)),
                 _estimate(P, ids, _floats(right_lo), _floats(hi)))
            if best is None or max(e) < max(best[1]):
                best = ((left_hi, right_lo), e)
        (left_hi, right_lo), (el, er) = best
        tiles[k:k + 1] = [(lo, left_hi), (right_lo, hi)]
        est[k:k + 1] = [el, er]
    return [(Box(lo, hi), e) for (lo, hi), e in zip(tiles, est)]


def widen(tile: Box, box: Box, margin: Fraction = MARGIN) -> Box:
    """``tile`` widened by ``margin`` times the box's side across every side that is not on
    the box's boundary (clipped to the box).

    Examples
    --------
    >>> t = widen(Box([-1], [0]), Box([-1], [1]))
    >>> str(t.lower[0]), str(t.upper[0])
    ('-1', '1/512')
    """
    lo, hi = [], []
    for a, b, A, B in zip(tile.lower, tile.upper, box.lower, box.upper):
        m = (B - A) * margin
        lo.append(a if a == A else max(A, a - m))
        hi.append(b if b == B else min(B, b + m))
    return Box(lo, hi)


def _check_tiles(tiles, box: Box) -> list[Box]:
    """Exact check that ``tiles`` tile ``box``: each inside it, interiors pairwise disjoint,
    volumes summing to the box's volume."""
    tiles = list(tiles)
    if not tiles:
        raise InvalidInputError("pieces must be an int >= 1 or a non-empty list of Boxes, got an empty list")
    D = len(box.lower)
    for n, t in enumerate(tiles):
        if not isinstance(t, Box) or t.dim != D:
            raise InvalidInputError(f"pieces[{n}] must be a Box of dimension {D}, got {t!r}")
        if any(a < A or b > B for a, b, A, B in zip(t.lower, t.upper, box.lower, box.upper)):
            raise InvalidInputError(f"pieces[{n}] = {t!r} is not inside the domain {box!r}")
    for m in range(len(tiles)):
        for n in range(m + 1, len(tiles)):
            s, t = tiles[m], tiles[n]
            if all(s.lower[i] < t.upper[i] and t.lower[i] < s.upper[i] for i in range(D)):
                raise InvalidInputError(f"pieces[{m}] and pieces[{n}] overlap: the pieces must tile the domain")

    def vol(b):
        v = Fraction(1)
        for a, c in zip(b.lower, b.upper):
            v *= c - a
        return v

    if sum(vol(t) for t in tiles) != vol(box):
        raise InvalidInputError("pieces do not cover the domain: their volumes do not add up to its volume")
    return tiles


# ------------------------------------------------------------------------------ pieces
def _run_piece(job):
    """Worker side: enumerate one piece; return its codes (packed bits), witnesses, edges
    (local indices and facet witness) and cost, or ``("budget", n_found)``."""
    engine_fn, net, box, arithmetic, max_regions = job
    start, cpu = time.perf_counter(), time.process_time()
    try:
        part = engine_fn(net, box, arithmetic=arithmetic, max_regions=max_regions, progress=None)
    except RegionBudgetExceeded as exc:
        return ("budget", exc.n_found)
    keys = np.packbits(part.code_bits(), axis=1)
    edges = [(int(i), int(j), f) for i, j, f in part.graph.edges(data="facet_witness")]
    return (keys, part.witnesses, edges, time.perf_counter() - start, time.process_time() - cpu,
            getattr(part, "n_lps", None))


def _flips_of(bits, i, j, layer_of):
    return tuple(layer_of[k] for k in np.flatnonzero(bits[i] != bits[j]))


def _assemble(net, domain, keys, witnesses, edge_items, *, arithmetic, engine, seconds, frame=None):
    """A Partition in canonical order from code keys (packed bytes), their witnesses and
    edges given as ``(key_a, key_b, facet_witness)``."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    keys = [keys[k] for k in order]
    witnesses = [witnesses[k] for k in order]
    index = {k: i for i, k in enumerate(keys)}
    n_bits = net.n_neurons
    nbytes = (n_bits + 7) // 8
    packed = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), nbytes)
    bits = np.unpackbits(packed, axis=1, count=n_bits).astype(bool)
    layer_of = [(l, k) for l, w in enumerate(net.widths) for k in range(w)]
    edges = []
    for ka, kb, facet in edge_items:
        i, j = sorted((index[ka], index[kb]))
        edges.append((i, j, _flips_of(bits, i, j, layer_of), facet))
    edges.sort(key=lambda e: (e[0], e[1]))
    return Partition(net, domain, bits, witnesses, edges, arithmetic=arithmetic, engine=engine,
                     seconds=seconds, frame=frame)


def canonical(part: Partition) -> Partition:
    """The same partition with regions sorted by code and edges by region indices (the order
    of a distributed run; see the module docstring).

    Examples
    --------
    >>> from vqgeom import Network, enumerate_regions
    >>> p = enumerate_regions(Network([{"weight": [["-1"]], "bias": ["0"]}]))
    >>> [c[0] for c in p.codes], [c[0] for c in canonical(p).codes]
    ([(True,), (False,)], [(False,), (True,)])
    """
    keys = [k.tobytes() for k in np.packbits(part.code_bits(), axis=1)]
    edges = [(keys[i], keys[j], f) for i, j, f in part.graph.edges(data="facet_witness")]
    out = _assemble(part.net, part.domain, keys, list(part.witnesses), edges,
                    arithmetic=part.arithmetic, engine=part.engine, seconds=part.seconds, frame=part.frame)
    for attr in ("n_lps", "pieces"):
        if hasattr(part, attr):
            setattr(out, attr, getattr(part, attr))
    return out


def enumerate_pieces(engine_fn, net, domain, *, arithmetic: str, engine: str, executor,
                     max_regions: int | None = None, progress=None, pieces=None) -> Partition:
    """Enumerate the regions of ``net`` on ``domain`` piece by piece on ``executor``.

    Called by :func:`vqgeom.regions.engines.enumerate_regions` when it is given an
    ``executor``; the arguments are already checked and normalised there.

    Parameters
    ----------
    engine_fn : callable
        An engine's ``enumerate_partition`` (a module-level function: it travels to the
        workers by name).
    net : Network
        In the requested arithmetic.
    domain : Box or Whole
    arithmetic : {"exact", "float"}
    engine : str
        The engine's name (recorded in the result).
    executor : int, concurrent.futures.Executor, dask.distributed.Client or str
        See :mod:`vqgeom._executor`.
    max_regions : int, optional
        The whole run stops with :class:`RegionBudgetExceeded` (with the number of distinct
        regions found so far) as soon as more than this many are known.
    progress : callable, optional
        Called as ``progress(n_regions_so_far, "pieces k/n")`` after each piece.
    pieces : int or sequence of Box, optional
        How many tiles to cut the box into (default :data:`PIECES_PER_WORKER` per worker),
        or the tiles themselves (checked exactly to tile the domain). Codes, edges, flips and
        their order never depend on it; the witnesses do (each is a valid certificate), so
        pass it to get the same witnesses on executors of different sizes.

    Returns
    -------
    Partition
        In canonical order; ``part.pieces`` lists a :class:`PieceStat` per piece,
        ``part.merge_seconds`` is the time of the merge, ``part.executor`` says what ran the
        pieces and ``part.n_restarts`` how often a lost worker made pieces run again.

    Raises
    ------
    RegionBudgetExceeded
    WorkerLostError
        When a piece lost its worker more often than it is retried.
    """
    start = time.perf_counter()
    if isinstance(domain, Whole):
        # The decomposition needs a box that holds every vertex of the complex; computing it
        # (lp.enclosing_box) is itself an exact walk over all of R^D, as costly as the serial
        # run. So R^D is enumerated serially and only put in canonical order.
        if isinstance(pieces, (list, tuple)):
            raise InvalidInputError("pieces: tiles need a Box domain; on all of R^D the run is serial")
        part = engine_fn(net, domain, arithmetic=arithmetic, max_regions=max_regions, progress=progress)
        out = canonical(part)
        out.pieces, out.merge_seconds, out.n_restarts = [], 0.0, 0
        out.executor = "the calling process (all of R^D is enumerated serially)"
        return out
    if not isinstance(domain, Box):
        raise InvalidInputError(f"executor= needs a Box or the whole space as the domain, got {domain!r}")
    if isinstance(pieces, (list, tuple)):
        given = _check_tiles(pieces, domain)
    elif pieces is None or (isinstance(pieces, (int, np.integer)) and not isinstance(pieces, bool)
                            and pieces >= 1):
        given = None
    else:
        raise InvalidInputError(f"pieces must be an int >= 1 or a list of Boxes tiling the domain, got {pieces!r}")

    regions = {}   # code key -> (piece, witness)
    facets = {}    # (key, key) sorted -> (piece, facet witness)
    merge = 0.0
    with job_runner(executor) as runner:
        description = runner.description
        if given is not None:
            P, ids = _sample_codes(net, domain, _SAMPLES)
            split = [(t, _estimate(P, ids, _floats(t.lower), _floats(t.upper))) for t in given]
        else:
            n = int(pieces) if pieces is not None else PIECES_PER_WORKER * runner.n_workers
            split = _split(net, domain, n)
        boxes = [widen(t, domain) for t, _ in split]
        # the largest pieces first (longest-processing-time-first balances a dynamic pool);
        # the result does not depend on the order
        order = sorted(range(len(boxes)), key=lambda k: (-split[k][1], k))
        jobs = [(engine_fn, net, boxes[k], arithmetic, max_regions) for k in order]
        stats = [None] * len(jobs)
        results = runner.run_unordered(_run_piece, jobs)
        try:
            for done, (r, res) in enumerate(results, 1):
                k = order[r]
                if isinstance(res[0], str):  # ("budget", n_found)
                    raise RegionBudgetExceeded(max(len(regions), res[1]), max_regions)
                t0 = time.perf_counter()
                keys, wits, edges, secs, cpu, n_lps = res
                keys = [row.tobytes() for row in keys]
                for key, w in zip(keys, wits):
                    old = regions.get(key)
                    if old is None or old[0] > k:
                        regions[key] = (k, w)
                for i, j, f in edges:
                    pair = tuple(sorted((keys[i], keys[j])))
                    old = facets.get(pair)
                    if old is None or old[0] > k:
                        facets[pair] = (k, f)
                stats[k] = PieceStat(boxes[k], len(keys), secs, cpu, n_lps)
                merge += time.perf_counter() - t0
                if max_regions is not None and len(regions) > max_regions:
                    raise RegionBudgetExceeded(len(regions), max_regions)
                if progress is not None:
                    progress(len(regions), f"pieces {done}/{len(jobs)}")
        finally:
            results.close()
        restarts = runner.n_restarts
    t0 = time.perf_counter()
    keys = list(regions)
    part = _assemble(net, domain, keys, [regions[k][1] for k in keys],
                     [(a, b, f) for (a, b), (_, f) in facets.items()],
                     arithmetic=arithmetic, engine=engine, seconds=None)
    part.merge_seconds = merge + time.perf_counter() - t0
    part.pieces = stats
    part.executor = description
    part.n_restarts = restarts
    if all(s.n_lps is not None for s in stats):
        part.n_lps = sum(s.n_lps for s in stats)
    part.seconds = time.perf_counter() - start
    return part
