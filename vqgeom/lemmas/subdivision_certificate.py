"""The check cited by ``proofs/subdivision.md``: the subdivision engine's exact certificate.

``python -m vqgeom.lemmas.subdivision_certificate --check`` runs the engine in exact mode on
random deep networks and a generic arrangement in D = 3, 4, 5, compares every partition with
the exact LP engine (codes, adjacencies, flips), re-verifies every witness with
:meth:`Partition.verify`, and shows the certificate rejecting corrupted complexes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_subdivision_certificate"]


def _deep(seed, widths, scale=2.0):
    from vqgeom.network import Network

    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = rng.uniform(-1, 1, size=(b, a)) / np.sqrt(a) * scale
        layers.append({"weight": W, "bias": rng.uniform(-0.5, 0.5, size=b)})
    return Network(layers).to_exact()


def _edges(part):
    return {frozenset((part.codes[i], part.codes[j])): tuple(sorted(d["flips"]))
            for i, j, d in part.graph.edges(data=True)}


def check_subdivision_certificate():
    """``(text, good)`` lines for the proof's check."""
    from vqgeom.errors import CertificateError
    from vqgeom.network import Network
    from vqgeom.regions import lp, subdivision
    from vqgeom.regions._subdivision_exact import certify
    from vqgeom.regions.domain import Box

    out = []
    nets = [("3-6-5 seed 0", _deep(0, [3, 6, 5])), ("3-4-4-3 seed 1", _deep(1, [3, 4, 4, 3])),
            ("4-6-4 seed 2", _deep(2, [4, 6, 4])), ("5-5-4 seed 3", _deep(3, [5, 5, 4])),
            ("3-D arrangement of 6 planes",
             Network([{"weight": [[1, 2, 0], [0, 1, -3], [2, -1, 1], [1, 1, 1], [-3, 0, 2], [1, -2, -1]],
                       "bias": [0.31, -0.47, 0.13, -0.71, 0.37, 0.059]}]).to_exact())]
    for name, net in nets:
        box = Box(-1, 1, dim=net.input_dim)
        a = subdivision.enumerate_partition(net, box, arithmetic="exact")
        b = lp.enumerate_partition(net, box, arithmetic="exact")
        try:
            a.verify()
            verified = True
        except CertificateError:
            verified = False
        same = set(a.codes) == set(b.codes) and _edges(a) == _edges(b)
        out.append((f"{name}: certified by the subdivision engine ({a.n_regions} regions, "
                    f"{a.n_adjacencies} adjacencies), equal to the exact LP engine's, witnesses verified",
                    a.engine == "subdivision" and same and verified))
    # negative controls: corrupted complexes are rejected
    net = _deep(0, [3, 6, 5])
    box = Box(-1, 1, dim=3)
    for what in ("a missing edge", "a wrong sign bit", "a wrong zero set"):
        cx = subdivision.float_complex(net, box)
        if what == "a missing edge":
            cx.E = cx.E[1:]
        elif what == "a wrong sign bit":
            corner = int(np.flatnonzero((cx.Z.numpy() >= cx.N).all(axis=1))[0])
            cx.S = cx.S.clone()
            cx.S[corner, 0] ^= 1
        else:
            Z = cx.Z.clone()
            v = int(np.flatnonzero((Z.numpy() < cx.N).all(axis=1))[0])
            Z[v, 0] = next(k for k in range(cx.N) if k not in Z[v].tolist())
            Z[v] = Z[v].sort().values
            cx.Z = Z
        try:
            certify(net, box, cx, subdivision._read_off(cx))
            rejected = False
        except CertificateError:
            rejected = True
        out.append((f"the certificate rejects a complex with {what}", rejected))
    return out


def _check_main() -> int:
    from vqgeom.lemmas._check import report

    return report("subdivision certificate", check_subdivision_certificate())


if __name__ == "__main__":  # pragma: no cover
    from vqgeom.lemmas._check import main

    main("subdivision_certificate", _check_main)
