"""Named example networks and domains: the deep sawtooth, shallow equivalents, arrangements,
generic deep nets and the degenerate cases where a hypothesis of Lemma 1 or Lemma 2 is dropped.

The registry of claims checked on them, with their expected outcomes (``CATALOGUE``), is
:mod:`vqgeom.lemmas.claims`; ``vqgeom.catalogue.CATALOGUE``, ``CatalogueEntry`` and
``get_entry`` still resolve there, with a DeprecationWarning.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

from vqgeom.errors import InvalidInputError

__all__ = ["sawtooth", "shallow_equivalent", "arrangement", "deep", "box", "generic_1d", "generic_2d",
           "maxpool_2d", "shared_facet_2d", "u_shape", "near_duplicates", "SAWTOOTH_VARIANTS"]

_MOVED = ("CATALOGUE", "CatalogueEntry", "get_entry")

#: variant -> the coefficient of sigma in f(z) = 2z - c sigma(2z - 1)
SAWTOOTH_VARIANTS = {"tent": -2, "as_printed": -1}


def sawtooth(depth: int, variant: str = "tent"):
    """The deep sawtooth of the paper's Appendix B.2 as a 1-D network with skip connections.

    Layer l maps z to ``2 z + c * relu(2 z - 1)`` with c = -2 for ``"tent"`` (the tent map
    f(z) = 2z - 2 sigma(2z - 1): 2^depth intervals on [0, 1]) and c = -1 for ``"as_printed"``
    (the formula printed in the paper, f(z) = 2z - sigma(2z - 1): depth + 1 intervals).
    Study it on the domain ``Box(0, 1)``.

    Parameters
    ----------
    depth : int >= 1
    variant : {"tent", "as_printed"}

    Returns
    -------
    Network
        Exact, ``depth`` layers of one neuron each (weight [[2]], bias [-1], skip [[2]],
        out [[c]]).

    Raises
    ------
    InvalidInputError
        For a depth below 1 or an unknown variant.

    Examples
    --------
    >>> net = sawtooth(2)
    >>> net.widths, [str(v) for v in net.forward([["1/8"], ["3/8"], ["5/8"]])[:, 0]]
    ((1, 1), ['1/2', '1/2', '1/2'])
    >>> [str(v) for v in sawtooth(2, "as_printed").forward([["1/8"], ["5/8"]])[:, 0]]
    ['1/2', '1']
    """
    from vqgeom.network import Network

    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise InvalidInputError(f"depth must be an int >= 1, got {depth!r}")
    if variant not in SAWTOOTH_VARIANTS:
        raise InvalidInputError(
            f"variant must be one of {', '.join(map(repr, SAWTOOTH_VARIANTS))}, got {variant!r}")
    c = SAWTOOTH_VARIANTS[variant]
    layer = {"weight": [[2]], "bias": [-1], "skip": [[2]], "out": [[c]]}
    return Network([dict(layer) for _ in range(depth)], exact=True)


def arrangement(weight, bias):
    """A hyperplane arrangement as a one-hidden-layer exact network (rows of ``weight``, ``bias``).

    Examples
    --------
    >>> arrangement([[1, 0], [0, 1]], [0, "-1/2"]).widths
    (2,)
    """
    from vqgeom.network import Network

    return Network([{"weight": weight, "bias": bias}], exact=True)


def shallow_equivalent(net, domain=None):
    """The one-hidden-layer network with exactly the partition of a 1-D network on ``domain``.

    One neuron ``x - t`` per breakpoint t (a point between two regions). With no breakpoint
    (a single region), one neuron whose breakpoint lies outside the domain.

    Parameters
    ----------
    net : Network with input_dim 1
    domain : Box, "whole" or None
        None is [-1, 1] (pass ``Box(0, 1)`` for the sawtooth).

    Returns
    -------
    Network
        Exact, one layer, breakpoints in increasing order.

    Raises
    ------
    InvalidInputError
        If the network is not 1-D.

    Examples
    --------
    >>> from vqgeom.regions import Box
    >>> sh = shallow_equivalent(sawtooth(2), Box(0, 1))
    >>> [str(-b) for b in sh.layers[0].bias]
    ['1/4', '1/2', '3/4']
    """
    from vqgeom.network import load_network
    from vqgeom.regions import Box, as_domain, enumerate_regions

    net = load_network(net).to_exact()
    if net.input_dim != 1:
        raise InvalidInputError(f"shallow_equivalent handles 1-D networks; got input_dim={net.input_dim}")
    part = enumerate_regions(net, domain, arithmetic="exact")
    points = sorted({Fraction(data["facet_witness"][0]) for _, _, data in part.graph.edges(data=True)})
    if not points:
        dom = as_domain(domain, 1)
        if not isinstance(dom, Box):  # pragma: no cover - a first layer always cuts R
            raise InvalidInputError("shallow_equivalent: the network has no breakpoint on R")
        points = [dom.upper[0] + 1]
    return arrangement([[1]] * len(points), [-t for t in points])


def near_duplicates(seed: int, dim: int = 3, widths=(8,), pairs: int = 3):
    """A float network whose neurons include near-duplicates: where float LPs go blind.

    Weights are uniform in [-1, 1], biases in [-1/2, 1/2] (``numpy.random.default_rng(seed)``);
    then ``pairs`` times a row ``(w_i, b_i)`` of a random layer is copied onto another row
    ``j`` of it and perturbed by ``eps * u`` with ``eps = 10^-k``, k drawn from 6..14, and u
    uniform in [-1, 1]. The hyperplanes of i and j are then distinct (exactly, at their
    binary64 values) but within float resolution of each other for the larger k.

    Parameters
    ----------
    seed : int
    dim : int
    widths : sequence of int
        Hidden layer widths (each at least 2).
    pairs : int
        How many rows are replaced by near-copies.

    Returns
    -------
    Network
        A float network; exact mode reads its weights at their exact binary64 values.

    Examples
    --------
    >>> net = near_duplicates(0)
    >>> net.input_dim, net.widths, net.exact
    (3, (8,), False)
    """
    import numpy as np

    from vqgeom.network import Network

    if any(int(w) < 2 for w in widths):
        raise InvalidInputError(f"widths must all be >= 2 (a row needs another to copy), got {widths!r}")
    rng = np.random.default_rng(seed)
    layers, d = [], dim
    for w in widths:
        layers.append([rng.uniform(-1, 1, (int(w), d)), rng.uniform(-0.5, 0.5, int(w))])
        d = int(w)
    for _ in range(pairs):
        eps = 10.0 ** -int(rng.integers(6, 15))
        W, b = layers[int(rng.integers(0, len(layers)))]
        i, j = rng.choice(W.shape[0], 2, replace=False)
        W[j] = W[i] + eps * rng.uniform(-1, 1, W.shape[1])
        b[j] = b[i] + eps * rng.uniform(-1, 1)
    return Network([{"weight": W, "bias": b} for W, b in layers])


def box(lo, hi, dim=None):
    """``Box(lo, hi, dim=dim)``."""
    from vqgeom.regions import Box

    return Box(lo, hi, dim=dim)


def deep(layers, readout=None):
    """An exact deep network from layer dicts."""
    from vqgeom.network import Network

    return Network(layers, readout, exact=True)


def u_shape():
    """A U-shaped union of three boxes in [-3, 3]^2 (two columns joined at the bottom)."""
    from vqgeom.regions import Box, BoxUnion

    # a U: two columns joined at the bottom; the line y = 0 cuts both columns
    return BoxUnion([Box([-3, -3], [3, -1]), Box([-3, -1], [-1, 3]), Box([1, -1], [3, 3])])


def generic_2d():
    """A generic 2-4-3 exact network (its partition of [-2, 2]^2 is generic)."""
    return deep([
        {"weight": [[1, 2], [-2, 1], [1, -1], [3, 1]], "bias": [0, 1, "1/2", -1]},
        {"weight": [[1, -1, 1, 0], [-1, 1, 2, -1], [2, 1, -1, 1]], "bias": ["-1/3", "1/5", "-1/7"]},
    ])


def maxpool_2d():
    """A 2-6-(max over 3 windows of 2)-2 exact network: ReLU, then max pooling of the ReLU outputs
    in pairs (the CNN pattern: a window whose two units are dead ties, argmax 0), then ReLU.
    Generic in its ReLU units on [-2, 2]^2; some walls are a ReLU wall and an argmax wall at once."""
    return deep([
        {"weight": [[1, 2], [-2, 1], [1, -1], [3, 1], [-1, -3], [2, -1]], "bias": [0, 1, "1/2", -1, "1/3", "-1/4"]},
        {"weight": [[int(r == c) for c in range(6)] for r in range(6)], "bias": [0] * 6,
         "activation": "max", "groups": 2},
        {"weight": [[1, -1, 1], [-1, 2, -1]], "bias": ["-1/3", "1/5"]},
    ])


def generic_1d():
    """A generic 1-3-3-2 exact network."""
    return deep([
        {"weight": [[1], [-2], [3]], "bias": [0, 1, -1]},
        {"weight": [[1, 1, -1], [-1, 2, 1], [1, -3, 2]], "bias": ["-1/3", "1/5", "-1/7"]},
        {"weight": [[2, -1, 1], [-1, 1, 1]], "bias": ["1/11", "-1/13"]},
    ])


def shared_facet_2d():
    """Neurons of layers 1 and 2 that vanish on one facet {x = 0, y < 0} (not generic)."""
    # layer 1 passes (x, y, relu(y)); layer 2's neuron x - relu(y) vanishes on {x = 0, y < 0},
    # a facet of layer 1's neuron x: two neurons of different layers flip there at once
    return deep([
        {"weight": [[1, 0], [0, 1]], "bias": [0, 0],
         "skip": [[1, 0], [0, 1], [0, 0]], "out": [[0, 0], [0, 0], [0, 1]]},
        {"weight": [[1, 0, -1], [1, 1, 0]], "bias": [0, "-1/2"]},
    ])


def __getattr__(name):
    if name in _MOVED:
        import importlib

        warnings.warn(f"vqgeom.catalogue.{name} moved to vqgeom.lemmas.claims.{name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module("vqgeom.lemmas.claims"), name)
    raise AttributeError(f"module 'vqgeom.catalogue' has no attribute {name!r}")
