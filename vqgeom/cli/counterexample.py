"""``vqgeom counterexample``: search small networks for a violation of a claim.

Exit code (grep's convention): 0 when a counterexample was found (and saved with ``--out``),
1 when none was found within the budget (expected when no hypothesis is relaxed: the lemmas
are theorems), 2 for a usage error.
"""

from __future__ import annotations

import argparse

from vqgeom.cli._parallel import add_executor_options, executor_of

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option, add_progress_options

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
    p.add_argument("--out", metavar="FILE",
                   help="save the counterexample: its network, domain, options and verdict (JSON; "
                        "vqgeom regions and load_network read the network from it)")
    add_json_option(p, "the result")
    add_progress_options(p)
    add_executor_options(p, "--workers")
    return p


def run(args) -> int:
    from vqgeom._paths import check_output_file
    from vqgeom.cli._common import check_json_target, emit_json, progress_wanted
    from vqgeom.lemmas.counterexample import find_counterexample

    check_json_target(args)
    if args.out is not None:   # --out "" is an error, not "no output"
        check_output_file(args.out, "--out")
    res = find_counterexample(args.claim, args.relax, dim=args.dim, max_width=args.max_width,
                              seed=args.seed, budget=args.budget, progress=progress_wanted(args),
                              executor=executor_of(args, "--workers"))
    doc = res.to_dict()
    if res.found and args.out:
        emit_json(argparse.Namespace(json=args.out), doc, indent=1)  # atomic
    if args.json:
        emit_json(args, doc, indent=1)
    if args.json != "-":
        print(res.summary())
        if res.found and args.out:
            print(f"saved the counterexample to {args.out} (domain: {res.domain!r}"
                  + (f", options: {res.options}" if res.options else "") + ")")
    return 0 if res.found else 1
