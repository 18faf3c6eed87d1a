"""Benchmark: the any-dimension LP engine on a 3-32-32 MLP over [-1, 1]^3.

Enumerates the activation regions of a 3-input network with two hidden layers of 32 ReLUs
(PyTorch's default initialisation, ``torch.manual_seed(seed)``) with the LP facet walk, in
float mode (the in-run baseline) and in exact mode (every region and facet certified in
rational arithmetic), and prints region counts, regions per second, the number of LPs and
the exact/float time ratio. The two modes must find the same regions and adjacencies; a
mismatch is printed and makes the script exit with status 1.

Run:  python benchmarks/bench_regions_nd.py [--seed 0] [--widths 3 32 32] [--box 1]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench_regions import _mlp  # the same torch-default-initialised MLP


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--widths", type=int, nargs="+", default=[3, 32, 32],
                        help="input dimension then hidden widths (default 3 32 32)")
    parser.add_argument("--box", type=float, default=1.0, help="half-width of the box [-b, b]^D")
    args = parser.parse_args(argv)

    import vqgeom
    from vqgeom.regions.domain import Box
    from vqgeom.regions.lp import enumerate_partition

    net = vqgeom.Network.from_torch(_mlp(args.seed, args.widths))
    D = args.widths[0]
    box = Box(-args.box, args.box, dim=D)
    arch = "-".join(map(str, args.widths))
    print(f"{arch} MLP (torch default init, seed {args.seed}) on [-{args.box:g}, {args.box:g}]^{D}, "
          f"LP engine")
    results = {}
    for arithmetic in ("float", "exact"):
        t = time.perf_counter()
        part = enumerate_partition(net, box, arithmetic=arithmetic)
        dt = time.perf_counter() - t
        results[arithmetic] = (part, dt)
        print(f"  {arithmetic:>5}: {part.n_regions} regions, {part.n_adjacencies} adjacencies, "
              f"{part.n_lps} LPs ({part.n_lps / part.n_regions:.1f} per region), {dt:.2f} s, "
              f"{part.n_regions / dt:.1f} regions/s")
    (pf, tf), (pe, te) = results["float"], results["exact"]
    print(f"  exact/float time ratio: {te / tf:.2f}")
    edges = lambda p: {frozenset((p.codes[i], p.codes[j])) for i, j in p.graph.edges()}
    if set(pf.codes) != set(pe.codes) or edges(pf) != edges(pe):
        print("MISMATCH: float and exact modes found different partitions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
