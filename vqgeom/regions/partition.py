"""The partition Omega of a domain into activation regions, and its facet-adjacency graph.

Every enumeration engine produces a :class:`Partition` through the same constructor:

* ``codes``: one code per region, a tuple (per layer) of tuples of bools (True = sign +1),
  or a bool array (n_regions, n_neurons) with the layers concatenated;
* ``witnesses``: one interior point per region (tuple of Fractions in exact mode, a float
  tuple in float mode; or a float array (n_regions, D)) strictly inside the region and the
  domain;
* ``edges``: ``(i, j, flips, facet_witness)`` for every pair of regions whose closures share
  a (D-1)-dimensional facet; ``flips`` is a tuple of ``(layer, neuron)`` pairs whose sign
  differs across the facet, ``facet_witness`` a point in the relative interior of the
  shared facet (or None where an engine does not produce one).

Optional keyword arguments: ``polygons`` (D = 2: one vertex list per region, counter-
clockwise) and ``frame`` (for the domain :class:`Whole`: the box the engine enumerated on,
which strictly contains every vertex of the complex; used to draw and clip unbounded regions).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import networkx as nx
import numpy as np

import vqgeom.regions.serialize as serialize
from vqgeom.errors import CertificateError, DegenerateInputError, InvalidInputError
from vqgeom.exact.arith import context
from vqgeom.regions.serialize import PARTITION_FORMAT

__all__ = ["Partition", "ON_BOUNDARY", "OUTSIDE", "PARTITION_FORMAT"]

#: :meth:`Partition.region_of` label of a point on a boundary between regions
ON_BOUNDARY = -1
#: :meth:`Partition.region_of` label of a point outside the domain
OUTSIDE = -2


def _normalise_codes(codes, widths) -> list:
    """Codes as a list of tuples (per layer) of tuples of Python bools.

    ``codes`` is either a bool array (n_regions, n_neurons) with the layers concatenated,
    or a sequence of per-layer sequences of bool-likes. Python bools pass through without a
    per-bit conversion (this is the hot path for engines that emit 10^4 regions).
    """
    if isinstance(codes, np.ndarray):
        if codes.ndim != 2 or codes.shape[1] != sum(widths):
            raise ValueError(f"Partition: a code array must have shape (n_regions, {sum(widths)}), "
                             f"got {codes.shape}")
        cuts = np.cumsum((0,) + tuple(widths))
        per_layer = [map(tuple, codes[:, a:b].astype(bool).tolist()) for a, b in zip(cuts[:-1], cuts[1:])]
        return list(zip(*per_layer))
    out = []
    for code in codes:
        layers = []
        for layer in code:
            if isinstance(layer, np.ndarray):
                layer = layer.astype(bool).tolist()
            t = tuple(layer)
            if not set(map(type, t)) <= {bool}:
                t = tuple(bool(s) for s in t)
            layers.append(t)
        out.append(tuple(layers))
    return out


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
    codes : list of tuple
        ``codes[i]`` is region ``i``'s code: a tuple per layer of tuples of bools.
    witnesses : list of tuple
        ``witnesses[i]`` is a point strictly inside region ``i`` (exact Fractions in exact mode).
    frame : Box or None
        For the domain Whole: the box the engine worked on (it strictly contains every
        vertex of the complex); None otherwise.
    seconds : float or None
        Time the enumeration took.
    """

    def __init__(self, net, domain, codes: Sequence, witnesses: Sequence, edges: Sequence, *,
                 arithmetic: str, engine: str, seconds: float | None = None,
                 polygons: Sequence | None = None, frame=None):
        self.net = net
        self.domain = domain
        self.arithmetic = arithmetic
        self.engine = engine
        self.seconds = seconds
        self.frame = frame
        # Engines that emit 10^4 regions pass a code bit array and a float witness array (or
        # exact ones as regions._compact.Points, edges as regions._compact.Edges); the
        # per-region Python tuples, the code index and the networkx graph are then built on
        # first use, so that a caller who needs only counts or codes does not pay for them.
        if isinstance(codes, np.ndarray):
            _normalise_codes(codes[:0], net.widths)  # shape check only
            self._bits = codes.astype(bool, copy=False)
            self._codes = None
            n = codes.shape[0]
        else:
            self._bits = None
            self._codes = _normalise_codes(codes, net.widths)
            n = len(self._codes)
        if hasattr(witnesses, "tolist"):
            self._witness_array, self._witnesses = witnesses, None
        else:
            self._witness_array, self._witnesses = None, [tuple(w) for w in witnesses]
        if len(witnesses) != n:
            raise ValueError("Partition: codes and witnesses must have the same length")
        if polygons is not None and len(polygons) != n:
            raise ValueError("Partition: polygons must have one vertex list per region")
        self._polygons = None if polygons is None else [
            poly if type(poly) is list and (not poly or type(poly[0]) is tuple)
            else [tuple(v) for v in poly] for poly in polygons]
        self._n = n
        self._edges_in = edges
        self._graph = None
        self._index = self._shared = None

    @property
    def codes(self) -> list:
        """``codes[i]`` is region ``i``'s code: a tuple per layer of tuples of bools."""
        if self._codes is None:
            self._codes = _normalise_codes(self._bits, self.net.widths)
        return self._codes

    @property
    def witnesses(self) -> list:
        """``witnesses[i]`` is a point strictly inside region ``i`` (a tuple)."""
        if self._witnesses is None:
            self._witnesses = [tuple(w) for w in self._witness_array.tolist()]
        return self._witnesses

    @property
    def graph(self) -> nx.Graph:
        """The facet-adjacency graph (networkx): nodes carry ``code`` and ``witness``, edges
        ``flips`` (tuple of (layer, neuron)) and ``facet_witness``."""
        if self._graph is None:
            g = nx.Graph()
            for i, (code, wit) in enumerate(zip(self.codes, self.witnesses)):
                g.add_node(i, code=code, witness=wit)
            for i, j, flips, facet in self._edges_in:
                g.add_edge(int(i), int(j), flips=tuple((int(l), int(k)) for l, k in flips),
                           facet_witness=facet)
            self._graph, self._edges_in = g, None
        return self._graph

    def _code_index(self):
        """``(index, shared)``: code -> first region with it, and code -> all its regions for
        codes held by several regions. A code's cell is convex, so on a convex domain a code
        names one region; on a non-convex domain (a union of boxes) one cell may fall into
        several regions."""
        if self._index is None:
            index, shared = {}, {}
            for i, code in enumerate(self.codes):
                if code in index:
                    shared.setdefault(code, [index[code]]).append(i)
                else:
                    index[code] = i
            self._index, self._shared = index, shared
        return self._index, self._shared

    # ------------------------------------------------------------------ basics
    @property
    def n_regions(self) -> int:
        return self._n

    @property
    def n_adjacencies(self) -> int:
        return self.graph.number_of_edges()

    @property
    def input_dim(self) -> int:
        return self.net.input_dim

    @property
    def exact(self) -> bool:
        return self.arithmetic == "exact"

    def index_of_code(self, code) -> int | None:
        """The region index of a code (tuple per layer of bools), or None if no region has it.

        On a non-convex domain several regions may share a code; the first is returned
        (see :meth:`regions_of_code`)."""
        key = tuple(tuple(bool(s) for s in layer) for layer in code)
        return self._code_index()[0].get(key)

    def regions_of_code(self, code) -> list[int]:
        """All regions with this code (more than one only on a non-convex domain)."""
        key = tuple(tuple(bool(s) for s in layer) for layer in code)
        index, shared = self._code_index()
        if key in shared:
            return list(shared[key])
        return [index[key]] if key in index else []

    def code_bits(self) -> np.ndarray:
        """Codes as a bool array (n_regions, n_neurons), layers concatenated."""
        if self._bits is not None:
            return self._bits.copy()
        if not self.codes:
            return np.zeros((0, self.net.n_neurons), dtype=bool)
        return np.array([[s for layer in code for s in layer] for code in self.codes], dtype=bool)

    def __repr__(self) -> str:
        return (f"Partition({self.n_regions} regions, {self.n_adjacencies} adjacencies on "
                f"{self.domain!r}, {self.arithmetic}, engine={self.engine!r})")

    def _repr_png_(self):
        """The regions as a PNG in a notebook (D = 2 with matplotlib; else None: text only)."""
        from vqgeom.plotting import render_partition

        return render_partition(self, "png")

    def _repr_svg_(self):
        """The regions as SVG in a notebook (D = 2, at most a few thousand regions)."""
        from vqgeom.plotting import render_partition

        return render_partition(self, "svg")

    def __len__(self) -> int:
        return self.n_regions

    # ------------------------------------------------------------ genericity
    def non_generic_facets(self) -> list[tuple[int, int, tuple]]:
        """Facets across which more than one neuron flips: ``(i, j, flips)`` triples.

        Neurons of max layers do not count: crossing a wall of a window's argmax changes two
        bits of its one-hot code (and may coincide with the wall of the ReLU unit that comes
        alive in the window); d counts ReLU-type units only, so a facet is generic when at
        most one ReLU-type neuron flips on it (and something flips).

        Examples
        --------
        >>> from vqgeom import Network, enumerate_regions
        >>> net = Network([{"weight": [["1"], ["2"]], "bias": ["0", "0"]}])  # the same point twice
        >>> enumerate_regions(net, "whole").non_generic_facets()
        [(0, 1, ((0, 0), (0, 1)))]
        """
        out = []
        pool = {l for l, lay in enumerate(self.net.layers) if lay.is_max}
        for i, j, flips in self.graph.edges(data="flips"):
            relu = [f for f in flips if f[0] not in pool]
            if len(relu) > 1 or not flips:
                a, b = min(i, j), max(i, j)
                out.append((a, b, flips))
        return sorted(out)

    @property
    def is_generic(self) -> bool:
        """True when every facet flips exactly one neuron.

        This is the combinatorial half of Lemma 2's genericity hypothesis. The full
        hypothesis (no two neurons vanish on a common facet, no neuron vanishes on a whole
        region, e.g. a dead input with zero bias) is decided exactly by
        :func:`vqgeom.lemmas.lemma2.genericity`.
        """
        return not self.non_generic_facets()

    # ---------------------------------------------------------- halfspaces
    def _zero(self):
        return Fraction(0) if self.exact else 0.0

    def neuron_maps(self, i: int):
        """Affine pre-activation maps of every neuron on region ``i``.

        Returns
        -------
        A : array, shape (n_neurons, D)
        c : array, shape (n_neurons,)
            ``pre(x) = A @ x + c`` for x in the closed region (layers concatenated).
        """
        maps = self.net.preactivation_maps(self.codes[self._check_index(i)])
        A = np.concatenate([a for a, _ in maps], axis=0)
        c = np.concatenate([c for _, c in maps], axis=0)
        return A, c

    def halfspaces(self, i: int, *, domain: bool = True):
        """The closed region ``i`` as ``{x : A @ x <= b}``.

        One row per neuron whose map is not constant on the region (``-a x <= c`` where its
        sign is +1, ``a x <= -c`` where it is -1; for a max layer's row ``j`` that is not its
        window's argmax ``w``, ``f_j - f_w <= 0``), then the domain box's rows when
        ``domain`` is True and the domain is a box. Exact (Fraction) in exact mode.

        Returns
        -------
        A : array, shape (n_rows, D)
        b : array, shape (n_rows,)

        Examples
        --------
        >>> from vqgeom import Network, enumerate_regions
        >>> part = enumerate_regions(Network([{"weight": [["1"]], "bias": ["0"]}]))
        >>> A, b = part.halfspaces(1)
        >>> [str(v) for v in A.ravel()], [str(v) for v in b]
        (['-1', '1', '-1'], ['0', '1', '1'])
        """
        A, c = self.neuron_maps(i)
        signs = np.array([s for layer in self.codes[i] for s in layer], dtype=bool)
        start = 0
        for lay in self.net.layers:       # a max row j becomes f_j - f_w (<= 0: sign -1)
            if lay.is_max:
                rows = slice(start, start + lay.n_neurons)
                win = start + np.repeat(np.flatnonzero(signs[rows]), lay.groups)
                A[rows], c[rows] = A[rows] - A[win], c[rows] - c[win]
                signs[rows] = False
            start += lay.n_neurons
        keep = np.any(A != 0, axis=1)
        flip = np.where(signs, -1, 1)
        if self.exact:
            flip = np.array([Fraction(int(v)) for v in flip], dtype=object)
        rows = (A * flip[:, None])[keep]
        rhs = (-c * flip)[keep]
        from vqgeom.regions.domain import Box

        if domain and isinstance(self.domain, Box):
            BA, Bb = self.domain.halfspaces(exact=self.exact)
            rows = np.concatenate([rows, BA], axis=0) if rows.size else BA
            rhs = np.concatenate([rhs, Bb]) if rhs.size else Bb
        if not self.exact:
            rows, rhs = np.asarray(rows, dtype=np.float64), np.asarray(rhs, dtype=np.float64)
        return rows, rhs

    def polygon(self, i: int) -> list[tuple]:
        """Vertices of region ``i`` (D = 2), counter-clockwise, without repeated points.

        Exact (Fractions) in exact mode. For the domain Whole the region is clipped to
        :attr:`frame` (a box strictly containing every vertex of the complex, attached by
        the engine that built the partition).

        Raises
        ------
        InvalidInputError
            If the input dimension is not 2.
        """
        i = self._check_index(i)
        if self.input_dim != 2:
            raise InvalidInputError(f"polygon() needs input_dim=2, this partition has input_dim={self.input_dim}")
        if self._polygons is not None:
            return list(self._polygons[i])
        from vqgeom.regions.domain import Box
        from vqgeom.regions.geometry import box_polygon, clip_polygon

        box = self.domain if isinstance(self.domain, Box) else self.frame
        if box is None:
            raise InvalidInputError(f"polygon(): the domain {self.domain!r} is not a box and this "
                                    f"partition has no frame box (the engines attach one for "
                                    f"'whole'; vqgeom.regions.lp.enclosing_box computes it)")
        poly = box_polygon(box, exact=self.exact)
        A, b = self.halfspaces(i, domain=False)
        for row, rhs in zip(A, b):
            # row @ x <= rhs  <=>  (-row) @ x + rhs >= 0
            poly = clip_polygon(poly, -row[0], -row[1], rhs)
        return poly

    def polygons(self) -> list[list[tuple]]:
        """All regions' polygons (D = 2); see :meth:`polygon`."""
        return [self.polygon(i) for i in range(self.n_regions)]

    def _check_index(self, i) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.n_regions:
            raise InvalidInputError(f"region index must be an int in [0, {self.n_regions}), got {i!r}")
        return int(i)

    # ------------------------------------------------------------- lookup
    def region_of(self, X, *, on_boundary: str = "raise") -> np.ndarray:
        """The region of each point.

        Parameters
        ----------
        X : array-like, shape (N, D) or (D,)
            In exact mode floats are taken at their exact binary64 values (strings and
            Fractions are exact too), and the decision is exact.
        on_boundary : {"raise", "mark"}
            What to do with a point on a boundary between regions (some non-constant
            neuron vanishes there) or outside the domain: raise
            :class:`~vqgeom.errors.DegenerateInputError` naming the point, or label it
            ``ON_BOUNDARY`` (-1) / ``OUTSIDE`` (-2). Points on the domain's own boundary
            but inside a region's closure get that region.

        Returns
        -------
        ndarray of int, shape (N,)

        Raises
        ------
        DegenerateInputError
            For a boundary or outside point when ``on_boundary="raise"``.
        CertificateError
            In exact mode, when a point's code is not a region of this partition
            (the enumeration would be incomplete).

        Examples
        --------
        >>> from vqgeom import Network, enumerate_regions
        >>> part = enumerate_regions(Network([{"weight": [["1"]], "bias": ["0"]}]))
        >>> part.region_of([[-0.5], [0.0], [2.0], [0.25]], on_boundary="mark").tolist()
        [0, -1, -2, 1]
        """
        if on_boundary not in ("raise", "mark"):
            raise InvalidInputError(f"on_boundary must be 'raise' or 'mark', got {on_boundary!r}")
        from vqgeom.network import as_points
        from vqgeom.regions.domain import Box, Whole

        floats_given = self.exact and _is_float_array(X)
        # exact mode: float input is exact as it stands (its binary64 values); other input
        # (Fractions, strings) is converted to rationals
        P = as_points(X, self.input_dim, name="X", exact=self.exact and not floats_given)
        out = np.empty(P.shape[0], dtype=np.int64)
        if P.shape[0] == 0:
            return out
        sz = context(self.net, "filtered" if self.exact else "plain").signs(P)
        signs = [a for a, _ in sz]
        zero = np.concatenate([z for _, z in sz], axis=1)
        if isinstance(self.domain, Box):
            inside = _inside_box(P, self.domain, exact=self.exact)
        elif isinstance(self.domain, Whole):
            inside = np.ones(P.shape[0], dtype=bool)
        else:  # other domains (unions of boxes) answer contains(x)
            inside = np.array([bool(self.domain.contains(list(p))) for p in P], dtype=bool)
        bits = np.concatenate(signs, axis=1).astype(bool)
        keys = np.packbits(bits, axis=1)
        lookup = self._packed_index()
        any_zero = zero.any(axis=1)
        moving = {}  # code -> which neurons have a non-constant map on its cell
        for n in range(P.shape[0]):
            if not inside[n]:
                out[n] = OUTSIDE
                continue
            if any_zero[n]:
                code = tuple(tuple(bool(v) for v in s[n]) for s in signs)
                if code not in moving:
                    moving[code] = _wall_rows(self.net, code)
                if np.any(moving[code][zero[n]]):
                    out[n] = ON_BOUNDARY
                    continue
            idx = lookup.get(keys[n].tobytes())
            if idx is None:
                if self.exact:
                    raise CertificateError(
                        f"point X[{n}] = {_fmt_point(P[n])} has a code that no region of this partition "
                        f"has; the partition is incomplete")
                out[n] = ON_BOUNDARY  # float mode: a rounding-level sliver, undecided
                continue
            if idx < 0:
                code = tuple(tuple(bool(v) for v in s[n]) for s in signs)
                raise DegenerateInputError(
                    f"point X[{n}] = {_fmt_point(P[n])} has a code shared by regions "
                    f"{self._code_index()[1][code]} (pieces of one cell in a non-convex domain); "
                    f"region_of cannot tell them apart")
            out[n] = idx
        if on_boundary == "raise":
            bad = np.flatnonzero(out < 0)
            if bad.size:
                n = int(bad[0])
                what = "lies outside the domain" if out[n] == OUTSIDE else (
                    "lies on a boundary between regions (a neuron's pre-activation is 0 there)")
                raise DegenerateInputError(
                    f"point X[{n}] = {_fmt_point(P[n])} {what}; pass on_boundary='mark' to label "
                    f"such points -1 (boundary) or -2 (outside)")
        return out

    def _packed_index(self) -> dict:
        """Packed code bytes -> region index (-1 for a code shared by several regions)."""
        if getattr(self, "_packed", None) is None:
            keys = np.packbits(self.code_bits(), axis=1)
            packed = {}
            for i, k in enumerate(keys):
                kb = k.tobytes()
                packed[kb] = -1 if kb in packed else i
            self._packed = packed
        return self._packed

    # ----------------------------------------------------------- distances
    def adjacency_matrix(self):
        """The adjacency graph as a scipy CSR matrix (n_regions x n_regions, 0/1)."""
        from scipy.sparse import csr_matrix

        n = self.n_regions
        if self.n_adjacencies == 0:
            return csr_matrix((n, n), dtype=np.int8)
        e = np.array(list(self.graph.edges()), dtype=np.int64)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        return csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))

    def region_distances(self, sources=None) -> np.ndarray:
        """d_Omega between regions: shortest-path lengths in the adjacency graph.

        Parameters
        ----------
        sources : sequence of int, optional
            Rows to compute (default: all regions; memory n_regions^2 floats).

        Returns
        -------
        ndarray of float, shape (len(sources), n_regions)
            ``inf`` where no path exists (e.g. a non-convex domain that is disconnected).
        """
        from scipy.sparse.csgraph import shortest_path

        n = self.n_regions
        if sources is None:
            idx = np.arange(n)
        else:
            idx = np.asarray([self._check_index(int(s)) for s in np.ravel(np.asarray(sources))], dtype=np.int64)
        if n == 0 or idx.size == 0:
            return np.zeros((idx.size, n))
        if idx.size == 1:
            # one source: breadth-first search
            d = np.full(n, np.inf)
            for k, v in nx.single_source_shortest_path_length(self.graph, int(idx[0])).items():
                d[k] = v
            return d[None, :]
        return shortest_path(self.adjacency_matrix(), method="D", unweighted=True, directed=False,
                             indices=idx)

    def partition_distance(self, X, Y=None) -> np.ndarray:
        """d_Omega between points: the graph distance between their regions.

        Parameters
        ----------
        X : array-like, shape (N, D)
        Y : array-like, shape (M, D), optional (default: X)

        Returns
        -------
        ndarray of float, shape (N, M); ``inf`` for regions with no connecting path.

        Raises
        ------
        DegenerateInputError
            If a point lies on a region boundary or outside the domain.

        Examples
        --------
        >>> from vqgeom import Network, enumerate_regions
        >>> net = Network([{"weight": [["1"], ["1"]], "bias": ["0", "-1/2"]}])
        >>> enumerate_regions(net).partition_distance([[-0.5], [0.75]]).tolist()
        [[0.0, 2.0], [2.0, 0.0]]
        """
        rx = self.region_of(X)
        ry = rx if Y is None else self.region_of(Y)
        if rx.size == 0 or ry.size == 0:
            return np.zeros((rx.size, ry.size))
        src, inv = np.unique(rx, return_inverse=True)
        D = self.region_distances(src)
        return D[inv][:, ry]

    def vq_distances(self, weights=None, sources=None) -> np.ndarray:
        """The VQ distance d = sum_l w_l * Hamming(layer-l signs) between regions' codes.

        Parameters
        ----------
        weights : sequence of positive numbers, optional
            One weight per ReLU-type layer (default 1); max layers are not part of d.
        sources : sequence of int, optional
            Rows to compute (default all regions).

        Returns
        -------
        ndarray of float, shape (len(sources), n_regions)
        """
        relu = self.net.relu_layers
        depth = len(relu)
        if weights is None:
            w = np.ones(depth)
        else:
            w = np.asarray(weights, dtype=np.float64).ravel()
            if w.shape != (depth,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
                raise InvalidInputError(
                    f"weights must be {depth} positive finite numbers (one per ReLU-type layer), got {weights!r}")
        idx = np.arange(self.n_regions) if sources is None else np.asarray(
            [self._check_index(int(s)) for s in np.ravel(np.asarray(sources))], dtype=np.int64)
        bits = self.code_bits().astype(np.float64)
        out = np.zeros((idx.size, self.n_regions))
        start = 0
        for l, width in enumerate(self.net.widths):
            if l in relu:
                B = bits[:, start:start + width]
                S = B[idx]
                ham = S @ (1 - B).T + (1 - S) @ B.T
                out += w[relu.index(l)] * ham
            start += width
        return out

    # ------------------------------------------------------------ checking
    def verify(self) -> None:
        """Check every witness exactly (exact mode): each region's witness lies strictly
        inside the domain and has the region's code with no non-constant neuron vanishing,
        and each facet witness lies in the relative interior of a facet shared by the two
        regions (:func:`vqgeom.exact.certificates.check_facet`: the flipped neurons vanish
        there, every other neuron keeps the sign both codes give it, and the two closures are
        opposite halfspaces of one hyperplane near it), strictly inside a box domain (inside
        a union of boxes). Regions sharing a code (pieces of one cell on a non-convex domain)
        are checked against their code directly.

        Raises
        ------
        CertificateError
            Naming the first region or facet that fails.
        """
        if not self.exact:
            raise InvalidInputError("verify() needs an exact partition (arithmetic='exact')")
        from vqgeom.exact.certificates import check_facet, check_interior
        from vqgeom.regions.domain import Box, Whole

        # a code held by several regions (pieces of one cell in a non-convex domain) cannot be
        # looked up; its witnesses are checked against the code directly
        shared = self._code_index()[1]
        single = [i for i in range(self.n_regions) if self.codes[i] not in shared]
        labels = self.region_of(np.array([self.witnesses[i] for i in single], dtype=object)
                                .reshape(-1, self.input_dim), on_boundary="mark") if single else []
        for i, lab in zip(single, labels):
            if lab != i:
                raise CertificateError(f"region {i}: its witness {_fmt_point(self.witnesses[i])} "
                                       f"is not strictly inside it (lookup gave {int(lab)})")
        for i in range(self.n_regions):
            if self.codes[i] in shared:
                check_interior(self.net, self.codes[i], self.witnesses[i])
            inside = isinstance(self.domain, Whole) or self.domain.contains(self.witnesses[i], strict=True)
            if not inside:
                raise CertificateError(f"region {i}: its witness is not strictly inside the domain")
        for i, j, data in self.graph.edges(data=True):
            diff = {(l, k) for l, (u, v) in enumerate(zip(self.codes[i], self.codes[j]))
                    for k, (a, b) in enumerate(zip(u, v)) if a != b}
            if not diff or diff != set(data["flips"]):
                raise CertificateError(f"facet ({i}, {j}): listed flips {data['flips']} but the codes "
                                       f"differ in {sorted(diff)}")
            f = data["facet_witness"]
            if f is None:
                continue
            check_facet(self.net, self.codes[i], self.codes[j], f,
                        self.domain if isinstance(self.domain, Box) else None)
            if not isinstance(self.domain, (Box, Whole)) and not self.domain.contains(f):
                raise CertificateError(f"facet ({i}, {j}): its witness {_fmt_point(f)} is outside the domain")

    # ----------------------------------------------------------- save / load
    def to_dict(self, *, timing: bool = False) -> dict:
        """The JSON form (``vqgeom-partition/1``); see :func:`vqgeom.regions.serialize.to_dict`."""
        return serialize.to_dict(self, timing=timing)

    def save(self, path, *, timing: bool = False) -> None:
        """Write the partition as JSON to ``path`` atomically; see :func:`vqgeom.regions.serialize.save`."""
        serialize.save(self, path, timing=timing)

    def export_graphml(self, path) -> None:
        """Write the adjacency graph as GraphML; see :func:`vqgeom.regions.serialize.export_graphml`."""
        serialize.export_graphml(self, path)

    @classmethod
    def from_dict(cls, doc: dict) -> "Partition":
        """Rebuild a partition from :meth:`to_dict`'s form."""
        return serialize.from_dict(doc, cls)

    @classmethod
    def load(cls, path) -> "Partition":
        """Read a partition written by :meth:`save`."""
        return serialize.load(path, cls)

    # ------------------------------------------------------------- plotting
    def plot(self, ax=None, *, color_by: str = "code", source=None, edges: bool = True, **kwargs):
        """Draw the regions (D = 2) with matplotlib; see :func:`vqgeom.plotting.plot_partition`."""
        from vqgeom.plotting import plot_partition

        return plot_partition(self, ax=ax, color_by=color_by, source=source, edges=edges, **kwargs)


def _wall_rows(net, code) -> np.ndarray:
    """Per neuron (layers concatenated), whether a 0 there (a tie, for a max layer's row) can
    be a wall on the cell of ``code``: a ReLU-type neuron whose map is not constant, a max
    layer's row whose map differs from its group's winner's (identical maps tie everywhere)."""
    out = []
    for lay, s, (A, c) in zip(net.layers, code, net.preactivation_maps(code)):
        if not lay.is_max:
            out.append(np.any(A != 0, axis=1))
            continue
        H = np.concatenate([A, c[:, None]], axis=1)
        win = np.repeat(np.flatnonzero(np.asarray(s, dtype=bool)), lay.groups)
        out.append(np.any(H != H[win], axis=1))
    return np.concatenate(out)


def _inside_box(P, box, *, exact: bool) -> np.ndarray:
    """Rows of P (floats or Fractions) inside the closed box; exact when ``exact``."""
    lo = np.array([float(v) for v in box.lower])
    hi = np.array([float(v) for v in box.upper])
    if P.dtype != object:
        # a float x compares with a rational r exactly as with r's nearest float, except
        # when x equals that float: recheck those entries exactly
        inside = np.all((P >= lo) & (P <= hi), axis=1)
        if exact:
            tie = np.flatnonzero(np.any((P == lo) | (P == hi), axis=1))
            for n in tie:
                inside[n] = box.contains([Fraction(float(v)) for v in P[n]])
        return inside
    if not exact:
        Pf = P.astype(np.float64)
        return np.all((Pf >= lo) & (Pf <= hi), axis=1)
    lo_x = np.array(box.lower, dtype=object)
    hi_x = np.array(box.upper, dtype=object)
    return np.all((P >= lo_x) & (P <= hi_x), axis=1)


def _is_float_array(X) -> bool:
    if hasattr(X, "detach"):
        return True
    if isinstance(X, np.ndarray):
        return X.dtype.kind == "f"
    return False


def _fmt_point(p) -> str:
    return "(" + ", ".join(str(v) for v in p) + ")"
