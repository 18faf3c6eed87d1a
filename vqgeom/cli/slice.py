"""``vqgeom slice``: a network on the plane (or line) through data points, exactly.

Examples::

    vqgeom slice cnn.pt --points X.npy --rows 0 1 2                 # the plane through X[0], X[1], X[2]
    vqgeom slice net.json --points X.npy --rows 3 7 --json          # the line through X[3], X[7]
    vqgeom slice cnn.pt --points X.npy --rows 0 1 2 --labels y.npy --out plane.png
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]


def add_parser(sub):
    from vqgeom.cli._network_arg import add_trust_pickle

    p = sub.add_parser(
        "slice",
        help="regions, decision regions and the Lemma 2 slack on a plane or line through data points",
        description="Restrict a network (a .json / .npz network, or a torch file holding a module: MLP, "
                    "CNN, residual net) to the plane through three rows of a points array (or the line "
                    "through two), enumerate its activation regions there exactly, and report the "
                    "decision regions and the Lemma 2 slack d_Omega - d over all region pairs.",
    )
    p.add_argument("model", metavar="MODEL", help="network file (.json, .npz) or torch file (.pt, .pth)")
    add_trust_pickle(p)
    p.add_argument("--points", required=True, metavar="P.npy",
                   help="array of data points, shape (N, D) or (N, C, H, W)")
    p.add_argument("--rows", required=True, nargs="+", type=int, metavar="I",
                   help="two rows (a line) or three rows (a plane) of the points array")
    p.add_argument("--labels", metavar="Y.npy", help="labels of the points (shown in the figure and the report)")
    p.add_argument("--lo", default="-0.25", help="lower end of the slice coordinates (default -0.25)")
    p.add_argument("--hi", default="1.25", help="upper end of the slice coordinates (default 1.25)")
    p.add_argument("--float", action="store_true", help="float arithmetic instead of exact rationals")
    p.add_argument("--max-regions", type=int, default=None, metavar="N",
                   help="stop with an error when more than N regions exist")
    p.add_argument("--no-histogram", action="store_true", help="skip the slack histogram over all region pairs")
    p.add_argument("--out", metavar="FIG.png", help="draw the slice (regions by d_Omega from the first "
                                                    "point, decision boundary, slack histogram)")
    from vqgeom.cli._common import add_json_option, add_progress_options

    add_json_option(p, "the report")
    add_progress_options(p)
    return p


def _load_array(path, option):
    import numpy as np

    from vqgeom.errors import InvalidInputError

    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InvalidInputError(f"{option}: cannot read {str(path)!r} as a .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise InvalidInputError(f"{option}: {str(path)!r} holds several arrays (.npz); give one .npy array")
    return arr


def _load_model(path, allow_pickle):
    from pathlib import Path

    from vqgeom.errors import InvalidInputError

    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"MODEL: file {str(p)!r} does not exist")
    if p.suffix.lower() in (".pt", ".pth"):
        from vqgeom._torch import load_torch_file

        return load_torch_file(p, allow_pickle=allow_pickle).eval()
    from vqgeom.network import load_network

    return load_network(p)


def run(args) -> int:
    from vqgeom._paths import check_output_file
    from vqgeom.errors import InvalidInputError
    from vqgeom.regions.engines import enumerate_regions
    from vqgeom.regions.slices import Line, Plane
    from vqgeom.cli._common import check_json_target, emit_json, progress_wanted
    from vqgeom.slice_figure import slice_figure, slice_summary

    check_json_target(args)
    if args.out:
        check_output_file(args.out, "--out")
    if len(args.rows) not in (2, 3):
        raise InvalidInputError(f"--rows takes two rows (a line) or three (a plane), got {len(args.rows)}")
    if args.max_regions is not None and args.max_regions < 1:
        raise InvalidInputError(f"--max-regions must be a positive integer, got {args.max_regions}")
    P = _load_array(args.points, "--points")
    if P.ndim < 2 or P.shape[0] == 0:
        raise InvalidInputError(f"--points must hold an array of points, shape (N, D) or (N, C, H, W), got "
                                f"shape {P.shape}")
    for r in args.rows:
        if not 0 <= r < P.shape[0]:
            raise InvalidInputError(f"--rows: row {r} is not in [0, {P.shape[0]}) (the points array has "
                                    f"{P.shape[0]} rows)")
    labels = None
    if args.labels:
        y = _load_array(args.labels, "--labels")
        if y.shape[:1] != P.shape[:1]:
            raise InvalidInputError(f"--labels must have {P.shape[0]} entries (one per point), got shape {y.shape}")
        labels = [y[r].item() for r in args.rows]
    lo, hi = args.lo.strip(), args.hi.strip()
    pts = [P[r] for r in args.rows]
    sl = Plane(*pts, lo=lo, hi=hi) if len(pts) == 3 else Line(*pts, lo=lo, hi=hi)
    model = _load_model(args.model, args.trust_pickle)
    progress = progress_wanted(args)
    part = enumerate_regions(model, sl, arithmetic="float" if args.float else "exact",
                             max_regions=args.max_regions, progress=progress)
    decision = None
    has_classes = part.net.output_dim >= 2
    if has_classes and not args.float:
        from vqgeom.regions.decision import decision_regions

        decision = decision_regions(part)
    flat = [p.reshape(-1) for p in pts]
    info = slice_summary(part, points=flat, labels=labels, decision=decision, histogram=not args.no_histogram)
    info["rows"] = list(args.rows)
    if args.out:
        hist = None
        if "slack_histogram" in info:
            hist = {float(k) if k == "inf" else int(k): v for k, v in info["slack_histogram"].items()}
        slice_figure(part, points=flat, labels=labels, decision=decision, hist=hist, path=args.out,
                     title=f"{sl.kind} through rows {', '.join(map(str, args.rows))} of {args.points}")
        info["out"] = str(args.out)
    if args.json:
        emit_json(args, info)
    if args.json == "-":
        return 0
    print(f"{info['n_regions']} regions, {info['n_adjacencies']} adjacencies on the {sl.kind} through rows "
          f"{', '.join(map(str, args.rows))} ({info['arithmetic']}, engine {info['engine']}, "
          f"{info['seconds']:.3f} s)")
    print("generic: every facet flips exactly one neuron" if info["generic"]
          else "not generic: some facet flips more than one neuron")
    if "d_omega_from_first" in info:
        print(f"from the first point: d_Omega {info['d_omega_from_first']}, d {info['d_from_first']}")
    if decision is not None:
        print(f"{info['n_decision_regions']} decision regions (classes {info['classes']}), "
              f"{info['n_pieces']} pieces, {info['n_boundary_segments']} boundary segments")
    if "slack_histogram" in info:
        print(f"Lemma 2 {'holds' if info['lemma2_holds'] else 'FAILS'} on all region pairs; slack d_Omega - d: "
              + ", ".join(f"{k}: {v}" for k, v in info["slack_histogram"].items()))
    if args.out:
        print(f"figure saved to {args.out}")
    return 0
