"""MDS through the low-rank identity equals the dense route; the paper's normalisation fails."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Codes, InvalidInputError, Network, activation_codes, mds_embedding, vq_kernel


def random_net(rng, widths, dim=2):
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": rng.normal(size=(w, d)), "bias": rng.normal(size=w) * 0.5})
        d = w
    return Network(layers)


def test_low_rank_identity_is_exact_in_integers():
    # K = (tr W / 2) 11^T - (1/2) S W S^T, checked in integer arithmetic
    rng = np.random.default_rng(0)
    codes = Codes.from_bits([rng.random((25, 7)) < 0.5, rng.random((25, 5)) < 0.5])
    w = np.array([2] * 7 + [3] * 5, dtype=np.int64)
    S = codes.pm1(np.int64)
    twice = w.sum() - (S * w) @ S.T
    np.testing.assert_array_equal(twice, 2 * vq_kernel(codes, weights=[2, 3]))


@given(st.integers(0, 2**32 - 1), st.integers(8, 40), st.integers(1, 4))
def test_lowrank_equals_dense(seed, n, k):
    rng = np.random.default_rng(seed)
    net = random_net(rng, [6, 5])
    X = rng.normal(size=(n, 2))
    weights = [1.0, 2.5]
    low = mds_embedding(net, X, k=k, weights=weights)
    dense = mds_embedding(net, X, k=k, weights=weights, method="dense")
    scale = max(1.0, dense.total)
    # an oracle outside the module: the spectrum of -(1/2) J K J computed here
    K = np.asarray(vq_kernel(net, X, weights=weights), dtype=np.float64)
    J = np.eye(n) - 1.0 / n
    ref = np.clip(np.sort(np.linalg.eigvalsh(-0.5 * J @ K @ J))[::-1][:k], 0, None)
    np.testing.assert_allclose(low.eigenvalues, ref, rtol=0, atol=1e-9 * scale)
    assert abs(low.total - np.trace(-0.5 * J @ K @ J)) <= 1e-12 * scale
    np.testing.assert_allclose(low.eigenvalues, dense.eigenvalues, rtol=0, atol=1e-9 * scale)
    assert low.total == pytest.approx(dense.total, rel=1e-12)
    # same embedding up to the choice of basis inside (near-)degenerate eigenspaces:
    # compare the Gram matrices of the coordinates when the k-th eigenvalue is separated
    ev_all = mds_embedding(net, X, k=n, method="dense", weights=weights).eigenvalues
    if k < n and ev_all[k - 1] - ev_all[k] > 1e-6 * scale:
        np.testing.assert_allclose(low.coords @ low.coords.T, dense.coords @ dense.coords.T,
                                   rtol=0, atol=1e-8 * scale)
    # classical MDS reproduces the squared distances when k covers the rank
    full = mds_embedding(net, X, k=n, weights=weights)
    D2 = ((full.coords[:, None, :] - full.coords[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(D2, vq_kernel(net, X, weights=weights), rtol=0, atol=1e-8 * scale)


def test_paper_normalisation_divides_by_zero():
    rng = np.random.default_rng(4)
    net = random_net(rng, [8, 8])
    X = rng.normal(size=(60, 2))
    K = vq_kernel(net, X).astype(np.float64)
    J = np.eye(60) - 1.0 / 60
    ev = np.linalg.eigvalsh(J @ K @ J)
    assert ev[-1] <= 1e-9 * np.abs(ev).max()   # JKJ is negative semidefinite ...
    assert abs(ev[-1]) <= 1e-9 * np.abs(ev).max()  # ... and its leading eigenvalue is 0 (J 1 = 0)
    emb = mds_embedding(net, X, k=3)
    assert (emb.eigenvalues > 1).all()  # -(1/2) JKJ has a usable spectrum
    coords, values = emb  # unpacks as a pair
    assert coords.shape == (60, 3) and values.shape == (3,)


def test_codes_input_and_errors():
    rng = np.random.default_rng(2)
    net = random_net(rng, [4])
    X = rng.normal(size=(10, 2))
    a = mds_embedding(activation_codes(net, X), k=2)
    b = mds_embedding(net, X, k=2)
    np.testing.assert_array_equal(a.coords, b.coords)
    with pytest.raises(InvalidInputError, match="k must be an int"):
        mds_embedding(net, X, k=0)
    with pytest.raises(InvalidInputError, match="k must be an int"):
        mds_embedding(net, X, k=11)
    with pytest.raises(InvalidInputError, match="method must be one of"):
        mds_embedding(net, X, method="tsne")
    with pytest.raises(InvalidInputError, match="one entry per layer"):
        mds_embedding(net, X, weights=[1, 2])
    with pytest.raises(InvalidInputError, match="required"):
        mds_embedding(net)
