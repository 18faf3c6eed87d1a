"""Benchmark: region enumeration spread over workers, against the serial run (the baseline).

Enumerates the regions of a torch-default-initialised MLP on [-1, 1]^D three times: serially
(the in-run baseline), on N local worker processes (``executor=N``, standard library) and on a
Dask ``LocalCluster`` with N single-threaded worker processes; prints each wall time and its
ratio to the serial time, checks that the three partitions agree (codes, adjacencies, flips;
exit status 1 otherwise), and projects what W workers (default 64) would give from the
measured per-piece and merge costs:

    T(W) ~ split + startup + makespan(pieces(W) on W workers) + merge

where pieces(W) = 4 W tiles, whose total work is the measured piece work scaled by the
duplication that wider walls add (regions cut by a wall are enumerated once per piece they
meet; measured here, and scaled as (pieces)^(1/D) for the larger split), each piece costing
the measured seconds per piece-region, and the merge the measured merge seconds per
piece-region. The machine's load average is printed before and after: on a shared machine
the ratios are what matter.

The issue's sizes are 3-64-64 exact (93,425 regions) and a 4-D network with more than 10^5
regions: with the LP engine those take hours here, so the default is a size that runs in a
few minutes; name another engine (``--engine``, e.g. a faster any-D engine once registered)
and ``--widths 3 64 64`` to run the large case.

Run:  python benchmarks/bench_distributed.py [--widths 3 20 20] [--engine lp] [--workers 2]
          [--pieces 16] [--float] [--project 64] [--no-cluster]
"""

from __future__ import annotations

import argparse
import heapq
import os
import sys
import time

from bench_regions import _mlp  # the same torch-default-initialised MLP


def _load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def _makespan(times, workers):
    """Longest-processing-time-first schedule of ``times`` on ``workers`` (a dynamic pool
    hands the next piece to the first free worker; LPT is what that gives for sorted input)."""
    loads = [0.0] * workers
    for t in sorted(times, reverse=True):
        heapq.heapreplace(loads, loads[0] + t)
    return max(loads)


def _same(a, b) -> bool:
    def edges(p):
        return [(i, j, f) for i, j, f in p.graph.edges(data="flips")]
    return a.codes == b.codes and edges(a) == edges(b)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 20, 20],
                        help="input dimension then hidden widths (default 3 20 20)")
    parser.add_argument("--engine", default="lp", help="engine name (default lp)")
    parser.add_argument("--float", action="store_true", help="float arithmetic (default exact)")
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--pieces", type=int, default=None, help="tiles of the box (default 2 per worker)")
    parser.add_argument("--project", type=int, default=64, help="workers to project to (default 64)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the Dask LocalCluster run")
    args = parser.parse_args(argv)

    import vqgeom
    from vqgeom.regions.distributed import canonical

    arithmetic = "float" if args.float else "exact"
    net = vqgeom.Network.from_torch(_mlp(args.seed, args.widths))
    D = args.widths[0]
    arch = "-".join(map(str, args.widths))
    print(f"{arch} MLP (torch default init, seed {args.seed}) on [-1, 1]^{D}, engine {args.engine}, "
          f"{arithmetic}; {args.workers} workers, {args.pieces or 2 * args.workers} pieces")
    print(f"  before: {_load()}")

    t, c = time.perf_counter(), time.process_time()
    serial = vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=args.engine)
    ts, cs = time.perf_counter() - t, time.process_time() - c
    print(f"  serial:                {ts:8.2f} s  {serial.n_regions} regions, "
          f"{serial.n_adjacencies} adjacencies  (baseline; {cs:.2f} CPU s)")
    ref = canonical(serial)

    t = time.perf_counter()
    local = vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=args.engine,
                                     executor=args.workers, pieces=args.pieces)
    tl = time.perf_counter() - t
    print(f"  {args.workers} local processes:   {tl:8.2f} s  ratio to serial {tl / ts:.3f}")
    ok = _same(ref, local)

    if not args.no_cluster:
        from distributed import Client, LocalCluster

        t = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=":0") as cluster, Client(cluster) as client:
            t_up = time.perf_counter() - t
            t = time.perf_counter()
            dist = vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=args.engine,
                                            executor=client, pieces=args.pieces)
            tc = time.perf_counter() - t
        print(f"  LocalCluster ({args.workers} procs): {tc:8.2f} s  ratio to serial {tc / ts:.3f}  "
              f"(+ {t_up:.1f} s to start the cluster, not counted)")
        ok &= _same(ref, dist) and dist.witnesses == local.witnesses
    print(f"  after:  {_load()}")

    # ---- the cost model, from the local run's pieces
    pieces = local.pieces
    cpu = sum(p.cpu_seconds for p in pieces)
    print(f"  CPU: serial {cs:.2f} s; the {len(pieces)} pieces {cpu:.2f} s on the workers "
          f"({cpu / cs:.2f} x serial): with a free core per worker, {args.workers} workers would take "
          f"about {_makespan([p.cpu_seconds for p in pieces], args.workers) / cs:.3f} of the serial time "
          f"plus start-up")
    print(f"  CPU share this run got: serial {cs / ts:.2f} cores, {args.workers} local processes "
          f"{cpu / tl:.2f} cores (on a shared machine the scheduler may give a session's processes "
          f"one share between them; the wall ratio then shows that share, not the parallel speed-up)")
    work = sum(p.seconds for p in pieces)
    piece_regions = sum(p.n_regions for p in pieces)
    dup = piece_regions / local.n_regions - 1
    per_region = work / piece_regions
    merge_per = local.merge_seconds / piece_regions
    overhead = tl - local.merge_seconds - _makespan([p.seconds for p in pieces], args.workers)
    print(f"  pieces: {len(pieces)}, {piece_regions} piece-regions for {local.n_regions} regions "
          f"(duplication {100 * dup:.1f}%), piece work {work:.2f} s "
          f"({1e3 * per_region:.2f} ms per piece-region; serial {1e3 * ts / serial.n_regions:.2f} ms "
          f"per region), merge {local.merge_seconds:.3f} s ({1e6 * merge_per:.1f} us per piece-region), "
          f"split + start-up + transfer {max(overhead, 0.0):.2f} s")
    W = args.project
    P = 4 * W
    dup_W = dup * (P / len(pieces)) ** (1.0 / D)
    total_W = local.n_regions * (1 + dup_W)
    # pieces of equal estimated size; imbalance taken from the measured spread of piece times
    spread = max(p.seconds for p in pieces) / (work / len(pieces))
    piece_t = total_W * per_region / P
    makespan = piece_t * (P // W) + piece_t * (spread - 1)
    proj = max(overhead, 0.0) + makespan + total_W * merge_per
    print(f"  projected on {W} workers ({P} pieces, duplication {100 * dup_W:.1f}%): {proj:.2f} s, "
          f"speed-up {ts / proj:.1f}x over serial (merge {total_W * merge_per:.2f} s of it)")
    if not ok:
        print("MISMATCH: the distributed partitions differ from the serial one", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
