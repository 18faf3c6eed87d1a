"""examples/digit_slices.py runs in fast mode and writes its PNG and JSON."""

import json
import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")
torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
def test_digit_slices_fast(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["digit_slices.py", "--fast", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(str(EXAMPLES / "digit_slices.py"), run_name="__main__")
    assert exc.value.code == 0
    assert (tmp_path / "digit_slices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads((tmp_path / "digit_slices.json").read_text())
    assert len(set(doc["labels"])) == 3 and len(doc["models"]) == 3
    for m in doc["models"].values():
        n = m["n_regions"]
        assert sum(m["slack_histogram"].values()) == n * (n - 1) // 2
        assert m["lemma2_holds"] is m["generic"] is True
        assert m["d_omega_from_first_digit"][0] == 0 and m["n_decision_regions"] >= 2
