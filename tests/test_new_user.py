"""What a new user meets in Python: notebook display of a Partition, a missing matplotlib,
labelled sigma^2 sweeps, a small MDS result, the sawtooth module's --help."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vqgeom
from vqgeom import MissingDependencyError, Network, enumerate_regions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def part():
    net = Network([{"weight": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1/2"]}])
    return enumerate_regions(net, "whole")


def test_partition_text_repr_is_short_and_says_what_it_is(part):
    text = repr(part)
    assert text.startswith("Partition(7 regions, 9 adjacencies")
    assert "Whole()" in text and "exact" in text and f"engine={part.engine!r}" in text
    assert len(text) < 120 and "\n" not in text
    box = enumerate_regions(part.net, ("-1/2", "1"), arithmetic="float", engine="polygon")
    assert "Box(-1/2, 1, dim=2)" in repr(box) and "float" in repr(box) and "'polygon'" in repr(box)


def test_partition_notebook_images(part):
    pytest.importorskip("matplotlib")
    png = part._repr_png_()
    assert isinstance(png, bytes) and png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = part._repr_svg_()
    assert isinstance(svg, str) and "<svg" in svg and svg.count("<path") >= part.n_regions
    line = enumerate_regions(Network([{"weight": [[1.0], [1.0]], "bias": [0.0, -0.5]}]))
    assert line._repr_png_() is None and line._repr_svg_() is None  # 1-D: the text repr only


def test_plot_without_matplotlib_names_the_extra(part, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'vqgeom\[plot\]'") as info:
        part.plot()
    assert isinstance(info.value, ImportError)
    assert part._repr_png_() is None and part._repr_svg_() is None  # notebooks fall back to text


def test_readme_says_figures_need_the_apps_extra():
    text = (ROOT / "README.md").read_text()
    i = text.index("vqgeom figures --out")
    assert "vqgeom[apps]" in text[i - 2000:i + 2000]


def test_kernel_cosine_sweep_is_labelled_by_sigma2():
    from vqgeom import SigmaSweep, heat_kernel, kernel_cosine

    A = np.array([[0, 1, 3], [1, 0, 2], [3, 2, 0]])
    B = np.array([[0, 2, 2], [2, 0, 1], [2, 1, 0]])
    sweep = kernel_cosine(A, B, sigma2=[1, 10, "median"])
    assert isinstance(sweep, SigmaSweep) and isinstance(sweep, list) and len(sweep) == 3
    assert sweep.sigma2 == [1.0, 10.0, "median"]
    for s2 in (1, 10):  # each label carries the cosine at that sigma^2, computed on its own
        F, G = heat_kernel(A, s2), heat_kernel(B, s2)
        want = (F * G).sum() / np.sqrt((F * F).sum() * (G * G).sum())
        assert abs(sweep.at(s2) - want) < 1e-12 and abs(dict(sweep.items())[float(s2)] - want) < 1e-12
    assert sweep.at("median") == sweep[2] == kernel_cosine(A, B, sigma2="median")
    assert repr(sweep).startswith("SigmaSweep({1.0: ") and "'median': " in repr(sweep)
    with pytest.raises(KeyError, match="sigma2=5"):
        sweep.at(5)
    assert np.asarray(sweep).shape == (3,)


def test_mds_embedding_short_repr_and_array():
    rng = np.random.default_rng(0)
    net = Network([{"weight": rng.normal(size=(6, 2)), "bias": rng.normal(size=6)}])
    X = rng.uniform(-1, 1, (500, 2))
    emb = vqgeom.mds_embedding(net, X, k=3)
    text = repr(emb)
    assert text.startswith("MDSEmbedding(N=500, k=3, method='lowrank', explained=[") and len(text) < 120
    A = np.asarray(emb)
    assert A.shape == (500, 3) == emb.shape and A.dtype == np.float64
    np.testing.assert_array_equal(A, emb.coords)
    np.testing.assert_allclose(emb.explained, emb.eigenvalues / emb.total)
    coords, eig = emb  # unpacking still works
    assert coords is emb.coords and eig is emb.eigenvalues


def test_sawtooth_module_help_is_complete():
    proc = subprocess.run([sys.executable, "-m", "vqgeom.lemmas.sawtooth", "--help"], capture_output=True,
                          text=True, timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0
    out = proc.stdout
    assert "--check" in out and "--max-depth" in out or "--check" in out and "--variant" in out
    assert len(out.splitlines()) > 5  # a description and every option, not just a usage line


def test_progress_true_draws_bars_and_callables_get_counts(capsys):
    from vqgeom import kernel_cosine, vq_kernel
    from vqgeom.lemmas import find_counterexample

    rng = np.random.default_rng(3)
    net = Network([{"weight": rng.normal(size=(8, 2)), "bias": rng.normal(size=8)}])
    X = rng.uniform(-1, 1, (300, 2))
    calls = []
    K = vq_kernel(net, X, method="gemm", memory_budget=2**16, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] == len(calls)  # every tile, counted once
    np.testing.assert_array_equal(K, vq_kernel(net, X, method="popcount"))
    capsys.readouterr()
    kernel_cosine((net, X), (net, X[::-1]), sigma2=[1, 2], tile=64, progress=True)
    err = capsys.readouterr().err
    assert "kernel cosines" in err and "tiles" in err
    enumerate_regions(net, arithmetic="float", progress=True)
    assert "regions" in capsys.readouterr().err
    find_counterexample("lemma1", dim=1, budget=3, progress=True)
    assert "3/3" in capsys.readouterr().err
    vq_kernel(net, X, progress=False)
    assert capsys.readouterr().err == ""
