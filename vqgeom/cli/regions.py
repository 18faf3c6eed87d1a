"""``vqgeom regions``: enumerate a network's activation regions and their adjacencies.

Examples::

    vqgeom regions net.json                     # exact, on [-1, 1]^D
    vqgeom regions net.json --box -2 2 --json   # one JSON object on stdout
    vqgeom regions net.json --whole --out part.json
    vqgeom regions net.json --workers 2         # pieces of the box on 2 local processes
    vqgeom regions net.json --scheduler tcp://10.0.0.1:8786   # on a Dask cluster
"""

from __future__ import annotations

from vqgeom.cli._parallel import add_executor_options, executor_of

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option, add_progress_options
    from vqgeom.cli._network_arg import add_trust_pickle

    p = sub.add_parser(
        "regions",
        help="enumerate the activation regions of a network and their facet adjacencies",
        description="Enumerate the activation partition Omega of a network on a box or on all of R^D "
                    "(exactly by default), with the graph of regions sharing a facet.",
    )
    p.add_argument("network", metavar="NET", help="network file (.json, .npz, .pt)")
    add_trust_pickle(p)
    dom = p.add_mutually_exclusive_group()
    dom.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                     help="the box [LO, HI]^D (default -1 1); numbers such as -0.5 or fractions "
                          "such as 1/3 (write a negative fraction with a leading space: ' -1/3')")
    dom.add_argument("--whole", action="store_true", help="all of R^D (handled exactly)")
    p.add_argument("--float", action="store_true", help="float arithmetic instead of exact rationals")
    p.add_argument("--engine", default="auto",
                   help="interval, polygon, planar, lp, cdd, subdivision or auto (default: auto)")
    p.add_argument("--max-regions", type=int, default=None, metavar="N",
                   help="stop with an error when more than N regions exist")
    p.add_argument("--max-memory", metavar="SIZE", default=None,
                   help="stop with an error (and the count so far) before the run would take more "
                        "memory than SIZE, e.g. 512M or 8G (default: 3/4 of the memory available)")
    add_json_option(p, "the summary")
    add_progress_options(p)
    p.add_argument("--out", metavar="FILE", help="save the partition (JSON) to FILE")
    add_executor_options(p, "--workers")
    return p


def _summary(part) -> dict:
    return {
        "n_regions": part.n_regions,
        "n_adjacencies": part.n_adjacencies,
        "input_dim": part.input_dim,
        "widths": list(part.net.widths),
        "domain": part.domain.to_dict(),
        "arithmetic": part.arithmetic,
        "engine": part.engine,
        "generic": part.is_generic,
        "n_non_generic_facets": len(part.non_generic_facets()),
        "seconds": round(float(part.seconds or 0.0), 6),
        **({"fallback_reason": part.fallback_reason} if getattr(part, "fallback_reason", None) else {}),
    }


def run(args) -> int:
    from vqgeom.cli._signals import run_terminable

    return run_terminable("regions", _run, args)


def _run(args) -> int:
    from vqgeom.errors import InvalidInputError
    from vqgeom.cli._network_arg import load_network_arg
    from vqgeom.regions.domain import Box
    from vqgeom.regions.engines import enumerate_regions

    from vqgeom._memory import parse_size
    from vqgeom._paths import check_output_file
    from vqgeom.cli._common import check_json_target, emit_json, progress_wanted

    check_json_target(args)
    if args.out is not None:   # --out "" is an error, not "no output"
        check_output_file(args.out, "--out")
    max_memory = None if args.max_memory is None else parse_size(args.max_memory, "--max-memory")
    net = load_network_arg(args)
    if args.whole:
        domain = "whole"
    elif args.box is not None:
        domain = Box(args.box[0], args.box[1], dim=net.input_dim)
    else:
        domain = None
    if args.max_regions is not None and args.max_regions < 1:
        raise InvalidInputError(f"--max-regions must be a positive integer, got {args.max_regions}")
    progress = progress_wanted(args)
    part = enumerate_regions(net, domain, arithmetic="float" if args.float else "exact",
                             engine=args.engine, max_regions=args.max_regions, progress=progress,
                             max_memory=max_memory, executor=executor_of(args, "--workers"))
    if args.out:
        part.save(args.out)
    info = _summary(part)
    if args.out:
        info["out"] = str(args.out)
    if args.json:
        emit_json(args, info)
    if args.json != "-":
        dom = info["domain"]
        where = "R^%d" % info["input_dim"] if dom["type"] == "whole" else (
            "[" + ", ".join(f"[{a}, {b}]" for a, b in zip(dom["lower"], dom["upper"])) + "]")
        print(f"{info['n_regions']} regions, {info['n_adjacencies']} adjacencies on {where} "
              f"({info['arithmetic']}, engine {info['engine']}, {info['seconds']:.3f} s)")
        if info["generic"]:
            print("generic: every facet flips exactly one " + ("ReLU-type neuron (or only argmaxes)"
                                                              if part.net.has_max else "neuron"))
        else:
            print(f"not generic: {info['n_non_generic_facets']} facet(s) flip more than one "
                  + ("ReLU-type neuron" if part.net.has_max else "neuron"))
        if args.out:
            print(f"saved to {args.out}")
    return 0
