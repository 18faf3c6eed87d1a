"""Exhaustive comparison of d (VQ distance of codes) and d_Omega over every pair of regions.

Internal: the lemma modules build the partition (or a merged one), then call
:func:`compare_pairs`. Everything is exact: Hamming counts are integers (computed with a
float matrix product of +-1 codes, exact below 2**53), layer weights are Fractions and the
comparison is done after clearing denominators.
"""

from __future__ import annotations

import math
from fractions import Fraction

import networkx as nx
import numpy as np

from vqgeom.lemmas.verdict import Violation

__all__ = ["layer_hamming", "graph_distances", "compare_pairs", "as_layer_weights", "witness_simplifier"]

#: how many violation witnesses a verdict stores by default (all are counted)
MAX_WITNESSES = 10


def as_layer_weights(weights, depth: int) -> list:
    """Validate per-layer weights w_l (default 1) and return them as Fractions."""
    from vqgeom.errors import InvalidInputError
    from vqgeom.exact import to_fraction

    if weights is None:
        return [Fraction(1)] * depth
    w = list(weights) if not np.isscalar(weights) else [weights] * depth
    if len(w) != depth:
        raise InvalidInputError(f"weights must have one entry per layer ({depth}), got {len(w)}")
    out = [to_fraction(v, name=f"weights[{i}]") for i, v in enumerate(w)]
    for i, v in enumerate(out):
        if v <= 0:
            raise InvalidInputError(f"weights[{i}] must be > 0 (d is a weighted Hamming distance), got {v}")
    return out


def witness_simplifier(part):
    """A function ``i -> point``: a short rational point of region ``i`` (its witness if none is found).

    Tries ``limit_denominator(q)`` for q = 1, 2, 4, ..., 2**20 and keeps the first point that lies
    strictly inside the domain, on no hyperplane, with exactly the region's code. Only regions
    whose code is unique are simplified (on a union of boxes one code can have several regions).
    """
    from collections import Counter

    net = part.net.to_exact()
    counts = Counter(part.codes)
    cache = {}

    def nice(i):
        if i in cache:
            return cache[i]
        w = tuple(Fraction(v) for v in part.witnesses[i])
        best = w
        if counts[part.codes[i]] == 1:
            for e in range(21):
                cand = tuple(v.limit_denominator(2 ** e) for v in w)
                if cand == w:
                    break
                if not part.domain.contains(cand, strict=True):
                    continue
                pres = net.preactivations([list(cand)])
                if any(v == 0 for p in pres for v in p[0]):
                    continue
                if tuple(tuple(bool(v > 0) for v in p[0]) for p in pres) == part.codes[i]:
                    best = cand
                    break
        cache[i] = best
        return best

    return nice


def layer_hamming(codes, widths) -> list:
    """Per-layer Hamming distance matrices of region codes.

    Parameters
    ----------
    codes : sequence of codes (tuple per layer of tuples of bool), length n
    widths : sequence of int, the neurons per layer

    Returns
    -------
    list of int64 arrays, shape (n, n), one per layer
    """
    n = len(codes)
    out = []
    for l, width in enumerate(widths):
        if n == 0:
            out.append(np.zeros((0, 0), dtype=np.int64))
            continue
        S = np.array([[1.0 if s else -1.0 for s in code[l]] for code in codes]).reshape(n, width)
        G = S @ S.T  # exact: integers far below 2**53
        out.append(np.rint((width - G) / 2).astype(np.int64))
    return out


def graph_distances(graph: nx.Graph, n: int) -> np.ndarray:
    """All-pairs shortest-path lengths (int64; -1 where unreachable) on nodes 0..n-1."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import shortest_path

    if n == 0:
        return np.zeros((0, 0), dtype=np.int64)
    edges = [(i, j) for i, j in graph.edges() if i != j]
    rows = [i for i, j in edges] + [j for i, j in edges]
    cols = [j for i, j in edges] + [i for i, j in edges]
    A = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    D = shortest_path(A, method="D", unweighted=True, directed=False)
    out = np.full((n, n), -1, dtype=np.int64)
    finite = np.isfinite(D)
    out[finite] = np.rint(D[finite]).astype(np.int64)
    return out


def compare_pairs(codes, witnesses, widths, weights, d_omega: np.ndarray, path_of, *,
                  relation: str, max_witnesses: int = MAX_WITNESSES, explain=None, point_of=None) -> dict:
    """Compare d and d_Omega on every unordered pair of distinct regions.

    Parameters
    ----------
    codes, witnesses : sequences of length n
    widths : neurons per layer
    weights : list of Fraction, one per layer
    d_omega : int array (n, n), -1 for unreachable (counted as d < d_Omega)
    path_of : callable (i, j) -> tuple of int, a shortest region path
    relation : {"equal", "le"}
        The claim: d = d_Omega on every pair (Lemma 1) or d <= d_Omega (Lemma 2).
    explain : callable (i, j, d, d_omega) -> str, optional
    point_of : callable i -> point, optional
        The witness point reported for region ``i`` (default ``witnesses[i]``).

    Returns
    -------
    dict with pairs_checked, n_less, n_equal, n_greater, n_violations, violations, max_d,
    max_d_omega
    """
    n = len(codes)
    H = layer_hamming(codes, widths)
    Q = math.lcm(*[w.denominator for w in weights]) if weights else 1
    dq = np.zeros((n, n), dtype=np.int64)
    for w, h in zip(weights, H):
        dq += int(w * Q) * h
    iu, ju = np.triu_indices(n, k=1)
    dv = dq[iu, ju]
    ov = d_omega[iu, ju]
    unreachable = ov < 0
    oq = ov.astype(np.int64) * Q
    less = unreachable | (dv < oq)
    greater = ~unreachable & (dv > oq)
    equal = ~unreachable & (dv == oq)
    bad = greater if relation == "le" else (less | greater)
    idx = np.flatnonzero(bad)
    gap = np.where(unreachable[idx], np.iinfo(np.int64).max // 4, np.abs(dv[idx] - oq[idx]))
    order = idx[np.lexsort((idx, -gap))][:max_witnesses]
    violations = []
    for k in order:
        i, j = int(iu[k]), int(ju[k])
        d = Fraction(int(dv[k]), Q)
        dom = int(ov[k])
        path = tuple(path_of(i, j)) if dom >= 0 else ()
        text = explain(i, j, d, dom) if explain is not None else ""
        xi = point_of(i) if point_of is not None else witnesses[i]
        xj = point_of(j) if point_of is not None else witnesses[j]
        violations.append(Violation((i, j), tuple(xi), tuple(xj), codes[i], codes[j], d, dom, path, text))
    return {
        "pairs_checked": int(len(iu)),
        "n_less": int(less.sum()), "n_equal": int(equal.sum()), "n_greater": int(greater.sum()),
        "n_violations": int(bad.sum()), "violations": violations,
        "max_d": Fraction(int(dv.max()), Q) if len(dv) else Fraction(0),
        "max_d_omega": int(ov.max()) if len(ov) else 0,
    }
