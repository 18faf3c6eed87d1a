"""Benchmark: the full VQ-Kernel against scipy's pdist(codes, "hamming") + squareform.

The paper's Fig. 1 set-up: a 2-96-96-96 MLP (torch's default initialisation) evaluated on a
96 x 96 grid of [-1, 1]^2, so N = 9216 points and B = 288 bits. Both routes are timed side
by side in this run (best of ``--repeat``), their results are checked to be identical, and
the ratio is printed.

    python benchmarks/bench_kernel.py                # CPU, all routes
    python benchmarks/bench_kernel.py --device cuda  # also time the CUDA route

OpenBLAS may be pinned to an older core type on this machine (OPENBLAS_CORETYPE); that
affects scipy's and numpy's BLAS only. To measure against an unpinned numpy, unset it in the
benchmark command alone: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def best_of(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if _ < repeat - 1:
            del result
            result = None
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=96, help="grid side (N = grid^2), default 96")
    parser.add_argument("--width", type=int, default=96, help="hidden width, default 96")
    parser.add_argument("--depth", type=int, default=3, help="hidden layers, default 3")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs, default 3")
    parser.add_argument("--device", default=None, help="also time this torch device (e.g. cuda)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch
    from scipy.spatial.distance import pdist, squareform

    import vqgeom
    from vqgeom import activation_codes, vq_kernel

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
    t_scipy, D = best_of(lambda: squareform(pdist(bits, "hamming")) * B, args.repeat)
    print(f"scipy pdist(hamming) + squareform : {t_scipy:8.3f} s  ({pairs / t_scipy / 1e9:.3f} Gpairs/s)")

    vq_kernel(codes.take(slice(0, 256)))  # warm up torch / the BLAS once
    results = {}
    for method in ("gemm", "popcount"):
        if method == "popcount" and N > 4096 and B > 64 and args.repeat > 1:
            rep = 1
        else:
            rep = args.repeat
        t, K = best_of(lambda: vq_kernel(codes, method=method), rep)
        same = np.array_equal(K, D.astype(np.int64))
        results[method] = t
        gflops = 2.0 * pairs * B / t / 1e9
        print(f"vqgeom vq_kernel method={method:9s}: {t:8.3f} s  ({pairs / t / 1e9:.3f} Gpairs/s, "
              f"{gflops:.0f} GFLOP/s-equivalent)  identical to scipy: {same}  "
              f"speed-up {t_scipy / t:.1f}x")
        del K
    preout = np.empty((N, N), dtype=np.int32)
    t, _ = best_of(lambda: vq_kernel(codes, out=preout), args.repeat)
    print(f"vqgeom vq_kernel into a preallocated out: {t:8.3f} s  speed-up {t_scipy / t:.1f}x")
    best = min(results.values())
    print(f"RESULT: fresh-output kernel {best:.3f} s vs scipy {t_scipy:.3f} s: {t_scipy / best:.1f}x faster")

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
        same = np.array_equal(K.cpu().numpy(), D.astype(np.int64))
        print(f"vqgeom vq_kernel device={dev}: {t:8.4f} s ({pairs / t / 1e9:.2f} Gpairs/s)  "
              f"identical to scipy: {same}  speed-up vs scipy {t_scipy / t:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
