"""`vqgeom slice`: JSON report, figure, torch files, and one-line errors with exit code 2."""

import json

import numpy as np
import pytest

import vqgeom
from vqgeom.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    net = vqgeom.Network([{"weight": rng.normal(size=(10, 6)), "bias": rng.normal(size=10)},
                          {"weight": rng.normal(size=(8, 10)), "bias": rng.normal(size=8)}],
                         readout={"weight": rng.normal(size=(3, 8)), "bias": rng.normal(size=3)})
    net.to_json(tmp_path / "net.json")
    X = rng.normal(size=(5, 6))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", np.array([0, 1, 2, 1, 0]))
    return tmp_path, net, X


def test_plane_json_report(files, capsys):
    tmp, net, X = files
    assert main(["slice", str(tmp / "net.json"), "--points", str(tmp / "X.npy"), "--rows", "0", "2", "3",
                 "--labels", str(tmp / "y.npy"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    part = vqgeom.enumerate_regions(net, vqgeom.Plane(X[0], X[2], X[3]))
    assert info["n_regions"] == part.n_regions and info["n_adjacencies"] == part.n_adjacencies
    assert info["labels"] == [0, 2, 1] and info["rows"] == [0, 2, 3] and info["slice"] == "plane"
    n = part.n_regions
    assert sum(info["slack_histogram"].values()) == n * (n - 1) // 2 and info["lemma2_holds"] is True
    assert info["n_decision_regions"] >= 1 and info["d_omega_from_first"][0] == 0


def test_line_text_and_figure(files, capsys):
    tmp, net, X = files
    out = tmp / "line.png"
    assert main(["slice", str(tmp / "net.json"), "--points", str(tmp / "X.npy"), "--rows", "1", "4",
                 "--lo", "-1", "--hi", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    n = vqgeom.enumerate_regions(net, vqgeom.Line(X[1], X[4], lo=-1, hi=2)).n_regions
    assert text.startswith(f"{n} regions") and "line through rows 1, 4" in text
    assert out.stat().st_size > 1000 and not list(tmp.glob(".*tmp*"))


def test_torch_cnn_file(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from vqgeom.digit_models import digits_cnn

    model = digits_cnn((2, 2), seed=0).eval()
    torch.save(model, tmp_path / "cnn.pt")
    X = np.random.default_rng(1).uniform(0, 1, (3, 64))
    np.save(tmp_path / "X.npy", X)
    assert main(["slice", str(tmp_path / "cnn.pt"), "--points", str(tmp_path / "X.npy"), "--rows", "0", "1", "2",
                 "--json", "--no-histogram"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_regions"] == vqgeom.enumerate_regions(model, vqgeom.Plane(*X)).n_regions
    assert info["widths"] == [128, 32] and "slack_histogram" not in info


@pytest.mark.parametrize("args, message", [
    (["--rows", "0"], "--rows takes two rows (a line) or three"),
    (["--rows", "0", "1", "9"], "--rows: row 9 is not in [0, 5)"),
    (["--rows", "0", "0", "1"], "x1 equals x0"),
    (["--rows", "0", "1", "2", "--lo", "2"], "strictly below"),
    (["--rows", "0", "1", "2", "--max-regions", "2"], "more than max_regions=2"),
    (["--rows", "0", "1", "--out", "no/such/dir/f.png"], "--out: folder 'no/such/dir' does not exist"),
])
def test_errors_are_one_line_with_exit_code_2(files, capsys, args, message):
    tmp, _, _ = files
    assert main(["slice", str(tmp / "net.json"), "--points", str(tmp / "X.npy"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err


def test_bad_points_file(files, capsys):
    tmp, _, _ = files
    (tmp / "bad.npy").write_text("not an array")
    assert main(["slice", str(tmp / "net.json"), "--points", str(tmp / "bad.npy"), "--rows", "0", "1"]) == 2
    assert "--points: cannot read" in capsys.readouterr().err


@pytest.mark.slow
def test_torch_maxpool_cnn_file(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from vqgeom.digit_models import digits_maxpool_cnn

    model = digits_maxpool_cnn((1, 1), seed=0).eval()
    torch.save(model, tmp_path / "cnn.pt")
    X = 0.5 + 0.02 * np.random.default_rng(1).uniform(0, 1, (3, 64))   # near points: few regions
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "fig.png"
    assert main(["slice", str(tmp_path / "cnn.pt"), "--points", str(tmp_path / "X.npy"), "--rows", "0", "1", "2",
                 "--json", "--out", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    part = vqgeom.enumerate_regions(model, vqgeom.Plane(*X))
    assert info["n_regions"] == part.n_regions > 20 and info["lemma2_holds"] is True
    assert out.stat().st_size > 1000
