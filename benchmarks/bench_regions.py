"""Benchmark: region enumeration of a 2-96-96-96 MLP on [-1, 1]^2 against Regioncam.

For seeds 0, 1, 2 (PyTorch's default initialisation) it enumerates the activation regions
with vqgeom's planar engine, in float and in exact (certified) mode, and with Regioncam
(``pip install regioncam``, a benchmark-only dependency) in the same run, and prints the
region counts of both (a mismatch, or an exact run that fell back to the polygon engine,
is reported loudly and makes the script exit with status 1), the times, and the ratios
vqgeom/Regioncam and exact/float. Times are given for the engine alone (the float
subdivision; the subdivision plus its exact certificate) and for the full
``enumerate_regions`` call, which also builds the Partition object. Each timing is the
best of ``--repeat`` runs.

The any-D LP engine has its own benchmark: ``benchmarks/bench_regions_nd.py`` (3-32-32 on
[-1, 1]^3, regions per second, exact vs float).

Run:  python benchmarks/bench_regions.py [--repeat 3] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
import time


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _mlp(seed, widths):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    mods = []
    for a, b in zip(widths[:-1], widths[1:]):
        mods += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*mods)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)

    import vqgeom
    from vqgeom.regions.engines import enumerate_regions

    try:
        import regioncam
    except ImportError:
        regioncam = None
        print("regioncam is not installed (pip install regioncam): no baseline")

    from vqgeom.regions import planar
    from vqgeom.regions.domain import Box

    box = Box(-1, 1, dim=2)
    mismatches = 0
    rows = []
    print("2-96-96-96 MLP on [-1, 1]^2, torch default init (best of %d runs)" % args.repeat)
    print("  engine: the planar engine alone (float subdivision; + exact certificate);")
    print("  full:   vqgeom.enumerate_regions, i.e. also the Partition object (codes as tuples,")
    print("          networkx graph, polygons) and, in exact mode, the network's conversion to rationals")
    print(f"{'seed':>4} {'regions':>8} {'regioncam':>9} {'rc s':>6} | {'float':>6} {'full':>6} "
          f"{'/rc':>5} {'full/rc':>7} | {'exact':>6} {'full':>6} {'/float':>6} {'full/full':>9}")
    for seed in args.seeds:
        module = _mlp(seed, [2, 96, 96, 96])
        net = vqgeom.Network.from_torch(module)
        t_rc, n_rc = float("nan"), None
        if regioncam is not None:
            def run_rc():
                rc = regioncam.Regioncam(size=1.0)   # the square [-1, 1]^2
                rc.add(regioncam.nn.convert(module))
                return rc.num_faces
            t_rc, n_rc = _best(run_rc, args.repeat)
        t_sub, sub = _best(lambda: planar.float_subdivision(net, box), args.repeat)
        t_cert, _ = _best(lambda: planar.certify(net, box, planar.float_subdivision(net, box)),
                          max(1, args.repeat - 1))
        t_f, part_f = _best(lambda: enumerate_regions(net, arithmetic="float", engine="planar"),
                            args.repeat)
        t_e, part_e = _best(lambda: enumerate_regions(net, arithmetic="exact", engine="planar"),
                            max(1, args.repeat - 1))
        n = part_f.n_regions
        if part_e.n_regions != n or part_e.engine != "planar":
            print(f"MISMATCH seed {seed}: float engine {n} regions, exact mode {part_e.n_regions} "
                  f"(engine {part_e.engine})")
            mismatches += 1
        if n_rc is not None and n_rc != n:
            print(f"MISMATCH seed {seed}: vqgeom {n} regions, Regioncam {n_rc}")
            mismatches += 1
        rows.append((t_rc, t_sub, t_f, t_cert, t_e))
        print(f"{seed:>4} {n:>8} {n_rc if n_rc is not None else '-':>9} {t_rc:>6.3f} | {t_sub:>6.3f} "
              f"{t_f:>6.3f} {t_sub / t_rc:>5.2f} {t_f / t_rc:>7.2f} | {t_cert:>6.3f} {t_e:>6.3f} "
              f"{t_cert / t_sub:>6.2f} {t_e / t_f:>9.2f}")
    if rows:
        rc, sb, fl, ce, ex = (sum(r[i] for r in rows) for i in range(5))
        print(f"total: Regioncam {rc:.3f} s; float engine {sb:.3f} s = {sb / rc:.2f}x Regioncam "
              f"(full {fl:.3f} s = {fl / rc:.2f}x; target <= 3x); exact engine {ce:.3f} s = "
              f"{ce / sb:.2f}x float engine (full {ex:.3f} s = {ex / fl:.2f}x full float; target <= 10x)")

    if mismatches:
        print(f"{mismatches} MISMATCH(ES) — see above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
