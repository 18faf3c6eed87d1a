"""Region enumeration spread over workers: the box cut into pieces, each enumerated alone,
the results merged exactly.

``enumerate_regions(net, box, executor=...)`` lands here (the dispatcher in
:mod:`vqgeom.regions.engines` resolves the engine first). The argument that the merge is
exact is written in ``proofs/distributed.md``; in short:

1. *Tiles.* The box is cut into tiles (closed boxes with disjoint interiors whose union is
   the box) by a k-d split balanced on a float estimate of the number of regions (distinct
   codes of sample points, or the density of boundaries at them), at dyadic fractions of a tile's side so that every wall is a
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
   whose signs differ between the two codes. Pieces send arrays (packed codes, index pairs,
   float witnesses with their few exact coordinates: :mod:`._compact`), and the merge is
   ``np.unique`` on them; the Partition builds its tuples of Fractions and its graph on
   first use. (3-64-64 exact: 23 MB from two pieces, merged in 0.2 s; as Python tuples of
   Fractions it was 35 MB, 6 s to unpickle and 4 s to merge.)

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
from vqgeom.regions._compact import Edges, Points, arrays_of
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
#: the step, as a fraction of the box's side, over which the estimate counts sign changes
_STEP = 0.1
#: a tile is cut at one of the fractions q/16 of its side, q = 1..15
_CUTS = 16


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
def _sample_density(net, box, n, seed=0):
    """Seeded float sample points of the box and, per point, its code's id or a weight:
    ``(P, ids, None)`` or ``(P, None, weight)``; :func:`_estimate` counts the regions of a
    tile from them.

    Where the samples hit nearly every region (fewer than a tenth of them alone in their
    region: by Good-Turing the regions missed hold about that fraction of the volume), a
    tile's estimate is the number of distinct codes among its samples. Where they do not
    (regions smaller than the sample spacing: 3-64-64 has 93,425 regions) that count
    saturates, and the weight ``h^D`` estimates the density of regions instead: ``h`` is
    the number of neurons whose sign differs between the point and a point :data:`_STEP`
    of the box's side away in a random direction, the local density of boundaries along
    a line; a simple arrangement has about its D-th power vertices, hence regions, per
    volume (3-64-64: tile estimates within 0.9-1.2 of the true shares, against 0.8-1.6
    for distinct codes)."""
    rng = np.random.default_rng(seed)
    lo = np.array([float(v) for v in box.lower])
    hi = np.array([float(v) for v in box.upper])
    D = len(lo)
    P = lo + (hi - lo) * rng.random((n, D))
    U = rng.normal(size=(n, D))
    U /= np.maximum(np.linalg.norm(U, axis=1), 1e-300)[:, None]
    Q = P + _STEP * (hi - lo) * U
    fnet = net.to_float()

    def bits(X):
        return np.concatenate([pre >= 0 for pre in fnet.preactivations(X)], axis=1)

    bp = bits(P)
    _, ids, counts = np.unique(_void(np.packbits(bp, axis=1)), return_inverse=True, return_counts=True)
    ids = np.asarray(ids).ravel()
    if np.count_nonzero(counts == 1) < n / 10:
        return P, ids, None
    h = (bp != bits(Q)).sum(axis=1).astype(np.float64)
    return P, None, h ** D


def _estimate(sample, lo, hi):
    P, ids, weight = sample
    inside = np.all((P >= lo) & (P <= hi), axis=1)
    if ids is not None:
        return float(max(1, np.unique(ids[inside]).size))
    return float(weight[inside].sum()) + 1.0


def split_box(net, box: Box, n_pieces: int) -> list[Box]:
    """Cut ``box`` into ``n_pieces`` tiles balanced on an estimate of their region counts.

    A k-d split: the tile with the largest estimate (from 16384 seeded sample points:
    distinct codes, or where those saturate a density of boundaries, see
    ``_sample_density``; ties to the first) is cut across
    its widest side relative to the box, at the fraction q/16 of that side (q = 1..15)
    that best balances the two halves' estimates (ties to the middle). Deterministic; the tiles are closed boxes with disjoint interiors
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
    sample = _sample_density(net, box, _SAMPLES)
    width = [hi - lo for lo, hi in zip(box.lower, box.upper)]
    tiles = [(list(box.lower), list(box.upper))]
    est = [_estimate(sample, _floats(box.lower), _floats(box.upper))]
    while len(tiles) < n_pieces:
        k = int(np.argmax(est))
        lo, hi = tiles[k]
        axis = max(range(len(lo)), key=lambda i: ((hi[i] - lo[i]) / width[i], -i))
        best = None
        for q in sorted(range(1, _CUTS), key=lambda q: abs(2 * q - _CUTS)):
            cut = lo[axis] + (hi[axis] - lo[axis]) * Fraction(q, _CUTS)
            left_hi = hi[:axis] + [cut] + hi[axis + 1:]
            right_lo = lo[:axis] + [cut] + lo[axis + 1:]
            e = (_estimate(sample, _floats(lo), _floats(left_hi)),
                 _estimate(sample, _floats(right_lo), _floats(hi)))
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
@dataclass
class _Piece:
    """What a worker sends back for one piece: codes packed to bytes, witnesses, edges
    (local region indices) and facet witnesses as arrays (:mod:`._compact`), and its cost."""

    codes: np.ndarray        # uint8 (n, ceil(N / 8)), np.packbits of the code bits
    witnesses: Points
    a: np.ndarray            # int (m,): the edges' regions, indices into codes
    b: np.ndarray
    facets: Points
    seconds: float
    cpu_seconds: float
    n_lps: int | None


def _run_piece(job):
    """Worker side: enumerate one piece; return a :class:`_Piece`, or ``("budget", n_found)``."""
    engine_fn, net, box, arithmetic, max_regions = job
    start, cpu = time.perf_counter(), time.process_time()
    try:
        part = engine_fn(net, box, arithmetic=arithmetic, max_regions=max_regions, progress=None)
    except RegionBudgetExceeded as exc:
        return ("budget", exc.n_found)
    witnesses, a, b, facets = arrays_of(part)
    return _Piece(np.packbits(part.code_bits(), axis=1), witnesses, a.astype(np.int32), b.astype(np.int32),
                  facets, time.perf_counter() - start, time.process_time() - cpu, getattr(part, "n_lps", None))


def _void(codes):
    """Rows of a uint8 array as one opaque item each (np.unique sorts them bytewise)."""
    codes = np.ascontiguousarray(codes)
    return codes.view(np.dtype((np.void, codes.shape[1]))).ravel()


def _flips(bits, i, j, chunk=1 << 16):
    """``(single, multi)`` for :class:`._compact.Edges`: the one neuron each edge flips
    (-1 where it flips several) and the several, from the two codes."""
    single = np.empty(len(i), dtype=np.int64)
    multi = {}
    for s in range(0, len(i), chunk):
        d = bits[i[s:s + chunk]] != bits[j[s:s + chunk]]
        count = d.sum(axis=1)
        single[s:s + chunk] = np.where(count == 1, np.argmax(d, axis=1), -1)
        for r in np.flatnonzero(count != 1).tolist():
            multi[s + r] = tuple(np.flatnonzero(d[r]).tolist())
    return single, multi


def _merge(net, domain, pieces, *, arithmetic, engine, frame=None) -> Partition:
    """Merge pieces (in tile order) into one Partition in canonical order: one region per
    code, its witness from the first piece that has it; one edge per pair of codes, its
    facet witness from the first piece that has it (proofs/distributed.md). All in numpy;
    the witnesses' and edges' tuples are built when the Partition is first asked for them."""
    D, N = net.input_dim, net.n_neurons
    exact = arithmetic == "exact"
    nbytes = (N + 7) // 8
    sizes = [len(p.codes) for p in pieces]
    start = np.cumsum([0] + sizes)
    codes = (np.concatenate([p.codes for p in pieces]) if pieces
             else np.zeros((0, nbytes), dtype=np.uint8))
    # pieces are concatenated in tile order and np.unique's first index is the first
    # occurrence, so each code's row is the lowest-numbered piece's
    keys, first, inverse = np.unique(_void(codes), return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    n = len(keys)
    a = np.concatenate([inverse[start[k] + p.a.astype(np.int64)] for k, p in enumerate(pieces)] or
                       [np.zeros(0, dtype=np.int64)])
    b = np.concatenate([inverse[start[k] + p.b.astype(np.int64)] for k, p in enumerate(pieces)] or
                       [np.zeros(0, dtype=np.int64)])
    pair = np.minimum(a, b) * n + np.maximum(a, b)
    pairs, efirst = np.unique(pair, return_index=True)      # sorted by (i, j)
    i, j = pairs // max(n, 1), pairs % max(n, 1)
    packed = codes[first].reshape(n, nbytes)
    bits = np.unpackbits(packed, axis=1, count=N).astype(bool)
    single, multi = _flips(bits, i, j)
    witnesses = Points.concat([p.witnesses for p in pieces], D, exact=exact).take(first)
    facets = Points.concat([p.facets for p in pieces], D, exact=exact).take(efirst)
    edges = Edges(i, j, single, multi, facets, net.neuron_index)
    return Partition(net, domain, bits, witnesses, edges, arithmetic=arithmetic, engine=engine,
                     seconds=None, frame=frame)


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
    witnesses, a, b, facets = arrays_of(part)
    piece = _Piece(np.packbits(part.code_bits(), axis=1), witnesses, a, b, facets, 0.0, 0.0, None)
    out = _merge(part.net, part.domain, [piece], arithmetic=part.arithmetic, engine=part.engine,
                 frame=part.frame)
    out.seconds = part.seconds
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
        ``part.split_seconds`` and ``part.merge_seconds`` are the times of the split and of
        the merge (in the calling process), ``part.executor`` says what ran the
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
        out.pieces, out.merge_seconds, out.split_seconds, out.n_restarts = [], 0.0, 0.0, 0
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

    merge = 0.0
    with job_runner(executor) as runner:
        description = runner.description
        t_split = time.perf_counter()
        if given is not None:
            sample = _sample_density(net, domain, _SAMPLES)
            split = [(t, _estimate(sample, _floats(t.lower), _floats(t.upper))) for t in given]
        else:
            n = int(pieces) if pieces is not None else PIECES_PER_WORKER * runner.n_workers
            split = _split(net, domain, n)
        boxes = [widen(t, domain) for t, _ in split]
        t_split = time.perf_counter() - t_split
        # the largest pieces first (longest-processing-time-first balances a dynamic pool);
        # the result does not depend on the order
        order = sorted(range(len(boxes)), key=lambda k: (-split[k][1], k))
        jobs = [(engine_fn, net, boxes[k], arithmetic, max_regions) for k in order]
        stats = [None] * len(jobs)
        found = [None] * len(jobs)     # the pieces' results, in tile order
        known = _void(np.zeros((0, (net.n_neurons + 7) // 8), dtype=np.uint8))  # distinct codes so far
        # one piece in flight per worker: each worker that frees up takes the largest piece
        # left (a scheduler given them all at once may queue two large ones on one worker)
        results = runner.run_unordered(_run_piece, jobs, window=runner.n_workers)
        try:
            for done, (r, res) in enumerate(results, 1):
                k = order[r]
                if isinstance(res, tuple):  # ("budget", n_found)
                    raise RegionBudgetExceeded(max(len(known), res[1]), max_regions)
                t0 = time.perf_counter()
                found[k] = res
                known = np.unique(np.concatenate([known, _void(res.codes)]))
                stats[k] = PieceStat(boxes[k], len(res.codes), res.seconds, res.cpu_seconds, res.n_lps)
                merge += time.perf_counter() - t0
                if max_regions is not None and len(known) > max_regions:
                    raise RegionBudgetExceeded(len(known), max_regions)
                if progress is not None:
                    progress(len(known), f"pieces {done}/{len(jobs)}")
        finally:
            results.close()
        restarts = runner.n_restarts
    t0 = time.perf_counter()
    part = _merge(net, domain, found, arithmetic=arithmetic, engine=engine)
    part.merge_seconds = merge + time.perf_counter() - t0
    part.split_seconds = t_split
    part.pieces = stats
    part.executor = description
    part.n_restarts = restarts
    if all(s.n_lps is not None for s in stats):
        part.n_lps = sum(s.n_lps for s in stats)
    part.seconds = time.perf_counter() - start
    return part
