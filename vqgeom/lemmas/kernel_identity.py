"""The kernel identity K = (tr W / 2) 11^T - (1/2) S W S^T and what it means for MDS (exact checks).

For stacked +-1 codes S (N x B) and per-bit weights W = diag(w), w_b > 0, the VQ distance matrix
K_ij = sum_b w_b [S_ib != S_jb] satisfies

* K = (tr W / 2) 11^T - (1/2) S W S^T, since [s != t] = (1 - s t) / 2 for s, t in {-1, +1};
* J K J = -(1/2) (JS) W (JS)^T with J = I - 11^T / N: negative semidefinite, rank <= B;
* K_ij = ||x_i - x_j||^2 for x_i = W^(1/2) s_i / 2, so -(1/2) J K J = J X X^T J is exactly
  classical MDS: its eigenvectors are the principal components of the centred codes;
* the largest eigenvalue of J K J is exactly 0 (J K J 1 = 0 and J K J <= 0), so the paper's
  normalisation of J K J by its leading eigenvalue divides by zero (by rounding noise in floats).

``python -m vqgeom.lemmas.kernel_identity --check`` verifies all of this in exact rationals
(``proofs/kernel-identity.md``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["vq_distance_matrix", "identity_matrix_form", "check_kernel_identity"]


def vq_distance_matrix(S, w) -> np.ndarray:
    """K_ij = sum_b w_b [S_ib != S_jb], exact (object array of Fractions).

    >>> vq_distance_matrix([[1, -1], [1, 1]], [1, 3])[0, 1]
    Fraction(3, 1)
    """
    S = np.asarray(S, dtype=object)
    w = [Fraction(v) for v in w]
    N = S.shape[0]
    K = np.empty((N, N), dtype=object)
    for i in range(N):
        for j in range(N):
            K[i, j] = sum((w[b] for b in range(S.shape[1]) if S[i, b] != S[j, b]), Fraction(0))
    return K


def identity_matrix_form(S, w) -> np.ndarray:
    """(tr W / 2) 11^T - (1/2) S W S^T, exact."""
    S = np.array([[Fraction(int(v)) for v in row] for row in S], dtype=object)
    W = np.diag(np.array([Fraction(v) for v in w], dtype=object))
    N = S.shape[0]
    tr = sum(Fraction(v) for v in w)
    return np.full((N, N), tr / 2, dtype=object) - (S @ W @ S.T) / 2


def _centering(N):
    return np.array([[Fraction(int(i == j)) - Fraction(1, N) for j in range(N)] for i in range(N)], dtype=object)


def check_kernel_identity(N: int = 9, B: int = 5, *, seed: int = 0) -> list:
    """Exact checks of the identity and its MDS consequences on seeded random codes.

    Returns
    -------
    list of (str, bool): each statement and whether it was verified.

    >>> all(ok for _, ok in check_kernel_identity(5, 3))
    True
    """
    import sympy

    rng = np.random.default_rng(seed)
    out = []
    # the scalar identity behind everything, all four sign cases
    out.append(("[s != t] = (1 - s t) / 2 for s, t in {-1, 1}",
                all(Fraction(int(s != t)) == Fraction(1 - s * t, 2) for s in (-1, 1) for t in (-1, 1))))
    S = rng.choice([-1, 1], size=(N, B))
    w = [Fraction(int(p), int(q)) for p, q in zip(rng.integers(1, 7, size=B), rng.integers(1, 5, size=B))]
    K = vq_distance_matrix(S, w)
    out.append(("K = (tr W / 2) 11^T - (1/2) S W S^T", bool(np.all(K == identity_matrix_form(S, w)))))
    # symbolic in the weights: every sign pattern of 3 points x 2 bits
    ws = sympy.symbols("w0 w1", positive=True)
    sym_ok = True
    for bits in range(2 ** 6):
        T = [[1 if (bits >> (2 * i + b)) & 1 else -1 for b in range(2)] for i in range(3)]
        Kd = sympy.Matrix(3, 3, lambda i, j: sum(ws[b] for b in range(2) if T[i][b] != T[j][b]))
        Sm = sympy.Matrix(T)
        Wm = sympy.diag(*ws)
        form = (sum(ws) / 2) * sympy.ones(3, 3) - Sm * Wm * Sm.T / 2
        sym_ok &= sympy.simplify(Kd - form) == sympy.zeros(3, 3)
    out.append(("the identity holds symbolically in w for all 64 codes of 3 points x 2 bits", bool(sym_ok)))
    J = _centering(N)
    Sf = np.array([[Fraction(int(v)) for v in row] for row in S], dtype=object)
    W = np.diag(np.array(w, dtype=object))
    JKJ = J @ K @ J
    JS = J @ Sf
    out.append(("J K J = -(1/2) (JS) W (JS)^T (so J K J is negative semidefinite: W > 0)",
                bool(np.all(JKJ == -(JS @ W @ JS.T) / 2))))
    rank = sympy.Matrix(JKJ.tolist()).rank()
    out.append((f"rank J K J = {rank} <= B = {B}", rank <= B))
    ones = np.array([Fraction(1)] * N, dtype=object)
    out.append(("J K J 1 = 0 exactly, so the largest eigenvalue of J K J is 0",
                bool(np.all(JKJ @ ones == 0))))
    # K is a squared Euclidean distance between x_i = W^(1/2) s_i / 2: check with the metric W
    sq = np.empty((N, N), dtype=object)
    for i in range(N):
        for j in range(N):
            dlt = (Sf[i] - Sf[j]) / 2
            sq[i, j] = sum(w[b] * dlt[b] * dlt[b] for b in range(B))
    out.append(("K_ij = ||W^(1/2)(s_i - s_j)/2||^2", bool(np.all(sq == K))))
    G = (JS @ W @ JS.T) / 4
    out.append(("-(1/2) J K J = J X X^T J (classical MDS of the scaled codes)", bool(np.all(-JKJ / 2 == G))))
    # float illustration: MDS through the SVD of the centred codes agrees with the dense route
    Kf = np.array(K, dtype=float)
    Jf = np.eye(N) - 1.0 / N
    Bf = -0.5 * Jf @ Kf @ Jf
    ev = np.sort(np.linalg.eigvalsh(Bf))[::-1]
    Xc = (Jf @ S.astype(float)) * np.sqrt(np.array(w, dtype=float)) / 2
    sv = np.sort(np.linalg.svd(Xc, compute_uv=False) ** 2)[::-1]
    k = min(B, N)
    out.append(("float: top eigenvalues of -(1/2)JKJ = squared singular values of the centred codes",
                bool(np.allclose(ev[:k], sv[:k], atol=1e-9 * max(1.0, ev[0])))))
    lead = np.linalg.eigvalsh(Jf @ Kf @ Jf).max()
    out.append((f"float: the paper's 'leading eigenvalue' of JKJ is rounding noise ({lead:.1e})",
                bool(abs(lead) < 1e-9 * np.abs(Kf).max() * N)))
    return out


def _check_main() -> int:
    from vqgeom.lemmas._check import report

    return report("kernel identity", (
        (f"[N={N}, B={B}] {text}", good)
        for seed, (N, B) in enumerate([(9, 5), (6, 8), (12, 3)])
        for text, good in check_kernel_identity(N, B, seed=seed)))


if __name__ == "__main__":  # pragma: no cover
    from vqgeom.lemmas._check import main

    main("kernel_identity", _check_main)
