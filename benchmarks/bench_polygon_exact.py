"""Exact 2-D polygon engine: python-flint's fmpq against fractions.Fraction, same run.

Run: python benchmarks/bench_polygon_exact.py
Prints regions, seconds for each number type and the ratio Fraction / fmpq.
"""

import time

import numpy as np

from vqgeom import Network
from vqgeom.regions import Box
from vqgeom.regions.polygon import enumerate_partition


def torch_default_mlp(widths, rng):
    """Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases (PyTorch's default)."""
    layers, d = [], 2
    for w in widths:
        b = 1 / np.sqrt(d)
        layers.append({"weight": rng.uniform(-b, b, size=(w, d)), "bias": rng.uniform(-b, b, size=w)})
        d = w
    return Network(layers)


def main():
    box = Box(-1, 1, dim=2)
    for widths in [(16, 16), (32, 32), (24, 24, 24)]:
        net = torch_default_mlp(widths, np.random.default_rng(0))
        times = {}
        for kind in ("fmpq", "fraction"):
            t = time.perf_counter()
            part = enumerate_partition(net, box, number_type=kind)
            times[kind] = time.perf_counter() - t
        arch = "-".join(map(str, (2, *widths)))
        print(f"{arch:>12}: {part.n_regions:5d} regions  fmpq {times['fmpq']:6.2f}s  "
              f"Fraction {times['fraction']:6.2f}s  ratio Fraction/fmpq {times['fraction'] / times['fmpq']:.1f}x")


if __name__ == "__main__":
    main()
