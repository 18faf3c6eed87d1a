"""One native thread for numerical work that is many small steps (private).

The region engines run many small numpy (and torch) steps between a few matrix products.
OpenBLAS's (and OpenMP's) worker threads keep spinning after each product and take the
second core from the main thread on a busy machine; measured on the 2-core development
machine: the planar engine on the digits CNN plane, 164 ms CPU for 83 ms wall with two BLAS
threads against about 100 ms CPU and wall with one; the subdivision engine's exact filter on
37k points, 1.2 s with OpenBLAS threads against 0.24 s with one.
"""

from __future__ import annotations

from contextlib import nullcontext

__all__ = ["one_native_thread"]


def one_native_thread(user_api=None):
    """A context manager limiting the native thread pools to one thread, restored after.

    Parameters
    ----------
    user_api : {"blas", "openmp"} or None
        The pools to limit (None: all of them), as ``threadpoolctl.threadpool_limits`` takes.

    Returns
    -------
    context manager
        ``threadpoolctl.threadpool_limits(1, user_api)``, or a no-op when threadpoolctl (an
        optional dependency) is not installed: the thread counts then stay as they are.

    Examples
    --------
    >>> with one_native_thread("blas"):
    ...     pass
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api=user_api)
