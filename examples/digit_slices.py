"""An MLP, a CNN and a CNN with max pooling trained on the bundled 8 x 8 digits, on the plane
through three test digits.

    python examples/digit_slices.py [--out examples/output] [--fast]

Trains the networks on the CPU (seconds), takes the first three test digits of three
different classes that every network classifies correctly, lays the plane
x(u, v) = x0 + u (x1 - x0) + v (x2 - x0) through them ((u, v) in [-0.25, 1.25]^2) and, exactly
for each network: enumerates the activation regions on the plane, colours them by d_Omega
from the first digit's region, draws the decision boundary (the argmax of the readout), and
histograms the Lemma 2 slack d_Omega - d over all region pairs (d counts ReLU units; a max
pool's argmax is part of the regions, not of d). Writes digit_slices.png and
digit_slices.json (every number in the figure) into --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "output"))
    parser.add_argument("--fast", action="store_true", help="smaller networks, fewer epochs (a smoke test)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    import vqgeom
    from vqgeom.datasets import digits
    from vqgeom.digit_models import digits_cnn, digits_maxpool_cnn, digits_mlp, train_on_digits
    from vqgeom.slice_figure import plot_slack, plot_slice, region_beside, save_figure, slack_histogram

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    split = digits(rng=args.seed)
    epochs = 40 if args.fast else 150
    w, c, p = ((16, 16), (2, 4), (2, 2)) if args.fast else ((32, 32), (4, 8), (2, 4))
    models = {
        f"MLP 64-{w[0]}-{w[1]}-10": digits_mlp(w, seed=args.seed),
        f"CNN conv3x3({c[0]}ch, s1, p1)-conv3x3({c[1]}ch, s2, p1)-10": digits_cnn(c, seed=args.seed),
        f"CNN conv3x3({p[0]}ch)-maxpool2-conv3x3({p[1]}ch)-10": digits_maxpool_cnn(p, seed=args.seed),
    }
    acc = {name: train_on_digits(m, split, epochs=epochs) for name, m in models.items()}
    # three test digits of different classes, classified correctly by both networks
    with torch.no_grad():
        Xt = torch.as_tensor(split.X_test, dtype=torch.float32)
        ok = np.all([m(Xt).argmax(1).numpy() == split.y_test for m in models.values()], axis=0)
    rows, seen = [], set()
    for i in np.flatnonzero(ok):
        if int(split.y_test[i]) not in seen:
            rows.append(int(i))
            seen.add(int(split.y_test[i]))
        if len(rows) == 3:
            break
    X, y = split.X_test[rows], split.y_test[rows]
    plane = vqgeom.Plane(*X)
    fig, axes = plt.subplots(len(models), 2, figsize=(12, 5.25 * len(models)),
                             gridspec_kw={"width_ratios": [1.25, 1]})
    report = {"figure": "digit_slices", "files": ["digit_slices.png"], "test_rows": rows,
              "labels": y.tolist(), "epochs": epochs, "models": {}}
    for (name, model), (ax, axh) in zip(models.items(), axes):
        t = time.perf_counter()
        part = vqgeom.enumerate_regions(model, plane)
        t_regions = time.perf_counter() - t
        t = time.perf_counter()
        dec = vqgeom.decision_regions(part)
        t_decision = time.perf_counter() - t
        hist = slack_histogram(part)
        # a digit may lie on a wall (a max pool's two candidates over blank patches both equal
        # the bias there): then the region just beside it, toward the other two digits
        on_wall = part.region_of(X, on_boundary="mark") < 0
        regions = np.array([region_beside(part, X, i) for i in range(3)])
        dO = part.region_distances([int(regions[0])])[0]
        d = part.vq_distances(sources=[int(regions[0])])[0]
        plot_slice(part, ax, points=X, labels=y.tolist(), decision=dec)
        ax.set_title(f"{name}: {part.n_regions} regions, {dec.n_decision_regions} decision regions")
        plot_slack(hist, axh)
        finite = [k for k in hist if k != float("inf")]
        report["models"][name] = {
            "test_accuracy": acc[name], "widths": list(part.net.widths), "n_regions": part.n_regions,
            "n_adjacencies": part.n_adjacencies, "generic": part.is_generic,
            "n_decision_regions": dec.n_decision_regions, "decision_classes": dec.classes,
            "n_pieces": dec.n_pieces, "n_boundary_segments": len(dec.boundary),
            "digit_on_a_wall": on_wall.tolist(),
            "d_omega_from_first_digit": [int(dO[r]) for r in regions],
            "d_from_first_digit": [int(d[r]) for r in regions],
            "slack_histogram": {str(k): v for k, v in hist.items()},
            "lemma2_holds": bool(min(finite) >= 0), "seconds_regions": round(t_regions, 3),
            "seconds_decision": round(t_decision, 3),
        }
    fig.suptitle(f"The plane through test digits {', '.join(map(str, y.tolist()))} (exact)")
    fig.tight_layout()
    save_figure(fig, out / "digit_slices.png", dpi=110)
    (out / "digit_slices.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: {kk: v[kk] for kk in ("n_regions", "n_decision_regions", "lemma2_holds")}
                      for k, v in report["models"].items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
