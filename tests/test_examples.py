"""Every examples/figN.py script runs in fast mode and writes its PNG and JSON; the CLI too."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")
torch = pytest.importorskip("torch")

from vqgeom.cli import main  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def one_thread():
    prev = torch.get_num_threads()
    yield
    torch.set_num_threads(prev)  # the runner sets 1 thread and must restore it


def run_example(name, out, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--fast", "--seeds", "1", "--quiet", "--out", str(out)])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    assert exc.value.code == 0
    png, js = out / f"{name}.png", out / f"{name}.json"
    assert png.read_bytes()[:8] == PNG_MAGIC
    doc = json.loads(js.read_text())
    assert doc["figure"] == name and doc["files"] == [f"{name}.png"]
    return doc


def test_fig1(tmp_path, monkeypatch):
    doc = run_example("fig1", tmp_path, monkeypatch)
    hc = doc["summary"]["heat_cosine"]
    assert set(hc) == {"rotated_model_on_rotated_points", "rotated_model_on_same_points", "second_seed_same_data"}
    for v in hc.values():
        assert 0 < v["mean"] <= 1
    fr = doc["per_seed"][0]["top3_eigen_fraction"]["plain"]
    assert len(fr) == 3 and fr[0] >= fr[1] >= fr[2] > 0 and sum(fr) <= 1 + 1e-12
    assert doc["smoke_run"] is True and "SMOKE RUN" in doc["smoke_note"]
    # the plotted fractions against a dense eigendecomposition of -(1/2) J K J on the same
    # grid, for the same network retrained from its seed (training is deterministic here)
    from vqgeom.datasets import grid, two_moons
    from vqgeom.figures import fig1

    torch.set_num_threads(1)  # as the figure ran
    X, y = two_moons(150, rng=0)
    net, _ = fig1._train(X, y, doc["width"], doc["steps"], 1)
    np.testing.assert_allclose(fr, dense_fractions(net, grid(doc["grid"])), rtol=1e-9, atol=1e-12)


def dense_fractions(net, G, k=3):
    """Top-k eigenvalues of -(1/2) J K J over its trace, from a dense eigendecomposition."""
    from vqgeom import vq_kernel

    K = np.asarray(vq_kernel(net, G), dtype=np.float64)
    J = np.eye(len(K)) - 1.0 / len(K)
    B = -0.5 * J @ K @ J
    w = np.linalg.eigvalsh(B)[::-1]
    return w[:k] / np.trace(B)


def test_fig1_eigen_fractions_match_a_dense_eigendecomposition():
    """The low-rank route fig1 uses (top_eigen), on a small grid, for a random network whose
    spectrum is not degenerate: eigenvalues and coordinates as a dense solver gives them."""
    from vqgeom import Network
    from vqgeom.datasets import grid
    from vqgeom.figures._common import top_eigen

    rng = np.random.default_rng(4)
    net = Network([{"weight": rng.normal(size=(12, 2)), "bias": rng.normal(size=12) * 0.5},
                   {"weight": rng.normal(size=(12, 12)), "bias": rng.normal(size=12) * 0.5}])
    G = grid(14)
    coords, eig, total = top_eigen(net, G, 3)
    np.testing.assert_allclose(eig / total, dense_fractions(net, G), rtol=1e-9)
    K = np.asarray(__import__("vqgeom").vq_kernel(net, G), dtype=np.float64)
    J = np.eye(len(K)) - 1.0 / len(K)
    w, V = np.linalg.eigh(-0.5 * J @ K @ J)
    for c in range(3):  # each coordinate column is an eigenvector scaled by sqrt(eigenvalue), up to sign
        v = V[:, -1 - c] * np.sqrt(w[-1 - c])
        assert min(np.abs(coords[:, c] - v).max(), np.abs(coords[:, c] + v).max()) < 1e-8


def test_fig2(tmp_path, monkeypatch):
    doc = run_example("fig2", tmp_path, monkeypatch)
    for name in ("vq", "vq_rotated", "euclidean"):
        s = doc["summary"][name]
        assert 0 < s["top2_trace_fraction"]["mean"] <= 1
        assert 0 <= s["knn1_loo_accuracy"]["mean"] <= 1


def test_fig3(tmp_path, monkeypatch):
    doc = run_example("fig3", tmp_path, monkeypatch)
    for key in ("plain_median", "squared_median", "raw_kernel_cosine", "plain_common", "squared_common"):
        M = np.array(doc[key]["mean"])
        assert M.shape == (4, 4) and np.allclose(np.diag(M), 1) and np.allclose(M, M.T)
        assert np.all((M > 0) & (M <= 1))
    assert np.array(doc["paper"])[0, 1] == 0.55
    assert doc["dataset"] == "digits"


def test_fig4(tmp_path, monkeypatch):
    doc = run_example("fig4", tmp_path, monkeypatch)
    for key in ("plain", "squared"):
        sw = doc["sweeps"][key]
        assert len(sw["pairs"]) == 6
        for curve in sw["pairs"].values():
            assert len(curve["mean"]) == len(sw["sigma2"])
            assert curve["mean"][-1] > 0.99  # a huge sigma^2 makes every heat kernel ~ all-ones


def direct_cosine(KA, KB, s2, squared):
    FA = np.exp(-(KA * KA if squared else KA) / s2)
    FB = np.exp(-(KB * KB if squared else KB) / s2)
    return float(np.sum(FA * FB) / np.sqrt(np.sum(FA * FA) * np.sum(FB * FB)))


def test_fig4_one_pass_sweep_matches_a_direct_computation():
    """The numbers fig4 plots (one histogram pass per variant gives every sigma^2) against
    heat kernels built densely from the same codes, at a few sigma^2 and at the medians."""
    from vqgeom import vq_kernel
    from vqgeom.figures._digits_exp import PAIRS, SIGMA2_PLAIN, SIGMA2_SQUARED, run_experiment

    res = run_experiment(seeds=1, fast=True)
    codes = res["codes"][0]
    K = [np.asarray(vq_kernel(c), dtype=np.float64) for c in codes]
    meds = res["per_seed"][0]
    for key, grid, squared in (("plain", SIGMA2_PLAIN, False), ("squared", SIGMA2_SQUARED, True)):
        stack = res[key][0]
        assert stack.shape == (len(grid) + 1, 4, 4)
        for k in (0, len(grid) // 3, len(grid) // 2, len(grid) - 1):
            for i, j in PAIRS:
                assert abs(stack[k, i, j] - direct_cosine(K[i], K[j], grid[k], squared)) < 1e-12
        med = meds[f"median_sigma2_{key}"]
        if all(m is not None for m in med):  # the median setting: each kernel at its own scale
            for i, j in PAIRS:
                FA = np.exp(-(K[i] ** 2 if squared else K[i]) / med[i])
                FB = np.exp(-(K[j] ** 2 if squared else K[j]) / med[j])
                want = np.sum(FA * FB) / np.sqrt(np.sum(FA * FA) * np.sum(FB * FB))
                assert abs(stack[-1, i, j] - want) < 1e-12
                off = K[i][~np.eye(len(K[i]), dtype=bool)]
                assert med[i] == np.median(off ** 2 if squared else off)


def test_fig5(tmp_path, monkeypatch):
    doc = run_example("fig5", tmp_path, monkeypatch)
    assert doc["comparison"]["same"] is True
    # closed forms (proofs/sawtooth.md): the tent sawtooth of depth 3 cuts [0, 1] into the 8
    # intervals [k/8, (k+1)/8]; interval k has the reflected Gray code of k, so the deep d is
    # the Hamming distance of Gray codes, while d_Omega and the shallow d are |i - j|
    n = 8
    i, j = np.indices((n, n))
    gray = np.arange(n) ^ (np.arange(n) >> 1)
    hamming = np.vectorize(lambda a, b: bin(int(a) ^ int(b)).count("1"))
    np.testing.assert_array_equal(doc["d_omega"], np.abs(i - j))
    np.testing.assert_array_equal(doc["d_shallow"], np.abs(i - j))
    np.testing.assert_array_equal(doc["d_deep"], hamming(gray[i], gray[j]))
    assert doc["breakpoints"] == [k / n for k in range(1, n)]
    for r in doc["depth_table"]:
        L = r["depth"]
        assert (r["n_regions"], r["shallow_width"], r["deep_neurons"]) == (2 ** L, 2 ** L - 1, L)
        assert (r["max_d_deep"], r["max_d_omega"], r["max_d_shallow"]) == (L, 2 ** L - 1, 2 ** L - 1)
        assert r["as_printed_n_regions"] == L + 1 and r["same_partition"] is True
        g = np.arange(2 ** L) ^ (np.arange(2 ** L) >> 1)
        a, b = np.triu_indices(2 ** L, 1)
        assert r["pairs_d_deep_below_d_omega"] == int(np.sum(hamming(g[a], g[b]) < b - a))
    assert [r["depth"] for r in doc["depth_table"]] == [1, 2, 3]


def test_cli_figures_fast_fig5(tmp_path, capsys):
    out = tmp_path / "tmp"
    assert main(["figures", "--fast", "--only", "fig5", "--out", str(out), "--quiet"]) == 0
    assert (out / "fig5.png").exists() and (out / "fig5.json").exists()
    assert "fig5" in capsys.readouterr().out


def test_cli_errors(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path), "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["figures", "--fast", "--only", "fig5", "--out", str(tmp_path / "file"), "--quiet"]) == 2
    assert "not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["figures", "--out", str(tmp_path), "--only", "fig9"])


def test_example_script_runs_as_a_program(tmp_path):
    res = subprocess.run([sys.executable, str(EXAMPLES / "fig5.py"), "--fast", "--quiet", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "fig5.png").exists()


def test_fig3_reads_mnist_idx_files(tmp_path):
    from vqgeom.figures import run_figures

    rng = np.random.default_rng(0)
    mn = tmp_path / "mnist"
    mn.mkdir()
    for name, arr in (("train-images-idx3-ubyte", rng.integers(0, 256, (800, 28, 28), dtype=np.uint8)),
                      ("train-labels-idx1-ubyte", rng.integers(0, 10, 800, dtype=np.uint8))):
        head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
        (mn / name).write_bytes(head + arr.tobytes())
    doc = run_figures(tmp_path / "out", only=["fig3"], seeds=1, fast=True, mnist_dir=mn)["fig3"]
    assert doc["dataset"] == "mnist" and doc["n_test"] == 150 and doc["n_train"] == 600
    assert (tmp_path / "out" / "fig3.png").exists()
    fig4 = run_figures(tmp_path / "out", only=["fig4"], seeds=1, fast=True, mnist_dir=mn)["fig4"]
    assert len(fig4["sweeps"]["plain"]["pairs"]) == 6
