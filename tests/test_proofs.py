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
EXPECTED = {"lemma1.md", "lemma2.md", "sawtooth.md", "kernel-identity.md", "heat-kernel.md"}


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
