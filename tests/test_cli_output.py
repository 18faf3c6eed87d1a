"""What every command prints: `--json -` is JSON alone on stdout; a closed pipe ends quietly;
`--progress` draws a bar with counts on stderr and `--quiet` draws nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vqgeom import Network
from vqgeom.cli import COMMANDS, EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path):
    net = Network([{"weight": [[1.0, 2.0], [0.5, -1.0], [1.0, 0.0]], "bias": [0.0, 1.0, -0.25]},
                   {"weight": [[1.0, 1.0, 0.0], [0.5, -1.0, 2.0]], "bias": [0.5, 0.0]}])
    net.to_json(tmp_path / "net.json")
    np.save(tmp_path / "X.npy", np.random.default_rng(0).normal(size=(30, 2)))
    return tmp_path


def argv_for(command, d):
    """One quick invocation of each command, ending in ``--json -``."""
    return {
        "verify": ["verify", "--claim", "sawtooth"],
        "info": ["info", str(d / "net.json")],
        "kernel": ["kernel", str(d / "net.json"), "--points", str(d / "X.npy"), "--out", str(d / "K.npy")],
        "regions": ["regions", str(d / "net.json"), "--float"],
        "counterexample": ["counterexample", "lemma2", "--relax", "generic", "--dim", "1"],
        "figures": ["figures", "--out", str(d / "figs"), "--only", "fig5", "--fast"],
    }[command] + ["--json", "-"]


@pytest.mark.parametrize("command", [pytest.param(c, marks=pytest.mark.slow) if c == "figures" else c
                                     for c in COMMANDS])
def test_json_dash_is_json_alone_on_stdout(command, files, capsys):
    if command == "figures":
        pytest.importorskip("matplotlib")
    rc = main(argv_for(command, files))
    out = capsys.readouterr().out
    assert rc == 0
    doc = json.loads(out)  # the whole of stdout: nothing before or after the document
    assert isinstance(doc, (dict, list)) and doc


def test_json_file_and_table_on_stdout(files, capsys):
    target = files / "report.json"
    assert main(["verify", "--claim", "sawtooth", "--json", str(target)]) == 0
    assert "sawtooth" in capsys.readouterr().out  # the table, since stdout is free
    assert json.loads(target.read_text())["ok"] is True


def test_counterexample_out_holds_network_and_domain(files, capsys):
    out = files / "ce.json"
    assert main(["counterexample", "lemma2", "--relax", "generic", "--dim", "1", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["domain"]["type"] == "box" and len(doc["domain"]["lower"]) == 1
    assert Network.from_json(out).to_dict() == doc["network"]  # still readable as a network
    assert main(["regions", str(out), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["input_dim"] == 1


class _ClosedPipe:
    """A stdout whose reader went away."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self):
        raise ValueError("no file descriptor")


def test_closed_stdout_ends_quietly_in_process(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["verify", "--list"]) == EXIT_BROKEN_PIPE
    assert capsys.readouterr().err == ""


def test_closed_pipe_ends_quietly_in_a_real_pipeline():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "vqgeom", "verify", "--claim", "sawtooth"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    proc.stdout.close()  # like `| head -0`: the reader is gone before the first line
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=300)
    assert rc in (0, EXIT_BROKEN_PIPE) and err == ""


def test_progress_bar_with_counts_and_quiet(files, capsys):
    argv = ["regions", str(files / "net.json"), "--float", "--json", "-"]
    assert main(argv + ["--progress"]) == 0
    cap = capsys.readouterr()
    n = json.loads(cap.out)["n_regions"]
    assert f"{n} regions" in cap.err  # the bar's last state: the count found
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit):  # one or the other
        main(argv + ["--quiet", "--progress"])


def test_kernel_progress_counts_tiles(files, capsys):
    argv = ["kernel", str(files / "net.json"), "--points", str(files / "X.npy"),
            "--out", str(files / "K.npy"), "--memory-budget", "65536"]
    assert main(argv + ["--progress"]) == 0
    err = capsys.readouterr().err
    assert "tiles" in err and "wrote" in err
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_named_engine_runs_or_warns_with_the_reason(tmp_path, capsys):
    import warnings

    from vqgeom import EngineFallbackWarning, enumerate_regions
    from vqgeom.regions import Box

    net = Network([{"weight": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1/2"]}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float box: planar runs, no warning
        assert enumerate_regions(net, Box(-1, 1, dim=2), engine="planar").engine == "planar"
        assert enumerate_regions(net, Box("-1/3", 1, dim=2)).engine == "polygon"  # auto: no warning
    with pytest.warns(EngineFallbackWarning, match="'planar' was asked for.*'polygon' ran.*not floats"):
        part = enumerate_regions(net, Box("-1/3", 1, dim=2), engine="planar")
    assert part.engine == "polygon" and part.n_regions == 7
    net.to_json(tmp_path / "net.json")
    assert main(["regions", str(tmp_path / "net.json"), "--box", "-1/3", "1", "--engine", "planar",
                 "--json", "-"]) == 0
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["engine"] == "polygon" and "not floats" in doc["fallback_reason"]
    assert cap.err.strip().splitlines() == [cap.err.strip()] and "warning: engine 'planar'" in cap.err
