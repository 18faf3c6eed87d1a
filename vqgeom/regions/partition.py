"""The partition Omega of a domain into activation regions, and its facet-adjacency graph.

Every enumeration engine produces a :class:`Partition` through the same constructor:

* ``codes``: one code per region, a tuple (per layer) of tuples of bools (True = sign +1);
* ``witnesses``: one interior point per region (tuple of Fractions in exact mode, a float
  tuple in float mode) strictly inside the region and the domain;
* ``edges``: ``(i, j, flips, facet_witness)`` for every pair of regions whose closures share
  a (D-1)-dimensional facet; ``flips`` is a tuple of ``(layer, neuron)`` pairs whose sign
  differs across the facet, ``facet_witness`` a point in the relative interior of the
  shared facet (or None where an engine does not produce one).
"""

from __future__ import annotations

from typing import Sequence

import networkx as nx
import numpy as np

__all__ = ["Partition"]


class Partition:
    """The activation regions of ``net`` on ``domain`` and the graph of shared facets.

    Attributes
    ----------
    net : Network
    domain : Box or Whole
    arithmetic : {"exact", "float"}
    engine : str
        The name of the engine that built it.
    graph : networkx.Graph
        Nodes ``0..n_regions-1`` with attributes ``code`` and ``witness``; edges with
        ``flips`` (tuple of (layer, neuron)) and ``facet_witness``.
    """

    def __init__(self, net, domain, codes: Sequence, witnesses: Sequence, edges: Sequence, *,
                 arithmetic: str, engine: str, seconds: float | None = None):
        self.net = net
        self.domain = domain
        self.arithmetic = arithmetic
        self.engine = engine
        self.seconds = seconds
        self.codes = [tuple(tuple(bool(s) for s in layer) for layer in code) for code in codes]
        self.witnesses = [tuple(w) for w in witnesses]
        if len(self.codes) != len(self.witnesses):
            raise ValueError("Partition: codes and witnesses must have the same length")
        g = nx.Graph()
        for i, (code, wit) in enumerate(zip(self.codes, self.witnesses)):
            g.add_node(i, code=code, witness=wit)
        for i, j, flips, facet in edges:
            g.add_edge(int(i), int(j), flips=tuple((int(l), int(k)) for l, k in flips), facet_witness=facet)
        self.graph = g
        self._index = {code: i for i, code in enumerate(self.codes)}

    @property
    def n_regions(self) -> int:
        return len(self.codes)

    @property
    def n_adjacencies(self) -> int:
        return self.graph.number_of_edges()

    @property
    def input_dim(self) -> int:
        return self.net.input_dim

    def index_of_code(self, code) -> int | None:
        """The region index of a code (tuple per layer of bools), or None if no region has it."""
        key = tuple(tuple(bool(s) for s in layer) for layer in code)
        return self._index.get(key)

    def code_bits(self) -> np.ndarray:
        """Codes as a bool array (n_regions, n_neurons), layers concatenated."""
        if not self.codes:
            return np.zeros((0, self.net.n_neurons), dtype=bool)
        return np.array([[s for layer in code for s in layer] for code in self.codes], dtype=bool)

    def __repr__(self) -> str:
        return (f"Partition({self.n_regions} regions, {self.n_adjacencies} adjacencies, "
                f"{self.arithmetic}, engine={self.engine!r})")
