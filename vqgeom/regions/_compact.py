"""Points and edges of a partition kept as arrays, their Python tuples built on demand (private).

The subdivision engine's exact witnesses are floats (taken at their exact binary64 values),
except one coordinate of each facet witness (solved exactly on the facet's hyperplane) and
the rare witness that is the exact average of vertices. :class:`Points` keeps them as a float
array, a pivot column with its exact value per row, and a few explicit rows; :class:`Edges`
keeps an edge list as index arrays. Both travel between processes as a few numpy arrays
(a distributed run's pieces return them) and are concatenated, subset and merged with numpy;
the tuples of :class:`~fractions.Fraction` that a :class:`~vqgeom.regions.partition.Partition`
shows are built once, when its ``witnesses`` or ``graph`` are first used.
"""

from __future__ import annotations

import numpy as np

from vqgeom.exact import _from_coprime

__all__ = ["Points", "Edges", "arrays_of"]


class Points:
    """``n`` points of R^D: float rows, optionally one exact rational coordinate per row,
    optionally explicit rows.

    Parameters
    ----------
    floats : array (n, D) of float64
        The points (in exact mode: at the floats' exact values).
    exact : bool
        Rows are tuples of Fractions (exact mode) or of floats.
    pivot : array (n,) of int, optional
        Per row the column whose exact value is ``num[r] / den[r]`` instead of the float,
        or -1 (exact mode only).
    num, den : array (n,) of Python ints (dtype object), optional
        Coprime, ``den > 0``; read where ``pivot >= 0``.
    explicit : dict, optional
        ``row -> tuple``: rows given as they are (they override everything else).

    Examples
    --------
    >>> import numpy as np
    >>> p = Points(np.array([[0.5, 0.25], [1.0, 2.0]]), exact=True, pivot=np.array([-1, 0]),
    ...            num=np.array([0, 1], dtype=object), den=np.array([1, 3], dtype=object))
    >>> [tuple(str(x) for x in row) for row in p.tolist()]
    [('1/2', '1/4'), ('1/3', '2')]
    >>> [tuple(str(x) for x in row) for row in p.take(np.array([1])).tolist()]
    [('1/3', '2')]
    """

    def __init__(self, floats, *, exact: bool, pivot=None, num=None, den=None, explicit=None):
        self.floats = np.ascontiguousarray(floats, dtype=np.float64)
        self.exact = bool(exact)
        self.pivot = None if pivot is None else np.asarray(pivot, dtype=np.int64)
        self.num, self.den = num, den
        self.explicit = dict(explicit or {})

    @classmethod
    def from_rows(cls, rows, dim: int, *, exact: bool) -> "Points":
        """Points from a sequence of tuples, every row kept as it is (for the small outputs
        of engines that build tuples anyway)."""
        rows = list(rows)
        return cls(np.zeros((len(rows), dim)), exact=exact, explicit=dict(enumerate(rows)))

    def __len__(self) -> int:
        return self.floats.shape[0]

    def tolist(self) -> list:
        """The points as a list of tuples (Fractions in exact mode)."""
        n, D = self.floats.shape
        if not self.exact:
            rows = list(map(tuple, self.floats.tolist()))
        else:
            flat = [_from_coprime(*x.as_integer_ratio()) for x in self.floats.ravel().tolist()]
            if self.pivot is not None:
                for r in np.flatnonzero(self.pivot >= 0).tolist():
                    flat[r * D + int(self.pivot[r])] = _from_coprime(self.num[r], self.den[r])
            it = iter(flat)
            rows = list(zip(*[it] * D)) if D else [()] * n
        for r, row in self.explicit.items():
            rows[r] = tuple(row)
        return rows

    def take(self, index) -> "Points":
        """The rows ``index`` (an int array), in that order."""
        index = np.asarray(index, dtype=np.int64)
        explicit = {}
        if self.explicit:
            for new, old in enumerate(index.tolist()):
                row = self.explicit.get(old)
                if row is not None:
                    explicit[new] = row
        if self.pivot is None:
            return Points(self.floats[index], exact=self.exact, explicit=explicit)
        return Points(self.floats[index], exact=self.exact, pivot=self.pivot[index], num=self.num[index],
                      den=self.den[index], explicit=explicit)

    @classmethod
    def concat(cls, parts, dim: int, *, exact: bool) -> "Points":
        """The rows of ``parts`` one after the other."""
        parts = list(parts)
        if not parts:
            return cls(np.zeros((0, dim)), exact=exact)
        floats = np.concatenate([p.floats for p in parts])
        explicit, offset = {}, 0
        for p in parts:
            explicit.update((offset + r, row) for r, row in p.explicit.items())
            offset += len(p)
        if all(p.pivot is None for p in parts):
            return cls(floats, exact=exact, explicit=explicit)
        piv, num, den = [], [], []
        for p in parts:
            if p.pivot is None:
                piv.append(np.full(len(p), -1, dtype=np.int64))
                num.append(np.zeros(len(p), dtype=object))
                den.append(np.ones(len(p), dtype=object))
            else:
                piv.append(p.pivot)
                num.append(p.num)
                den.append(p.den)
        return cls(floats, exact=exact, pivot=np.concatenate(piv), num=np.concatenate(num),
                   den=np.concatenate(den), explicit=explicit)


class Edges:
    """An edge list ``(i, j, flips, facet_witness)`` kept as arrays; iterating yields the
    tuples (what :class:`~vqgeom.regions.partition.Partition` takes as ``edges``).

    Parameters
    ----------
    a, b : array (m,) of int
        The two regions of every edge.
    single : array (m,) of int
        The flat index (layers concatenated) of the one neuron an edge flips, or -1 when it
        flips several; those are in ``multi``.
    multi : dict
        ``edge -> tuple of flat neuron indices``.
    facets : Points
        The facet witnesses.
    neurons : list of (layer, k)
        The neuron of every flat index.
    """

    def __init__(self, a, b, single, multi, facets: Points, neurons):
        self.a, self.b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        self.single = np.asarray(single, dtype=np.int64)
        self.multi = dict(multi)
        self.facets = facets
        self.neurons = list(neurons)

    def __len__(self) -> int:
        return self.a.shape[0]

    def __iter__(self):
        idx, multi = self.neurons, self.multi
        for r, (i, j, s, w) in enumerate(zip(self.a.tolist(), self.b.tolist(), self.single.tolist(),
                                             self.facets.tolist())):
            yield i, j, ((idx[s],) if s >= 0 else tuple(idx[k] for k in multi[r])), w


def arrays_of(part):
    """``(witnesses, a, b, facets)`` of a Partition as :class:`Points` and index arrays: read
    off the arrays it was built from when it still holds them (no tuples built), else from
    its witnesses and graph."""
    D, exact = part.input_dim, part.exact
    held = part._witness_array if part._witnesses is None else None
    if isinstance(held, Points):
        witnesses = held
    elif held is not None:                       # a float array: shown as float tuples
        witnesses = Points(held, exact=False)
    else:
        witnesses = Points.from_rows(part.witnesses, D, exact=exact)
    edges = part._edges_in if part._graph is None else None
    if isinstance(edges, Edges):
        return witnesses, edges.a, edges.b, edges.facets
    triples = edges if isinstance(edges, (list, tuple)) else list(part.graph.edges(data="facet_witness"))
    a = np.array([int(e[0]) for e in triples], dtype=np.int64)
    b = np.array([int(e[1]) for e in triples], dtype=np.int64)
    facets = Points.from_rows([e[-1] for e in triples], D, exact=exact)
    return witnesses, a, b, facets
