"""Heat kernels and kernel cosine similarity: against naive dense computations."""

import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

from vqgeom import Network
from vqgeom.codes import activation_codes
from vqgeom.errors import DegenerateInputError, InvalidInputError
from vqgeom.heat import heat_kernel, kernel_cosine, median_heuristic, pairwise_kernel_cosine
from vqgeom.kernels import vq_kernel


def naive_cosine(A, B, sigma2=None, squared=False, centered=False):
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if sigma2 is not None:
        A = np.exp(-(A * A if squared else A) / sigma2)
        B = np.exp(-(B * B if squared else B) / sigma2)
    if centered:
        N, M = A.shape
        HN = np.eye(N) - np.ones((N, N)) / N
        HM = np.eye(M) - np.ones((M, M)) / M
        A, B = HN @ A @ HM, HN @ B @ HM
    return float(np.sum(A * B) / np.sqrt(np.sum(A * A) * np.sum(B * B)))


def random_net(rng, widths=(5, 4, 3), dim=2):
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": rng.standard_normal((w, d)), "bias": 0.3 * rng.standard_normal(w)})
        d = w
    return Network(layers)


def test_heat_kernel_both_variants():
    K = np.array([[0.0, 1.0, 3.0]])
    assert np.allclose(heat_kernel(K, 2.0), np.exp(-K / 2.0), rtol=0, atol=1e-15)
    assert np.allclose(heat_kernel(K, 2.0, squared=True), np.exp(-K ** 2 / 2.0), rtol=0, atol=1e-15)
    out = np.empty_like(K)
    assert heat_kernel(K, 1.0, out=out) is out


def test_heat_kernel_follows_torch():
    torch = pytest.importorskip("torch")
    K = torch.tensor([[0, 2], [2, 0]])
    H = heat_kernel(K, 4.0)
    assert isinstance(H, torch.Tensor) and H.dtype == torch.float64   # integer K: float64, not float32
    np.testing.assert_allclose(H.numpy(), np.exp(-np.array([[0, 2], [2, 0]]) / 4.0), rtol=1e-15, atol=0)
    Hs = heat_kernel(K, 4.0, squared=True)
    np.testing.assert_allclose(Hs.numpy(), np.exp(-np.array([[0, 4], [4, 0]]) / 4.0), rtol=1e-15, atol=0)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "big", True])
def test_bad_sigma2_is_named(bad):
    with pytest.raises(InvalidInputError, match="sigma2"):
        heat_kernel([[0.0]], bad)
    with pytest.raises(InvalidInputError, match="sigma2"):
        kernel_cosine([[0, 1], [1, 0]], [[0, 1], [1, 0]], sigma2=bad)
    with pytest.raises(InvalidInputError, match=r"sigma2\[1\]"):
        kernel_cosine([[0, 1], [1, 0]], [[0, 1], [1, 0]], sigma2=[1.0, bad])


def test_bad_inputs():
    A = np.zeros((3, 3))
    with pytest.raises(InvalidInputError, match="same shape"):
        kernel_cosine(A, np.zeros((3, 4)))
    with pytest.raises(InvalidInputError, match="2-D"):
        kernel_cosine(np.zeros(3), np.zeros(3))
    with pytest.raises(InvalidInputError, match="squared"):
        kernel_cosine(A, A, squared=True)
    with pytest.raises(InvalidInputError, match="finite"):
        kernel_cosine(np.full((2, 2), np.nan), np.ones((2, 2)))
    with pytest.raises(InvalidInputError, match="tile"):
        kernel_cosine(A, A, sigma2=1.0, tile=0)
    with pytest.raises(InvalidInputError, match="method"):
        kernel_cosine(A, A, sigma2=1.0, method="magic")
    with pytest.raises(InvalidInputError, match="histogram"):
        kernel_cosine(A + 0.5, A, sigma2=1.0, method="histogram")
    with pytest.raises(InvalidInputError, match="empty"):
        kernel_cosine(np.zeros((0, 0)), np.zeros((0, 0)))
    with pytest.raises(InvalidInputError, match="at least one"):
        pairwise_kernel_cosine([])
    with pytest.raises(InvalidInputError, match="empty list"):
        kernel_cosine(A, A, sigma2=[])


@pytest.mark.parametrize("method", ["histogram", "direct"])
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("shape", [(40, 40), (23, 31)])
def test_matches_naive_dense(method, centered, squared, shape):
    rng = np.random.default_rng(zlib.crc32(repr((method, centered, squared, shape)).encode()))
    A = rng.integers(0, 12, shape).astype(float)
    B = rng.integers(0, 7, shape).astype(float)
    for s2 in (0.3, 4.0, 50.0):
        got = kernel_cosine(A, B, sigma2=s2, squared=squared, centered=centered, tile=9, method=method)
        assert abs(got - naive_cosine(A, B, s2, squared, centered)) < 1e-12
    got = kernel_cosine(A, B, centered=centered, tile=9, method=method)
    assert abs(got - naive_cosine(A, B, None, False, centered)) < 1e-12


def test_real_valued_kernels_take_the_direct_route():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4))
    A = np.sqrt(np.sum((X[:, None] - X[None]) ** 2, axis=-1))
    B = A ** 1.5
    for centered in (False, True):
        got = kernel_cosine(A, B, sigma2=[0.5, 2.0], centered=centered, tile=8)
        want = [naive_cosine(A, B, s, False, centered) for s in (0.5, 2.0)]
        assert np.max(np.abs(np.array(got) - want)) < 1e-12


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 40), tile=st.integers(1, 50),
       centered=st.booleans(), squared=st.booleans())
def test_codes_streamed_equal_dense(seed, n, tile, centered, squared):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    p, q = random_net(rng), random_net(rng, widths=(6, 2))
    KA = np.asarray(vq_kernel(p, X), dtype=float)
    KB = np.asarray(vq_kernel(q, X), dtype=float)
    s2 = float(rng.uniform(0.2, 20))
    want = naive_cosine(KA, KB, s2, squared, centered) if not (centered and (np.ptp(KA) == 0 or np.ptp(KB) == 0)) else None
    if want is None:
        with pytest.raises(DegenerateInputError):
            kernel_cosine((p, X), (q, X), sigma2=s2, squared=squared, centered=centered, tile=tile)
        return
    got = kernel_cosine((p, X), (q, X), sigma2=s2, squared=squared, centered=centered, tile=tile)
    assert abs(got - want) < 1e-12
    codes = activation_codes(p, X), activation_codes(q, X)
    assert abs(kernel_cosine(*codes, sigma2=s2, squared=squared, centered=centered, tile=tile) - got) < 1e-12


def test_streaming_over_many_tiles_equals_one_tile():
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, (1500, 2))
    p, q = random_net(rng, (8, 8, 8)), random_net(rng, (12, 6))
    one = kernel_cosine((p, X), (q, X), sigma2=[1.0, 5.0], centered=True, tile=4096)
    many = kernel_cosine((p, X), (q, X), sigma2=[1.0, 5.0], centered=True, tile=97)
    direct = kernel_cosine((p, X), (q, X), sigma2=[1.0, 5.0], centered=True, tile=211, method="direct")
    assert np.max(np.abs(np.subtract(one, many))) < 1e-12
    assert np.max(np.abs(np.subtract(one, direct))) < 1e-12


def test_layer_weights_match_weighted_kernel():
    rng = np.random.default_rng(11)
    X = rng.uniform(-1, 1, (35, 2))
    p, q = random_net(rng), random_net(rng)
    KA = np.asarray(vq_kernel(p, X, weights=[1, 2, 3]), dtype=float)
    KB = np.asarray(vq_kernel(q, X, weights=[0.5, 1.0, 0.25]), dtype=float)
    got = kernel_cosine((p, X, [1, 2, 3]), (q, X, [0.5, 1.0, 0.25]), sigma2=3.0, tile=8)
    assert abs(got - naive_cosine(KA, KB, 3.0)) < 1e-12
    with pytest.raises(InvalidInputError, match="weights"):
        kernel_cosine((p, X, [1, 2]), (q, X), sigma2=1.0)


def test_sweep_equals_recomputation():
    rng = np.random.default_rng(5)
    A = rng.integers(0, 30, (50, 50)).astype(float)
    A = np.triu(A, 1) + np.triu(A, 1).T
    B = rng.integers(0, 20, (50, 50)).astype(float)
    B = np.triu(B, 1) + np.triu(B, 1).T
    grid = list(np.logspace(-1, 3, 17))
    for squared in (False, True):
        for centered in (False, True):
            sweep = kernel_cosine(A, B, sigma2=grid + ["median"], squared=squared, centered=centered)
            one = [kernel_cosine(A, B, sigma2=s, squared=squared, centered=centered) for s in grid]
            assert np.max(np.abs(np.subtract(sweep[:-1], one))) < 1e-13
            fa, fb = median_heuristic(A, squared=squared), median_heuristic(B, squared=squared)
            FA = np.exp(-(A * A if squared else A) / fa)
            FB = np.exp(-(B * B if squared else B) / fb)
            assert abs(sweep[-1] - naive_cosine(FA, FB, None, False, centered)) < 1e-12


def test_median_heuristic():
    rng = np.random.default_rng(2)
    A = rng.integers(1, 40, (21, 21)).astype(float)
    np.fill_diagonal(A, 0)
    off = A[~np.eye(21, dtype=bool)]
    assert median_heuristic(A) == np.median(off)
    assert median_heuristic(A, squared=True) == np.median(off ** 2)
    R = rng.integers(0, 9, (6, 9)).astype(float) + 1
    assert median_heuristic(R) == np.median(R)           # rectangular: every entry
    F = rng.uniform(0, 3, (12, 12))
    assert median_heuristic(F) == np.median(F[~np.eye(12, dtype=bool)])
    X = rng.uniform(-1, 1, (40, 2))
    net = random_net(rng)
    K = np.asarray(vq_kernel(net, X), dtype=float)
    assert median_heuristic((net, X)) == np.median(K[~np.eye(40, dtype=bool)])
    # even counts whose two middle values differ: the mean of both
    assert median_heuristic(np.array([[0, 1], [3, 0]])) == 2.0
    assert median_heuristic(np.array([[0, 1], [3, 0]]), squared=True) == 5.0
    assert median_heuristic(np.array([[1, 2], [3, 4]])) == 2.5
    E = rng.integers(0, 50, (30, 30))
    assert median_heuristic(E) == np.median(E[~np.eye(30, dtype=bool)].astype(float))
    with pytest.raises(DegenerateInputError, match="median"):
        median_heuristic(np.zeros((5, 5)))
    with pytest.raises(InvalidInputError, match="max_dense"):
        median_heuristic(F, max_dense=10)


def test_pairwise_matches_pairs_and_memmap(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (60, 2))
    nets = [random_net(rng) for _ in range(3)]
    Ks = [np.asarray(vq_kernel(n, X), dtype=float) for n in nets]
    path = tmp_path / "K.npy"
    np.save(path, Ks[2])
    mm = np.load(path, mmap_mode="r")
    M = pairwise_kernel_cosine([(nets[0], X), Ks[1], mm], sigma2=[2.0, 8.0], centered=True, tile=16)
    assert M.shape == (2, 3, 3)
    for k, s2 in enumerate((2.0, 8.0)):
        for i in range(3):
            assert M[k, i, i] == 1.0
            for j in range(3):
                assert abs(M[k, i, j] - naive_cosine(Ks[i], Ks[j], s2, False, True)) < 1e-12


def test_constant_kernel_centred_is_degenerate():
    A = np.ones((4, 4))
    with pytest.raises(DegenerateInputError, match="zero"):
        kernel_cosine(A, np.eye(4), centered=True)
    assert kernel_cosine(A, A) == pytest.approx(1.0, abs=1e-15)


def test_streaming_never_holds_an_n_by_n_matrix():
    import tracemalloc

    rng = np.random.default_rng(8)
    N = 3000
    X = rng.uniform(-1, 1, (N, 2))
    codes = [activation_codes(random_net(rng, (16, 16)), X) for _ in range(2)]
    tracemalloc.start()
    try:
        kernel_cosine(*codes, sigma2=[1.0, 10.0, "median"], centered=True, tile=256)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < N * N * 8 / 4  # well below one N x N float64 matrix (72 MB)
