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


def test_fig5(tmp_path, monkeypatch):
    doc = run_example("fig5", tmp_path, monkeypatch)
    assert doc["comparison"]["same"] is True
    assert [r["n_regions"] for r in doc["depth_table"]] == [2, 4, 8]
    assert [r["max_d_deep"] for r in doc["depth_table"]] == [1, 2, 3]


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
