"""Exact region lookup (Partition.region_of) on many points, same run:
float filter with a rigorous error bound + exact fallback (what region_of does), exact
python-flint rational matrices for every point, and Fraction object arrays (the baseline).

Run: python benchmarks/bench_region_lookup.py
"""

import time

import numpy as np

from vqgeom import Network, enumerate_regions
from vqgeom.network import as_points
from vqgeom.exact.arith import context


def fraction_signs(net, P):
    """The baseline: signs from Fraction object arrays (plain ReLU layers only)."""
    out, z = [], P
    for lay in net.layers:
        pre = z @ lay.weight.T + lay.bias
        out.append(pre >= 0)
        z = np.where(pre >= 0, pre, 0 * pre)
    return out


def main(n_points=20000, n_baseline=1000):
    rng = np.random.default_rng(0)
    net = Network([{"weight": rng.normal(size=(16, 2)), "bias": rng.normal(size=16) * 0.5},
                   {"weight": rng.normal(size=(16, 16)), "bias": rng.normal(size=16) * 0.5}])
    part = enumerate_regions(net, engine="polygon")
    X = rng.uniform(-1, 1, size=(n_points, 2))
    t = time.perf_counter()
    labels = part.region_of(X)
    t_filter = time.perf_counter() - t
    P = as_points(X, 2, exact=True)
    t = time.perf_counter()
    flint_signs = context(part.net, "exact").signs(P)
    t_flint = time.perf_counter() - t
    t = time.perf_counter()
    frac_signs = fraction_signs(part.net, P[:n_baseline])
    t_frac = (time.perf_counter() - t) * n_points / n_baseline
    assert all(np.array_equal(a[0][:n_baseline], b) for a, b in zip(flint_signs, frac_signs))
    assert np.array_equal(
        np.concatenate([a for a, _ in context(part.net, "filtered").signs(X)], axis=1),
        np.concatenate([a for a, _ in flint_signs], axis=1))
    print(f"{part.n_regions} regions, {n_points} points ({int(np.sum(labels >= 0))} looked up)")
    print(f"  region_of (float filter + exact fallback): {t_filter:7.3f} s")
    print(f"  exact flint matrices for every point:      {t_flint:7.3f} s")
    print(f"  Fraction arrays (from {n_baseline} points):     {t_frac:7.3f} s")
    print(f"  speed-up of region_of over Fraction: {t_frac / t_filter:.0f}x")


if __name__ == "__main__":
    main()
