"""Benchmark: the LP engine's per-region LPs through highspy, against scipy's linprog.

Builds random regions ``{x : G x <= h}`` (unit rows, the origin strictly inside) and asks each
for its Chebyshev centre and a facet LP per group of rows, as the LP engine does: once through
:class:`vqgeom.regions._lp_solver.RegionLP` (one warm-started ``highspy.Highs`` model per
region, the engine's path) and once through the public :func:`scipy.optimize.linprog` fallback
(one cold solve per LP, the in-run baseline). Prints both times, LPs per second and the ratio;
the optima must agree (exit status 1 otherwise).

Run:  python benchmarks/bench_lp_solver.py [--regions 100] [--rows 40] [--dim 4]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _regions(n, m, D, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        G = rng.normal(size=(m, D))
        G /= np.linalg.norm(G, axis=1)[:, None]
        out.append((G, rng.uniform(0.1, 1.0, m)))
    return out


def _run(regions, highs: bool):
    from vqgeom.regions import _lp_solver as L

    solver = L.new_solver() if highs else None
    values = []
    start = time.perf_counter()
    for G, h in regions:
        lp = L.RegionLP(G, h, solver=solver)
        if not highs:
            lp._H = None                     # force the linprog path
        values.append(lp.chebyshev()[1])
        values.extend(lp.facet(k)[1] for k in range(0, len(h), 2))
    return time.perf_counter() - start, np.array(values, dtype=float)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=100)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--dim", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    regions = _regions(args.regions, args.rows, args.dim, args.seed)
    n_lps = args.regions * (1 + (args.rows + 1) // 2)
    t_h, v_h = _run(regions, True)
    t_l, v_l = _run(regions, False)
    print(f"{args.regions} regions of {args.rows} rows in R^{args.dim}, {n_lps} LPs")
    print(f"  highspy (warm-started, engine path): {t_h:.2f} s, {n_lps / t_h:.0f} LPs/s")
    print(f"  linprog (cold, baseline):            {t_l:.2f} s, {n_lps / t_l:.0f} LPs/s")
    print(f"  highspy / linprog time ratio: {t_h / t_l:.2f}")
    if not np.allclose(v_h, v_l, rtol=1e-7, atol=1e-9):
        print("  MISMATCH: the optima differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
