"""Benchmark: any-D region enumeration, the subdivision engine against the LP engine.

The issue-8 table: MLPs with PyTorch's default initialisation (``torch.manual_seed(seed)``)
on [-1, 1]^D, enumerated with the subdivision engine (float complex; float complex + exact
certificate) and, in the same run as the baseline, with the LP facet walk (float and exact).
For each it prints regions, adjacencies, wall-clock and CPU seconds (``time.process_time``:
on a shared machine the wall clock also counts other people's jobs; the subdivision engine
runs on one thread), regions per wall-clock second and the ratio of the LP time to the
subdivision time (CPU). The engines must agree (codes and adjacencies); a mismatch,
or an exact run that fell back to the LP engine, is reported and makes the script exit with
status 1.

The LP engine takes about 270 s (float) and 1,000 s (exact) on 3-64-64, so it is skipped
there unless ``--lp-large`` is given; the table then says "skipped".

Edge subdivision as published (Berzins, ICML 2023; PyTorch, float32, one CPU thread), as
measured elsewhere on this kind of machine and quoted in the issue, is printed beside it:
subdivision alone / with regions and adjacencies read off.

Measured on the 2-core development machine shared with six other jobs (load 6-11, so wall
times are 3-8x the CPU times; 2026-11-29), CPU seconds, subdivision float / exact (lp float /
exact): 3-32-32:0 0.36 / 1.91 (34 / 88); 3-32-32:1 0.14 / 1.57 (18 / 58); 4-16-16:0
0.22 / 1.59 (17 / 41); 3-64-64:0 3.4 / 16.2 (lp skipped). All partitions agreed.

Run:  python benchmarks/bench_regions_nd.py [--nets 3-32-32:0 ...] [--lp-large] [--no-lp]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench_regions import _mlp  # the same torch-default-initialised MLP

NETS = ["3-32-32:0", "3-32-32:1", "4-16-16:0", "3-64-64:0"]
#: the issue's edge-subdivision figures (seconds): subdivision alone, with regions read off
BERZINS = {"3-32-32:0": (0.14, 0.42), "3-32-32:1": (0.10, 0.29), "4-16-16:0": (0.07, 0.49),
           "3-64-64:0": (2.5, 5.8)}
LARGE = {"3-64-64:0"}


def _edges(p):
    return {frozenset((p.codes[i], p.codes[j])) for i, j in p.graph.edges()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=NETS,
                        help="networks as widths:seed, e.g. 3-32-32:0 (default: the issue's four)")
    parser.add_argument("--lp-large", action="store_true", help="also run the LP engine on 3-64-64")
    parser.add_argument("--no-lp", action="store_true", help="skip the LP baseline everywhere")
    parser.add_argument("--device", default="cpu", help="device of the float complex (cpu, cuda)")
    args = parser.parse_args(argv)

    import vqgeom
    from vqgeom.regions import lp, subdivision
    from vqgeom.regions.domain import Box

    bad = 0
    print("network      mode   | subdivision: regions adjacencies  wall s  cpu s  regions/s "
          "| lp: wall s  cpu s  regions/s | lp/subdivision (cpu) | edge subdivision elsewhere "
          "(alone / read off)")
    for spec in args.nets:
        arch, seed = spec.split(":")
        widths = [int(w) for w in arch.split("-")]
        net = vqgeom.Network.from_torch(_mlp(int(seed), widths))
        box = Box(-1, 1, dim=widths[0])
        parts = {}
        for arithmetic in ("float", "exact"):
            t, c = time.perf_counter(), time.process_time()
            ps = subdivision.enumerate_partition(net, box, arithmetic=arithmetic, device=args.device)
            ts, cs = time.perf_counter() - t, time.process_time() - c
            if ps.engine != "subdivision":
                print(f"  {spec} {arithmetic}: the subdivision engine fell back to {ps.engine}", file=sys.stderr)
                bad = 1
            run_lp = not args.no_lp and (spec not in LARGE or args.lp_large)
            if run_lp:
                t, c = time.perf_counter(), time.process_time()
                pl = lp.enumerate_partition(net.to_exact() if arithmetic == "exact" else net, box,
                                            arithmetic=arithmetic)
                tl, cl = time.perf_counter() - t, time.process_time() - c
                if set(pl.codes) != set(ps.codes) or _edges(pl) != _edges(ps):
                    print(f"MISMATCH on {spec} {arithmetic}: lp and subdivision differ", file=sys.stderr)
                    bad = 1
                lp_txt = f"{tl:10.2f} {cl:6.2f} {pl.n_regions / tl:10.0f} | {cl / cs:19.1f}x"
            else:
                lp_txt = f"{'skipped':>28} | {'':>20}"
            parts[arithmetic] = ps
            ref = BERZINS.get(spec)
            ref_txt = f"{ref[0]:.2f} s / {ref[1]:.2f} s" if ref else "-"
            print(f"{spec:<12} {arithmetic:<6} | {ps.n_regions:21d} {ps.n_adjacencies:11d} {ts:7.2f} "
                  f"{cs:6.2f} {ps.n_regions / ts:10.0f} | {lp_txt} | {ref_txt}", flush=True)
        pf, pe = parts["float"], parts["exact"]
        if set(pf.codes) != set(pe.codes) or _edges(pf) != _edges(pe):
            print(f"MISMATCH on {spec}: float and exact subdivision differ", file=sys.stderr)
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
