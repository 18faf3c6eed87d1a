"""proofs/: one file per claim, each ending with the command that checks it; run those commands.

The command is parsed from the file's last code block, so renaming a check module (or breaking it)
fails here.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
EXPECTED = {"lemma1.md", "lemma2.md", "sawtooth.md", "kernel-identity.md", "heat-kernel.md", "union-merge.md",
            "subdivision.md"}


def last_command(path: Path) -> str:
    blocks = re.findall(r"```[a-z]*\n(.*?)```", path.read_text(), flags=re.S)
    assert blocks, f"{path.name} has no code block"
    lines = [l.strip() for l in blocks[-1].strip().splitlines() if l.strip()]
    assert len(lines) == 1, f"{path.name}: the last code block must hold exactly one command"
    return lines[0]


def test_every_claim_has_a_proof():
    assert EXPECTED <= {p.name for p in PROOFS.glob("*.md")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_proof_file_ends_with_its_check(name):
    path = PROOFS / name
    text = path.read_text().rstrip()
    assert text.endswith("```"), f"{name} must end with its check command"
    cmd = last_command(path)
    m = re.fullmatch(r"python -m (vqgeom(?:\.\w+)+) --check", cmd)
    assert m, f"{name}: unexpected check command {cmd!r}"
    proc = subprocess.run([sys.executable, "-m", m.group(1), "--check"], capture_output=True, text=True,
                          timeout=300, cwd=PROOFS.parent)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout.splitlines()[-1]
    assert "FAIL" not in proc.stdout


def test_a_wrong_command_would_fail():
    proc = subprocess.run([sys.executable, "-m", "vqgeom.lemmas.no_such_claim", "--check"],
                          capture_output=True, text=True)
    assert proc.returncode != 0


def test_the_checks_can_report_failure(monkeypatch, capsys):
    # negative controls for the check modules run above: a wrong expectation or wrong
    # mathematics must turn "passed" into FAILED
    from vqgeom.lemmas import heat_kernel, kernel_identity, lemma1

    entry = lemma1.CASES["arrangement-duplicate"]
    monkeypatch.setattr(lemma1, "CASES", {entry.name: entry})
    assert lemma1._check_main() == 0
    monkeypatch.setattr(entry, "expect_holds", True)
    assert lemma1._check_main() == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "lemma1 check: FAILED" and out[-2].startswith("FAIL arrangement-duplicate")
    real = kernel_identity.vq_distance_matrix
    monkeypatch.setattr(kernel_identity, "vq_distance_matrix", lambda S, w: real(S, w) * 2)
    assert not dict(kernel_identity.check_kernel_identity(5, 3))["K = (tr W / 2) 11^T - (1/2) S W S^T"]
    monkeypatch.setattr(heat_kernel, "SQUARE_SIGMA", 1)       # at sigma = 1, c^T exp(-K^2) c > 0: no counterexample
    assert not all(ok for _, ok in heat_kernel.check_heat_kernel())
