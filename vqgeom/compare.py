"""Comparing the activation partitions of two networks on the same domain, exactly.

:func:`compare_partitions` answers: do two networks cut the domain into the same regions?
Does one partition refine the other? How do their VQ distances ``d`` and partition
distances ``d_Omega`` compare on the same regions (the paper's Fig. 5)?

How it decides
--------------
It enumerates the *common refinement*: the activation partition of one network that runs
both (``p``'s layers, then ``q``'s, with skip connections carrying the input along), whose
codes are ``p``'s code followed by ``q``'s. Every cell of a fixed code is convex, so a region
of ``p`` is one common region exactly when ``q``'s code is constant on it. Hence, with
exact enumeration,

* ``p`` refines ``q``  <=>  ``n_common == n_p``;
* same partition        <=>  ``n_common == n_p == n_q``.

Every common region is mapped to its ``p`` and ``q`` regions by splitting its code, so the
four matrices ``d_p, d_Omega_p, d_q, d_Omega_q`` are reported on the same (common) regions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from vqgeom.errors import CertificateError, InvalidInputError

__all__ = ["PartitionComparison", "compare_partitions", "parallel_network"]


def _zeros(shape, exact):
    return np.full(shape, Fraction(0), dtype=object) if exact else np.zeros(shape)


def _eye(n, exact):
    if not exact:
        return np.eye(n)
    out = _zeros((n, n), True)
    for i in range(n):
        out[i, i] = Fraction(1)
    return out


def _or_identity(a, n, exact):
    return a if a is not None else _eye(n, exact)


def parallel_network(p, q):
    """One network whose neurons are ``p``'s followed by ``q``'s, on the same inputs.

    Layers of ``p`` come first; each also carries the input ``x`` along through a skip
    connection, so that ``q``'s layers, which follow, read ``x``. The result's activation
    partition is the common refinement of ``p``'s and ``q``'s, and its code is ``p``'s code
    followed by ``q``'s (``p.depth`` layers, then ``q.depth``). Readouts are dropped (they
    have no hyperplanes).

    Parameters
    ----------
    p, q : Network
        Same ``input_dim``; both exact or both float (mixed inputs are made exact).

    Returns
    -------
    Network

    Examples
    --------
    >>> from vqgeom import Network
    >>> p = Network([{"weight": [[1.0]], "bias": [0.0]}])
    >>> q = Network([{"weight": [[1.0]], "bias": [-0.5]}, {"weight": [[2.0]], "bias": [-1.0]}])
    >>> r = parallel_network(p, q)
    >>> x = [[-0.2], [0.3], [0.75], [1.5]]
    >>> r.widths, all((a == b).all() for a, b in zip(r.signs(x), p.signs(x) + q.signs(x)))
    ((1, 1, 1), True)
    """

    if p.input_dim != q.input_dim:
        raise InvalidInputError(f"the networks have input_dim {p.input_dim} and {q.input_dim}; they must agree")
    exact = p.exact or q.exact
    if exact:
        p, q = p.to_exact(), q.to_exact()
    D = p.input_dim
    layers = []
    d_in = D  # dimension of p's state (without the carried x) entering the layer
    for l, lay in enumerate(p.layers):
        n, units = lay.n_neurons, lay.n_units
        d_out = lay.output_dim
        skip = lay.skip if lay.skip is not None else _zeros((d_out, lay.input_dim), exact)
        out = _or_identity(lay.out, units, exact)
        c = lay.out_bias if lay.out_bias is not None else _zeros(d_out, exact)
        if l == 0:
            W = lay.weight
            S = np.concatenate([skip, _eye(D, exact)], axis=0)
        else:
            W = np.concatenate([lay.weight, _zeros((n, D), exact)], axis=1)
            S = np.concatenate([
                np.concatenate([skip, _zeros((d_out, D), exact)], axis=1),
                np.concatenate([_zeros((D, d_in), exact), _eye(D, exact)], axis=1)], axis=0)
        O = np.concatenate([out, _zeros((D, units), exact)], axis=0)
        ob = np.concatenate([c, _zeros(D, exact)])
        layers.append(dict(weight=W, bias=lay.bias, activation=lay.activation,
                           negative_slope=lay.negative_slope, skip=S, out=O, out_bias=ob, groups=lay.groups))
        d_in = d_out
    for k, lay in enumerate(q.layers):
        if k == 0:
            n = lay.n_neurons
            d_out = lay.output_dim
            W = np.concatenate([_zeros((n, d_in), exact), lay.weight], axis=1)
            skip = lay.skip if lay.skip is not None else _zeros((d_out, D), exact)
            S = np.concatenate([_zeros((d_out, d_in), exact), skip], axis=1)
            layers.append(dataclasses.replace(lay, weight=W, skip=S))
        else:
            layers.append(lay)
    return type(p)(layers, exact=exact)  # p's kind: a network on a slice may have constant first-layer neurons


@dataclass
class PartitionComparison:
    """The result of :func:`compare_partitions`.

    Attributes
    ----------
    same : bool
        The two partitions are the same set of polytopes.
    p_refines_q, q_refines_p : bool
        Every region of ``p`` lies in (the closure of) one region of ``q`` (and vice versa).
    n_regions_p, n_regions_q, n_regions_common : int
        Region counts of ``p``, ``q`` and of their common refinement.
    region_p, region_q : ndarray of int, shape (n_common,)
        The ``p`` and ``q`` region of every common region.
    witnesses : list of tuple
        An interior point of every common region (exact in exact mode).
    d_p, d_omega_p, d_q, d_omega_q : ndarray, shape (n_common, n_common)
        VQ distance and partition distance of each network between the common regions.
    p, q, common : Partition

    Common regions are listed left to right for D = 1, in enumeration order otherwise.
    """

    same: bool
    p_refines_q: bool
    q_refines_p: bool
    n_regions_p: int
    n_regions_q: int
    n_regions_common: int
    region_p: np.ndarray
    region_q: np.ndarray
    witnesses: list
    d_p: np.ndarray
    d_omega_p: np.ndarray
    d_q: np.ndarray
    d_omega_q: np.ndarray
    p: object = field(repr=False)
    q: object = field(repr=False)
    common: object = field(repr=False)

    def summary(self) -> dict:
        """The numbers as a JSON-ready dict."""
        def strict(d, o):
            return int(np.sum(np.triu(d < o, 1)))
        return {
            "same": self.same, "p_refines_q": self.p_refines_q, "q_refines_p": self.q_refines_p,
            "n_regions_p": self.n_regions_p, "n_regions_q": self.n_regions_q,
            "n_regions_common": self.n_regions_common,
            "max_d_p": float(self.d_p.max(initial=0)), "max_d_omega_p": float(self.d_omega_p.max(initial=0)),
            "max_d_q": float(self.d_q.max(initial=0)), "max_d_omega_q": float(self.d_omega_q.max(initial=0)),
            "pairs_d_p_below_d_omega_p": strict(self.d_p, self.d_omega_p),
            "pairs_d_q_below_d_omega_q": strict(self.d_q, self.d_omega_q),
        }

    def plot(self, axes=None, *, labels=("p", "q")):
        """Draw ``d_p, d_Omega_p, d_q, d_Omega_q`` side by side (matplotlib).

        Parameters
        ----------
        axes : sequence of 4 matplotlib Axes, optional
            Created in a new 1 x 4 figure when omitted.
        labels : pair of str
            Names of the two networks in the titles.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), constrained_layout=True)
        else:
            axes = list(axes)
            if len(axes) != 4:
                raise InvalidInputError(f"axes must hold 4 Axes, got {len(axes)}")
            fig = axes[0].figure
        vmax = max(float(m.max(initial=0)) for m in (self.d_p, self.d_omega_p, self.d_q, self.d_omega_q))
        mats = [(self.d_p, f"d ({labels[0]})"), (self.d_omega_p, f"$d_\\Omega$ ({labels[0]})"),
                (self.d_q, f"d ({labels[1]})"), (self.d_omega_q, f"$d_\\Omega$ ({labels[1]})")]
        for ax, (M, title) in zip(axes, mats):
            im = ax.imshow(M, cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
            ax.set_title(title)
            ax.set_xlabel("region")
            ax.set_ylabel("region")
        fig.colorbar(im, ax=list(axes), shrink=0.8)
        return fig


def _as_partition(x, domain, arithmetic, max_regions, name):
    from vqgeom.regions import Partition, enumerate_regions

    if isinstance(x, Partition):
        return x
    try:
        return enumerate_regions(x, domain, arithmetic=arithmetic, max_regions=max_regions)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name}: {exc}") from None


def _domain_key(part):
    dom = getattr(part, "slice", part.domain)  # a partition of a slice: the slice itself
    return dom.to_dict() if hasattr(dom, "to_dict") else repr(dom)


def compare_partitions(p, q, *, domain=None, arithmetic: str = "exact", weights_p=None, weights_q=None,
                       max_regions: int | None = None) -> PartitionComparison:
    """Compare the activation partitions of two networks on the same domain, exactly.

    Parameters
    ----------
    p, q : Partition or Network or torch module
        Partitions (from :func:`vqgeom.enumerate_regions`) on the same domain, or networks,
        enumerated on ``domain``.
    domain : Box, "whole", Plane, Line or None
        Used for networks (default ``[-1, 1]^D``); partitions keep their own.
    arithmetic : {"exact", "float"}
        For the enumerations (the common refinement uses the arithmetic of ``p``).
    weights_p, weights_q : sequence of float, optional
        Per-layer weights of the VQ distances.
    max_regions : int, optional
        Budget for each enumeration.

    Returns
    -------
    PartitionComparison

    Raises
    ------
    InvalidInputError
        If the input dimensions or the domains differ.
    CertificateError
        If a common region's code is not a region of ``p`` or ``q`` (an incomplete
        enumeration).

    Examples
    --------
    >>> from vqgeom import Network
    >>> p = Network([{"weight": [["1"]], "bias": ["0"]}])
    >>> q = Network([{"weight": [["1"], ["1"]], "bias": ["0", "-1/2"]}])
    >>> c = compare_partitions(p, q)
    >>> c.same, c.q_refines_p, c.p_refines_q, (c.n_regions_p, c.n_regions_q)
    (False, True, False, (2, 3))
    """
    P = _as_partition(p, domain, arithmetic, max_regions, "p")
    Q = _as_partition(q, domain, arithmetic, max_regions, "q")
    if P.input_dim != Q.input_dim:
        raise InvalidInputError(f"p has input_dim {P.input_dim} but q has {Q.input_dim}")
    if _domain_key(P) != _domain_key(Q):
        raise InvalidInputError(f"p and q are on different domains: {getattr(P, 'slice', P.domain)!r} and "
                                f"{getattr(Q, 'slice', Q.domain)!r}")
    from vqgeom.regions import enumerate_regions

    joint = parallel_network(P.net, Q.net)
    C = enumerate_regions(joint, P.domain, arithmetic=P.arithmetic, max_regions=max_regions)
    Lp = P.net.depth
    region_p = np.empty(C.n_regions, dtype=np.int64)
    region_q = np.empty(C.n_regions, dtype=np.int64)
    for i, code in enumerate(C.codes):
        a, b = P.index_of_code(code[:Lp]), Q.index_of_code(code[Lp:])
        if a is None or b is None:
            raise CertificateError(
                f"common region {i} (witness {C.witnesses[i]}) has a code that "
                f"{'p' if a is None else 'q'}'s partition lacks; an enumeration is incomplete")
        region_p[i], region_q[i] = a, b
    order = np.arange(C.n_regions)
    if C.input_dim == 1:
        order = np.argsort([float(w[0]) for w in C.witnesses], kind="stable")
    region_p, region_q = region_p[order], region_q[order]
    witnesses = [C.witnesses[i] for i in order]
    dp = P.vq_distances(weights_p)[np.ix_(region_p, region_p)]
    dq = Q.vq_distances(weights_q)[np.ix_(region_q, region_q)]
    op = P.region_distances()[np.ix_(region_p, region_p)]
    oq = Q.region_distances()[np.ix_(region_q, region_q)]
    n_c = C.n_regions
    return PartitionComparison(
        same=bool(n_c == P.n_regions == Q.n_regions),
        p_refines_q=bool(n_c == P.n_regions),
        q_refines_p=bool(n_c == Q.n_regions),
        n_regions_p=P.n_regions, n_regions_q=Q.n_regions, n_regions_common=n_c,
        region_p=region_p, region_q=region_q, witnesses=witnesses,
        d_p=dp, d_omega_p=op, d_q=dq, d_omega_q=oq, p=P, q=Q, common=C,
    )
