"""Running independent jobs on local processes, a ``concurrent.futures`` executor or Dask.

Every parallel entry point of vqgeom (``enumerate_regions(..., executor=)``,
``find_counterexample(..., executor=)``, ``pairwise_kernel_cosine(..., executor=)``, the CLI's
``--workers`` / ``--scheduler``) takes the same ``executor`` argument:

* ``None``: no executor (the caller runs serially);
* an int ``n >= 1``: ``n`` local worker processes (standard library
  :class:`~concurrent.futures.ProcessPoolExecutor`, ``forkserver`` start method where the
  platform has it, else ``spawn``), started and shut down by the call (each new worker
  imports torch and the engine, about 2 CPU s: for repeated calls pass an open executor);
* a :class:`concurrent.futures.Executor` (process or thread pool, or any other): used as
  it is and left open;
* a ``dask.distributed.Client``: jobs go to its cluster (through ``client.get_executor``);
  left open;
* a string: the address of a running Dask scheduler (``"tcp://host:8786"``); a client is
  connected for the call and closed after it (needs ``dask.distributed``).

Jobs must be deterministic functions of their arguments. A job whose worker process dies
is run again (a pool that this module owns is replaced; Dask reschedules tasks of a lost
worker itself, see its ``allowed_failures``); an exception raised *by* a job is never
retried: it is raised to the caller, and the jobs still pending are cancelled.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
from collections import deque
from typing import Callable, Iterable, Iterator

from vqgeom.errors import InvalidInputError, WorkerLostError

__all__ = ["JobRunner", "job_runner", "check_executor"]

#: how many times one job is re-run after its worker died, before giving up
RETRIES = 3


def _dask_client_type():
    """``distributed.Client`` when dask.distributed is already imported, else None (a client
    object can only exist if it is)."""
    mod = sys.modules.get("distributed")
    return getattr(mod, "Client", None) if mod is not None else None


def check_executor(executor, name: str = "executor"):
    """Validate an ``executor`` argument (see the module docstring); return it unchanged.

    Raises
    ------
    InvalidInputError
        For anything else, naming ``name``.

    Examples
    --------
    >>> check_executor(2)
    2
    >>> check_executor(0)
    Traceback (most recent call last):
    ...
    vqgeom.errors.InvalidInputError: executor must be None, an int >= 1 (local worker processes), a concurrent.futures.Executor, a dask.distributed.Client or a Dask scheduler address; got 0
    """
    client = _dask_client_type()
    ok = (executor is None
          or (isinstance(executor, int) and not isinstance(executor, bool) and executor >= 1)
          or isinstance(executor, cf.Executor)
          or (client is not None and isinstance(executor, client))
          or (isinstance(executor, str) and "://" in executor))
    if not ok:
        raise InvalidInputError(
            f"{name} must be None, an int >= 1 (local worker processes), a concurrent.futures.Executor, "
            f"a dask.distributed.Client or a Dask scheduler address; got {executor!r}")
    return executor


def _local_pool(n: int) -> cf.ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx)


class JobRunner:
    """Runs jobs on an executor (see :func:`job_runner`, which opens and closes one).

    Attributes
    ----------
    n_workers : int
        The number of workers jobs can run on at once (an estimate for foreign executors),
        used to size how many jobs are kept in flight.
    description : str
        What runs the jobs, in words (for reports).
    n_restarts : int
        How many times a lost worker made jobs run again.
    """

    def __init__(self, executor, name: str = "executor"):
        check_executor(executor, name)
        if executor is None:
            raise InvalidInputError(f"{name}: a JobRunner needs an executor, got None")
        self._spec = executor
        self._owned = None       # the pool or client this runner created and must close
        self._client = None
        self.n_restarts = 0
        client_type = _dask_client_type()
        if isinstance(executor, int):
            self._pool = self._owned = _local_pool(executor)
            self.n_workers = executor
            self.description = f"{executor} local worker process{'es' if executor > 1 else ''}"
        elif isinstance(executor, str):
            try:
                from distributed import Client
            except ImportError:
                raise InvalidInputError(
                    f"{name}={executor!r} (a Dask scheduler address) needs dask.distributed: "
                    f"pip install 'vqgeom[dask]'") from None
            try:
                self._client = self._owned = Client(executor, timeout="10s")
            except OSError as exc:
                raise InvalidInputError(
                    f"{name}: cannot reach the Dask scheduler at {executor!r} ({exc})") from None
            self._pool = self._client.get_executor(pure=False)
            self.n_workers = self._dask_threads()
            self.description = f"the Dask scheduler at {executor}"
        elif client_type is not None and isinstance(executor, client_type):
            self._client = executor
            self._pool = executor.get_executor(pure=False)
            self.n_workers = self._dask_threads()
            self.description = f"a Dask client ({self.n_workers} worker threads)"
        else:
            self._pool = executor
            self.n_workers = int(getattr(executor, "_max_workers", 0) or 4)
            self.description = type(executor).__name__

    def _dask_threads(self) -> int:
        workers = self._client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def close(self) -> None:
        """Shut down what this runner started (a local pool, a client it connected)."""
        owned, self._owned = self._owned, None
        if owned is None:
            return
        if isinstance(owned, cf.ProcessPoolExecutor):
            owned.shutdown(wait=True, cancel_futures=True)
        else:
            owned.close()

    def _stop_pool(self) -> None:
        """Stop a pool this runner owns at once: pending jobs cancelled, running ones ended
        (their results are not wanted: an error or a budget stopped the run)."""
        pool = self._owned
        if not isinstance(pool, cf.ProcessPoolExecutor):
            return
        # the worker processes were started by this runner; end them by their handles
        # (ProcessPoolExecutor.terminate_workers exists from Python 3.14 on)
        stop = getattr(pool, "terminate_workers", None)
        if stop is not None:
            stop()
        else:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.terminate()
            for p in procs:
                p.join()
        self._owned = None
        pool.shutdown(wait=True)

    def _restart(self, exc) -> None:
        if not isinstance(self._owned, cf.ProcessPoolExecutor):
            raise WorkerLostError(
                f"a worker of the executor {self.description} died and the executor cannot run "
                f"jobs any more ({type(exc).__name__}: {exc}); pass an int or a Dask client, whose "
                f"lost jobs are run again") from exc
        old = self._owned
        old.shutdown(wait=True, cancel_futures=True)
        self._pool = self._owned = _local_pool(self.n_workers)
        self.n_restarts += 1

    def run_unordered(self, fn: Callable, jobs: Iterable, *, window: int | None = None) -> Iterator:
        """Yield ``(k, fn(job_k))`` as jobs finish (any order).

        Jobs are taken lazily from ``jobs``, at most ``window`` in flight (default: all of
        them). A job whose worker died is run again, up to :data:`RETRIES` times. Closing
        the iterator early (or an exception from a job) cancels and ends the jobs in flight.

        Raises
        ------
        WorkerLostError
            When a job's workers died more than :data:`RETRIES` times, or a foreign executor
            broke for good.
        """
        source = iter(enumerate(jobs))
        flight = {}            # future -> (k, job)
        attempts = {}
        redo = deque()
        finished = False
        try:
            while True:
                while (window is None or len(flight) < window) and (redo or source is not None):
                    if redo:
                        k, job = redo.popleft()
                    else:
                        nxt = next(source, None)
                        if nxt is None:
                            source = None
                            break
                        k, job = nxt
                    try:
                        fut = self._pool.submit(fn, job)
                    except cf.BrokenExecutor as exc:
                        self._restart(exc)
                        fut = self._pool.submit(fn, job)
                    flight[fut] = (k, job)
                if not flight:
                    break
                done, _ = cf.wait(list(flight), return_when=cf.FIRST_COMPLETED)
                broken = None
                for fut in sorted(done, key=lambda f: flight[f][0]):
                    k, job = flight.pop(fut)
                    exc = fut.exception()
                    if isinstance(exc, cf.BrokenExecutor):
                        attempts[k] = attempts.get(k, 0) + 1
                        if attempts[k] > RETRIES:
                            raise WorkerLostError(
                                f"job {k} lost its worker {attempts[k]} times; giving up (local worker "
                                f"processes start by importing the main script: a script must call "
                                f"vqgeom under `if __name__ == '__main__':`)") from exc
                        redo.append((k, job))
                        broken = exc
                        continue
                    if exc is not None:
                        raise exc
                    yield k, fut.result()
                if broken is not None:
                    # every job still in flight on the broken pool fails the same way: collect
                    # them, keep what finished, then run the rest on a fresh pool
                    cf.wait(list(flight))
                    for fut in sorted(flight, key=lambda f: flight[f][0]):
                        k, job = flight[fut]
                        exc = fut.exception()
                        if exc is None:
                            yield k, fut.result()
                        elif isinstance(exc, cf.BrokenExecutor):
                            redo.append((k, job))
                        else:
                            raise exc
                    flight.clear()
                    self._restart(broken)
            finished = True
        finally:
            if not finished:
                for fut in flight:
                    fut.cancel()
                self._stop_pool()

    def run_ordered(self, fn: Callable, jobs: Iterable, *, window: int | None = None) -> Iterator:
        """Yield ``fn(job)`` for each job in the order of ``jobs``, computed ahead on the
        workers (at most ``window`` jobs in flight, default ``4 * n_workers``)."""
        window = window or 4 * self.n_workers
        held = {}
        want = 0
        for k, result in self.run_unordered(fn, jobs, window=window):
            held[k] = result
            while want in held:
                yield held.pop(want)
                want += 1


class job_runner:
    """Context manager: a :class:`JobRunner` for ``executor`` (None gives None), closed on exit.

    Examples
    --------
    >>> with job_runner(None) as runner:
    ...     runner is None
    True
    """

    def __init__(self, executor, name: str = "executor"):
        check_executor(executor, name)
        self._executor = executor
        self._name = name
        self._runner = None

    def __enter__(self):
        if self._executor is None:
            return None
        self._runner = JobRunner(self._executor, self._name)
        return self._runner

    def __exit__(self, *exc_info):
        if self._runner is not None:
            self._runner.close()
        return False
