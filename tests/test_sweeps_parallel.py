"""Claim sweeps on several workers: find_counterexample, vqgeom verify, pairwise_kernel_cosine and
vqgeom regions with an executor give the serial results (exactly)."""

import concurrent.futures as cf
import json

import numpy as np
import pytest

from vqgeom import Network, kernel_cosine, pairwise_kernel_cosine
from vqgeom.cli import main
from vqgeom.errors import InvalidInputError
from vqgeom.lemmas import find_counterexample


@pytest.fixture(scope="module")
def threads():
    with cf.ThreadPoolExecutor(2) as ex:
        yield ex


def nets_and_points(n=5, N=150, seed=0):
    rng = np.random.default_rng(seed)
    nets = []
    for _ in range(n):
        nets.append(Network([{"weight": rng.normal(size=(6, 2)), "bias": rng.normal(size=6)},
                             {"weight": rng.normal(size=(5, 6)), "bias": rng.normal(size=5)}]))
    return nets, rng.uniform(-2, 2, (N, 2))


@pytest.mark.parametrize("centered", [False, True])
def test_pairwise_kernel_cosine_is_the_serial_one(threads, centered):
    nets, X = nets_and_points()
    kw = dict(sigma2=[0.5, 3.0, "median"], centered=centered, tile=40)
    serial = pairwise_kernel_cosine(nets, X, **kw)
    par = pairwise_kernel_cosine(nets, X, executor=threads, **kw)
    assert np.array_equal(serial, par)          # exact integer counts, added up
    assert serial.shape == (3, 5, 5) and not np.allclose(serial[0], 1.0)
    seen = []
    pairwise_kernel_cosine(nets, X, executor=threads, progress=lambda d, t: seen.append((d, t)), **kw)
    assert seen[-1][0] == seen[-1][1] == 10     # 4 x 4 tiles, upper triangle


@pytest.mark.slow
def test_pairwise_kernel_cosine_on_processes():
    nets, X = nets_and_points(n=3, N=100, seed=1)
    serial = pairwise_kernel_cosine(nets, X, sigma2=1.0, tile=32)
    assert np.array_equal(serial, pairwise_kernel_cosine(nets, X, sigma2=1.0, tile=32, executor=2))


def test_kernel_cosine_with_an_executor(threads):
    nets, X = nets_and_points(n=2, N=120, seed=5)
    kw = dict(sigma2=[1.0, "median"], centered=True, tile=25)
    a, b = (nets[0], X), (nets[1], X)
    assert kernel_cosine(a, b, executor=threads, **kw) == kernel_cosine(a, b, **kw)


def test_pairwise_kernel_cosine_arrays_stay_serial(threads):
    K = [[0, 1.5], [1.5, 0]]
    out = pairwise_kernel_cosine([K, K], sigma2=1.0, executor=threads)
    assert np.array_equal(out, pairwise_kernel_cosine([K, K], sigma2=1.0))


def _timeless(doc):
    """A result document without its timings (the only part that may differ)."""
    if isinstance(doc, dict):
        return {k: _timeless(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [_timeless(v) for v in doc]
    return doc


def _strip(r):
    return _timeless(r.to_dict())


@pytest.mark.parametrize("claim,relax,dim", [("lemma2", "generic", 2), ("lemma1", "convex_domain", 2),
                                             ("lemma1", None, 1)])
def test_find_counterexample_is_the_serial_one(threads, claim, relax, dim):
    kw = dict(dim=dim, budget=25, seed=2, time_limit=120)
    serial = find_counterexample(claim, relax, **kw)
    par = find_counterexample(claim, relax, executor=threads, **kw)
    assert _strip(par) == _strip(serial)
    assert serial.found == (relax is not None)


@pytest.mark.slow
def test_find_counterexample_on_processes():
    kw = dict(dim=2, budget=20, seed=4)
    serial = find_counterexample("lemma2", "weights", **kw)
    assert _strip(find_counterexample("lemma2", "weights", executor=2, **kw)) == _strip(serial)


def test_find_counterexample_bad_executor():
    with pytest.raises(InvalidInputError, match="executor"):
        find_counterexample("lemma1", executor=-1)


@pytest.mark.slow
def test_verify_with_an_executor(capsys, tmp_path):
    names = ["arrangement-1d", "arrangement-duplicate", "sawtooth-tent-3", "deep-2d-generic"]
    js1, js2 = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["verify", *names, "--json", str(js1)]) == 0
    capsys.readouterr()
    assert main(["verify", *names, "--json", str(js2), "--executor", "2"]) == 0
    capsys.readouterr()

    def cases(p):
        doc = json.loads(p.read_text())
        return [(c["name"], c["result"], _timeless(c["verdict"])) for c in doc["cases"]]

    assert cases(js1) == cases(js2) and len(cases(js1)) == len(names)


def test_cli_executor_errors(capsys, tmp_path):
    net = tmp_path / "n.json"
    Network([{"weight": [["1"]], "bias": ["0"]}]).to_json(net)
    assert main(["regions", str(net), "--workers", "0"]) == 2
    assert "--workers must be a positive integer" in capsys.readouterr().err
    assert main(["regions", str(net), "--scheduler", "localhost"]) == 2
    assert "--scheduler must be an address" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["regions", str(net), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert main(["verify", "arrangement-1d", "--executor", "0"]) == 2


def test_cli_regions_workers_and_scheduler(capsys, tmp_path):
    distributed = pytest.importorskip("distributed")
    net = Network([{"weight": [["1", "0"], ["0", "1"], ["1", "1"], ["2", "2"]],
                    "bias": ["0", "0", "-1/2", "-1"]}])
    path = tmp_path / "net.json"
    net.to_json(path)
    assert main(["regions", str(path), "--json"]) == 0
    serial = json.loads(capsys.readouterr().out)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        out = tmp_path / "p.json"
        assert main(["regions", str(path), "--json", "--scheduler", cluster.scheduler_address,
                     "--out", str(out)]) == 0
        dist = json.loads(capsys.readouterr().out)
    for key in ("n_regions", "n_adjacencies", "generic", "engine", "arithmetic"):
        assert dist[key] == serial[key]
    from vqgeom.regions import Partition

    Partition.load(out).verify()
