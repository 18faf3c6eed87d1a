"""Named networks: the deep sawtooth, shallow equivalents, arrangements, generic deep nets and
the degenerate cases where a hypothesis of Lemma 1 or Lemma 2 is dropped.

:data:`CATALOGUE` maps a name to a :class:`CatalogueEntry`: a claim, a network and domain
(built on demand), the checker's options, and the expected outcome. ``vqgeom verify`` runs
every entry; an entry whose hypotheses hold must satisfy its claim, and an entry that drops a
hypothesis must show the violation (``expect_holds=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from vqgeom.errors import InvalidInputError

__all__ = ["sawtooth", "shallow_equivalent", "arrangement", "CatalogueEntry", "CATALOGUE",
           "SAWTOOTH_VARIANTS", "get_entry", "near_duplicates"]

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


# --------------------------------------------------------------------------------- catalogue
@dataclass
class CatalogueEntry:
    """A named case for ``vqgeom verify``.

    Attributes
    ----------
    name : str
    claim : {"lemma1", "lemma2", "sawtooth"}
    description : str
    build : callable () -> (Network, domain)
    options : dict
        Passed to the checker (``adjacency``, ``weights``, ``omega``; for the sawtooth
        ``depth`` and ``variant``).
    expect_holds : bool
        True for a case meeting every hypothesis; False where a hypothesis is dropped and
        the checker must find the violation.
    relaxed : str or None
        The hypothesis dropped on purpose.
    expect_hypotheses_met : bool or None
        None: the same as ``expect_holds``. False with ``expect_holds=True``: a hypothesis
        fails but the claim still holds (the hypotheses are sufficient, not necessary).
    """

    name: str
    claim: str
    description: str
    build: Callable = None
    options: dict = field(default_factory=dict)
    expect_holds: bool = True
    relaxed: str | None = None
    expect_hypotheses_met: bool | None = None

    @property
    def hypotheses_expected(self) -> bool:
        """Whether every hypothesis should hold (default: exactly when the claim should)."""
        return self.expect_holds if self.expect_hypotheses_met is None else self.expect_hypotheses_met

    def check(self):
        """Run the claim's checker on this entry and return its Verdict."""
        from vqgeom.lemmas import check_lemma1, check_lemma2, check_sawtooth

        if self.claim == "sawtooth":
            return check_sawtooth(**self.options)
        net, domain = self.build()
        fn = check_lemma1 if self.claim == "lemma1" else check_lemma2
        return fn(net, domain, name=self.name, **self.options)


def _box(lo, hi, dim=None):
    from vqgeom.regions import Box

    return Box(lo, hi, dim=dim)


def _deep(layers, readout=None):
    from vqgeom.network import Network

    return Network(layers, readout, exact=True)


def _u_shape():
    from vqgeom.lemmas.union import BoxUnion
    from vqgeom.regions import Box

    # a U: two columns joined at the bottom; the line y = 0 cuts both columns
    return BoxUnion([Box([-3, -3], [3, -1]), Box([-3, -1], [-1, 3]), Box([1, -1], [3, 3])])


def _generic_2d():
    return _deep([
        {"weight": [[1, 2], [-2, 1], [1, -1], [3, 1]], "bias": [0, 1, "1/2", -1]},
        {"weight": [[1, -1, 1, 0], [-1, 1, 2, -1], [2, 1, -1, 1]], "bias": ["-1/3", "1/5", "-1/7"]},
    ])


def _generic_1d():
    return _deep([
        {"weight": [[1], [-2], [3]], "bias": [0, 1, -1]},
        {"weight": [[1, 1, -1], [-1, 2, 1], [1, -3, 2]], "bias": ["-1/3", "1/5", "-1/7"]},
        {"weight": [[2, -1, 1], [-1, 1, 1]], "bias": ["1/11", "-1/13"]},
    ])


def _shared_facet_2d():
    # layer 1 passes (x, y, relu(y)); layer 2's neuron x - relu(y) vanishes on {x = 0, y < 0},
    # a facet of layer 1's neuron x: two neurons of different layers flip there at once
    return _deep([
        {"weight": [[1, 0], [0, 1]], "bias": [0, 0],
         "skip": [[1, 0], [0, 1], [0, 0]], "out": [[0, 0], [0, 0], [0, 1]]},
        {"weight": [[1, 0, -1], [1, 1, 0]], "bias": [0, "-1/2"]},
    ])


def _build_catalogue() -> dict:
    E = CatalogueEntry
    entries = [
        # ----------------------------------------------------------- Lemma 1, hypotheses met
        E("arrangement-1d", "lemma1", "4 points on [-1, 1] (mixed orientations)",
          lambda: (arrangement([[1], [-1], [2], [1]], [0, "1/3", -1, "3/4"]), _box(-1, 1, 1))),
        E("arrangement-2d-general", "lemma1", "5 lines in general position on [-2, 2]^2",
          lambda: (arrangement([[1, 2], [-2, 1], [1, -1], [3, 1], [0, 1]], [0, 1, "1/2", -1, "-1/3"]),
                   _box(-2, 2, 2))),
        E("arrangement-2d-concurrent", "lemma1",
          "not general position: 3 lines through the origin and 2 parallel lines",
          lambda: (arrangement([[1, 0], [0, 1], [1, 1], [1, -1], [1, -1]], [0, 0, 0, "1/2", "-1/2"]),
                   _box(-1, 1, 2))),
        E("arrangement-2d-whole", "lemma1", "4 lines on all of R^2",
          lambda: (arrangement([[1, 0], [0, 1], [1, 1], [1, -2]], [0, -1, 1, "1/2"]), "whole")),
        E("arrangement-3d-general", "lemma1", "5 planes in general position on [-1, 1]^3",
          lambda: (arrangement([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, -2, 1]],
                               ["1/3", "-1/4", "1/5", "-1/2", "1/7"]), _box(-1, 1, 3))),
        E("arrangement-3d-pencil", "lemma1",
          "not general position: 3 planes through one line, plus 2 parallel planes, in [-1, 1]^3",
          lambda: (arrangement([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]],
                               [0, 0, 0, "1/2", "-1/2"]), _box(-1, 1, 3))),
        E("paper-fig5-wide-shallow", "lemma1",
          "Fig. 5's wide shallow network: the shallow equivalent of the depth-4 tent sawtooth (15 neurons)",
          lambda: (shallow_equivalent(sawtooth(4), _box(0, 1, 1)), _box(0, 1, 1))),
        # ----------------------------------------------------------- Lemma 1, hypothesis dropped
        E("arrangement-duplicate", "lemma1", "a line listed twice with the same orientation",
          lambda: (arrangement([[1, 1], [1, -1], [1, 1]], [0, "1/2", 0]), _box(-1, 1, 2)),
          expect_holds=False, relaxed="distinct_hyperplanes"),
        E("arrangement-opposite", "lemma1", "a line listed twice as (a, b) and (-a, -b)",
          lambda: (arrangement([[1, 2], [0, 1], [-1, -2]], ["1/3", 0, "-1/3"]), _box(-1, 1, 2)),
          expect_holds=False, relaxed="distinct_hyperplanes"),
        E("arrangement-touching", "lemma1", "two crossing lines, adjacency read as touching",
          lambda: (arrangement([[1, 0], [0, 1]], [0, 0]), _box(-1, 1, 2)),
          options={"adjacency": "touching"}, expect_holds=False, relaxed="facet_adjacency"),
        E("arrangement-nonconvex", "lemma1", "the line y = 0 on a U-shaped union of 3 boxes",
          lambda: (arrangement([[0, 1]], [0]), _u_shape()),
          expect_holds=False, relaxed="convex_domain"),
        # ----------------------------------------------------------- Lemma 2, hypotheses met
        E("deep-1d-generic", "lemma2", "a generic 1-3-3-2 network on [-2, 2]",
          lambda: (_generic_1d(), _box(-2, 2, 1))),
        E("deep-2d-generic", "lemma2", "a generic 2-4-3 network on [-2, 2]^2",
          lambda: (_generic_2d(), _box(-2, 2, 2))),
        E("deep-2d-generic-weighted", "lemma2", "the same with layer weights (1, 1/2)",
          lambda: (_generic_2d(), _box(-2, 2, 2)), options={"weights": [1, "1/2"]}),
        E("sawtooth-tent-5-lemma2", "lemma2", "the tent sawtooth of depth 5 on [0, 1] (strict d < d_Omega)",
          lambda: (sawtooth(5), _box(0, 1, 1))),
        E("sawtooth-printed-5-lemma2", "lemma2", "the printed sawtooth of depth 5 on [0, 1]",
          lambda: (sawtooth(5, "as_printed"), _box(0, 1, 1))),
        E("deep-2d-generic-nonconvex", "lemma2",
          "the generic 2-4-3 network on a U-shaped union of boxes (Lemma 2 needs no convexity)",
          lambda: (_generic_2d(), _u_shape())),
        E("deep-constant-neuron", "lemma2",
          "a pruned neuron in layer 2 (zero weights, bias 1/2): constant, never flips",
          lambda: (_deep([{"weight": [[1, 2], [-1, 1]], "bias": [0, "1/3"]},
                          {"weight": [[0, 0], [1, -1]], "bias": ["1/2", "-1/5"]}]), _box(-1, 1, 2))),
        E("deep-zero-neuron", "lemma2",
          "a layer-2 neuron with zero weights and zero bias vanishes everywhere: not generic, "
          "yet its sign never changes and the lemma still holds",
          lambda: (_deep([{"weight": [[1, 2], [-1, 1]], "bias": [0, "1/3"]},
                          {"weight": [[0, 0], [1, -1]], "bias": [0, "-1/5"]}]), _box(-1, 1, 2)),
          expect_hypotheses_met=False),
        # ----------------------------------------------------------- Lemma 2, hypothesis dropped
        E("deep-shared-facet", "lemma2",
          "neurons of layers 1 and 2 vanish on one facet {x = 0, y < 0} (not generic)",
          lambda: (_shared_facet_2d(), _box(-1, 1, 2)), expect_holds=False, relaxed="generic"),
        E("deep-dead-input", "lemma2",
          "layer 2 is -relu(x): a dead input with zero bias, identically 0 on x < 0",
          lambda: (_deep([{"weight": [[1]], "bias": [0]}, {"weight": [[-1]], "bias": [0]}]), _box(-1, 1, 1)),
          expect_holds=False, relaxed="generic"),
        E("deep-duplicate-neuron", "lemma2", "a layer-2 neuron listed twice",
          lambda: (_deep([{"weight": [[1], [-1]], "bias": [0, "-1/2"]},
                          {"weight": [[1, 0], [1, 0]], "bias": ["-1/2", "-1/2"]}]), _box(-1, 1, 1)),
          expect_holds=False, relaxed="generic"),
        E("deep-weights-above-1", "lemma2", "the generic 2-4-3 network with layer weights (1, 2)",
          lambda: (_generic_2d(), _box(-2, 2, 2)), options={"weights": [1, 2]},
          expect_holds=False, relaxed="weights_le_1"),
        E("sawtooth-printed-affine-pieces", "lemma2",
          "the printed sawtooth (depth 4) with Omega = affine pieces (its output is 1 on [1/16, 1])",
          lambda: (sawtooth(4, "as_printed"), _box(0, 1, 1)), options={"omega": "affine"},
          expect_holds=False, relaxed="activation_partition"),
    ]
    for L in (1, 2, 3, 6, 8):
        entries.append(E(f"sawtooth-tent-{L}", "sawtooth", f"the tent map, depth {L}: 2^{L} intervals",
                         options={"depth": L, "variant": "tent"}))
    for L in (1, 2, 3, 6, 8):
        entries.append(E(f"sawtooth-printed-{L}", "sawtooth",
                         f"the printed formula, depth {L}: {L + 1} intervals, not 2^{L}",
                         options={"depth": L, "variant": "as_printed"}))
    return {e.name: e for e in entries}


#: name -> CatalogueEntry (every case ``vqgeom verify`` runs). Cheap to build: networks are
#: constructed only when an entry's ``build`` is called.
CATALOGUE = _build_catalogue()


def get_entry(name: str) -> CatalogueEntry:
    """The catalogue entry ``name``.

    Raises
    ------
    InvalidInputError
        For an unknown name (the message lists the valid ones).
    """
    if name not in CATALOGUE:
        raise InvalidInputError(f"unknown catalogue entry {name!r}; known: {', '.join(CATALOGUE)}")
    return CATALOGUE[name]
