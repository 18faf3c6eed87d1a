"""Classical MDS of the VQ-Kernel through the low-rank identity (no N x N eigenproblem).

With S the stacked +-1 codes (N x B) and W the diagonal per-bit weights (bit b of layer l
weighs w_l), the VQ-Kernel is ``K = (tr W / 2) 11^T - (1/2) S W S^T``. With
``J = I - 11^T / N``::

    -(1/2) J K J = (1/4) (J S) W (J S)^T = M M^T,   M = (1/2) (J S) W^(1/2),

so classical MDS (the top eigenpairs of -(1/2) J K J) is the SVD of the centred, weighted
codes M: eigenvalues ``s_i^2``, coordinates ``U_k diag(s_k)`` -- O(N B^2) time, O(N B) memory.

The paper's "MDS matrix" normalises ``JKJ`` by its leading eigenvalue. JKJ is negative
semidefinite with ``J 1 = 0``, so its leading (largest) eigenvalue is 0 and that
normalisation divides by zero (by ~1e-12 in floating point). vqgeom uses ``-(1/2) J K J``,
which is exactly classical MDS.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from vqgeom.codes import Codes, activation_codes, d_layers
from vqgeom.errors import InvalidInputError
from vqgeom.kernels import layer_weights

__all__ = ["MDSEmbedding", "mds_embedding", "MDS_METHODS"]

#: Routes accepted by ``mds_embedding(method=...)``.
MDS_METHODS = ("lowrank", "dense")


@dataclass(frozen=True)
class MDSEmbedding:
    """Result of :func:`mds_embedding`.

    Attributes
    ----------
    coords : ndarray (N, k)
        Classical MDS coordinates: eigenvectors of ``-(1/2) J K J`` scaled by the square
        roots of their eigenvalues; each column's largest-magnitude entry is positive.
    eigenvalues : ndarray (k,)
        The top ``k`` eigenvalues of ``-(1/2) J K J`` (non-increasing, >= 0).
    total : float
        ``trace(-(1/2) J K J)``, the sum of all eigenvalues (``eigenvalues / total`` is the
        explained fraction).
    method : str
    """

    coords: np.ndarray
    eigenvalues: np.ndarray
    total: float
    method: str

    def __iter__(self):  # ``coords, eigenvalues = mds_embedding(...)``
        return iter((self.coords, self.eigenvalues))

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(emb)`` is the (N, k) coordinates."""
        if copy:
            return np.array(self.coords, dtype=dtype, copy=True)
        return np.asarray(self.coords, dtype=dtype)

    @property
    def shape(self) -> tuple:
        """The coordinates' shape (N, k)."""
        return self.coords.shape

    @property
    def explained(self) -> np.ndarray:
        """The fraction of ``total`` each kept eigenvalue explains."""
        return self.eigenvalues / self.total if self.total > 0 else np.zeros_like(self.eigenvalues)

    def __repr__(self) -> str:
        fr = ", ".join(f"{v:.3g}" for v in self.explained[:6]) + (", ..." if len(self.eigenvalues) > 6 else "")
        return (f"MDSEmbedding(N={self.coords.shape[0]}, k={self.coords.shape[1]}, "
                f"method={self.method!r}, explained=[{fr}])")


def _bit_weights(codes: Codes, weights) -> np.ndarray:
    w, _ = layer_weights(weights, codes.n_layers)
    return np.concatenate([np.full(n, float(wl)) for wl, n in zip(w, codes.widths)])


def _orient(vecs: np.ndarray) -> np.ndarray:
    if vecs.size == 0:
        return vecs
    idx = np.argmax(np.abs(vecs), axis=0)
    signs = np.sign(vecs[idx, np.arange(vecs.shape[1])])
    signs[signs == 0] = 1
    return vecs * signs


def mds_embedding(net, X=None, k: int = 3, *, weights=None, method: str = "lowrank") -> MDSEmbedding:
    """Classical MDS embedding of points under the VQ-Kernel.

    Parameters
    ----------
    net : Network, torch.nn.Module or Codes
        A network (with points ``X``) or precomputed codes (then ``X`` is omitted:
        ``mds_embedding(codes, k=3)``).
    X : array-like (N, D), optional
    k : int
        Embedding dimension, ``1 <= k <= N``. Eigenvalues beyond the rank of the centred codes
        (``<= min(N - 1, B)``) are 0 and their coordinates are 0.
    weights : sequence of L positive numbers, optional
        Layer weights of the kernel (default 1).
    method : {"lowrank", "dense"}
        ``"lowrank"``: SVD of the centred weighted codes, O(N B^2). ``"dense"``: builds K and
        diagonalises the N x N matrix ``-(1/2) J K J`` (for checking; O(N^3)).

    Returns
    -------
    MDSEmbedding
        ``coords`` (N, k), ``eigenvalues`` (k,), ``total``; it unpacks as
        ``coords, eigenvalues``.

    Raises
    ------
    InvalidInputError
        Bad ``k``, ``method``, weights or points.

    Examples
    --------
    >>> from vqgeom import Network
    >>> net = Network([{"weight": [[1.0]], "bias": [0.0]}])
    >>> emb = mds_embedding(net, [[-1.0], [1.0]], k=1)
    >>> emb.eigenvalues.round(6).tolist(), np.abs(emb.coords).round(6).ravel().tolist()
    ([0.5], [0.5, 0.5])
    >>> emb, np.asarray(emb).shape
    (MDSEmbedding(N=2, k=1, method='lowrank', explained=[1]), (2, 1))
    """
    if method not in MDS_METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(MDS_METHODS)}; got {method!r}")
    if isinstance(net, Codes):
        if X is not None:
            raise InvalidInputError("with precomputed codes call mds_embedding(codes, k=...) without X")
        codes = net
    else:
        if X is None:
            raise InvalidInputError("X (the points) is required unless the first argument is Codes; "
                                    f"got a {type(net).__name__} without X")
        codes = activation_codes(net, X, layers=d_layers(net))
    N = codes.n_points
    if (not isinstance(k, (numbers.Integral, np.integer)) or isinstance(k, bool)
            or not 1 <= k <= max(N, 1)):
        raise InvalidInputError(f"k must be an int in [1, {max(N, 1)}] (the number of points), got {k!r}")
    k = int(k)
    wb = _bit_weights(codes, weights)
    if N == 0:
        return MDSEmbedding(np.zeros((0, k)), np.zeros(k), 0.0, method)
    if method == "lowrank":
        S = codes.pm1(np.float64)
        M = (S - S.mean(axis=0)) * (0.5 * np.sqrt(wb))
        total = float(np.einsum("ij,ij->", M, M))
        U, s, _ = np.linalg.svd(M, full_matrices=False)
        ev = s ** 2
        r = min(k, ev.size)
        vecs = _orient(U[:, :r])
        coords = np.zeros((N, k))
        coords[:, :r] = vecs * s[:r]
        vals = np.zeros(k)
        vals[:r] = ev[:r]
        return MDSEmbedding(coords, vals, total, method)
    from vqgeom.kernels import vq_kernel

    K = np.asarray(vq_kernel(codes, weights=[float(w) for w in layer_weights(weights, codes.n_layers)[0]]),
                   dtype=np.float64)
    Bm = -0.5 * _double_centre(K)
    ev, vecs = np.linalg.eigh(Bm)
    order = np.argsort(ev)[::-1][:k]
    ev, vecs = ev[order], _orient(vecs[:, order])
    ev = np.clip(ev, 0.0, None)
    return MDSEmbedding(vecs * np.sqrt(ev), ev, float(np.trace(Bm)), method)


def _double_centre(K: np.ndarray) -> np.ndarray:
    """``J K J`` for ``J = I - 11^T / N``."""
    return K - K.mean(axis=0) - K.mean(axis=1)[:, None] + K.mean()
