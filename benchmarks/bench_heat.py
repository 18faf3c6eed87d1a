"""Benchmark of vqgeom.heat: the exact joint-histogram sigma^2 sweep against its baselines.

    python benchmarks/bench_heat.py [--n 4000] [--n-large 20000] [--sigmas 25]

1. A sweep of S sigma^2 values for two VQ-Kernels given as codes (N points):
   * baseline "dense": vq_kernel both kernels (N x N), then exp and a Frobenius cosine
     per sigma^2 (what one writes by hand);
   * "direct": vqgeom's streamed float route (tiles, S exps per tile);
   * "histogram": vqgeom's default route (one pass of integer counts; every sigma^2 from them).
   All three agree to 1e-12; the ratios are measured in the same run.
2. One streamed pass at a larger N (never an N x N matrix): time and peak memory (run
   first, so the peak is its own).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from vqgeom import Network
from vqgeom.codes import activation_codes
from vqgeom.heat import kernel_cosine
from vqgeom.kernels import vq_kernel


def net(rng, widths, dim=10):
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": rng.standard_normal((w, d)) / np.sqrt(d), "bias": 0.1 * rng.standard_normal(w)})
        d = w
    return Network(layers)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--n-large", type=int, default=20000)
    ap.add_argument("--sigmas", type=int, default=25)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    p, q = net(rng, [16] * 4), net(rng, [16] * 6)
    X = rng.standard_normal((args.n, 10))
    ca, cb = activation_codes(p, X), activation_codes(q, X)
    grid = list(np.logspace(-1, 3, args.sigmas))

    # the streamed pass first, so that the peak memory below is its own
    N = args.n_large
    Xl = rng.standard_normal((N, 10))
    cal, cbl = activation_codes(p, Xl), activation_codes(q, Xl)
    t = time.perf_counter()
    res = kernel_cosine(cal, cbl, sigma2=grid + ["median"], centered=True)
    t_large = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N = {N}: centred sweep of {args.sigmas} sigma^2 + median heuristic in one pass: {t_large:.1f} s, "
          f"peak RSS {peak:.0f} MiB (one N x N float64 kernel would be {N * N * 8 / 2**20:.0f} MiB); "
          f"cosine at the median: {res[-1]:.4f}")


    t = time.perf_counter()
    A = np.asarray(vq_kernel(ca), dtype=np.float64)
    B = np.asarray(vq_kernel(cb), dtype=np.float64)
    dense = []
    for s2 in grid:
        FA, FB = np.exp(-A / s2), np.exp(-B / s2)
        dense.append(float(np.sum(FA * FB) / np.sqrt(np.sum(FA * FA) * np.sum(FB * FB))))
    t_dense = time.perf_counter() - t
    del A, B
    t = time.perf_counter()
    direct = kernel_cosine(ca, cb, sigma2=grid, method="direct")
    t_direct = time.perf_counter() - t
    t = time.perf_counter()
    hist = kernel_cosine(ca, cb, sigma2=grid, method="histogram")
    t_hist = time.perf_counter() - t
    err = max(np.max(np.abs(np.subtract(hist, dense))), np.max(np.abs(np.subtract(direct, dense))))
    print(f"sweep of {args.sigmas} sigma^2, N = {args.n}, codes of 64 and 96 bits (max |difference| {err:.1e})")
    print(f"  dense baseline (N x N kernels, exp per sigma^2): {t_dense:7.2f} s")
    print(f"  streamed direct route:                           {t_direct:7.2f} s  ({t_dense / t_direct:5.1f}x)")
    print(f"  streamed histogram route (vqgeom default):       {t_hist:7.2f} s  ({t_dense / t_hist:5.1f}x)")



if __name__ == "__main__":
    main()
