"""The fast any-D engine: a float polyhedral complex, certified exactly in exact mode.

Float engine
------------
The box is kept as a polyhedral complex in torch tensors (vertices with their positions,
zero sets and sign bits; edges) and cut neuron by neuron, layer by layer
(:mod:`._subdivision_float`: edge subdivision; no LPs). When the complex is *simple* (every
vertex on exactly D hyperplanes: neurons or box faces) the regions and their facet
adjacencies are read off the vertices: around a vertex with zero set ``Z`` the regions are
the ``2^m`` sign patterns of its m neurons in ``Z`` (box faces: inside), and the facets
through it the pairs of patterns that differ in one neuron. Region witnesses are the
centroids of the regions' vertices, facet witnesses the centroids of the facets' vertices.

Float mode counts vertex values within ``2^-40`` of zero (relative) as zeros; exact mode
only exact zeros, since the certificate decides: so near-duplicate neurons (a row copied and
perturbed by 1e-14) give a thin slab that is certified like any other region.

Where the complex is not simple (several hyperplanes through a vertex, coincident
hyperplanes, a neuron vanishing on a whole face, hyperplanes through box corners) or the
float engine becomes inconsistent, the LP engine answers instead (``Partition.engine`` is
then ``"lp"``).

Exact mode
----------
``arithmetic="exact"`` certifies the float complex (:func:`certify`, the argument is in
``proofs/subdivision.md``): exact rational vertices, exact sign vectors, every edge a true
edge, every vertex simple with all its 2m + b edges present; then the vertex-edge graph
is the whole 1-skeleton of the complex (it is connected), so the regions and facets read off
the vertices are all of them. Witnesses are certified exactly (filtered float evaluation with
a rigorous error bound, exact arithmetic where the filter does not decide). A failed check
falls back to the exact LP engine; nothing unproven is returned.

Witnesses and edges stay arrays (:mod:`._compact`: floats, and per facet witness the one
coordinate solved exactly); the Partition builds their tuples of Fractions and its graph
on first use, so a caller who needs counts or codes does not pay for them (3-64-64 exact:
about a third of the run), and a distributed run's pieces send them as arrays.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from vqgeom._gcpause import gc_paused
from vqgeom._threads import one_native_thread
from vqgeom.errors import CertificateError, InvalidInputError
from vqgeom.regions._compact import Edges, Points
from vqgeom.regions.domain import Box, Whole
from vqgeom.regions.planar import _float_box  # is every bound exactly a float?

__all__ = ["enumerate_partition", "supports", "float_complex"]


def supports(net, domain, arithmetic) -> bool:
    """The subdivision engine handles D >= 2 on a box whose bounds are floats exactly, and
    on :class:`Whole` through ``enclosing_box`` (``engine="auto"`` takes ``lp`` there)."""
    return net.input_dim >= 2 and not net.has_max and (
        isinstance(domain, Whole) or isinstance(domain, Box) and _float_box(domain))


def _frame(net, domain):
    """``(box, frame)``: the box to cut, and for Whole the enclosing box (else None)."""
    if isinstance(domain, Box):
        return domain, None
    if not isinstance(domain, Whole):
        raise InvalidInputError(f"the subdivision engine needs a Box or Whole domain, got {domain!r}")
    from vqgeom.regions.lp import enclosing_box

    frame = enclosing_box(net.to_exact())
    return frame, frame


def float_complex(net, box, *, device="cpu", max_regions=None, progress=None, snap=None):
    """The float complex of ``box`` cut by ``net`` (a :class:`._subdivision_float.Complex`).

    ``snap`` (default :data:`._subdivision_float.SNAP`) is the relative size below which a
    vertex value counts as zero; the exact mode passes 0.

    Raises
    ------
    InvalidInputError
        If a bound of ``box`` is not exactly a float.
    vqgeom.regions._subdivision_float.Degenerate
        When the complex is not simple or rounding made it inconsistent.
    RegionBudgetExceeded
    """
    from vqgeom.regions._subdivision_float import SNAP, subdivide

    if not _float_box(box):
        raise InvalidInputError(f"the subdivision engine needs box bounds that are floats exactly, "
                                f"got {box!r}")
    lo = [float(v) for v in box.lower]
    hi = [float(v) for v in box.upper]
    return subdivide(net.to_float(), lo, hi, device=device, max_regions=max_regions, progress=progress,
                     snap=SNAP if snap is None else snap)


@contextmanager
def _one_thread(device):
    """Run the CPU work with one torch intra-op thread and one thread in every native pool
    (:func:`vqgeom._threads.one_native_thread`), restoring both afterwards: the engine's many
    small gathers and the filter's matrix products ran 5-100x slower with thread pools on a
    busy 2-core machine (measured: a 37k-element torch gather, 17 ms with 2 threads, 0.2 ms
    with one)."""
    import torch

    before = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    limits = one_native_thread()
    try:
        with limits:
            yield
    finally:
        torch.set_num_threads(before)


def _read_off(cx):
    """Codes, float witnesses and float adjacencies of a simple float complex."""
    import torch

    from vqgeom.regions._subdivision_float import unpack_bits

    codes, vi, vr, fa, fb, fh, fv, ff = cx.incidences()
    nr = codes.shape[0]
    D = cx.D
    X = cx.X
    wsum = torch.zeros((nr, D), dtype=X.dtype, device=X.device).index_add_(0, vr, X[vi])
    wcnt = torch.bincount(vr, minlength=nr).to(X.dtype)
    wit = wsum / wcnt[:, None]
    nf = fa.shape[0]
    fsum = torch.zeros((nf, D), dtype=X.dtype, device=X.device).index_add_(0, ff, X[fv])
    fcnt = torch.bincount(ff, minlength=nf).to(X.dtype)
    fwit = fsum / fcnt[:, None]
    return dict(codes=codes, bits=unpack_bits(codes, cx.N), wit=wit, fa=fa, fb=fb, fh=fh, fwit=fwit,
                vi=vi, vr=vr, fv=fv, ff=ff)


def enumerate_partition(net, domain, *, arithmetic="exact", max_regions=None, progress=None,
                        device="cpu"):
    """Enumerate the activation regions of a network with D >= 2 on a box.

    Parameters
    ----------
    net : Network
    domain : Box or Whole
        For Whole, :func:`vqgeom.regions.lp.enclosing_box` gives the frame.
    arithmetic : {"exact", "float"}
        ``"exact"`` certifies the float complex (module docstring) and returns exact
        witnesses; ``"float"`` returns float ones.
    max_regions : int, optional
    progress : callable, optional
        Called as ``progress(n, stage)`` while the complex is cut.
    device : str or torch.device
        Where the float complex is computed (``"cuda"`` for a GPU); certification runs on
        the CPU.

    Returns
    -------
    Partition
        ``engine="subdivision"``; or ``engine="lp"`` where the complex is not simple or
        could not be certified and the LP engine answered instead.

    Raises
    ------
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ...                 "bias": [0.1, 0.2, 0.3]}])
    >>> part = enumerate_partition(net, Box(-1, 1, dim=3), arithmetic="float")
    >>> part.n_regions, part.n_adjacencies, part.engine
    (8, 12, 'subdivision')
    """
    from vqgeom.regions._subdivision_float import Degenerate

    if net.input_dim < 2:
        raise InvalidInputError(f"the subdivision engine needs input_dim >= 2, got {net.input_dim}")
    if arithmetic not in ("exact", "float"):
        raise InvalidInputError(f"arithmetic must be 'exact' or 'float', got {arithmetic!r}")
    start = time.perf_counter()
    box, frame = _frame(net, domain)
    try:
        if not _float_box(box):
            raise Degenerate("box bounds that are not floats")
        with _one_thread(device), gc_paused():   # 10^5-10^6 small objects, none in a cycle
            cx = float_complex(net, box, device=device, max_regions=max_regions, progress=progress,
                               snap=0.0 if arithmetic == "exact" else None)
            out = _read_off(cx)
            if max_regions is not None and len(out["bits"]) > max_regions:
                from vqgeom.errors import RegionBudgetExceeded

                raise RegionBudgetExceeded(len(out["bits"]), max_regions)
            if arithmetic == "exact":
                from vqgeom.regions._subdivision_exact import certify_compact

                witnesses, fa, fb, fh, facets = certify_compact(net, box, cx, out, progress)
            else:
                witnesses = Points(out["wit"].cpu().numpy(), exact=False)
                fa, fb, fh = (out[k].cpu().numpy() for k in ("fa", "fb", "fh"))
                facets = Points(out["fwit"].cpu().numpy(), exact=False)
    except (Degenerate, CertificateError, ArithmeticError) as exc:   # incl. overflow of huge exact rows
        from vqgeom.regions import lp

        part = lp.enumerate_partition(net, domain, arithmetic=arithmetic, max_regions=max_regions,
                                      progress=progress)
        part.seconds = time.perf_counter() - start
        inner = getattr(part, "fallback_reason", None)
        part.fallback_reason = (f"the subdivision engine's complex could not be used ({exc})"
                                + (f"; {inner}" if inner else ""))
        return part
    from vqgeom.regions.partition import Partition

    net = net.to_exact() if arithmetic == "exact" else net.to_float()
    # witnesses and edges stay arrays; the Partition builds their tuples on first use
    edges = Edges(fa, fb, fh, {}, facets, net.neuron_index)
    return Partition(net, domain, out["bits"], witnesses, edges, arithmetic=arithmetic,
                     engine="subdivision", seconds=time.perf_counter() - start, frame=frame)
