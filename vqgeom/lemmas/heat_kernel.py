"""The heat kernels on K: exp(-K / sigma^2) is positive semidefinite, exp(-K^2 / sigma^2) need not be.

* exp(-K/sigma^2) is the Schur (entrywise) product over bits b of M_b with entries 1 (equal bit)
  or q_b = exp(-w_b / sigma^2) (different bit); M_b = (1 - q_b) P_b P_b^T + q_b 11^T with P_b the
  one-hot matrix of bit b, a sum of PSD matrices, and Schur products of PSD matrices are PSD.
  (Equivalently: K is a squared Euclidean distance, and Schoenberg's theorem applies.)
* exp(-K^2/sigma^2) fails on the four codes 00, 01, 11, 10 with sigma = 3 and c = (1, -1, 1, -1):
  c^T E c = 4 (1 - 2u + u^4) with u = e^(-1/9), and 1 - 2u + u^4 < 0 on [8/9, 1) (convex, negative
  at 8/9, zero at 1) while e^(-1/9) > 1 - 1/9 = 8/9. All exact.

``python -m vqgeom.lemmas.heat_kernel --check`` runs both (``proofs/heat-kernel.md``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["square_counterexample", "check_heat_kernel"]

#: the counterexample: codes on a 4-cycle of the cube, sigma and the test vector
SQUARE_CODES = ((-1, -1), (-1, 1), (1, 1), (1, -1))
SQUARE_SIGMA = 3
SQUARE_VECTOR = (1, -1, 1, -1)


def square_counterexample():
    """(K, sigma, c, f) for the exp(-K^2/sigma^2) counterexample; f(u) = c^T E c / 4 as a polynomial
    in u = exp(-1/sigma^2) (returned as a callable on Fractions).

    >>> K, sigma, c, f = square_counterexample()
    >>> f(Fraction(8, 9))
    Fraction(-1007, 6561)
    """
    from vqgeom.lemmas.kernel_identity import vq_distance_matrix

    K = vq_distance_matrix(SQUARE_CODES, [1, 1])

    def f(u):
        return 1 - 2 * u + u ** 4

    return K, SQUARE_SIGMA, SQUARE_VECTOR, f


def check_heat_kernel(seed: int = 0) -> list:
    """Exact (and float-illustrated) checks; a list of (statement, verified).

    >>> all(ok for _, ok in check_heat_kernel())
    True
    """
    import sympy

    from vqgeom.lemmas.kernel_identity import vq_distance_matrix

    out = []
    rng = np.random.default_rng(seed)
    N, B = 7, 4
    S = rng.choice([-1, 1], size=(N, B))
    w = [Fraction(int(v)) for v in rng.integers(1, 4, size=B)]
    sig = sympy.Symbol("sigma", positive=True)
    K = vq_distance_matrix(S, w)
    E = sympy.Matrix(N, N, lambda i, j: sympy.exp(-sympy.Rational(K[i, j].numerator, K[i, j].denominator) / sig ** 2))
    prod = sympy.ones(N, N)
    psd_factors = True
    for b in range(B):
        q = sympy.exp(-sympy.Integer(int(w[b])) / sig ** 2)
        P = sympy.Matrix(N, 2, lambda i, k: 1 if (S[i, b] == 1) == (k == 1) else 0)
        Mb = sympy.Matrix(N, N, lambda i, j: 1 if S[i, b] == S[j, b] else q)
        psd_factors &= sympy.simplify(Mb - ((1 - q) * P * P.T + q * sympy.ones(N, N))) == sympy.zeros(N, N)
        prod = prod.multiply_elementwise(Mb)
    out.append(("exp(-K/sigma^2) is the Schur product over bits of M_b", sympy.simplify(E - prod) == sympy.zeros(N, N)))
    out.append(("each M_b = (1 - q_b) P_b P_b^T + q_b 11^T with 0 < q_b < 1 (PSD)", bool(psd_factors)))
    Kf = np.array(K, dtype=float)
    mins = [np.linalg.eigvalsh(np.exp(-Kf / s ** 2)).min() for s in (0.3, 1.0, 3.0, 10.0)]
    out.append(("float: min eigenvalue of exp(-K/sigma^2) >= -1e-12 for sigma in {0.3, 1, 3, 10}",
                bool(min(mins) >= -1e-12)))
    # the squared variant
    Ksq, sigma, c, f = square_counterexample()
    u = sympy.exp(-sympy.Rational(1, sigma ** 2))
    Es = sympy.Matrix(4, 4, lambda i, j: sympy.exp(-sympy.Integer(int(Ksq[i, j])) ** 2 / sigma ** 2))
    cv = sympy.Matrix(c)
    quad = sympy.expand((cv.T * Es * cv)[0, 0])
    out.append(("c^T exp(-K^2/9) c = 4 (1 - 2u + u^4), u = e^(-1/9)",
                sympy.simplify(quad - 4 * (1 - 2 * u + u ** 4)) == 0))
    lo = Fraction(8, 9)
    out.append(("f(8/9) = 1 - 16/9 + (8/9)^4 = -1007/6561 < 0 and f(1) = 0", f(lo) < 0 and f(Fraction(1)) == 0))
    us = sympy.Symbol("u", positive=True)
    f2 = sympy.diff(f(us), us, 2)
    out.append((f"f''(u) = {f2} > 0 for u > 0: f is convex, so f < 0 on [8/9, 1)",
                sympy.simplify(f2 - 12 * us ** 2) == 0))
    out.append(("e^(-1/9) > 1 - 1/9 = 8/9 (e^(-t) > 1 - t for t > 0) and e^(-1/9) < 1",
                bool(sympy.exp(-sympy.Rational(1, 9)) > sympy.Rational(8, 9))))
    Eplain = sympy.Matrix(4, 4, lambda i, j: sympy.exp(-sympy.Integer(int(Ksq[i, j])) / sigma ** 2))
    plain = sympy.expand((cv.T * Eplain * cv)[0, 0])
    out.append(("contrast: c^T exp(-K/9) c = 4 (1 - u)^2 >= 0", sympy.simplify(plain - 4 * (1 - u) ** 2) == 0))
    val = float(quad)
    out.append((f"numerically c^T exp(-K^2/9) c = {val:.4f} < 0", val < 0))
    return out


def _check_main() -> int:
    from vqgeom.lemmas._check import report

    return report("heat kernel", check_heat_kernel())


if __name__ == "__main__":  # pragma: no cover
    from vqgeom.lemmas._check import main

    main("heat_kernel", _check_main)
