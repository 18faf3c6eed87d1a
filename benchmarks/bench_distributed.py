"""Benchmark: region enumeration spread over workers, against the serial run (the baseline).

For each case it enumerates the regions of a torch-default-initialised MLP on [-1, 1]^D four
times: serially (the in-run baseline), on N local worker processes started by the call
(``executor=N``, standard library: cold, their start-up counted: a fresh worker imports torch
and the engine, about 2 CPU s here), on an open ``ProcessPoolExecutor`` of N processes that
has run before (warm: what a user enumerating many networks passes), and on a Dask
``LocalCluster`` with N single-threaded worker processes (started and warmed before the
clock, as a long-lived cluster is); prints each wall time and its ratio to the serial
time, checks that the three partitions agree (codes, adjacencies, flips; exit status 1
otherwise), and projects what W workers (default 64) would give from the measured costs:

    T(W) ~ split + start-up + makespan(2 W pieces on W workers) + merge

where the pieces' total work is the measured piece work (less the workers' one-off import
of the engine, measured apart) scaled by the duplication that more walls add (regions cut
by a wall are enumerated once per piece they meet; measured here, scaled as
(pieces)^(1/D)), spread over the pieces with the measured imbalance, and the merge costs
the measured seconds per piece-region. Every result is lazy in the same way (serial and
distributed alike: the exact witnesses' Fractions and the networkx graph are built on first
use); the time to build them, the same work for both, is printed apart. The machine's load
average is printed before and after each case: on a shared machine the ratios are what
matter, and they mean something only when the load is below the number of workers.

Default cases (the issue's): 3-64-64 exact and 4-36-36 exact (139,987 regions) with the
subdivision engine (``auto`` picks it for exact D >= 3), and 3-20-20 exact with the LP
engine.

Measured 2026-11-29 on the 2-core development machine, shared: load average 1.2-1.9 (another
session kept about one core busy), so the parallel rows got 1.5-1.7 cores, not 2. 18:15 UTC,
with the subdivision engine pausing the garbage collector (serial and pieces alike):

    case                        regions  serial   2 local, cold    2 local, warm   LocalCluster     free-core model
    3-64-64 exact subdivision    93,425   6.97 s   7.53 s (1.080)  5.73 s (0.821)   7.88 s (1.130)  0.885
    4-36-36 exact subdivision   139,987  19.55 s  12.14 s (0.621)  9.73 s (0.498)  11.82 s (0.604)  0.533
    3-20-20 exact lp              2,795  18.48 s  13.09 s (0.709) 11.84 s (0.641)  11.34 s (0.613)  0.575

18:10 UTC, before that (the collector on):

    3-64-64 exact subdivision    93,425  10.36 s   8.81 s (0.851)  6.51 s (0.629)   9.12 s (0.881)  0.669
    4-36-36 exact subdivision   139,987  20.91 s  18.51 s (0.885) 13.76 s (0.658)  14.08 s (0.673)  0.732
    3-20-20 exact lp              2,795  17.66 s   8.89 s (0.503)  8.65 s (0.490)   9.71 s (0.550)  0.426

Before the compact transfer and numpy merge (same machine, idle): 3-64-64 13.2 s serial,
1.50x / 1.88x slower with 2 local processes / LocalCluster; 3-20-20 lp 0.640 / 0.827. A
cold pool's two workers each spend ~2.3 CPU s importing torch and the engine, which a
7-10 s job on 2 cores cannot hide: pass an open executor (or a Dask client) for repeated
runs. Inside Dask workers the same pieces took ~30% more CPU than in a process pool
(3-64-64, not diagnosed). Projection to 64 free cores (128 pieces): 3-64-64 ~3.2 s,
4-36-36 ~3.3 s (6x): the workers' start-up, the split and the merge in the caller bound it,
not the pieces.

Run:  python benchmarks/bench_distributed.py [--widths 3 64 64] [--engine subdivision]
          [--workers 2] [--pieces 4] [--float] [--project 64] [--no-cluster]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import heapq
import multiprocessing
import os
import subprocess
import sys
import time

from bench_regions import _mlp  # the same torch-default-initialised MLP

CASES = [([3, 64, 64], "subdivision"), ([4, 36, 36], "subdivision"), ([3, 20, 20], "lp")]


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


def _import_seconds(engine: str) -> float:
    """CPU seconds a fresh Python process takes to import the engine (what every new
    worker pays once, on its first piece)."""
    lazy = (", vqgeom.regions._subdivision_float, vqgeom.regions._subdivision_exact, vqgeom.exact.arith"
            if engine == "subdivision" else "")
    code = (f"import time; t = time.process_time(); import vqgeom.regions.{engine}{lazy}; "
            f"print(time.process_time() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def run_case(widths, engine, args, pool, client, rows) -> bool:
    import vqgeom
    from vqgeom.regions.distributed import canonical

    arithmetic = "float" if args.float else "exact"
    net = vqgeom.Network.from_torch(_mlp(args.seed, widths))
    D = widths[0]
    arch = "-".join(map(str, widths))
    n_pieces = args.pieces or 2 * args.workers
    print(f"{arch} MLP (torch default init, seed {args.seed}) on [-1, 1]^{D}, engine {engine}, "
          f"{arithmetic}; {args.workers} workers, {n_pieces} pieces")
    print(f"  before: {_load()}")

    # the serial baseline without first-call imports: the engine is imported in this process
    vqgeom.enumerate_regions(vqgeom.Network.from_torch(_mlp(args.seed, [D, 4, 4])), arithmetic=arithmetic,
                             engine=engine)
    c = time.process_time()
    ts, serial = _timed(lambda: vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=engine))
    cs = time.process_time() - c
    print(f"  serial:                    {ts:8.2f} s  {serial.n_regions} regions, engine {serial.engine} "
          f"(baseline; {cs:.2f} CPU s)")

    tl, local = _timed(lambda: vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=engine,
                                                        executor=args.workers, pieces=args.pieces))
    print(f"  {args.workers} local processes:       {tl:8.2f} s  ratio to serial {tl / ts:.3f}  "
          f"(executor={args.workers}: a fresh pool, its start-up counted)")
    tw, warm = _timed(lambda: vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=engine,
                                                       executor=pool, pieces=args.pieces))
    print(f"  {args.workers} local processes, warm: {tw:7.2f} s  ratio to serial {tw / ts:.3f}  "
          f"(an open ProcessPoolExecutor that has run before)")

    if client is not None:
        tc, dist = _timed(lambda: vqgeom.enumerate_regions(net, arithmetic=arithmetic, engine=engine,
                                                           executor=client, pieces=args.pieces))
        print(f"  LocalCluster ({args.workers} procs):     {tc:8.2f} s  ratio to serial {tc / ts:.3f}")
    print(f"  after:  {_load()}")

    # the same lazy work for both: exact witnesses' Fractions and the networkx graph
    tm_s, _ = _timed(lambda: (serial.witnesses, serial.graph))
    tm_l, _ = _timed(lambda: (local.witnesses, local.graph))
    print(f"  building witnesses + graph on first use: serial {tm_s:.2f} s, distributed {tm_l:.2f} s "
          f"(not in the times above; with it the 2-process ratio is {(tl + tm_l) / (ts + tm_s):.3f})")
    ref = canonical(serial)
    ok = _same(ref, local) and _same(ref, warm)
    if client is not None:
        ok &= _same(ref, dist) and dist.witnesses == local.witnesses

    # ---- the cost model, from the local run's pieces, in CPU seconds (what a free core per
    # worker gives; on a shared machine the wall times above also hold other people's work)
    pieces = local.pieces
    cpu = sum(p.cpu_seconds for p in pieces)
    print(f"  cores this run got: serial {cs / ts:.2f}, {args.workers} local processes {cpu / tl:.2f} "
          f"(below 1 and {args.workers}: the machine was shared, and the ratios show that share)")
    start_up = _import_seconds(engine)
    used = min(args.workers, len(pieces))
    first = sorted(range(len(pieces)), key=lambda k: -pieces[k].cpu_seconds)[:used]  # LPT: first on each worker
    net_cpu = [max(p.cpu_seconds - (start_up if k in first else 0.0), 0.0) for k, p in enumerate(pieces)]
    work = max(sum(net_cpu), 1e-9)
    piece_regions = sum(p.n_regions for p in pieces)
    dup = piece_regions / local.n_regions - 1
    per_region = work / piece_regions
    merge_per = local.merge_seconds / piece_regions
    split = local.split_seconds
    free = split + start_up + _makespan(net_cpu, args.workers) + local.merge_seconds
    print(f"  pieces: {len(pieces)}, {piece_regions} piece-regions for {local.n_regions} regions "
          f"(duplication {100 * dup:.1f}%), CPU {cpu:.2f} s on the workers, {work:.2f} s without "
          f"importing the engine ({start_up:.2f} CPU s per fresh worker): {work / cs:.2f} x serial; "
          f"{1e6 * per_region:.0f} us per piece-region (serial {1e6 * cs / serial.n_regions:.0f} us per region)")
    print(f"  caller: split {split:.2f} s, merge {local.merge_seconds:.3f} s "
          f"({1e6 * merge_per:.2f} us per piece-region)")
    print(f"  with a free core per worker: split + start-up + makespan + merge = {free:.2f} s, "
          f"{free / cs:.3f} of the serial CPU time")
    W = args.project
    P = 2 * W
    dup_W = dup * (P / len(pieces)) ** (1.0 / D)
    total_W = local.n_regions * (1 + dup_W)
    mean = work / len(pieces)
    spread = max(max(net_cpu) / mean, 1.0)
    piece_t = total_W * per_region / P
    makespan = piece_t * (P // W) + piece_t * (spread - 1)
    proj = split + start_up + makespan + total_W * merge_per
    print(f"  projected on {W} workers ({P} pieces, duplication {100 * dup_W:.1f}%, imbalance "
          f"{spread:.2f}): {proj:.2f} s, speed-up {cs / proj:.1f}x over serial "
          f"(split {split:.2f} s, start-up {start_up:.2f} s, pieces {makespan:.2f} s, "
          f"merge {total_W * merge_per:.2f} s)")
    load = os.getloadavg()[0]
    cluster = f"{tc:6.2f} s ({tc / ts:.3f})" if client is not None else "-"
    rows.append(f"    {arch} {arithmetic} {engine:<12} {serial.n_regions:>8}  {ts:6.2f} s  "
                f"{tl:6.2f} s ({tl / ts:.3f})  {tw:6.2f} s ({tw / ts:.3f})  {cluster}  {free / cs:.3f}  "
                f"{load:.2f}")
    if not ok:
        print("MISMATCH: the distributed partitions differ from the serial one", file=sys.stderr)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--widths", type=int, nargs="+", default=None,
                        help="input dimension then hidden widths (default: the three cases of the docstring)")
    parser.add_argument("--engine", default=None, help="engine name (default subdivision, or lp for 3-20-20)")
    parser.add_argument("--float", action="store_true", help="float arithmetic (default exact)")
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--pieces", type=int, default=None, help="tiles of the box (default 2 per worker)")
    parser.add_argument("--project", type=int, default=64, help="workers to project to (default 64)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the Dask LocalCluster run")
    args = parser.parse_args(argv)
    cases = ([(args.widths, args.engine or "subdivision")] if args.widths
             else [(w, args.engine or e) for w, e in CASES])

    import vqgeom

    ok, rows = True, []

    def warm_up(executor):
        """Run a tiny enumeration per engine on ``executor`` (its workers import the engines)."""
        tiny = vqgeom.Network.from_torch(_mlp(args.seed, [3, 4, 4]))
        for engine in sorted({e for _, e in cases}):
            vqgeom.enumerate_regions(tiny, engine=engine, executor=executor)

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with cf.ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
        warm_up(pool)
        if args.no_cluster:
            for widths, engine in cases:
                ok &= run_case(widths, engine, args, pool, None, rows)
        else:
            from distributed import Client, LocalCluster

            t = time.perf_counter()
            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=":0") as cluster, Client(cluster) as client:
                up = time.perf_counter() - t
                # a long-lived cluster's workers have imported the engine after their first job
                t = time.perf_counter()
                warm_up(client)
                print(f"(LocalCluster with {args.workers} worker processes started in {up:.1f} s and warmed "
                      f"in {time.perf_counter() - t:.1f} s, neither counted)")
                for widths, engine in cases:
                    ok &= run_case(widths, engine, args, pool, client, rows)
    print("\n    case                         regions   serial   local, cold (ratio)  local, warm (ratio)  "
          "LocalCluster (ratio)  free-core model  load")
    print("\n".join(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
