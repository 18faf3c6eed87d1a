"""Benchmark: near-duplicate neurons, where float LPs go blind, answered exactly.

For each of ``--count`` networks ``vqgeom.catalogue.near_duplicates(seed)`` (D = ``--dim``,
default 3, on [-1, 1]^D, hidden widths ``--widths``, three rows replaced by near-copies perturbed by
1e-6 .. 1e-14) it runs the exact LP engine (the in-run baseline; it reports ``lp`` or
``lp+cdd`` where cddlib's exact LPs had to decide) and the exact cdd engine, verifies both
partitions (``Partition.verify``), checks that they are identical (codes, adjacencies,
flipped neurons), and prints per network and in total: regions, time, exact LPs, and the
cdd / lp time ratio. Any failure or mismatch is printed and makes the script exit with 1.

Before this engine existed the exact LP engine raised on 35 of the 40 default networks
(DegenerateInputError on 17, CertificateError on 18).

Run:  python benchmarks/bench_near_duplicates.py [--count 40] [--widths 8] [--dim 3] [--first 0]
"""

from __future__ import annotations

import argparse
import sys
import time


def _signature(part):
    edges = {(frozenset((part.codes[i], part.codes[j])), tuple(sorted(d["flips"])))
             for i, j, d in part.graph.edges(data=True)}
    return set(part.codes), edges


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--widths", type=int, nargs="+", default=[8], help="hidden widths (default 8)")
    parser.add_argument("--dim", type=int, default=3, help="input dimension (default 3)")
    args = parser.parse_args(argv)

    from vqgeom import enumerate_regions
    from vqgeom.catalogue import near_duplicates

    print(f"near-duplicate networks {args.dim}-{'-'.join(map(str, args.widths))} on [-1, 1]^{args.dim}, "
          f"seeds {args.first}..{args.first + args.count - 1}, exact")
    failures = 0
    total = {"lp": 0.0, "cdd": 0.0}
    engines = {}
    for seed in range(args.first, args.first + args.count):
        net = near_duplicates(seed, dim=args.dim, widths=tuple(args.widths))
        parts, times = {}, {}
        try:
            for name in ("lp", "cdd"):
                t = time.perf_counter()
                parts[name] = enumerate_regions(net, engine=name)
                times[name] = time.perf_counter() - t
                parts[name].verify()
        except Exception as exc:  # report every network, then fail
            print(f"  seed {seed:>3}: FAILED ({type(exc).__name__}: {str(exc)[:120]})")
            failures += 1
            continue
        lp, cdd = parts["lp"], parts["cdd"]
        same = _signature(lp) == _signature(cdd)
        failures += not same
        engines[lp.engine] = engines.get(lp.engine, 0) + 1
        for name in total:
            total[name] += times[name]
        print(f"  seed {seed:>3}: {lp.n_regions:>4} regions, {lp.n_adjacencies:>4} adjacencies; "
              f"{lp.engine:<6} {times['lp']:6.2f} s ({getattr(lp, 'n_exact_lps', 0):>3} exact LPs), "
              f"cdd {times['cdd']:6.2f} s ({cdd.n_lps} exact LPs), ratio cdd/lp "
              f"{times['cdd'] / times['lp']:.2f}{'' if same else '  MISMATCH'}")
    answered = sum(engines.values())
    print(f"  answered {answered} of {args.count} ({', '.join(f'{k}: {v}' for k, v in sorted(engines.items()))}); "
          f"total lp {total['lp']:.1f} s, cdd {total['cdd']:.1f} s, ratio cdd/lp "
          f"{total['cdd'] / max(total['lp'], 1e-9):.2f}")
    if failures:
        print(f"{failures} network(s) failed or disagreed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
