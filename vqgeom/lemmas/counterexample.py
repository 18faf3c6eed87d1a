"""Counterexample search: small networks with small integer / rational weights that violate a claim.

:func:`find_counterexample` draws networks from a seeded generator that meets every hypothesis of
the claim except the one named by ``relax``, checks each exhaustively and exactly, and shrinks the
first violation it finds to a small example (fewer neurons, then smaller numbers) that still
violates the claim while meeting every other hypothesis. With nothing relaxed, every candidate
meets all hypotheses, so the search reports that none was found within its budget (the lemmas
are theorems) together with the budget used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from vqgeom._executor import check_executor, job_runner
from vqgeom.errors import DegenerateInputError, InvalidInputError, InvalidNetworkError
from vqgeom.progress import close as close_report, reporter

__all__ = ["find_counterexample", "CounterexampleResult", "RELAXATIONS", "CLAIMS"]

#: claim -> hypotheses that may be relaxed
RELAXATIONS = {
    "lemma1": ("distinct_hyperplanes", "facet_adjacency", "convex_domain"),
    "lemma2": ("generic", "weights_le_1", "activation_partition"),
}
CLAIMS = tuple(RELAXATIONS)

#: short names accepted for ``relax``
ALIASES = {"distinct": "distinct_hyperplanes", "duplicates": "distinct_hyperplanes",
           "touching": "facet_adjacency", "adjacency": "facet_adjacency", "convex": "convex_domain",
           "nonconvex": "convex_domain", "genericity": "generic", "weights": "weights_le_1",
           "omega": "activation_partition", "affine": "activation_partition"}

_SMALL_BIASES = [Fraction(v) for v in (-1, 0, 1)] + [Fraction(-1, 2), Fraction(1, 2)]


@dataclass
class CounterexampleResult:
    """What :func:`find_counterexample` found.

    Attributes
    ----------
    found : bool
    claim : str
    relax : str or None
    network : Network or None
        The shrunk counterexample (exact).
    domain : Box or BoxUnion or None
    options : dict
        Checker options that go with it (``adjacency``, ``weights``, ``omega``).
    verdict : Verdict or None
        The exact verdict on the shrunk example (its ``violations`` are the witnesses).
    tried : int
        Candidates checked (the budget used).
    budget : int
    pairs_checked : int
        Region pairs compared over all candidates.
    shrink_steps : int
    seconds : float
    """

    found: bool
    claim: str
    relax: str | None
    network: object = None
    domain: object = None
    options: dict = field(default_factory=dict)
    verdict: object = None
    tried: int = 0
    rejected: int = 0
    budget: int = 0
    pairs_checked: int = 0
    shrink_steps: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready: the search's counts, and when found the network, its domain, the
        options and the verdict (what ``vqgeom counterexample --out`` saves)."""
        from vqgeom.network import COUNTEREXAMPLE_FORMAT

        doc = {"format": COUNTEREXAMPLE_FORMAT, "found": self.found, "claim": self.claim, "relax": self.relax, "tried": self.tried,
               "rejected": self.rejected,
               "budget": self.budget, "pairs_checked": self.pairs_checked,
               "shrink_steps": self.shrink_steps, "seconds": round(self.seconds, 3)}
        if self.found:
            doc["network"] = self.network.to_dict()
            doc["domain"] = self.domain.to_dict() if hasattr(self.domain, "to_dict") else str(self.domain)
            doc["options"] = {k: ([str(x) for x in v] if isinstance(v, list) else v)
                              for k, v in self.options.items()}
            doc["verdict"] = self.verdict.to_dict()
        return doc

    def summary(self) -> str:
        what = f"{self.claim}" + (f" with {self.relax} relaxed" if self.relax else " (all hypotheses met)")
        if not self.found:
            return (f"no counterexample to {what} found within the budget: {self.tried} of {self.budget} "
                    f"networks checked exhaustively ({self.pairs_checked} region pairs"
                    + (f"; {self.rejected} of them did not meet every hypothesis" if self.rejected else "")
                    + "), "
                    f"{self.seconds:.1f} s")
        v = self.verdict
        lines = [f"counterexample to {what} after {self.tried} candidates, shrunk in "
                 f"{self.shrink_steps} steps: {self.network!r} on {self.domain!r}"
                 + (f" with {self.options}" if self.options else ""),
                 f"  {v.n_violations} of {v.pairs_checked} region pairs violate the claim"]
        lines += [f"  note: {n}" for n in v.notes]
        if v.violations:
            lines.append(f"  witness: {v.violations[0].describe()}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ generators
def _ints(rng, shape, k):
    return [[Fraction(int(v)) for v in row] for row in rng.integers(-k, k + 1, size=shape)]


def _nonzero_rows(rng, n, dim, k):
    rows = []
    while len(rows) < n:
        r = [Fraction(int(v)) for v in rng.integers(-k, k + 1, size=dim)]
        if any(r):
            rows.append(r)
    return rows


def _arrangement(rng, dim, width):
    from vqgeom.catalogue import arrangement

    n = int(rng.integers(1, width + 1))
    W = _nonzero_rows(rng, n, dim, 3)
    b = [_SMALL_BIASES[int(i)] for i in rng.integers(0, len(_SMALL_BIASES), size=n)]
    return arrangement(W, b)


def _deep(rng, dim, width, k=2):
    from vqgeom.network import Network

    depth = int(rng.integers(2, 4))
    layers, d_in = [], dim
    for l in range(depth):
        n = int(rng.integers(1, width + 1))
        W = _nonzero_rows(rng, n, d_in, k) if l == 0 else _ints(rng, (n, d_in), k)
        b = [_SMALL_BIASES[int(i)] for i in rng.integers(0, len(_SMALL_BIASES), size=n)]
        layers.append({"weight": W, "bias": b})
        d_in = n
    return Network(layers, exact=True)


def _union(rng, dim):
    """A connected, non-convex union of unit-2 grid cells in [-3, 3]^dim (at least 3 cells)."""
    from vqgeom.regions.boxunion import BoxUnion
    from vqgeom.regions import Box

    while True:
        cells = {tuple(int(v) for v in rng.integers(0, 3, size=dim))}
        target = int(rng.integers(3, 3 ** dim))
        while len(cells) < target:
            c = list(cells)[int(rng.integers(0, len(cells)))]
            axis = int(rng.integers(0, dim))
            step = int(rng.choice([-1, 1]))
            nb = list(c)
            nb[axis] += step
            if 0 <= nb[axis] < 3:
                cells.add(tuple(nb))
        U = BoxUnion([Box([2 * v - 3 for v in c], [2 * v - 1 for v in c]) for c in sorted(cells)])
        lo = [min(c[i] for c in cells) for i in range(dim)]
        hi = [max(c[i] for c in cells) for i in range(dim)]
        full = int(np.prod([h - l + 1 for l, h in zip(lo, hi)]))
        if len(cells) < full:  # not the whole bounding box: non-convex
            return U


def _candidate(claim, relax, rng, dim, width):
    from vqgeom.regions import Box

    box = Box(-2, 2, dim=dim)
    if claim == "lemma1":
        net = _arrangement(rng, dim, width)
        if relax == "distinct_hyperplanes":
            lay = net.layers[0]
            k = int(rng.integers(0, lay.n_neurons))
            c = Fraction(int(rng.choice([-2, -1, 1, 2])))
            from vqgeom.catalogue import arrangement

            W = [list(r) for r in lay.weight] + [[c * v for v in lay.weight[k]]]
            b = list(lay.bias) + [c * lay.bias[k]]
            net = arrangement(W, b)
        dom = _union(rng, dim) if relax == "convex_domain" else box
        opts = {"adjacency": "touching"} if relax == "facet_adjacency" else {}
        return net, dom, opts
    net = _deep(rng, dim, width)
    dom = box
    opts = {}
    if relax == "weights_le_1":
        opts["weights"] = [Fraction(1)] * (net.depth - 1) + [Fraction(int(rng.integers(2, 4)))]
    if relax == "activation_partition":
        opts["omega"] = "affine"
    return net, dom, opts


def _check(claim, net, dom, opts):
    from vqgeom.lemmas.lemma1 import check_lemma1
    from vqgeom.lemmas.lemma2 import check_lemma2

    fn = check_lemma1 if claim == "lemma1" else check_lemma2
    return fn(net, dom, max_witnesses=3, **opts)


def _qualifies(v, relax) -> bool:
    """A violation that drops exactly the hypothesis ``relax`` (all others met)."""
    others = all(ok for k, ok in v.hypotheses.items() if k != relax)
    return (not v.holds) and others


# -------------------------------------------------------------------------------- shrinking
def _layers_of(net):
    return [{"weight": [list(r) for r in lay.weight], "bias": list(lay.bias)} for lay in net.layers]


def _rebuild(layers):
    from vqgeom.errors import InvalidNetworkError
    from vqgeom.network import Network

    try:
        return Network(layers, exact=True)
    except InvalidNetworkError:
        return None


def _smaller_nets(net):
    """Candidate simplifications, fewest neurons first, then smaller numbers."""
    layers = _layers_of(net)
    # drop the last layer (deep networks keep >= 2 layers: a one-layer net is not deep)
    if len(layers) > 2:
        yield layers[:-1]
    for l, lay in enumerate(layers):
        n = len(lay["bias"])
        if n < 2:
            continue
        for k in range(n):
            new = [dict(weight=[list(r) for r in x["weight"]], bias=list(x["bias"])) for x in layers]
            del new[l]["weight"][k]
            del new[l]["bias"][k]
            if l + 1 < len(new):
                new[l + 1]["weight"] = [r[:k] + r[k + 1:] for r in new[l + 1]["weight"]]
            yield new
    for l, lay in enumerate(layers):
        for key in ("weight", "bias"):
            flat = [(i, j) for i, r in enumerate(lay["weight"]) for j in range(len(r))] if key == "weight" \
                else [(i, None) for i in range(len(lay["bias"]))]
            for i, j in flat:
                v = lay["weight"][i][j] if key == "weight" else lay["bias"][i]
                for s in _toward_zero(v):
                    new = [dict(weight=[list(r) for r in x["weight"]], bias=list(x["bias"])) for x in layers]
                    if key == "weight":
                        new[l]["weight"][i][j] = s
                    else:
                        new[l]["bias"][i] = s
                    yield new


def _toward_zero(v):
    v = Fraction(v)
    if v == 0:
        return []
    out = [Fraction(0)]
    if v.denominator != 1:
        out.append(Fraction(round(v)) if round(v) != 0 else Fraction(1 if v > 0 else -1))
    elif abs(v) > 1:
        out.append(v - (1 if v > 0 else -1))
    return [s for s in out if s != v and abs(s) <= abs(v)]


def _shrink(claim, relax, net, dom, opts, deadline, v=None):
    """Simplify a qualifying violation while it still qualifies, until ``deadline``.

    A candidate the checkers reject as input (a vqgeom ValueError: e.g. degenerate) is
    skipped; anything else, a :class:`CertificateError` above all (a bug caught by exact
    arithmetic), propagates.
    """
    v = _check(claim, net, dom, opts) if v is None else v
    steps = 0
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        for layers in _smaller_nets(net):
            if time.monotonic() >= deadline:
                break
            cand = _rebuild(layers)
            if cand is None:
                continue
            o = dict(opts)
            if "weights" in o and len(o["weights"]) != cand.depth:
                o["weights"] = o["weights"][:cand.depth - 1] + [o["weights"][-1]]
            try:
                cv = _check(claim, cand, dom, o)
            except (InvalidInputError, InvalidNetworkError, DegenerateInputError):
                continue  # not a valid input for the checker: not a simplification
            if _qualifies(cv, relax):
                net, opts, v = cand, o, cv
                steps += 1
                improved = True
                break
    return net, opts, v, steps


def _check_job(job):
    """Worker side of a parallel search: the verdict on one candidate."""
    return _check(*job)


def _candidates(claim, relax, rng, dim, max_width, budget, deadline):
    """The serial search's candidates, in its order (drawn here, in the caller's process,
    from the one generator), until the budget or the time runs out."""
    for _ in range(budget):
        if time.monotonic() >= deadline:
            return
        yield _candidate(claim, relax, rng, dim, max_width)


def find_counterexample(claim: str, relax: str | None = None, *, dim: int = 2, max_width: int = 3,
                        seed: int = 0, budget: int = 200, rng=None, time_limit: float = 60.0,
                        progress=None, executor=None) -> CounterexampleResult:
    """Search small networks for a violation of ``claim`` with hypothesis ``relax`` dropped.

    Parameters
    ----------
    claim : {"lemma1", "lemma2"}
    relax : str or None
        A hypothesis of the claim (see :data:`RELAXATIONS`; short names in :data:`ALIASES`, e.g.
        ``"touching"``, ``"weights"``, ``"affine"``); None keeps them all, so no counterexample
        exists and the search reports its budget.
    dim : int
        Input dimension (``facet_adjacency`` needs 2; ``convex_domain`` needs >= 2).
    max_width : int
        Most neurons per layer of a candidate.
    seed : int
        Seed of the generator used when ``rng`` is None.
    budget : int
        Most candidate networks to check.
    rng : numpy.random.Generator, optional
    time_limit : float
        Seconds after which the search and the shrinking stop (a violation found late is
        returned less shrunk; the run ends within one candidate check of the limit).
    progress : bool or callable, optional
        True shows a tqdm bar of networks checked on stderr; a callable is called as
        ``progress(tried, budget)``.
    executor : None, int, concurrent.futures.Executor, dask.distributed.Client or str
        Check candidates in parallel (an int: that many local processes; a str: a Dask
        scheduler address; see :mod:`vqgeom._executor`). Candidates are still drawn in
        order from the one generator and their verdicts read in that order, so the result
        is the serial one (within the same budget; the time limit stops drawing new
        candidates). Shrinking runs in the calling process. Candidates checked ahead are
        drawn from ``rng`` too, so a caller's generator ends further on than serially.

    Returns
    -------
    CounterexampleResult

    Raises
    ------
    InvalidInputError
        For an unknown claim or hypothesis, or a bad dim / max_width / budget.
    CertificateError
        When an exact check fails during the search or the shrinking (a bug: never skipped).

    Examples
    --------
    >>> r = find_counterexample("lemma1", "distinct_hyperplanes", dim=1, budget=20)
    >>> r.found, r.network.n_neurons, r.verdict.hypotheses["distinct_hyperplanes"]
    (True, 2, False)
    >>> find_counterexample("lemma1", dim=1, budget=5).found
    False
    """
    start = time.monotonic()
    if claim not in RELAXATIONS:
        raise InvalidInputError(f"claim must be one of {', '.join(CLAIMS)}, got {claim!r}")
    relax = ALIASES.get(relax, relax)
    if relax is not None and relax not in RELAXATIONS[claim]:
        raise InvalidInputError(f"relax must be one of {', '.join(RELAXATIONS[claim])} for {claim}, "
                                f"got {relax!r}")
    for name, val, lo in (("dim", dim, 1), ("max_width", max_width, 1), ("budget", budget, 1)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
            raise InvalidInputError(f"{name} must be an int >= {lo}, got {val!r}")
    if rng is None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InvalidInputError(f"seed must be an int >= 0, got {seed!r}")
    if relax == "facet_adjacency" and dim != 2:
        raise InvalidInputError(f"relax='facet_adjacency' (touching) needs dim=2, got dim={dim}")
    if relax == "convex_domain" and dim < 2:
        raise InvalidInputError("relax='convex_domain' needs dim >= 2 (a connected union of intervals is convex)")
    check_executor(executor)
    if rng is None:
        rng = np.random.default_rng(seed)
    deadline = start + time_limit
    report = reporter(progress, unit="networks", desc=f"{claim} search")
    try:
        return _search(claim, relax, rng, dim, max_width, budget, start, deadline, report, executor)
    finally:
        close_report(report)


def _search(claim, relax, rng, dim, max_width, budget, start, deadline, progress, executor):
    tried = pairs = rejected = 0
    found = None
    with job_runner(executor) as runner:
        cands = _candidates(claim, relax, rng, dim, max_width, budget, deadline)
        if runner is None:
            checked = ((c, _check(claim, *c)) for c in cands)
        else:
            drawn = []

            def jobs():
                for c in cands:
                    drawn.append(c)
                    yield (claim, *c)

            checked = ((drawn.pop(0), v) for v in runner.run_ordered(_check_job, jobs()))
        try:
            for (net, dom, opts), v in checked:
                tried += 1
                if progress is not None:
                    progress(tried, budget)
                pairs += v.pairs_checked
                if relax is None and not v.hypotheses_met:
                    rejected += 1
                    continue  # (e.g. a random deep net that is not generic): not a fair candidate
                if (relax is None and not v.holds) or (relax is not None and _qualifies(v, relax)):
                    found = (net, dom, opts, v)
                    break
        finally:
            checked.close()  # candidates checked ahead on workers are dropped
    if found is not None:
        net, dom, opts, v = found
        net, opts, v, steps = _shrink(claim, relax, net, dom, opts, deadline, v)
        return CounterexampleResult(True, claim, relax, net, dom, opts, v, tried, rejected,
                                    budget, pairs, steps, time.monotonic() - start)
    return CounterexampleResult(False, claim, relax, tried=tried, rejected=rejected, budget=budget,
                                pairs_checked=pairs, seconds=time.monotonic() - start)
