"""Hostile and unlucky input (issue 13): files that would run code, budgets, signals, full
disks, planted symlinks, integer overflow. Each gets a one-line error and leaves nothing behind.
"""

import os

import numpy as np
import pytest

from vqgeom import Network, load_network
from vqgeom.cli import main
from vqgeom.errors import InvalidInputError

torch = pytest.importorskip("torch")
nn = torch.nn


def _fails(argv, capsys, *needles):
    """Run the CLI in-process; assert exit code 2 and a one-line message holding every needle."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ 1. pickles that run code
class _Payload:
    """Unpickling this calls ``os.system`` (the attack the loader must refuse)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def _model():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.LeakyReLU(0.25),
                         nn.Flatten(), nn.Identity(), nn.Linear(2, 1))


@pytest.fixture
def evil_pt(tmp_path):
    """A valid model carrying a payload that creates ``marker`` when unpickled."""
    marker = tmp_path / "pwned"
    model = _model()
    model.payload = _Payload(marker)
    torch.save(model, tmp_path / "evil.pt")
    return tmp_path / "evil.pt", marker


def test_malicious_pt_runs_nothing(evil_pt):
    path, marker = evil_pt
    with pytest.raises(InvalidInputError, match="system.*allow_pickle=True"):
        load_network(path)
    assert not marker.exists()


@pytest.mark.parametrize("cmd", [["info", "{}"], ["regions", "{}", "--float"],
                                 ["kernel", "{}", "--points", "X.npy", "--out", "K.npy"]])
def test_malicious_pt_refused_by_every_command(evil_pt, capsys, monkeypatch, cmd):
    path, marker = evil_pt
    monkeypatch.chdir(path.parent)
    np.save("X.npy", np.zeros((2, 2)))
    _fails([a.replace("{}", str(path)) for a in cmd], capsys, "--trust-pickle")
    assert not marker.exists()
    assert not (path.parent / "K.npy").exists()


def test_trust_pickle_is_the_unsafe_route(evil_pt):
    # The payload is real: the explicit opt-in runs it (which is why it is opt-in).
    path, marker = evil_pt
    net = load_network(path, allow_pickle=True)
    assert marker.exists() and net.widths == (3, 2)


def test_safe_pt_still_loads(tmp_path, capsys):
    model = _model()
    torch.save(model, tmp_path / "m.pt")
    net = load_network(tmp_path / "m.pt")
    assert net.to_dict() == Network.from_torch(model).to_dict()
    assert main(["info", str(tmp_path / "m.pt"), "--json"]) == 0
    assert '"widths": [3, 2]' in capsys.readouterr().out


def test_state_dict_is_explained(tmp_path, capsys):
    torch.save(_model().state_dict(), tmp_path / "sd.pt")
    _fails(["info", str(tmp_path / "sd.pt")], capsys, "state_dict", "torch.save(model, path)")
