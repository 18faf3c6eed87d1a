"""Every Python block of the README runs on its own, in an empty folder, as a script.

The README is read when the tests are collected, so a block added or changed later is
tested as it stands. A block must create the files it reads, import what it uses, and print
what it wants to show (a bare expression shows nothing in a script).
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_blocks():
    """(first line number, source) of every fenced ```python block of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python[ \t]*\n(.*?)^```", text, re.S | re.M)]


BLOCKS = readme_blocks()


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_no_bare_expression(line, source):
    """A bare expression other than a call shows nothing when the block runs as a script."""
    tree = ast.parse(source)
    bare = [node.lineno + line - 1 for node in tree.body
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call)]
    assert not bare, f"README.md line(s) {bare}: wrap the expression in print(...)"


@pytest.mark.slow
@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_block_runs_alone_in_an_empty_folder(line, source, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(source, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"README.md:{line} failed:\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip(), f"README.md:{line} prints nothing"
