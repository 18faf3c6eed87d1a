"""Decision regions: the partition of a 2-D domain (a plane through data) by the readout's argmax.

On each activation region the network's output is affine, so the set where class ``c`` wins,
``{f_c >= f_j for all j}``, cuts the region's polygon into convex *pieces* (exactly, in
rationals for an exact partition). The pieces are the activation partition refined by the
decision; merged across the walls they share, pieces of one class form the *decision
regions* on their own (connected components of the argmax's level sets). The *decision
boundary* is the set of piece edges on which two class scores are equal and the argmax
changes.

Ties go to the lowest class index, as torch's ``argmax`` and sign(0) = +1 do; pieces are
closed, so a boundary edge belongs to the closures of the pieces on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import networkx as nx
import numpy as np

from vqgeom.errors import InvalidInputError
from vqgeom.regions.partition import Partition
from vqgeom.regions.polygon import clip_polygon, shared_edges

__all__ = ["DecisionRegions", "decision_regions"]


@dataclass
class DecisionRegions:
    """The exact partition of a 2-D domain by the argmax of a network's readout.

    Attributes
    ----------
    partition : Partition
        The activation partition it refines.
    pieces : list of (int, int, list of tuple)
        ``(region, class, polygon)``: a convex cell of constant (activation code, argmax).
    boundary : list of ((u0, v0), (u1, v1))
        The decision boundary's segments (each once).
    components : list of (int, list of int)
        ``(class, piece indices)``: the decision regions on their own, connected sets where
        one class wins (pieces of one class sharing an edge are joined).
    """

    partition: object
    pieces: list
    boundary: list
    components: list = field(default_factory=list)

    @property
    def n_pieces(self) -> int:
        return len(self.pieces)

    @property
    def n_decision_regions(self) -> int:
        return len(self.components)

    @property
    def classes(self) -> list[int]:
        """The classes that win somewhere, sorted."""
        return sorted({c for _, c, _ in self.pieces})

    def class_of_region(self) -> np.ndarray:
        """Per activation region: its class when one class wins on all of it, else -1."""
        out = np.full(self.partition.n_regions, -2, dtype=np.int64)
        for r, c, _ in self.pieces:
            out[r] = c if out[r] == -2 else -1
        return out

    def plot(self, ax=None, *, refine: bool = True, boundary: bool = True, cmap: str = "tab10",
             linewidth: float = 1.5, alpha: float = 0.55):
        """Draw the pieces coloured by class (with the activation regions' edges when
        ``refine``) and the decision boundary (matplotlib, imported here)."""
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection, PolyCollection

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        if self.partition.input_dim == 1:
            cm = plt.get_cmap(cmap)
            for _, c, (a, b) in self.pieces:
                ax.plot([float(a[0]), float(b[0])], [c, c], "-", color=cm(c % cm.N), lw=4)
            for t, _ in self.boundary if boundary else []:
                ax.axvline(float(t[0]), color="k", lw=0.8)
            ax.set_xlabel("u")
            ax.set_ylabel("class")
            ax.set_title(f"{self.n_decision_regions} decision intervals, {self.n_pieces} pieces")
            return ax
        polys = [np.array([[float(x), float(y)] for x, y in p]) for _, _, p in self.pieces]
        cls = np.array([c for _, c, _ in self.pieces], dtype=float)
        coll = PolyCollection(polys, array=cls, cmap=cmap, alpha=alpha, edgecolors="face", linewidths=0)
        coll.set_clim(-0.5, 9.5 if cls.size == 0 or cls.max() < 10 else cls.max() + 0.5)
        ax.add_collection(coll)
        if refine:
            regions = [np.array([[float(x), float(y)] for x, y in p]) for p in self.partition.polygons()]
            ax.add_collection(PolyCollection(regions, facecolors="none", edgecolors="k", linewidths=0.2))
        if boundary and self.boundary:
            segs = [[[float(a[0]), float(a[1])], [float(b[0]), float(b[1])]] for a, b in self.boundary]
            ax.add_collection(LineCollection(segs, colors="k", linewidths=linewidth))
        if polys:
            pts = np.concatenate(polys)
            ax.set_xlim(pts[:, 0].min(), pts[:, 0].max())
            ax.set_ylim(pts[:, 1].min(), pts[:, 1].max())
        ax.set_aspect("equal")
        ax.set_title(f"{self.n_decision_regions} decision regions, {self.n_pieces} pieces")
        return ax


def _score_layers(net):
    """The readout's rows ``(W, b)`` (the identity on the last layer when there is none)."""
    if net.readout is not None:
        return net.readout.weight, net.readout.bias
    n_out = net.layers[-1].output_dim
    if n_out < 2:
        raise InvalidInputError("decision regions need a network with at least two outputs (classes)")
    zero, one = (0, 1) if not net.exact else (Fraction(0), Fraction(1))
    W = np.array([[one if i == j else zero for j in range(n_out)] for i in range(n_out)],
                 dtype=object if net.exact else np.float64)
    return W, np.array([zero] * n_out, dtype=W.dtype)


def _with_layer(net, W, b):
    """``net`` with one more layer whose neurons are the rows of ``(W, b)`` (their
    pre-activations are affine functions of the network's output)."""
    return type(net)([*net.layers, dict(weight=W, bias=b)], exact=net.exact)


def _vertex_differences(part, verts, pairs):
    """The sign (+1, 0, -1) of ``f_c - f_j`` for every pair (c, j) at every vertex, exactly (a
    float filter with a rigorous error bound, exact arithmetic where it cannot decide); the
    output is continuous, so it does not depend on the region."""
    net = part.net
    W, b = _score_layers(net)
    diff = _with_layer(net, np.array([W[c] - W[j] for c, j in pairs]), np.array([b[c] - b[j] for c, j in pairs]))
    from vqgeom.exact.arith import context

    P = np.array(verts, dtype=object).reshape(-1, 2)
    nonneg, zero = context(diff, "filtered").signs(P)[-1]
    return np.where(zero, 0, np.where(nonneg, 1, -1)).astype(np.int8)


def _exact_score_maps(net, codes_bits):
    """Exact score maps ``f(u) = (G @ u + g) / den`` (one positive den) under region codes,
    from the arithmetic core's batched integer route; returns a list of ``(G, g)``."""
    from vqgeom.exact.arith import context

    W, b = _score_layers(net)
    K = W.shape[0]
    n = codes_bits.shape[0]
    if n == 0:
        return []
    G, g, _ = context(_with_layer(net, W, b), "exact").rows(net.depth, np.tile(np.arange(K), n),
                                                            np.repeat(codes_bits, K, axis=0))
    return [(G[r * K:(r + 1) * K], g[r * K:(r + 1) * K]) for r in range(n)]


def _winners(signs, pairs, K):
    """The argmax (lowest index on ties) per vertex from the signs of f_c - f_j (c < j)."""
    index = {p: k for k, p in enumerate(pairs)}
    w = np.zeros(signs.shape[0], dtype=np.int64)
    for j in range(1, K):
        cols = np.array([index[(c, j)] for c in range(j)])
        beat = signs[np.arange(len(w)), cols[w]] < 0   # f_w - f_j < 0: j is larger
        w = np.where(beat, j, w)
    return w


def _decision_on_line(part) -> DecisionRegions:
    """The 1-D case: each interval's scores are lines in u; walk their upper envelope."""
    net = part.net
    W, _ = _score_layers(net)
    K = W.shape[0]
    lo, hi = part.domain.lower[0], part.domain.upper[0]
    cuts = sorted({data["facet_witness"][0] for _, _, data in part.graph.edges(data=True)})
    ends = [lo] + cuts + [hi]
    mids = np.array([[(a + b) / 2] for a, b in zip(ends, ends[1:])], dtype=object)
    regions = Partition.region_of(part, mids)  # in the partition's own coordinates
    maps = _exact_score_maps(net, part.code_bits()[regions])
    pieces = []
    for (a, b), r, (G, g) in zip(zip(ends, ends[1:]), regions, maps):
        t = a
        while t < b:
            # the winner just right of t: largest value, then largest slope, then lowest index
            c = max(range(K), key=lambda k: (G[k, 0] * t + g[k], G[k, 0], -k))
            nxt = b
            for j in range(K):
                if j != c and G[j, 0] > G[c, 0]:
                    s = Fraction(int(g[c] - g[j]), int(G[j, 0] - G[c, 0]))
                    if t < s < nxt:
                        nxt = s
            pieces.append((int(r), c, [(t,), (nxt,)]))
            t = nxt
    merged = []
    for r, c, seg in pieces:   # consecutive pieces of one region and class (ties in slope order) join
        if merged and merged[-1][0] == r and merged[-1][1] == c:
            merged[-1] = (r, c, [merged[-1][2][0], seg[1]])
        else:
            merged.append((r, c, seg))
    boundary = [(p[2][1], p[2][1]) for p, q in zip(merged, merged[1:]) if p[1] != q[1]]
    components = []
    for k, (_, c, _) in enumerate(merged):
        if components and components[-1][0] == c:
            components[-1][1].append(k)
        else:
            components.append((c, [k]))
    return DecisionRegions(part, merged, boundary, components)


def decision_regions(part) -> DecisionRegions:
    """The exact partition of a plane's (or a line's) domain by the argmax of the network's output.

    Parameters
    ----------
    part : Partition
        An exact 2-D partition (e.g. ``enumerate_regions(model, vqgeom.Plane(x0, x1, x2))``)
        or 1-D one (a :class:`~vqgeom.Line`) of a network with two or more outputs (its
        readout's, or its last layer's). On a line the pieces are intervals ``[(a,), (b,)]``
        and the boundary is a list of points ``((t,), (t,))``.

    Returns
    -------
    DecisionRegions
        Exact: polygons with Fraction vertices.

    Raises
    ------
    InvalidInputError
        If the partition is not 1-D or 2-D, not exact, or the network has fewer than two outputs.

    Notes
    -----
    A region on whose every vertex one class wins is one piece (the scores are affine on
    it). The winners at the vertices come from the signs of ``f_c - f_j``, decided by a
    float filter with a rigorous error bound and exact arithmetic where it cannot decide.
    Only the regions with several winners are cut, along the exact lines ``f_c = f_j``.

    Examples
    --------
    >>> from vqgeom import Network, enumerate_regions
    >>> net = Network([{"weight": [["1", "0"]], "bias": ["0"]}],
    ...               readout={"weight": [["1"], ["-1"]], "bias": ["0", "1/2"]})
    >>> dec = decision_regions(enumerate_regions(net))
    >>> dec.n_pieces, dec.n_decision_regions, [(str(a[0]), str(b[0])) for a, b in dec.boundary]
    (3, 2, [('1/4', '1/4')])
    """
    if part.input_dim not in (1, 2):
        raise InvalidInputError(f"decision_regions needs a 1-D or 2-D partition (a line or a plane), got "
                                f"input_dim={part.input_dim}")
    if not part.exact:
        raise InvalidInputError("decision_regions needs an exact partition (enumerate_regions with "
                                "arithmetic='exact'), got a float one")
    if part.input_dim == 1:
        return _decision_on_line(part)
    net = part.net
    W, _ = _score_layers(net)
    K = W.shape[0]
    pairs = [(c, j) for c in range(K) for j in range(c + 1, K)]
    polygons = part.polygons()
    vid = {}
    for poly in polygons:
        for v in poly:
            vid.setdefault(v, len(vid))
    verts = list(vid)
    signs = _vertex_differences(part, verts, pairs)
    win = _winners(signs, pairs, K)
    pidx = {p: k for k, p in enumerate(pairs)}

    def ties(v, c):
        """Classes tied with c at the partition vertex v."""
        row = signs[vid[v]]
        return {j for j in range(K) if j != c and row[pidx[(min(c, j), max(c, j))]] == 0}

    pieces, mixed, tie_sets = [], [], []
    for r, poly in enumerate(polygons):
        w = {int(win[vid[v]]) for v in poly}
        if len(w) == 1:
            c = w.pop()
            pieces.append((r, c, poly))
            tie_sets.append([ties(v, c) for v in poly])
        else:
            mixed.append(r)
    bits = part.code_bits()
    maps = _exact_score_maps(net, bits[mixed])
    for r, (G, g) in zip(mixed, maps):
        poly = polygons[r]
        for c in range(K):
            piece = poly
            for j in range(K):
                if j == c or not piece:
                    continue
                piece = clip_polygon(piece, G[c, 0] - G[j, 0], G[c, 1] - G[j, 1], g[c] - g[j])
            if piece:
                pieces.append((r, c, piece))
                tie_sets.append([{j for j in range(K) if j != c and (G[c, 0] - G[j, 0]) * x
                                  + (G[c, 1] - G[j, 1]) * y + g[c] - g[j] == 0} for x, y in piece])
    # the boundary: piece edges along which the piece's class ties with another class
    seen = set()
    boundary = []
    for (_, _, poly), tset in zip(pieces, tie_sets):
        n = len(poly)
        for k in range(n):
            p, q = poly[k], poly[(k + 1) % n]
            if p != q and tset[k] & tset[(k + 1) % n]:
                key = (min(p, q), max(p, q))
                if key not in seen:
                    seen.add(key)
                    boundary.append(key)
    # decision regions on their own: pieces of one class joined across shared edges
    graph = nx.Graph()
    graph.add_nodes_from(range(len(pieces)))
    for a, b in shared_edges([p for _, _, p in pieces]):
        if pieces[a][1] == pieces[b][1]:
            graph.add_edge(a, b)
    components = sorted(((pieces[min(comp)][1], sorted(comp)) for comp in nx.connected_components(graph)),
                        key=lambda t: t[1][0])
    return DecisionRegions(part, pieces, boundary, components)
