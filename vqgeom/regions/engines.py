"""Region-enumeration engines: the registry and the dispatcher :func:`enumerate_regions`.

Each engine is a module exposing::

    enumerate_partition(net, domain, *, arithmetic, max_regions, progress) -> Partition

where ``net`` is already converted to the requested arithmetic (``net.to_exact()`` for
``"exact"``, ``net.to_float()`` for ``"float"``) and ``domain`` is normalised by
:func:`vqgeom.regions.domain.as_domain` (a :class:`Box` of the network's input dimension,
or :class:`Whole`). An engine also exposes ``supports(net, domain, arithmetic) -> bool``,
its honest answer to "do you handle this input?"; ``engine="auto"`` skips an engine that
answers False. A domain that the chosen engine does not support but that decomposes into
boxes (a :class:`~vqgeom.regions.boxunion.BoxUnion`) is enumerated box by box and the pieces
merged exactly (:mod:`vqgeom.regions.decompose`). An engine built on an optional dependency
exposes ``require()``, which raises an ImportError naming what to install when it is missing.
"""

from __future__ import annotations

import importlib
import inspect
import time

from vqgeom._executor import check_executor
from vqgeom._memory import MemoryBudget, check_max_memory
from vqgeom.errors import InvalidInputError
from vqgeom.regions._limits import check_float_domain, exact_network_bytes
from vqgeom.regions.decompose import enumerate_box_union
from vqgeom.regions.domain import Box, as_domain
from vqgeom.regions.progress import progress_reporter
from vqgeom.regions.slices import SlicePartition, is_slice, restrict

__all__ = ["ENGINES", "ENGINE_DIMS", "ARITHMETICS", "enumerate_regions", "available_engines",
           "progress_reporter"]

#: engine name -> module implementing ``enumerate_partition``
ENGINES = {
    "interval": "vqgeom.regions.interval",
    "polygon": "vqgeom.regions.polygon",
    "planar": "vqgeom.regions.planar",
    "lp": "vqgeom.regions.lp",
    "cdd": "vqgeom.regions.cdd",
    "subdivision": "vqgeom.regions.subdivision",
}

#: engine name -> (smallest, largest) input dimension it handles (None: no upper limit)
ENGINE_DIMS = {
    "interval": (1, 1),
    "polygon": (2, 2),
    "planar": (2, 2),
    "lp": (1, None),
    "cdd": (1, None),
    "subdivision": (2, None),
}

ARITHMETICS = ("exact", "float")


def _load(name: str):
    module = importlib.import_module(ENGINES[name])
    require = getattr(module, "require", None)
    if require is not None:
        require()  # an ImportError naming what to install when an optional dependency is missing
    return module


def _dims_ok(name: str, dim: int) -> bool:
    lo, hi = ENGINE_DIMS[name]
    return dim >= lo and (hi is None or dim <= hi)


def available_engines(dim: int | None = None) -> list[str]:
    """Names of the engines that can be imported (and handle ``dim`` when given).

    Examples
    --------
    >>> "interval" in available_engines(1)
    True
    """
    names = []
    for name in ENGINES:
        if dim is not None and not _dims_ok(name, dim):
            continue
        try:
            _load(name)
        except ImportError:
            continue
        names.append(name)
    return names


def _supports(module, net, domain, arithmetic) -> bool:
    check = getattr(module, "supports", None)
    return True if check is None else bool(check(net, domain, arithmetic))


def _choose_auto(net, domain, arithmetic) -> str:
    dim = net.input_dim
    if dim == 1:
        return "interval"
    if dim == 2:
        try:
            planar = _load("planar")
        except ImportError:
            planar = None
        if planar is not None and hasattr(planar, "enumerate_partition") and _supports(
                planar, net, domain, arithmetic):
            return "planar"
        if planar is not None and net.has_max and arithmetic == "float" and isinstance(domain, Box):
            # through the max layers' ReLU tournament: about 0.2x polygon's time in float
            # (benchmarks/bench_maxpool.py); exact, polygon is faster than certifying the finer
            # tournament partition
            return "planar"
        return "polygon"
    try:
        sub = _load("subdivision")
    except ImportError:
        return "lp"
    # on R^D the subdivision engine would first run the exact LP walk for its frame
    return "subdivision" if isinstance(domain, Box) and _supports(sub, net, domain, arithmetic) else "lp"


def enumerate_regions(net, domain=None, *, arithmetic: str = "exact", engine: str = "auto",
                      max_regions: int | None = None, progress=False, executor=None, pieces=None,
                      max_memory: int | None = None):
    """Enumerate the activation regions of ``net`` on ``domain`` and their facet adjacencies.

    Parameters
    ----------
    net : Network or str or path or torch module
        The network (anything :func:`vqgeom.load_network` accepts; on a slice any torch
        module :meth:`vqgeom.Network.from_torch` converts).
    domain : Box, BoxUnion, "whole", Whole, (lower, upper), Plane, Line or None
        The domain; None is the box [-1, 1]^D; ``"whole"`` is all of R^D (handled exactly);
        a union of boxes is enumerated box by box and merged exactly (its regions are the
        connected pieces of cells; a code can repeat); a :class:`~vqgeom.Plane` or
        :class:`~vqgeom.Line` enumerates the network restricted to it on its (u, v) box and
        returns a :class:`~vqgeom.regions.slices.SlicePartition`.
    arithmetic : {"exact", "float"}
        ``"exact"`` computes in rationals (the network's floats at their exact binary64
        values) and every region gets an exact interior witness; ``"float"`` is faster.
    engine : {"auto", "interval", "polygon", "planar", "lp", "cdd", "subdivision"}
        ``"auto"`` picks ``interval`` for D = 1, ``planar`` (else ``polygon``) for D = 2,
        ``subdivision`` for D >= 3 on a box with float bounds (it falls back to ``lp`` by
        itself where its complex is not simple) and ``lp`` otherwise. ``cdd`` (any D, exact
        rational LPs throughout, slow) is never picked automatically. On a union of boxes
        the named engine enumerates each box. A named engine runs, or an error says why it
        cannot (wrong dimension or domain, not installed); where ``planar`` cannot certify
        its float subdivision the exact ``polygon`` engine finishes the work, and where
        ``subdivision`` cannot, ``lp``, with an :class:`~vqgeom.errors.EngineFallbackWarning`
        giving the reason. The partition's ``engine`` always names the engine that ran.
    max_regions : int, optional
        Stop with :class:`~vqgeom.errors.RegionBudgetExceeded` once more regions are found.
    progress : bool or callable, optional
        True shows a tqdm bar on stderr (regions found, rate, engine stage); a callable is
        called as ``progress(n_regions_so_far, stage)``.
    executor : None, int, concurrent.futures.Executor, dask.distributed.Client or str
        None runs serially. Otherwise the box is cut into ``pieces`` tiles enumerated in
        parallel and merged exactly (:mod:`vqgeom.regions.distributed`): an int is that many
        local worker processes, a str the address of a Dask scheduler. The result is then in
        canonical order (regions sorted by code) and the same whatever the executor. On a
        union of boxes each box is enumerated so.
    pieces : int or sequence of Box, optional
        With ``executor``: the number of tiles (default two per worker) or the tiles themselves
        (an int only, on a union of boxes).
    max_memory : int, optional
        Bytes the enumeration may take (default: 3/4 of the memory available at the call).
        Engines that take ``max_memory`` check it before allocating; every engine is also
        stopped at its next progress report once the process has grown by more than it
        (with ``executor``: this process, which merges the pieces).

    Returns
    -------
    Partition

    Raises
    ------
    InvalidInputError
        For an unknown engine or arithmetic, an engine that does not handle the input
        dimension, or a bad ``max_regions``.
    RegionBudgetExceeded
        When more than ``max_regions`` regions exist.
    MemoryBudgetExceeded
        When the enumeration would need more than ``max_memory`` (with the count so far).

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0], [1.0]], "bias": [0.0, -0.5]}])
    >>> part = enumerate_regions(net)
    >>> part.n_regions, part.n_adjacencies, part.engine
    (3, 2, 'interval')
    """
    from vqgeom.network import load_network

    if is_slice(domain):  # a Plane or a Line: the restricted network on its (u, v) box
        sub = restrict(net, domain, arithmetic=arithmetic)
        part = enumerate_regions(sub, domain.box, arithmetic=arithmetic, engine=engine, max_regions=max_regions,
                                 progress=progress, executor=executor, pieces=pieces, max_memory=max_memory)
        return SlicePartition(part, domain, model=net)
    net = load_network(net)
    if arithmetic not in ARITHMETICS:
        raise InvalidInputError(
            f"arithmetic must be one of {', '.join(map(repr, ARITHMETICS))}, got {arithmetic!r}")
    if max_regions is not None:
        if isinstance(max_regions, bool) or not isinstance(max_regions, int) or max_regions < 1:
            raise InvalidInputError(
                f"max_regions must be an int in [1, inf) or None, got {max_regions!r}")
    if not isinstance(engine, str) or (engine != "auto" and engine not in ENGINES):
        raise InvalidInputError(
            f"engine must be one of 'auto', {', '.join(map(repr, ENGINES))}, got {engine!r}")
    dim = net.input_dim
    dom = as_domain(domain, dim)
    if arithmetic == "float":
        check_float_domain(dom)
    budget = MemoryBudget(check_max_memory(max_memory))
    if arithmetic == "exact":
        budget.need(exact_network_bytes(net))   # before making the Fractions
    net = net.to_exact() if arithmetic == "exact" else net.to_float()
    name = _choose_auto(net, dom, arithmetic) if engine == "auto" else engine
    if not _dims_ok(name, dim):
        lo, hi = ENGINE_DIMS[name]
        span = f"D = {lo}" if lo == hi else (f"D >= {lo}" if hi is None else f"{lo} <= D <= {hi}")
        fitting = [n for n in ENGINES if _dims_ok(n, dim)]
        raise InvalidInputError(
            f"engine {name!r} handles {span}, but the network has input_dim={dim}; "
            f"engines for D = {dim}: {', '.join(fitting)}")
    try:
        module = _load(name)
    except ImportError as exc:
        raise InvalidInputError(f"engine {name!r} is not available: {exc}") from None
    from vqgeom.progress import close

    if net.has_max and not _supports(module, net, dom, arithmetic) and not hasattr(dom, "disjoint_boxes"):
        # an engine for ReLU units only: enumerate the max layers' ReLU tournament, merge by code
        from vqgeom.regions._max_tournament import through_tournament

        return through_tournament(net, dom, arithmetic, lambda tnet: enumerate_regions(
            tnet, dom, arithmetic=arithmetic, engine=engine, progress=progress, executor=executor,
            pieces=pieces, max_memory=max_memory), max_regions=max_regions)
    report = progress_reporter(progress)
    extra = ({"max_memory": budget.limit} if "max_memory" in
             inspect.signature(module.enumerate_partition).parameters else {})
    start = time.perf_counter()
    try:
        if not _supports(module, net, dom, arithmetic):
            if not hasattr(dom, "disjoint_boxes"):
                what = "this network (it has max layers) on " if net.has_max else ""
                raise InvalidInputError(
                    f"engine {name!r} does not support {what}the domain {dom!r}; "
                    f"engines for it: {', '.join(_supporting(net, dom, arithmetic)) or 'none'}")
            if pieces is not None and not isinstance(pieces, int):
                raise InvalidInputError(f"pieces must be an int or None on a union of boxes, got {pieces!r}")

            def enumerate_box(sub, box, eng, arith, budget_regions):
                outer = sub.input_dim == dim           # a box of the union, not a wall (D - 1)
                return enumerate_regions(sub, box, arithmetic=arith, engine=eng, max_regions=budget_regions,
                                         executor=executor if outer else None,
                                         pieces=pieces if outer else None, max_memory=max_memory)

            part = enumerate_box_union(net, dom, arithmetic=arithmetic, enumerate_box=enumerate_box,
                                       engine=engine, max_regions=max_regions, progress=budget.watch(report))
        elif executor is not None:
            from vqgeom.regions.distributed import enumerate_pieces

            part = enumerate_pieces(module.enumerate_partition, net, dom, arithmetic=arithmetic,
                                    engine=name, executor=check_executor(executor),
                                    max_regions=max_regions, progress=budget.watch(report),
                                    pieces=pieces)
        else:
            part = module.enumerate_partition(net, dom, arithmetic=arithmetic, max_regions=max_regions,
                                              progress=budget.watch(report), **extra)
    finally:
        close(report)
    reason = getattr(part, "fallback_reason", None)
    # "lp+cdd": the LP walk with exact LPs deciding some facets; "union[...]": one call per box,
    # each of which warned for itself
    helped = part.engine.startswith((name + "+", "union["))
    if engine != "auto" and (reason or (part.engine != name and not helped)):
        import warnings

        from vqgeom.errors import EngineFallbackWarning

        warnings.warn(f"engine {name!r} was asked for, but engine {part.engine!r} ran: "
                      f"{reason or 'the engine handed the work on'}", EngineFallbackWarning, stacklevel=2)
    if part.seconds is None:
        part.seconds = time.perf_counter() - start
    return part


def _supporting(net, domain, arithmetic) -> list[str]:
    names = []
    for name in available_engines(net.input_dim):
        if _supports(_load(name), net, domain, arithmetic):
            names.append(name)
    return names
