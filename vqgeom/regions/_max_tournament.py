"""Max layers through the engines that split by ReLU units only: a tournament, then a merge.

A max layer computes each window's maximum; ``max(m, c) = m + relu(c - m)`` rewrites it as
ReLU layers (:func:`tournament`: stage t compares each window's running maximum with its
candidate t), so any engine enumerates the *tournament network*, which computes the same
function. Its regions over-refine Omega (a comparison between two losing candidates is a
wall of the tournament, not of the max layer), so they are merged by the original network's
code (ReLU signs and argmaxes) read at their witnesses (:func:`through_tournament`).

Why the merge is exact. On the interior of a tournament region every comparison keeps a
strict sign (or the compared maps are identical, then the tie rule decides), so the original
code is constant there: each tournament region lies in one cell of constant (ReLU code,
argmax code), and the cell is the union of the closures of the tournament regions it holds.
A cell is convex (its code fixes every map, and it is cut out by half-spaces), so on a box
its tournament regions are connected through shared facets (a segment between two interior
points in general position crosses facets in their relative interiors only): the connected
components of "same code and facet-adjacent" are the cells. Two cells share a facet exactly
when two of their tournament regions do, and a tournament facet witness between different
cells lies in the relative interior of the cells' shared facet (every wall of the original
is a wall of the tournament). ``Partition.verify`` re-checks all of it exactly.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from vqgeom.errors import InvalidInputError, RegionBudgetExceeded

__all__ = ["tournament", "through_tournament"]


def tournament(net):
    """The same function with every max layer replaced by ReLU layers (exact).

    Stage ``t`` of a max layer has one ReLU unit per window with more than ``t`` candidates,
    ``c_t - m`` (``m`` the running maximum of candidates ``0..t-1``), and carries
    ``m + relu(c_t - m)``, the candidates still to come and the layer's skip part through
    its ``skip`` and ``out`` maps; the last stage applies the layer's ``out``.

    Parameters
    ----------
    net : Network
        Of the class the result takes (a network on a slice stays one).

    Returns
    -------
    Network
        Exact, with ReLU-type layers only.

    Raises
    ------
    InvalidInputError
        For a max layer whose windows all hold one candidate (it is affine: no unit to keep).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [["1"], ["-1"]], "activation": "max", "groups": 2}])
    >>> t = tournament(net)
    >>> t.widths, [str(v) for v in t.forward([["-3"], ["2"]]).ravel()]
    ((1,), ['3', '2'])
    """
    net = net.to_exact()
    one, zero = Fraction(1), Fraction(0)
    layers = []
    for index, lay in enumerate(net.layers):
        if not lay.is_max:
            layers.append(lay)
            continue
        sizes = lay.groups
        if max(sizes) == 1:
            raise InvalidInputError(f"layer {index}: every window of this max layer holds one candidate, so "
                                    f"it is affine; fold it into its neighbours")
        starts = np.cumsum((0,) + sizes[:-1])
        G, d_in = len(sizes), lay.input_dim
        # the state as affine maps of the layer input z: rows of (A, a), named by keys
        keys = [("m", g) for g in range(G)] + [("c", g, j) for g in range(G) for j in range(1, sizes[g])]
        A = [lay.weight[starts[k[1]] + (0 if k[0] == "m" else k[2])] for k in keys]
        a = [lay.bias[starts[k[1]] + (0 if k[0] == "m" else k[2])] for k in keys]
        if lay.skip is not None or lay.out_bias is not None:   # the carried part C z + c
            d_out = lay.output_dim
            C = lay.skip if lay.skip is not None else np.full((d_out, d_in), zero, dtype=object)
            c = lay.out_bias if lay.out_bias is not None else np.full(d_out, zero, dtype=object)
            keys += [("s", r) for r in range(d_out)]
            A += list(C)
            a += list(c)
        A = np.array(A, dtype=object).reshape(len(keys), d_in)
        a = np.array(a, dtype=object)
        for t in range(1, max(sizes)):
            idx = {k: i for i, k in enumerate(keys)}
            active = [g for g in range(G) if sizes[g] > t]
            W = np.array([A[idx[("c", g, t)]] - A[idx[("m", g)]] for g in active], dtype=object)
            b = np.array([a[idx[("c", g, t)]] - a[idx[("m", g)]] for g in active], dtype=object)
            new_keys = [k for k in keys if k[0] != "c" or k[2] > t]
            skip = np.array([A[idx[k]] for k in new_keys], dtype=object)
            ob = np.array([a[idx[k]] for k in new_keys], dtype=object)
            out = np.full((len(new_keys), len(active)), zero, dtype=object)
            for r, g in enumerate(active):
                out[g, r] = one                       # the m_g rows come first in new_keys
            if t == max(sizes) - 1:                   # the last stage: the layer's own output
                E = _final_map(lay, new_keys, one, zero)
                skip, out, ob = E.dot(skip), E.dot(out), E.dot(ob)
            layers.append(dict(weight=W, bias=b, skip=skip, out=out, out_bias=ob))
            keys = new_keys
            n = len(keys)
            A = np.array([[one if i == j else zero for j in range(n)] for i in range(n)], dtype=object)
            a = np.array([zero] * n, dtype=object)
    readout = None if net.readout is None else dict(weight=net.readout.weight, bias=net.readout.bias)
    return type(net)(layers, readout, exact=True)


def _final_map(lay, keys, one, zero):
    """The matrix taking the last stage's state ``[m_g; s]`` to the layer output ``out m + s``."""
    G = lay.n_units
    out = lay.out if lay.out is not None else np.array(
        [[one if i == j else zero for j in range(G)] for i in range(G)], dtype=object)
    d_out = out.shape[0]
    E = np.full((d_out, len(keys)), zero, dtype=object)
    E[:, :G] = out
    for i, k in enumerate(keys):
        if k[0] == "s":
            E[k[1], i] = one
    return E


def through_tournament(net, domain, arithmetic, run, *, max_regions=None):
    """Enumerate ``net`` (with max layers) through an engine for ReLU units only.

    Parameters
    ----------
    net : Network
        Exact for ``arithmetic="exact"``.
    domain : Box or Whole
    arithmetic : {"exact", "float"}
    run : callable
        ``run(tnet) -> Partition`` of the tournament network on ``domain``.
    max_regions : int, optional

    Returns
    -------
    Partition
        Of ``net``; its ``engine`` is the tournament run's followed by ``"+tournament"``.

    Raises
    ------
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.
    """
    from vqgeom.exact.arith import context
    from vqgeom.regions.partition import Partition

    start = time.perf_counter()
    exact = arithmetic == "exact"
    tnet = tournament(net)
    tpart = run(tnet if exact else tnet.to_float())
    n = tpart.n_regions
    W = np.array(tpart.witnesses, dtype=object if exact else np.float64).reshape(n, net.input_dim)
    ctx = context(net if exact else net.to_float(), "filtered" if exact else "plain")
    bits = (np.concatenate([s for s, _ in ctx.signs(W)], axis=1) if n
            else np.zeros((0, net.n_neurons), dtype=bool))
    keys = [row.tobytes() for row in np.packbits(bits, axis=1)]
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tedges = list(tpart.graph.edges(data=True))
    for i, j, _ in tedges:
        if keys[i] == keys[j]:
            parent[find(i)] = find(j)
    comp, first = {}, []
    for i in range(n):
        r = find(i)
        if r not in comp:
            comp[r] = len(first)
            first.append(i)
    if max_regions is not None and len(first) > max_regions:
        raise RegionBudgetExceeded(len(first), max_regions)
    offsets = np.cumsum((0,) + tuple(net.widths))
    edges, seen = [], set()
    for i, j, data in tedges:
        a, b = comp[find(i)], comp[find(j)]
        if a == b or (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        diff = np.flatnonzero(bits[i] != bits[j])
        layer = np.searchsorted(offsets, diff, side="right") - 1
        flips = tuple((int(l), int(k - offsets[l])) for l, k in zip(layer, diff))
        edges.append((min(a, b), max(a, b), flips, data.get("facet_witness")))
    witnesses = [tuple(tpart.witnesses[i]) for i in first]
    return Partition(net, domain, bits[first], witnesses, sorted(edges, key=lambda e: e[:2]),
                     arithmetic=arithmetic, engine=f"{tpart.engine}+tournament", frame=tpart.frame,
                     seconds=time.perf_counter() - start)
