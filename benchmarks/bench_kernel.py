"""Benchmark: the full VQ-Kernel against scipy's pdist(codes, "hamming") + squareform.

The paper's Fig. 1 set-up: a 2-96-96-96 MLP (torch's default initialisation) evaluated on a
96 x 96 grid of [-1, 1]^2, so N = 9216 points and B = 288 bits. Both routes are timed side
by side in this run (best of ``--repeat``), their results are checked to be identical, and
the ratio is printed. The first full-size call of a process (output pages, thread and tile
set-up) is timed in ``--repeat`` fresh processes and set against the steady state.

    python benchmarks/bench_kernel.py                # CPU, all routes
    python benchmarks/bench_kernel.py --device cuda  # also time the CUDA route

OpenBLAS may be pinned to an older core type on this machine (OPENBLAS_CORETYPE); that
affects scipy's and numpy's BLAS only. To measure against an unpinned numpy, unset it in the
benchmark command alone: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np


def best_of(fn, repeat):
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=96, help="grid side (N = grid^2), default 96")
    parser.add_argument("--width", type=int, default=96, help="hidden width, default 96")
    parser.add_argument("--depth", type=int, default=3, help="hidden layers, default 3")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs, default 3")
    parser.add_argument("--device", default=None, help="also time this torch device (e.g. cuda)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's choice); scipy's pdist is single-threaded")
    parser.add_argument("--skip-popcount", action="store_true", help="skip the slow numpy popcount route")
    parser.add_argument("--first-call-only", action="store_true",
                        help="print only the time of this process's first full-size call (used by the "
                             "benchmark itself, in fresh processes)")
    args = parser.parse_args(argv)

    import torch
    from scipy.spatial.distance import pdist, squareform

    import vqgeom
    from vqgeom import activation_codes, vq_kernel

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the benchmark script owns its process: seeding here is fine
    layers = []
    d = 2
    for _ in range(args.depth):
        layers += [torch.nn.Linear(d, args.width), torch.nn.ReLU()]
        d = args.width
    module = torch.nn.Sequential(*layers).double()
    net = vqgeom.Network.from_torch(module)
    g = np.linspace(-1.0, 1.0, args.grid)
    X = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)

    if args.first_call_only:
        codes = activation_codes(net, X)
        t0 = time.perf_counter()
        vq_kernel(codes, method="gemm")
        print(f"{time.perf_counter() - t0:.6f}")
        return 0

    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '?')} x{i['num_threads']}"
                         for i in threadpool_info() if i["user_api"] == "blas")
    except ImportError:
        blas = "threadpoolctl not installed"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; BLAS: {blas}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")

    t_codes, codes = best_of(lambda: activation_codes(net, X), args.repeat)
    N, B = codes.n_points, codes.n_bits
    pairs = N * N
    print(f"N = {N} points, B = {B} bits ({net!r}); codes in {t_codes:.3f} s")

    bits = codes.bits()
    ref = None
    t_scipy = t_gemm = t_pre = float("inf")
    # the first full-size call of a process (torch imported, nothing warmed up), in fresh
    # processes: the best of --repeat, like the steady state
    child = [sys.executable, os.path.abspath(__file__), "--first-call-only", "--grid", str(args.grid),
             "--width", str(args.width), "--depth", str(args.depth), "--seed", str(args.seed)]
    if args.threads is not None:
        child += ["--threads", str(args.threads)]
    t_first = min(float(subprocess.run(child, check=True, capture_output=True, text=True)
                        .stdout.split()[-1]) for _ in range(args.repeat))
    preout = np.empty((N, N), dtype=vq_kernel(codes.take(slice(0, 2))).dtype)
    # interleave the routes so that a change of machine load hits both alike
    for r in range(args.repeat):
        t0 = time.perf_counter()
        D = squareform(pdist(bits, "hamming"))
        t_scipy = min(t_scipy, time.perf_counter() - t0)
        if ref is None:
            ref = np.rint(D * B).astype(np.int64)
        del D
        t0 = time.perf_counter()
        K = vq_kernel(codes, method="gemm")
        t_gemm = min(t_gemm, time.perf_counter() - t0)
        same_gemm = np.array_equal(K, ref)
        del K
        t0 = time.perf_counter()
        vq_kernel(codes, method="gemm", out=preout)
        t_pre = min(t_pre, time.perf_counter() - t0)
    if not args.skip_popcount:
        t0 = time.perf_counter()
        K = vq_kernel(codes, method="popcount")
        t_pop = time.perf_counter() - t0
        same_pop = np.array_equal(K, ref)
        del K

    def line(name, t, same=None):
        extra = "" if same is None else f"  identical to scipy: {same}"
        return (f"{name:38s}: {t:8.3f} s  {pairs / t / 1e9:7.3f} Gpairs/s  "
                f"{2.0 * pairs * B / t / 1e9:6.0f} GOP/s (2 ops per bit pair){extra}")

    print(line("scipy pdist(hamming) + squareform", t_scipy))
    print(line("vq_kernel gemm (fresh output)", t_gemm, same_gemm) + f"  {t_scipy / t_gemm:.1f}x")
    print(line("vq_kernel gemm (first call, fresh process)", t_first)
          + f"  {t_first / t_gemm:.2f}x the steady state")
    print(line("vq_kernel gemm (preallocated out=)", t_pre) + f"  {t_scipy / t_pre:.1f}x")
    if not args.skip_popcount:
        print(line("vq_kernel popcount (numpy, 1 run)", t_pop, same_pop) + f"  {t_scipy / t_pop:.1f}x")
    try:
        load = os.getloadavg()[0]
        print(f"load average while running: {load:.2f} on {os.cpu_count()} cores")
    except OSError:
        pass
    print(f"RESULT: vq_kernel {t_gemm:.3f} s vs scipy {t_scipy:.3f} s: {t_scipy / t_gemm:.1f}x faster "
          f"(best of {args.repeat}, fresh output, results identical: {same_gemm}); first call "
          f"{t_first:.3f} s = {t_first / t_gemm:.2f}x the best")

    if args.device is not None:
        dev = torch.device(args.device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            print(f"--device {args.device}: CUDA is not available on this machine; skipped")
            return 0
        def on_device():
            K = vq_kernel(codes, device=dev)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            return K
        on_device()
        t, K = best_of(on_device, args.repeat)
        same = np.array_equal(K.cpu().numpy(), ref)
        print(f"vqgeom vq_kernel device={dev}: {t:8.4f} s ({pairs / t / 1e9:.2f} Gpairs/s)  "
              f"identical to scipy: {same}  speed-up vs scipy {t_scipy / t:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
