"""`vqgeom info` and `vqgeom kernel`: outputs, per-layer stacks, one-line errors, no half files."""

import json
import os

import numpy as np
import pytest

from vqgeom import Network, vq_kernel
from vqgeom.cli import main


@pytest.fixture
def files(tmp_path):
    net = Network([{"weight": [[1.0, 2.0], [0.5, -1.0], [1.0, 0.0]], "bias": [0.0, 1.0, -0.25]},
                   {"weight": [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], "bias": [0.5, 0.0],
                    "activation": "leaky_relu", "negative_slope": 0.1}])
    net.to_json(tmp_path / "net.json")
    X = np.random.default_rng(0).normal(size=(40, 2))
    np.save(tmp_path / "X.npy", X)
    return net, X, tmp_path


def test_info_text_and_json(files, capsys):
    net, _, d = files
    assert main(["info", str(d / "net.json")]) == 0
    out = capsys.readouterr().out
    assert "2-3-2" in out and "5 in 2 layer(s)" in out and "float" in out
    assert "layer 1 row 1" in out and "leaky_relu(0.1)" in out
    assert main(["info", str(d / "net.json"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["widths"] == [3, 2] and info["n_neurons"] == 5 and info["arithmetic"] == "float"
    assert info["constant_neurons"] == [[1, 1]]
    assert [l["activation"] for l in info["layers"]] == ["relu", "leaky_relu"]
    net.to_exact().to_json(d / "exact.json")
    main(["info", str(d / "exact.json"), "--json"])
    assert json.loads(capsys.readouterr().out)["arithmetic"] == "exact"


def test_kernel_writes_the_kernel(files, capsys):
    net, X, d = files
    assert main(["kernel", str(d / "net.json"), "--points", str(d / "X.npy"), "--out", str(d / "K.npy")]) == 0
    np.testing.assert_array_equal(np.load(d / "K.npy"), vq_kernel(net, X))
    assert main(["kernel", str(d / "net.json"), "--points", str(d / "X.npy"), "--weights", "2,3",
                 "--per-layer", "--out", str(d / "P.npy")]) == 0
    P = np.load(d / "P.npy")
    assert P.shape == (2, 40, 40)
    np.testing.assert_array_equal(P.sum(0), vq_kernel(net, X, weights=[2, 3]))
    assert main(["kernel", str(d / "net.json"), "--points", str(d / "X.npy"), "--weights", "1,0.5",
                 "--out", str(d / "F.npy")]) == 0
    assert np.load(d / "F.npy").dtype == np.float64


@pytest.mark.parametrize("extra, message", [
    (["--weights", "1"], "one entry per layer"),
    (["--weights", "1,0"], "must be > 0"),
    (["--weights", "1,x"], "not a number"),
    (["--points", "BAD.npy"], "must have shape"),
    (["--points", "NAN.npy"], "finite"),
    (["--out", "K.txt"], ".npy"),
    (["--device", "warp-drive"], "device must name"),
])
def test_kernel_errors_are_one_line_exit_2(files, capsys, extra, message):
    net, X, d = files
    np.save(d / "BAD.npy", np.zeros((4, 3)))
    np.save(d / "NAN.npy", np.array([[np.nan, 0.0]]))
    args = {"--points": str(d / "X.npy"), "--out": str(d / "K.npy")}
    for k, v in zip(extra[::2], extra[1::2]):
        args[k] = str(d / v) if k in ("--points", "--out") else v
    before = set(os.listdir(d))
    argv = ["kernel", str(d / "net.json")] + [x for kv in args.items() for x in kv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("vqgeom kernel: error:")
    assert set(os.listdir(d)) == before  # nothing written, not even a temporary file


def test_missing_network_file(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
