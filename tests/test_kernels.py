"""The VQ-Kernel: exact equality with a naive count, metric axioms, weights, tiling, outputs."""

import os
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import vqgeom.kernels as kernels
from vqgeom import (Codes, InvalidInputError, Network, activation_codes, vq_distance,
                    vq_kernel)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def random_net(rng, widths, dim=2):
    layers, d = [], dim
    for w in widths:
        layers.append({"weight": rng.normal(size=(w, d)), "bias": rng.normal(size=w) * 0.5})
        d = w
    return Network(layers)


def naive(net, X, Y, weights=None):
    """Independent reference: signs from the network's pre-activations, counted in Python."""
    sx = [np.asarray(p >= 0, dtype=bool) for p in net.preactivations(X)]
    sy = [np.asarray(p >= 0, dtype=bool) for p in net.preactivations(Y)]
    w = [1] * net.depth if weights is None else list(weights)
    out = np.empty((len(sx[0]), len(sy[0])), dtype=object)
    for i, j in np.ndindex(out.shape):
        out[i, j] = sum(w[l] * int(np.sum(sx[l][i] != sy[l][j])) for l in range(net.depth))
    return out


nets = st.tuples(st.lists(st.integers(1, 70), min_size=1, max_size=3), st.integers(0, 2**32 - 1),
                 st.integers(0, 9), st.integers(1, 9))


@given(nets, st.sampled_from(["popcount", "gemm"]),
       st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=3, max_size=3)))
def test_kernel_equals_naive_count(spec, method, w):
    widths, seed, m, n = spec
    rng = np.random.default_rng(seed)
    net = random_net(rng, widths)
    X, Y = rng.normal(size=(m, 2)), rng.normal(size=(n, 2))
    weights = None if w is None else w[: len(widths)]
    K = vq_kernel(net, X, Y, weights=weights, method=method)
    assert K.shape == (m, n) and K.dtype == np.int16  # every count <= 3 * 5 * 70 fits int16
    np.testing.assert_array_equal(K.astype(object), naive(net, X, Y, weights))
    per = vq_kernel(net, X, Y, weights=weights, per_layer=True, method=method)
    assert per.shape == (len(widths), m, n)
    np.testing.assert_array_equal(per.sum(axis=0), K)
    for l in range(len(widths)):  # layer l alone, weighted
        wl = 1 if weights is None else weights[l]
        single = activation_codes(net, X).select_layers([l]), activation_codes(net, Y).select_layers([l])
        np.testing.assert_array_equal(per[l], wl * vq_kernel(*single, method=method))


@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.sampled_from(["popcount", "gemm"]))
def test_exact_network_with_fraction_points(seed, m, method):
    rng = np.random.default_rng(seed)
    W1 = [[Fraction(int(a), int(b)) for a, b in zip(r, rng.integers(1, 4, 2))] for r in rng.integers(-3, 4, (4, 2))]
    W1 = [r if any(r) else [Fraction(1), Fraction(0)] for r in W1]
    net = Network([{"weight": W1, "bias": [Fraction(int(b), 2) for b in rng.integers(-2, 3, 4)]},
                   {"weight": rng.integers(-2, 3, (3, 4)).tolist(), "bias": rng.integers(-1, 2, 3).tolist()}],
                  exact=True)
    # points on a small rational grid hit hyperplanes exactly (sign(0) = +1 must hold)
    X = [[Fraction(int(a), 2), Fraction(int(b), 2)] for a, b in rng.integers(-3, 4, (m, 2))]
    X.append([Fraction(0), Fraction(0)])
    K = vq_kernel(net, X, method=method)
    np.testing.assert_array_equal(K.astype(object), naive(net, X, X))
    Kf = vq_kernel(net, X, weights=[Fraction(1, 3), Fraction(2)], method=method)
    assert Kf.dtype == object and all(isinstance(v, Fraction) for v in Kf.ravel())
    np.testing.assert_array_equal(Kf, naive(net, X, X, [Fraction(1, 3), Fraction(2)]))


@given(nets, st.sampled_from(["popcount", "gemm"]))
def test_pseudometric_axioms(spec, method):
    widths, seed, m, _ = spec
    rng = np.random.default_rng(seed)
    net = random_net(rng, widths)
    X = rng.normal(size=(m + 2, 2))
    X[-1] = X[0]  # a repeated point has distance 0 to its twin
    K = vq_kernel(net, X, weights=[0.5, 2.0, 1.0][: len(widths)], method=method).astype(np.float64)
    np.testing.assert_array_equal(K, K.T)
    np.testing.assert_array_equal(np.diag(K), 0)
    assert K[0, -1] == 0
    assert (K >= 0).all()
    assert (K[:, None, :] <= K[:, :, None] + K[None, :, :]).all()  # K[i,k] <= K[i,j] + K[j,k], exact (halves)


def test_gemm_chunks_and_fp32_route_are_exact(monkeypatch):
    rng = np.random.default_rng(5)
    # 300 + 700 bits: more than one bf16 chunk (<= 256 bits each)
    a, b = rng.random((40, 300)) < 0.5, rng.random((40, 700)) < 0.3
    a[1], b[1] = ~a[0], ~b[0]  # a pair differing in every bit: distances far above any chunk
    codes = Codes.from_bits([a, b])
    ref = vq_kernel(codes, method="popcount", weights=[3, 1])
    np.testing.assert_array_equal(vq_kernel(codes, method="gemm", weights=[3, 1]), ref)
    for int8, bf16 in ((True, False), (False, True), (False, False)):  # every CPU route
        monkeypatch.setitem(kernels._INT8_CACHE, "ok", int8)
        monkeypatch.setitem(kernels._BF16_CACHE, "ok", bf16)
        np.testing.assert_array_equal(vq_kernel(codes, method="gemm", weights=[3, 1]), ref)
    # the CUDA route's float16 chunks (<= 2048 bits), run on the CPU
    wide = Codes.from_bits([np.vstack([a, ~a[:1]]).repeat(8, axis=1)])  # 2400 bits, one chunk split
    monkeypatch.setattr(kernels, "_gemm_dtype", lambda dev, torch: (torch.float16, 2048))
    K16 = vq_kernel(wide, method="gemm")
    np.testing.assert_array_equal(K16, vq_kernel(wide, method="popcount"))
    assert K16[0, -1] == 2400
    brute = (codes.bits()[:, None, :300] != codes.bits()[None, :, :300]).sum(-1) * 3 + \
            (codes.bits()[:, None, 300:] != codes.bits()[None, :, 300:]).sum(-1)
    np.testing.assert_array_equal(ref, brute)
    assert ref[0, 1] == 3 * 300 + 700
    sym = vq_kernel(codes, method="gemm", memory_budget=2**16)  # several tiles, mirrored
    np.testing.assert_array_equal(sym, vq_kernel(codes, method="popcount"))


def test_tiles_budget_and_weights_dtypes():
    rng = np.random.default_rng(7)
    codes = Codes.from_bits([rng.random((150, 90)) < 0.5, rng.random((150, 20)) < 0.5])
    other = Codes.from_bits([rng.random((33, 90)) < 0.5, rng.random((33, 20)) < 0.5])
    for method in ("popcount", "gemm"):
        full = vq_kernel(codes, other, method=method)
        tiled = vq_kernel(codes, other, method=method, memory_budget=2**16)
        np.testing.assert_array_equal(full, tiled)
        f = vq_kernel(codes, other, method=method, weights=[0.5, 2.0])
        assert f.dtype == np.float64
        per = vq_kernel(codes, other, per_layer=True, method=method)
        np.testing.assert_allclose(f, 0.5 * per[0] + 2.0 * per[1], rtol=0, atol=0)
        big = vq_kernel(codes, other, method=method, weights=[2**30, 1])
        assert big.dtype == np.int64
        np.testing.assert_array_equal(big, per[0].astype(np.int64) * 2**30 + per[1])


def test_memmap_output_equals_in_memory_and_is_atomic(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    net = random_net(rng, [8, 8])
    X = rng.normal(size=(70, 2))
    K = vq_kernel(net, X)
    path = tmp_path / "K.npy"
    for method in ("gemm", "popcount"):
        M = vq_kernel(net, X, out=path, memory_budget=2**16, method=method)
        np.testing.assert_array_equal(np.load(path), K)
        np.testing.assert_array_equal(M, K)
    P = vq_kernel(net, X, per_layer=True, out=tmp_path / "P.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "P.npy").sum(0), K)
    buf = np.full((70, 70), -1, dtype=np.int32)
    assert vq_kernel(net, X, out=buf) is buf
    np.testing.assert_array_equal(buf, K)
    del M, P
    assert sorted(os.listdir(tmp_path)) == ["K.npy", "P.npy"]

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(kernels, "_popcount_tile", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        vq_kernel(net, X, out=tmp_path / "L.npy", method="popcount")
    assert sorted(os.listdir(tmp_path)) == ["K.npy", "P.npy"]  # nothing half-written


def test_precomputed_codes_torch_inputs_and_distance():
    rng = np.random.default_rng(2)
    net = random_net(rng, [6, 5])
    X, Y = rng.normal(size=(9, 2)), rng.normal(size=(4, 2))
    cx, cy = activation_codes(net, X), activation_codes(net, Y)
    K = vq_kernel(net, X, Y)
    np.testing.assert_array_equal(vq_kernel(cx, cy), K)
    np.testing.assert_array_equal(vq_kernel(cx), vq_kernel(net, X))
    Kt = vq_kernel(net, torch.tensor(X), torch.tensor(Y))
    assert isinstance(Kt, torch.Tensor) and Kt.dtype == torch.int16
    np.testing.assert_array_equal(Kt.numpy(), K)
    Km = vq_kernel(net.to_torch(torch.float64), X, Y)
    np.testing.assert_array_equal(Km, K)
    assert vq_distance(net, X[0], Y[1]) == K[0, 1]
    assert isinstance(vq_distance(net, X[0], Y[1]), int)
    d = vq_distance(net, X[0], Y[1], weights=[Fraction(1, 2), 1])
    per = vq_kernel(net, X, Y, per_layer=True)
    assert d == Fraction(int(per[0, 0, 1]), 2) + int(per[1, 0, 1])
    assert vq_kernel(net, np.zeros((0, 2))).shape == (0, 0)


def test_bad_inputs():
    rng = np.random.default_rng(0)
    net = random_net(rng, [3, 2])
    X = rng.normal(size=(5, 2))
    with pytest.raises(InvalidInputError, match=r"shape \(n_points, 2\)"):
        vq_kernel(net, np.zeros((3, 4)))
    with pytest.raises(InvalidInputError, match="finite"):
        vq_kernel(net, [[np.inf, 0.0]])
    with pytest.raises(InvalidInputError, match="one entry per layer"):
        vq_kernel(net, X, weights=[1])
    with pytest.raises(InvalidInputError, match="must be > 0"):
        vq_kernel(net, X, weights=[1, 0])
    with pytest.raises(InvalidInputError, match="must be > 0"):
        vq_kernel(net, X, weights=[-1, 1])
    with pytest.raises(InvalidInputError, match="finite"):
        vq_kernel(net, X, weights=[np.nan, 1])
    with pytest.raises(InvalidInputError, match="real number"):
        vq_kernel(net, X, weights=[True, 1])
    with pytest.raises(InvalidInputError, match="method must be one of"):
        vq_kernel(net, X, method="magic")
    with pytest.raises(InvalidInputError, match="memory_budget"):
        vq_kernel(net, X, memory_budget=10)
    with pytest.raises(InvalidInputError, match="X .the points. is required"):
        vq_kernel(net)
    codes = activation_codes(net, X)
    with pytest.raises(InvalidInputError, match="Codes object"):
        vq_kernel(codes, X)
    with pytest.raises(InvalidInputError, match="different layer widths"):
        vq_kernel(codes, codes.select_layers([0]))
    with pytest.raises(InvalidInputError, match=r"\.npy"):
        vq_kernel(codes, out="K.txt")
    with pytest.raises(InvalidInputError, match="shape"):
        vq_kernel(codes, out=np.zeros((2, 2), np.int32))
    with pytest.raises(InvalidInputError, match="single point"):
        vq_distance(net, X, X[0])
    with pytest.raises(InvalidInputError, match="device must name"):
        vq_kernel(net, X, device="warp-drive")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInputError, match="CUDA is not available"):
            vq_kernel(net, X, device="cuda")


@needs_cuda
def test_cuda_equals_cpu():
    rng = np.random.default_rng(3)
    codes = Codes.from_bits([rng.random((300, 96)) < 0.5, rng.random((300, 2100)) < 0.5])
    ref = vq_kernel(codes, method="popcount", weights=[2, 1])
    K = vq_kernel(codes, device="cuda", weights=[2, 1])
    assert K.device.type == "cuda"
    np.testing.assert_array_equal(K.cpu().numpy(), ref)
    net = random_net(rng, [16, 16])
    X = torch.tensor(rng.normal(size=(50, 2)), device="cuda")
    Kx = vq_kernel(net, X)
    assert Kx.device.type == "cuda"
    np.testing.assert_array_equal(Kx.cpu().numpy(), vq_kernel(net, X.cpu().numpy()))


def test_torch_thread_setting_is_restored(monkeypatch):
    rng = np.random.default_rng(9)
    codes = Codes.from_bits([rng.random((600, 40)) < 0.5])
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # two tile workers even on a one-core machine
        K = vq_kernel(codes, method="gemm", memory_budget=2**16)
        np.testing.assert_array_equal(K, vq_kernel(codes, method="popcount"))
        assert torch.get_num_threads() == 2

        def boom(*a, **k):
            raise RuntimeError("tile failed")

        monkeypatch.setattr(kernels._GemmGroup, "tile", boom)
        with pytest.raises(RuntimeError, match="tile failed"):
            vq_kernel(codes, method="gemm")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_int8_route_splits_the_count_column_and_is_exact(monkeypatch):
    """The int8 GEMM holds |y| <= 127 per constant column: 300- and 700-bit groups need 3 and 6
    of them; pairs differing in every bit, and all-ones codes, reach the largest counts."""
    if not kernels._cpu_int8_mm(torch):
        pytest.skip("torch._int_mm does not run on this CPU build")
    monkeypatch.setitem(kernels._INT8_CACHE, "ok", True)
    rng = np.random.default_rng(11)
    a = rng.random((50, 300)) < 0.5
    b = rng.random((50, 700)) < 0.5
    a[1], b[1] = ~a[0], ~b[0]
    a[2], b[2] = True, True  # |y| = 300 and 700: above one int8 column
    a[3], b[3] = False, False
    codes = Codes.from_bits([a, b])
    grp = kernels._GemmGroup(codes, codes, [0, 1], torch.device("cpu"), torch)
    assert grp.dtype == torch.int8 and len(grp.chunks) == 1
    assert grp.prepare_columns(slice(0, 50))[0].shape == (1000 + 8, 50)  # ceil(1000 / 127) = 8
    brute = (codes.bits()[:, None, :] != codes.bits()[None, :, :]).sum(-1)
    K = vq_kernel(codes, method="gemm", memory_budget=2**16)  # several tiles, mirrored
    np.testing.assert_array_equal(K, brute)
    assert K[2, 3] == 1000 and K[0, 1] == 1000
    other = Codes.from_bits([a[:7], b[:7]])
    np.testing.assert_array_equal(vq_kernel(codes, other, method="gemm", weights=[2, 5]),
                                  vq_kernel(codes, other, method="popcount", weights=[2, 5]))


def test_result_dtype_is_the_smallest_holding_every_count():
    rng = np.random.default_rng(12)
    codes = Codes.from_bits([rng.random((6, 40)) < 0.5, rng.random((6, 20)) < 0.5])
    assert vq_kernel(codes).dtype == np.int16
    assert vq_kernel(codes, weights=[800, 1]).dtype == np.int16  # 800 * 40 + 20 = 32020
    K = vq_kernel(codes, weights=[819, 1])  # 819 * 40 + 20 = 32780 > 32767
    assert K.dtype == np.int32
    np.testing.assert_array_equal(K, hamming_reference_int(codes, [819, 1]))
    assert vq_kernel(codes, weights=[2**26, 1]).dtype == np.int64
    wide = np.full((6, 6), -1, dtype=np.int64)  # a wider integer out= is filled in place
    vq_kernel(codes, out=wide)
    np.testing.assert_array_equal(wide, vq_kernel(codes))
    with pytest.raises(InvalidInputError, match="out must have dtype int16"):
        vq_kernel(codes, out=np.zeros((6, 6), np.int8))


def hamming_reference_int(codes, weights):
    return kernels.hamming_reference(codes, weights=weights).astype(np.int64)


def test_large_outputs_on_plain_pages_are_ordinary_arrays(monkeypatch):
    monkeypatch.setattr(kernels, "_PLAIN_PAGES_FROM", 0)  # every output takes the large-array path
    rng = np.random.default_rng(13)
    codes = Codes.from_bits([rng.random((70, 30)) < 0.5, rng.random((70, 9)) < 0.5])
    K = vq_kernel(codes, method="gemm")
    assert isinstance(K, np.ndarray) and K.flags.writeable and K.flags.c_contiguous
    np.testing.assert_array_equal(K, kernels.hamming_reference(codes).astype(np.int64))
    K[0, 0] = 5  # the caller owns it
    assert K[0, 0] == 5 and np.asarray(pickle_round_trip(K)).tolist() == K.tolist()


def pickle_round_trip(a):
    import pickle

    return pickle.loads(pickle.dumps(a))
