"""``vqgeom kernel``: the VQ-Kernel of a set of points, written to a ``.npy`` file.

Examples::

    vqgeom kernel net.json --points X.npy --out K.npy
    vqgeom kernel net.json --points X.npy --weights 1,2,1 --per-layer --out K.npy

The file is written tile by tile into a temporary memory map and renamed at the end, so a
failed or interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import sys

__all__ = ["add_parser", "run", "parse_weights"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option, add_progress_options
    from vqgeom.cli._network_arg import add_trust_pickle

    p = sub.add_parser(
        "kernel",
        help="compute the VQ-Kernel (weighted Hamming distances of activation codes) of points",
        description="Compute K[i, j] = sum_l w_l * (number of layer-l neurons whose signs differ "
                    "at points i and j) and save it as a .npy file (int16/int32/int64 for integer "
                    "weights, float64 otherwise).",
    )
    p.add_argument("network", metavar="NET", help="network file (.json, .npz, .pt, .pth)")
    add_trust_pickle(p)
    p.add_argument("--points", required=True, metavar="X.npy", help="points, an (N, D) .npy array")
    p.add_argument("--points-y", metavar="Y.npy", help="second point set (default: the same points)")
    p.add_argument("--weights", metavar="W1,W2,...",
                   help="positive layer weights, one per layer (integers give an integer kernel)")
    p.add_argument("--per-layer", action="store_true",
                   help="save the (L, N, M) stack of weighted per-layer distances")
    p.add_argument("--device", default=None, help="torch device to compute on (e.g. cuda)")
    p.add_argument("--memory-budget", type=int, default=None, metavar="BYTES",
                   help="working memory for the tiles (default 512 MiB)")
    p.add_argument("--out", required=True, metavar="K.npy", help="output file (.npy)")
    add_json_option(p, "what was written (path, shape, dtype)")
    add_progress_options(p)
    return p


def parse_weights(text: str):
    """``"1,2,3"`` -> [1, 2, 3]; decimals give floats (``"1,0.5"`` -> [1.0, 0.5]).

    Numbers are read exactly first (bounded exponents, see :func:`vqgeom.exact.to_fraction`);
    integer values stay Python ints, so a kernel too large for int64 is refused by name
    rather than wrapped.

    >>> parse_weights("1, 2"), parse_weights("1,0.5"), parse_weights("1/2,1")
    ([1, 2], [1.0, 0.5], [0.5, 1.0])
    """
    from vqgeom.errors import InvalidInputError
    from vqgeom.exact import to_fraction

    items = [t.strip() for t in text.split(",")]
    if not items or any(not t for t in items):
        raise InvalidInputError(f"--weights must be a comma-separated list of numbers, got {text!r}")
    vals = []
    for t in items:
        try:
            vals.append(to_fraction(t, name="it"))
        except InvalidInputError as exc:
            raise InvalidInputError(f"--weights: {t[:40]!r} is not a number ({exc})") from None
    if all(v.denominator == 1 for v in vals):
        return [int(v) for v in vals]
    out = []
    for t, v in zip(items, vals):
        try:
            out.append(float(v))
        except OverflowError:
            raise InvalidInputError(f"--weights: {t[:40]!r} is too large for a float64 weight") from None
    return out


def _load_points(path, name):
    import numpy as np

    from vqgeom.errors import InvalidInputError

    try:   # memory-mapped first: a header that claims more data than the file holds is an error
        X = np.load(path, allow_pickle=False, mmap_mode="r")   # here, not a huge allocation
    except (OSError, ValueError, EOFError) as exc:
        raise InvalidInputError(f"{name}: cannot read {path!r} as a .npy array ({exc})") from None
    if not isinstance(X, np.ndarray):
        X.close()
        raise InvalidInputError(f"{name}: {path!r} is an .npz archive; give one (N, D) array saved with np.save")
    if X.dtype.kind not in "iuf":
        raise InvalidInputError(f"{name}: {path!r} must hold numbers, got dtype {X.dtype}")
    if X.ndim != 2:
        raise InvalidInputError(f"{name}: {path!r} must be an (N, D) array, got shape {X.shape}")
    return np.array(X)


def _check_space(args, net, X, Y, weights) -> None:
    """Refuse before any work when --out's folder cannot hold the kernel (vq_kernel checks
    again, and reserves the space, when it creates the file)."""
    import math
    from pathlib import Path

    from vqgeom._paths import check_free_space
    from vqgeom.kernels import _result_dtype, layer_weights

    w, kind = layer_weights(weights, net.depth)
    n = len(X) if Y is None else len(Y)
    shape = (net.depth, len(X), n) if args.per_layer else (len(X), n)
    nbytes = math.prod(shape) * _result_dtype(kind, w, net.widths).itemsize
    check_free_space(Path(args.out).resolve().parent, nbytes + 128, "--out")


def run(args) -> int:
    from vqgeom.cli._signals import run_terminable

    return run_terminable("kernel", _run, args)


def _run(args) -> int:

    from vqgeom.kernels import vq_kernel
    from vqgeom.cli._network_arg import load_network_arg

    from vqgeom._paths import check_output_file
    from vqgeom.cli._common import check_json_target, emit_json, progress_wanted

    check_json_target(args)
    check_output_file(args.out, "--out")
    net = load_network_arg(args)
    X = _load_points(args.points, "--points")
    Y = None if args.points_y is None else _load_points(args.points_y, "--points-y")
    weights = None if args.weights is None else parse_weights(args.weights)
    if not str(args.out).endswith(".npy"):
        from vqgeom.errors import InvalidInputError

        raise InvalidInputError(f"--out must end in .npy, got {args.out!r}")
    if weights is not None and all(isinstance(w, int) for w in weights) and len(weights) == net.depth:
        top = sum(w * n for w, n in zip(weights, net.widths))
        if top > 2**63 - 1:
            from vqgeom.errors import InvalidInputError

            raise InvalidInputError(
                f"--weights: distances can reach 2^{top.bit_length() - 1} or more, beyond the "
                f"int64 a .npy file holds; "
                f"use smaller integer weights (or decimals, for a float64 kernel)")
    _check_space(args, net, X, Y, weights)
    K = vq_kernel(net, X, Y, weights=weights, per_layer=args.per_layer, device=args.device,
                  memory_budget=args.memory_budget, out=args.out if args.device is None else None,
                  progress=progress_wanted(args))
    if args.device is not None:
        from vqgeom.kernels import save_npy

        host = K.cpu().numpy()
        save_npy(host, args.out)
        shape, dtype = host.shape, host.dtype
    else:
        shape, dtype = K.shape, K.dtype
    if args.json:
        emit_json(args, {"out": str(args.out), "shape": list(shape), "dtype": str(dtype)})
    if not args.quiet:
        print(f"wrote {args.out}: {'x'.join(map(str, shape))} {dtype} kernel", file=sys.stderr)
    return 0
