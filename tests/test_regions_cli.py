"""`vqgeom regions`: the --json summary, --out, and one-line errors with exit code 2."""

import json

import pytest

from vqgeom import Network
from vqgeom.cli import main
from vqgeom.regions import Partition


@pytest.fixture
def net_file(tmp_path):
    # the lines x = 0, y = 0 and (twice) x + y = 1/2: 7 regions on [-1, 1]^2, not generic
    net = Network([{"weight": [["1", "0"], ["0", "1"], ["1", "1"], ["2", "2"]],
                    "bias": ["0", "0", "-1/2", "-1"]}])
    path = tmp_path / "net.json"
    net.to_json(path)
    return path


def test_json_summary(net_file, capsys):
    assert main(["regions", str(net_file), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_regions"] == 7 and info["n_adjacencies"] == 9
    assert info["input_dim"] == 2 and info["arithmetic"] == "exact" and info["generic"] is False
    assert info["domain"] == {"type": "box", "lower": ["-1", "-1"], "upper": ["1", "1"]}
    assert info["engine"] in ("polygon", "planar") and info["seconds"] >= 0


def test_box_float_engine_and_out(net_file, tmp_path, capsys):
    out = tmp_path / "part.json"
    assert main(["regions", str(net_file), "--box", "0.25", "2", "--float", "--engine", "polygon",
                 "--json", "--out", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    # on [1/4, 2]^2 only the (doubled) line x + y = 1/2 is missing: one region
    assert (info["n_regions"], info["arithmetic"], info["engine"]) == (1, "float", "polygon")
    part = Partition.load(out)
    assert part.n_regions == 1 and part.arithmetic == "float"


def test_text_output(net_file, capsys):
    assert main(["regions", str(net_file)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("7 regions, 9 adjacencies") and "not generic: 3 facet(s)" in text


@pytest.mark.parametrize("args, message", [
    (["--engine", "simplex"], "engine must be one of"),
    (["--max-regions", "3"], "regions, more than max_regions=3"),
    (["--max-regions", "0"], "--max-regions must be a positive integer"),
    (["--box", "1", "0"], "strictly below"),
    (["--engine", "interval"], "engine 'interval' handles D = 1"),
])
def test_errors_are_one_line_with_exit_code_2(net_file, capsys, args, message):
    assert main(["regions", str(net_file), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err


def test_missing_file(tmp_path, capsys):
    assert main(["regions", str(tmp_path / "none.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
