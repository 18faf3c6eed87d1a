"""Exact certification of a float planar subdivision (private helpers of :mod:`.planar`).

Three tools:

* :class:`IntNet`: the exact network with every layer's arrays scaled to Python integers
  over one denominator per array, and :meth:`IntNet.rows`, the exact affine maps (lines) of
  many (neuron, code prefix) pairs at once, batched through python-flint's ``fmpz_mat``;
* :class:`Filter`: a float forward pass with a rigorous bound on its distance to the exact
  forward pass (a floating-point filter, as in exact geometric computation): a sign is
  *certified* when the float value exceeds the bound; the few undecided values are
  recomputed exactly;
* :func:`exact_preactivations`: the exact forward pass of rational points (Fractions).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["IntNet", "Filter", "exact_preactivations", "frac", "UNIT"]

UNIT = 2.0 ** -53


def frac(n, d) -> Fraction:
    """``Fraction(n, d)`` for Python ints ``n``, ``d > 0`` (one gcd, no type dispatch)."""
    g = math.gcd(n, d)
    if g != 1:
        n, d = n // g, d // g
    return _from_coprime(n, d)


if hasattr(Fraction, "_from_coprime_ints"):  # Python >= 3.12
    _from_coprime = Fraction._from_coprime_ints
else:  # pragma: no cover - Python 3.10 / 3.11 (Fraction keeps its value in these two slots)
    def _from_coprime(n, d):
        f = object.__new__(Fraction)
        f._numerator = n
        f._denominator = d
        return f


def _is_float(y) -> bool:
    """Is the rational ``y`` exactly a (normal-range) binary64 float?"""
    if type(y) is not Fraction:
        y = Fraction(y)
    d = y.denominator
    return d & (d - 1) == 0 and abs(y.numerator) < 2 ** 53 and d < 2 ** 1000


def _scale(arr):
    """An exact array as (integer object array, common denominator)."""
    if arr is None:
        return None, 1
    fr = [v if type(v) is Fraction else Fraction(v) for v in np.asarray(arr, dtype=object).ravel()]
    den = 1
    for v in fr:
        den = math.lcm(den, v.denominator)
    ints = np.array([v.numerator * (den // v.denominator) for v in fr], dtype=object)
    return ints.reshape(np.shape(arr)), den


def _fmpz(mat):
    import flint

    r, c = mat.shape
    return flint.fmpz_mat(r, c, [int(v) for v in mat.ravel()])


def _matmul(A, B):
    """Exact product of integer object arrays (python-flint for large ones)."""
    if A.shape[0] == 0 or A.shape[1] == 0 or B.shape[1] == 0:
        return np.zeros((A.shape[0], B.shape[1]), dtype=object) + 0
    if B.shape[1] < 8 or A.shape[0] * A.shape[1] * B.shape[1] < 20000:
        return A.dot(B)
    import flint

    C = flint.fmpz_mat(A.shape[0], A.shape[1], A.ravel().tolist()) * \
        flint.fmpz_mat(B.shape[0], B.shape[1], B.ravel().tolist())
    out = np.empty(A.shape[0] * B.shape[1], dtype=object)
    out[:] = C.entries()          # python-flint integers (fmpz); rows() returns Python ints
    return out.reshape(A.shape[0], B.shape[1])


class IntNet:
    """An exact network as integer arrays (one denominator per array)."""

    def __init__(self, exact_net):
        self.net = exact_net
        self.layers = []
        for lay in exact_net.layers:
            W, dW = _scale(lay.weight)
            b, db = _scale(lay.bias)
            out, dout = _scale(lay.out)
            skip, dskip = _scale(lay.skip)
            ob, dob = _scale(lay.out_bias)
            minus = Fraction(lay.minus_slope)
            self.layers.append(dict(W=W, dW=dW, b=b, db=db, out=out, dout=dout, skip=skip,
                                    dskip=dskip, ob=ob, dob=dob, mn=minus.numerator,
                                    md=minus.denominator, n=lay.n_neurons))
        self.offsets = np.concatenate([[0], np.cumsum([d["n"] for d in self.layers])])

    def rows(self, layer: int, neurons, prefixes):
        """Exact maps ``pre(x) = (G @ x + c) / den`` of neurons of one layer under code prefixes.

        Parameters
        ----------
        layer : int
        neurons : int array (n,)
            Row indices in ``layer``.
        prefixes : bool array (n, n_neurons of layers < layer)
            The signs of the earlier layers (True: +1) on which the map is valid.

        Returns
        -------
        G : object array (n, D) of int
        c : object array (n,) of int
        den : int (common, positive)
        """
        L = self.layers[layer]
        n = len(neurons)
        R = L["W"][np.asarray(neurons, dtype=np.int64)]
        c = L["b"][np.asarray(neurons, dtype=np.int64)]
        den = math.lcm(L["dW"], L["db"])
        R = R * (den // L["dW"])
        c = c * (den // L["db"])
        for t in range(layer - 1, -1, -1):
            T = self.layers[t]
            signs = prefixes[:, self.offsets[t]: self.offsets[t + 1]]
            # f(z_{t+1}) with z_{t+1} = out (s * (W z + b)) + skip z + ob
            Dq = T["dout"] * T["md"]
            Q = R if T["out"] is None else _matmul(R, T["out"])
            if T["md"] == 1 and T["mn"] == 0:
                Qs = np.where(signs, Q, 0)
            else:
                Qs = Q * np.where(signs, T["md"], T["mn"]).astype(object)
            terms_R = [(_matmul(Qs, T["W"]), Dq * T["dW"])]
            terms_c = [((Qs * T["b"][None, :]).sum(axis=1) if Qs.shape[1] else np.zeros(n, dtype=object),
                        Dq * T["db"]), (c, 1)]
            if T["skip"] is not None:
                terms_R.append((_matmul(R, T["skip"]), T["dskip"]))
            if T["ob"] is not None:
                terms_c.append(((R * T["ob"][None, :]).sum(axis=1), T["dob"]))
            lcm = 1
            for _, d in terms_R + terms_c:
                lcm = math.lcm(lcm, d)
            R = sum(M * (lcm // d) for M, d in terms_R)
            c = sum(v * (lcm // d) for v, d in terms_c)
            den = den * lcm
        R = np.array([int(v) for v in R.ravel()], dtype=object).reshape(R.shape)
        c = np.array([int(v) for v in c.ravel()], dtype=object)
        return R, c, den


def exact_preactivations(exact_net, points):
    """Exact pre-activations (layers concatenated) at rational points, shape (n, N)."""
    if len(points) == 0:
        return np.zeros((0, exact_net.n_neurons), dtype=object)
    pts = np.array([[Fraction(v) for v in p] for p in points], dtype=object)
    return np.concatenate(exact_net.preactivations(pts), axis=1)


class Filter:
    """A float forward pass with a rigorous bound on its error (see the module docstring).

    For a layer computing ``pre = W z + b`` in float from an input ``z_hat`` with
    ``|z_hat - z| <= e`` (componentwise), the exact pre-activation satisfies::

        |pre_hat - pre| <= |W_hat| e + |W - W_hat| (|z_hat| + e) + |b - b_hat|
                           + gamma_{d+1} (|W_hat| |z_hat| + |b_hat|)

    (``gamma_k = k u / (1 - k u)``, u = 2^-53: the standard bound for a float dot product in
    any summation order); the activation is Lipschitz with constant ``max(1, |slope|)`` and the
    layer's ``out`` / ``skip`` / ``out_bias`` terms are bounded the same way. The bound itself
    is computed in float and inflated by a relative ``(1 + 2^-40)`` and an absolute 2^-1000,
    far more than the rounding of a sum of non-negative terms (relative gamma_k) and any
    underflow. A sign is certified when ``|pre_hat| > bound``.
    """

    def __init__(self, float_net, exact_net):
        self.layers = []
        for lf, le in zip(float_net.layers, exact_net.layers):
            d = {}
            for key in ("weight", "bias", "out", "skip", "out_bias"):
                af, ae = getattr(lf, key), getattr(le, key)
                if af is None:
                    d[key] = None
                    continue
                af = np.asarray(af, dtype=np.float64)
                diff = np.zeros(af.shape)
                exact_floats = ae.dtype != object or all(_is_float(y) for y in np.ravel(ae))
                if not exact_floats:
                    diff = np.array([abs(float(Fraction(y) - Fraction(float(x)))) * (1 + 2.0 ** -40) + 2.0 ** -900
                                     for x, y in zip(af.ravel(), np.ravel(ae))]).reshape(af.shape)
                d[key] = (af, np.abs(af), diff, bool(exact_floats))
            minus = float(Fraction(le.minus_slope))
            d["minus"] = minus
            d["lip"] = max(1.0, abs(minus))
            d["minus_exact"] = Fraction(minus) == Fraction(le.minus_slope)
            self.layers.append(d)

    @staticmethod
    def _gamma(k):
        return k * UNIT / (1 - k * UNIT)

    def run(self, X, err=None):
        """Float pre-activations and error bounds at points X (n, D) given input errors.

        Returns
        -------
        pre : float array (n, N)
        bound : float array (n, N)
        """
        Z = np.asarray(X, dtype=np.float64)
        E = np.zeros_like(Z) if err is None else np.asarray(err, dtype=np.float64)
        pres, bounds = [], []
        infl = 1 + 2.0 ** -40
        tiny = 2.0 ** -900
        for d in self.layers:
            W, aW, dW, _ = d["weight"]
            b, ab, db, _ = d["bias"]
            pre = Z @ W.T + b
            aZ = np.abs(Z)
            g = self._gamma(W.shape[1] + 1) * infl
            bnd = (E * infl + g * aZ) @ aW.T + (g * ab + tiny)
            if dW.any():
                bnd = bnd + ((aZ + E) * infl) @ dW.T
            if db.any():
                bnd = bnd + db * infl
            pres.append(pre)
            bounds.append(bnd)
            minus = d["minus"]
            post = np.maximum(pre, 0.0) if minus == 0 else np.where(pre >= 0, pre, minus * pre)
            epost = bnd if d["lip"] == 1 else d["lip"] * bnd
            if not d["minus_exact"]:
                epost = epost + abs(float(minus)) * 2.0 ** -50 * np.abs(pre)
            if minus not in (0.0, 1.0, -1.0):
                epost = epost + UNIT * np.abs(post)
            if d["lip"] != 1 or minus not in (0.0, 1.0, -1.0) or not d["minus_exact"]:
                epost = epost * infl + tiny
            if d["out"] is None and d["skip"] is None and d["out_bias"] is None:
                Z, E = post, epost
                continue
            res = np.zeros((len(Z), 0))
            rmag = None
            rerr = None
            terms = []
            if d["out"] is not None:
                O, aO, dO, _ = d["out"]
                terms.append((post @ O.T, np.abs(post) @ aO.T, epost @ aO.T + (np.abs(post) + epost) @ dO.T,
                              O.shape[1]))
            else:
                terms.append((post, np.abs(post), epost, 0))
            if d["skip"] is not None:
                S, aS, dS, _ = d["skip"]
                terms.append((Z @ S.T, aZ @ aS.T, E @ aS.T + (aZ + E) @ dS.T, S.shape[1]))
            if d["out_bias"] is not None:
                o, ao, do, _ = d["out_bias"]
                terms.append((np.broadcast_to(o, (len(Z), len(o))), np.broadcast_to(ao, (len(Z), len(o))),
                              np.broadcast_to(do, (len(Z), len(o))), 0))
            res = sum(t[0] for t in terms)
            rmag = sum(t[1] for t in terms)
            rerr = sum(t[2] for t in terms)
            k = sum(t[3] for t in terms) + len(terms) + 1
            Z = res
            E = (rerr + self._gamma(k) * rmag) * infl + tiny
        return np.concatenate(pres, axis=1), np.concatenate(bounds, axis=1)
