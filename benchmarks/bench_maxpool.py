"""Benchmark: a trained digits CNN with max pooling on the plane through three test digits.

The CNN (3x3 convolution, 2 channels, padding 1; ReLU; 2x2 max pool; 3x3 convolution, 4
channels, padding 1; ReLU; linear to 10) is trained on the bundled digits; the plane goes
through the first test digits of classes 1, 7, 6, (u, v) in [-0.25, 1.25]^2. In the same run it
times, best of ``--repeat``, the engines that take max layers:

* ``polygon`` (the baseline): each cell split into the convex argmax cells of every window,
  in exact rationals (float mode returns floats of the same exact split);
* ``planar`` through the tournament: the max layers rewritten as ReLU units
  (max(m, c) = m + relu(c - m)), the planar engine on that network, the regions merged by
  (ReLU code, argmax code); float, and exact (certified).

It prints the region counts (a mismatch makes the script exit with status 1), the times and
the ratios to ``polygon`` exact.

Run:  python benchmarks/bench_maxpool.py [--repeat 2] [--seed 0] [--epochs 150] [--no-exact-planar]
"""

from __future__ import annotations

import argparse
import sys
import warnings

from bench_regions import _best  # best-of-n wall time, shared with the other region benchmarks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--no-exact-planar", action="store_true", help="skip the slow certified planar run")
    args = parser.parse_args(argv)

    import vqgeom
    from vqgeom.datasets import digits
    from vqgeom.digit_models import digits_maxpool_cnn, three_digits, train_on_digits

    split = digits(rng=args.seed)
    model = digits_maxpool_cnn((2, 4), seed=args.seed)
    acc = train_on_digits(model, split, epochs=args.epochs)
    X, y = three_digits(split, classes=(1, 7, 6))
    plane = vqgeom.Plane(*X)
    net = vqgeom.Network.from_torch(model)
    print(f"digits max-pool CNN {net!r}, test accuracy {acc:.3f}; plane through test digits {y.tolist()} "
          f"(best of {args.repeat} runs)")
    runs = [("polygon", "exact"), ("polygon", "float"), ("planar", "float")]
    if not args.no_exact_planar:
        runs.append(("planar", "exact"))
    results = []
    for engine, arithmetic in runs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, part = _best(lambda: vqgeom.enumerate_regions(net, plane, engine=engine, arithmetic=arithmetic),
                            args.repeat)
        results.append((engine, arithmetic, part, t))
    base = results[0][3]
    counts = {(p.n_regions, p.n_adjacencies) for _, _, p, _ in results}
    for engine, arithmetic, part, t in results:
        print(f"  {part.engine:<20} {arithmetic:<5} {part.n_regions:>6} regions {part.n_adjacencies:>6} "
              f"adjacencies  {t:8.3f} s  ratio to polygon exact {t / base:6.2f}")
    if len(counts) != 1:
        print("MISMATCH: the engines disagree")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
