"""``vqgeom counterexample``: search small networks for a violation of a claim.

Exit code (grep's convention): 0 when a counterexample was found (and saved with ``--out``),
1 when none was found within the budget (expected when no hypothesis is relaxed: the lemmas
are theorems), 2 for a usage error.
"""

from __future__ import annotations

import json

from vqgeom.cli._parallel import add_executor_options, executor_of

__all__ = ["add_parser", "run"]


def add_parser(sub):
    p = sub.add_parser(
        "counterexample", help="search small networks for a counterexample to a claim",
        description="Search small networks with small integer/rational weights (seeded) for a "
                    "violation of CLAIM with one hypothesis relaxed, shrink it, verify it exactly "
                    "and print the witness. Exit 0: found; 1: none within the budget; 2: usage error.")
    p.add_argument("claim", metavar="CLAIM", help="lemma1 or lemma2")
    p.add_argument("--relax", metavar="HYPOTHESIS",
                   help="lemma1: distinct_hyperplanes, facet_adjacency, convex_domain; "
                        "lemma2: generic, weights_le_1, activation_partition")
    p.add_argument("--dim", type=int, default=2, help="input dimension (default 2)")
    p.add_argument("--max-width", type=int, default=3, help="most neurons per layer (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator (default 0)")
    p.add_argument("--budget", type=int, default=200, help="most networks to check (default 200)")
    p.add_argument("--out", metavar="FILE", help="save the counterexample network (JSON network format)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_executor_options(p, "--workers")
    return p


def run(args) -> int:
    from vqgeom._paths import check_output_file
    from vqgeom.lemmas.counterexample import find_counterexample

    if args.out is not None:   # --out "" is an error, not "no output"
        check_output_file(args.out, "--out")
    res = find_counterexample(args.claim, args.relax, dim=args.dim, max_width=args.max_width,
                              seed=args.seed, budget=args.budget,
                              executor=executor_of(args, "--workers"))
    if res.found and args.out:
        res.network.to_json(args.out)  # atomic
    if args.json:
        print(json.dumps(res.to_dict(), indent=1))
    else:
        print(res.summary())
        if res.found and args.out:
            print(f"saved the network to {args.out} (domain: {res.domain!r}"
                  + (f", options: {res.options}" if res.options else "") + ")")
    return 0 if res.found else 1
