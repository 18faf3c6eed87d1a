"""``vqgeom info``: describe a network (layers, widths, neurons, activations, arithmetic).

Examples::

    vqgeom info net.json
    vqgeom info net.pt --json
"""

from __future__ import annotations

__all__ = ["add_parser", "run", "describe"]


def add_parser(sub):
    from vqgeom.cli._common import add_json_option
    from vqgeom.cli._network_arg import add_trust_pickle

    p = sub.add_parser(
        "info",
        help="describe a network: layers, widths, neuron count, activations, exact or float",
        description="Describe a network file: its layers (width, activation, skip/out maps), the "
                    "neuron count, whether its weights are exact rationals or floats, and its "
                    "constant neurons (all-zero weight rows after layer 0).",
    )
    p.add_argument("network", metavar="NET", help="network file (.json, .npz, .pt, .pth)")
    add_trust_pickle(p)
    add_json_option(p, "the description")
    return p


def describe(net) -> dict:
    """A JSON-ready summary of a :class:`vqgeom.Network`."""
    layers = []
    for lay in net.layers:
        d = {"width": lay.n_neurons, "input_dim": lay.input_dim, "output_dim": lay.output_dim,
             "activation": lay.activation}
        if lay.activation == "leaky_relu":
            d["negative_slope"] = str(lay.negative_slope) if net.exact else float(lay.negative_slope)
        if lay.is_max:
            d["groups"] = len(lay.groups)
        for key in ("skip", "out", "out_bias"):
            if getattr(lay, key) is not None:
                d[key] = True
        layers.append(d)
    return {
        "input_dim": net.input_dim,
        "output_dim": net.output_dim,
        "depth": net.depth,
        "widths": list(net.widths),
        "n_neurons": net.n_neurons,
        "arithmetic": "exact" if net.exact else "float",
        "layers": layers,
        "readout": None if net.readout is None else list(net.readout.weight.shape),
        "constant_neurons": [list(c) for c in net.constant_neurons],
    }


def run(args) -> int:
    from vqgeom.cli._common import check_json_target, emit_json
    from vqgeom.cli._network_arg import load_network_arg

    check_json_target(args)
    net = load_network_arg(args)
    info = describe(net)
    if args.json:
        emit_json(args, info)
        return 0
    print(f"network       {args.network}")
    print(f"architecture  {'-'.join(str(w) for w in (info['input_dim'], *info['widths']))}"
          + (f" -> readout {info['readout'][0]}" if info["readout"] else ""))
    print(f"neurons       {info['n_neurons']} in {info['depth']} layer(s)")
    print(f"weights       {info['arithmetic']}" + (" (rationals)" if net.exact else " (float64)"))
    for l, lay in enumerate(info["layers"]):
        extra = [k for k in ("skip", "out", "out_bias") if lay.get(k)]
        act = lay["activation"] + (f"({lay['negative_slope']})" if "negative_slope" in lay else "")
        print(f"  layer {l}: {lay['input_dim']} -> {lay['width']} neurons, {act}"
              + (f", with {'/'.join(extra)}" if extra else "") + f", output {lay['output_dim']}")
    const = info["constant_neurons"]
    print(f"constant neurons  {len(const)}" + (": " + ", ".join(f"layer {l} row {j}" for l, j in const)
                                              if const else ""))
    return 0
