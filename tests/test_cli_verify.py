"""`vqgeom verify`: the table, exit codes, --json and --markdown reports."""

import json
import subprocess
import sys

from vqgeom.lemmas.claims import CATALOGUE
from vqgeom.cli import main


def test_verify_runs_the_whole_catalogue(tmp_path, capsys):
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    rc = main(["verify", "--json", str(js), "--markdown", str(md)])
    out = capsys.readouterr().out
    assert rc == 0, out
    for name in CATALOGUE:
        assert name in out
    assert "FAILED" not in out.replace("0 FAILED", "")
    doc = json.loads(js.read_text())
    assert doc["ok"] and doc["n_failed"] == 0 and len(doc["cases"]) == len(CATALOGUE)
    results = {c["name"]: c["result"] for c in doc["cases"]}
    for name, e in CATALOGUE.items():
        assert results[name] == ("holds" if e.expect_holds else "violated as expected")
    # claims of every kind and relaxations of every hypothesis are covered
    assert {e.claim for e in CATALOGUE.values()} == {"lemma1", "lemma2", "sawtooth"}
    assert {e.relaxed for e in CATALOGUE.values() if e.relaxed} == {
        "distinct_hyperplanes", "facet_adjacency", "convex_domain", "generic", "weights_le_1",
        "activation_partition"}
    assert md.read_text().startswith("# vqgeom verify") and "violated as expected" in md.read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_verify_exit_1_when_a_case_misbehaves(monkeypatch, capsys):
    entry = CATALOGUE["arrangement-duplicate"]
    monkeypatch.setattr(entry, "expect_holds", True)
    rc = main(["verify", "arrangement-duplicate", "arrangement-1d"])
    captured = capsys.readouterr()
    assert rc == 1 and "FAILED" in captured.out and "arrangement-duplicate" in captured.err


def test_verify_exit_1_when_the_relaxed_hypothesis_is_not_seen(monkeypatch, capsys):
    entry = CATALOGUE["deep-weights-above-1"]
    monkeypatch.setattr(entry, "relaxed", "generic")  # violated, but for another reason
    assert main(["verify", "deep-weights-above-1"]) == 1


def test_verify_json_to_stdout_and_claim_filter(capsys):
    rc = main(["verify", "--claim", "sawtooth", "--json", "-"])
    out = capsys.readouterr().out
    doc = json.loads(out[out.index("{"):])
    assert rc == 0 and all(c["verdict"]["claim"] == "sawtooth" for c in doc["cases"])


def test_verify_list(capsys):
    assert main(["verify", "--list"]) == 0
    assert "sawtooth-printed-8" in capsys.readouterr().out


def test_verify_unknown_name_exit_2(capsys):
    rc = main(["verify", "no-such-network"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "no-such-network" in err


def test_verify_console_script_exit_code():
    proc = subprocess.run([sys.executable, "-m", "vqgeom", "verify", "--claim", "lemma1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "violated as expected" in proc.stdout
