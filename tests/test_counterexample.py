"""Counterexample search: found with --relax, not found without, shrunk, exact, saved; CLI."""

import json

import pytest

from vqgeom import Network
from vqgeom.cli import main
from vqgeom.errors import InvalidInputError
from vqgeom.lemmas import find_counterexample
from vqgeom.lemmas.counterexample import RELAXATIONS

CASES = [("lemma1", r, d) for r in RELAXATIONS["lemma1"] for d in ((1, 2) if r == "distinct_hyperplanes" else (2,))]
CASES += [("lemma2", r, d) for r in RELAXATIONS["lemma2"] for d in (1, 2)]


@pytest.mark.parametrize("claim,relax,dim", CASES)
def test_found_shrunk_and_exact(claim, relax, dim):
    r = find_counterexample(claim, relax, dim=dim, budget=60, seed=1)
    assert r.found, r.summary()
    v = r.verdict
    assert not v.holds and v.hypotheses[relax] is False
    assert all(ok for k, ok in v.hypotheses.items() if k != relax)  # only the relaxed one dropped
    assert v.violations and v.violations[0].explanation
    assert r.network.n_neurons <= 4  # shrunk to a small example
    # the saved form reproduces the verdict
    again = Network.from_json(r.network.to_json())
    from vqgeom.lemmas import check_lemma1, check_lemma2
    fn = check_lemma1 if claim == "lemma1" else check_lemma2
    v2 = fn(again, r.domain, **r.options)
    assert v2.n_violations == v.n_violations


@pytest.mark.parametrize("claim,dim", [("lemma1", 1), ("lemma1", 2), ("lemma2", 1), ("lemma2", 2)])
def test_none_found_without_relaxing(claim, dim):
    r = find_counterexample(claim, dim=dim, budget=25, seed=3)
    assert not r.found and r.tried == r.budget == 25 and r.pairs_checked > 0
    assert r.tried - r.rejected >= 5    # fair candidates (hypotheses met) were checked, not only rejected
    assert "no counterexample" in r.summary() and "25 of 25" in r.summary()


def test_seeded_and_deterministic():
    a = find_counterexample("lemma2", "generic", dim=2, seed=7, budget=50)
    b = find_counterexample("lemma2", "generic", dim=2, seed=7, budget=50)
    assert a.network.to_json() == b.network.to_json() and a.tried == b.tried


def test_bad_arguments():
    with pytest.raises(InvalidInputError, match="claim"):
        find_counterexample("lemma3")
    with pytest.raises(InvalidInputError, match="relax"):
        find_counterexample("lemma1", "generic")
    with pytest.raises(InvalidInputError, match="dim"):
        find_counterexample("lemma1", "facet_adjacency", dim=3)
    with pytest.raises(InvalidInputError, match="budget"):
        find_counterexample("lemma1", budget=0)


def test_cli_found_writes_the_network(tmp_path, capsys):
    out = tmp_path / "ce.json"
    rc = main(["counterexample", "lemma2", "--relax", "generic", "--dim", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "counterexample to lemma2" in text and "witness:" in text
    net = Network.from_json(out)
    assert net.depth >= 2 and not list(tmp_path.glob(".*.tmp"))


def test_cli_none_found_exit_1(capsys):
    rc = main(["counterexample", "lemma1", "--dim", "1", "--budget", "10", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1 and doc["found"] is False and doc["tried"] == 10 and doc["budget"] == 10


@pytest.mark.parametrize("argv,word", [
    (["counterexample", "lemma9"], "claim"),
    (["counterexample", "lemma1", "--relax", "weights_le_1"], "relax"),
    (["counterexample", "lemma1", "--dim", "0"], "dim"),
    (["counterexample", "lemma2", "--max-width", "0"], "max_width"),
])
def test_cli_bad_args_one_line_exit_2(argv, word, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and word in err


def test_short_names_for_hypotheses():
    r = find_counterexample("lemma1", "touching", dim=2, budget=20)
    assert r.found and r.relax == "facet_adjacency"
