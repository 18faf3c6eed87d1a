"""Benchmark: the exact 1-D interval engine against its previous per-region algorithm.

Three networks, exact arithmetic, each timed with the current engine
(:func:`vqgeom.regions.interval.enumerate_partition`, breakpoint propagation) and with the
previous algorithm (kept below, for this benchmark only: every piece carries its affine map
and every new piece multiplies it through the layer in Fractions). The two partitions are
checked to be identical (codes, witnesses, edges with flips and facet witnesses).

(a) the 1-1023 shallow equivalent of the depth-10 tent sawtooth on [0, 1];
(b) the depth-10 tent sawtooth itself on [0, 1];
(c) a random 1-64-64-64 ReLU network (He-scaled normal weights, seed 0) on [-1, 1].

Run: ``python benchmarks/bench_interval.py`` (about a minute, mostly the old algorithm).
"""

from __future__ import annotations

import time
from fractions import Fraction
from itertools import pairwise

import numpy as np

from vqgeom import Network
from vqgeom.catalogue import sawtooth, shallow_equivalent
from vqgeom.regions import Box
from vqgeom.regions.interval import enumerate_partition
from vqgeom.regions.partition import Partition

__all__ = []


def _interior_point(a, b, one):
    if a is None and b is None:
        return one * 0
    if a is None:
        return b - one
    if b is None:
        return a + one
    return (a + b) / 2


def _fraction_output_map(lay, M, m, signs):
    """The previous per-layer map step, in Fraction object arrays (the baseline's)."""
    s = lay.slopes(signs)
    PM, pm = (lay.weight @ M) * s[:, None], (lay.weight @ m + lay.bias) * s
    if lay.out is not None:
        PM, pm = lay.out @ PM, lay.out @ pm
    if lay.skip is not None:
        PM, pm = PM + lay.skip @ M, pm + lay.skip @ m
    if lay.out_bias is not None:
        pm = pm + lay.out_bias
    return PM, pm


def previous_enumerate(net, domain):
    """The previous exact algorithm (baseline): per-piece affine maps, per-region products."""
    start = time.perf_counter()
    net = net.to_exact()
    one, zero = Fraction(1), Fraction(0)
    lo, hi = domain.lower[0], domain.upper[0]
    M0 = np.array([[one]], dtype=object)
    m0 = np.array([zero], dtype=object)
    pieces = [(lo, hi, (), M0, m0)]
    for lay in net.layers:
        new = []
        for a, b, code, M, m in pieces:
            slope = lay.weight @ M[:, 0]
            offset = lay.weight @ m + lay.bias
            cuts = set()
            for s, c in zip(slope, offset):
                if s != 0:
                    r = -c / s
                    if r > a and r < b:
                        cuts.add(r)
            bounds = [a, *sorted(cuts), b]
            for k in range(len(bounds) - 1):
                ka, kb = bounds[k], bounds[k + 1]
                x = _interior_point(ka, kb, one)
                signs = np.asarray(slope * x + offset >= 0, dtype=bool)
                M2, m2 = _fraction_output_map(lay, M, m, signs)
                new.append((ka, kb, code + (tuple(bool(v) for v in signs),), M2, m2))
        pieces = new
    codes = [p[2] for p in pieces]
    witnesses = [(_interior_point(p[0], p[1], one),) for p in pieces]
    edges = []
    for i in range(len(pieces) - 1):
        flips = tuple((l, j) for l, (u, v) in enumerate(zip(codes[i], codes[i + 1], strict=True))
                      for j, (su, sv) in enumerate(zip(u, v)) if su != sv)
        edges.append((i, i + 1, flips, (pieces[i][1],)))
    return Partition(net, domain, codes, witnesses, edges, arithmetic="exact",
                     engine="interval-previous", seconds=time.perf_counter() - start)


def _edges(part):
    return sorted((i, j, d["flips"], d["facet_witness"]) for i, j, d in part.graph.edges(data=True))


def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    rng = np.random.default_rng(0)
    widths = (1, 64, 64, 64)
    rand = Network([{"weight": rng.normal(size=(o, i)) * np.sqrt(2 / i), "bias": rng.normal(size=o) * 0.5}
                    for i, o in pairwise(widths)]).to_exact()
    box01 = Box(0, 1)
    cases = [
        ("(a) shallow 1-1023 (sawtooth-10 equivalent), [0, 1]", shallow_equivalent(sawtooth(10), box01), box01),
        ("(b) tent sawtooth, depth 10, [0, 1]", sawtooth(10), box01),
        ("(c) random 1-64-64-64 ReLU, [-1, 1]", rand, Box(-1, 1)),
    ]
    print(f"{'case':<54}{'regions':>8}{'new s':>10}{'previous s':>12}{'speed-up':>10}")
    for name, net, dom in cases:
        t_new, part = _best(lambda net=net, dom=dom: enumerate_partition(net, dom, arithmetic="exact"), 3)
        t_old, ref = _best(lambda net=net, dom=dom: previous_enumerate(net, dom), 1)
        if part.codes != ref.codes or part.witnesses != ref.witnesses or _edges(part) != _edges(ref):
            raise SystemExit(f"{name}: the two algorithms disagree")
        print(f"{name:<54}{part.n_regions:>8}{t_new:>10.3f}{t_old:>12.3f}{t_old / t_new:>9.0f}x")


if __name__ == "__main__":
    main()
