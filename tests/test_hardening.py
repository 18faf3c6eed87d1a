"""Hostile and unlucky input (issue 13): files that would run code, budgets, signals, full
disks, planted symlinks, integer overflow. Each gets a one-line error and leaves nothing behind.
"""

import io
import os
import zipfile

import numpy as np
import pytest

from vqgeom import Network, load_network
from vqgeom.cli import main
from vqgeom.errors import InvalidInputError

torch = pytest.importorskip("torch")
nn = torch.nn



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
def test_malicious_pt_refused_by_every_command(evil_pt, monkeypatch, cmd, cli_fails):
    path, marker = evil_pt
    monkeypatch.chdir(path.parent)
    np.save("X.npy", np.zeros((2, 2)))
    cli_fails([a.replace("{}", str(path)) for a in cmd], "--trust-pickle")
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


def test_state_dict_is_explained(tmp_path, cli_fails):
    torch.save(_model().state_dict(), tmp_path / "sd.pt")
    cli_fails(["info", str(tmp_path / "sd.pt")], "state_dict", "torch.save(model, path)")


# ------------------------------------------------------------------ 2. memory budget in regions
def _wide_net(n, seed=0):
    rng = np.random.default_rng(seed)
    return Network([{"weight": rng.normal(size=(n, 2)), "bias": rng.normal(size=n)}])


def test_regions_memory_budget_checked_before_allocating():
    import tracemalloc

    from vqgeom.errors import MemoryBudgetExceeded
    from vqgeom.regions.engines import enumerate_regions

    net = _wide_net(100_000)
    budget = 48 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(MemoryBudgetExceeded) as info:
            enumerate_regions(net, arithmetic="float", max_memory=budget, max_regions=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = info.value
    assert 0 < err.n_found < 1000 and err.max_memory == budget and err.needed > budget
    assert f"after finding {err.n_found} regions" in str(err) and "max_memory" in str(err)
    assert peak < budget + 16 * 2**20, peak   # the network itself is 2.4 MB


def test_regions_memory_budget_is_not_hit_by_a_small_run():
    from vqgeom.regions.engines import enumerate_regions

    net = _wide_net(30, seed=1)
    whole = enumerate_regions(net, arithmetic="float")
    small = enumerate_regions(net, arithmetic="float", max_memory=8 * 2**20)
    assert small.n_regions == whole.n_regions > 30
    assert sorted(small.codes) == sorted(whole.codes)


def test_cli_max_memory(tmp_path, cli_fails):
    _wide_net(20_000).to_json(tmp_path / "wide.json")
    line = cli_fails(["regions", str(tmp_path / "wide.json"), "--float", "--max-memory", "8M",
                   "--out", str(tmp_path / "p.json")], "after finding", "--max-memory")
    assert "regions" in line and not (tmp_path / "p.json").exists()
    cli_fails(["regions", str(tmp_path / "wide.json"), "--max-memory", "lots"], "--max-memory", "'lots'")


# ------------------------------------------------------------------ 3. kernel --out: signals, full disks
def _kernel_job(folder, n_neurons=4000, n_points=6000):
    """A kernel job that runs for many seconds but writes a modest file."""
    rng = np.random.default_rng(0)
    Network([{"weight": rng.normal(size=(n_neurons, 2)), "bias": rng.normal(size=n_neurons)}]).save_npz(
        folder / "k.npz")
    np.save(folder / "X.npy", rng.normal(size=(n_points, 2)))
    return ["kernel", str(folder / "k.npz"), "--points", str(folder / "X.npy"), "--out", str(folder / "K.npy")]


@pytest.mark.slow
@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_kernel_out_stops_on_signal_and_leaves_nothing(tmp_path, signame, code):
    import signal
    import subprocess
    import sys
    import time

    argv = _kernel_job(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # (a job started in the background inherits SIGINT ignored; the child gets it back)
    proc = subprocess.Popen([sys.executable, "-m", "vqgeom", *argv], env=env, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.monotonic()
    while not any(p.name.startswith(".K.npy") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() - t0 < 120, "the job ended before its temp file appeared"
        time.sleep(0.02)
    proc.send_signal(getattr(signal, signame))
    t1 = time.monotonic()
    err = proc.communicate(timeout=60)[1]
    waited = time.monotonic() - t1
    assert proc.returncode == code, err
    assert waited < 5, waited
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.npy", "k.npz"]


def _small_disk(tmp_path):
    """A 1 MiB tmpfs when this process may mount one (root), else None."""
    import shutil
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        return None
    return mnt


def test_kernel_out_full_disk(tmp_path, monkeypatch, cli_fails):
    import shutil
    import subprocess

    argv = _kernel_job(tmp_path, n_neurons=20, n_points=850)   # 1.4 MB of int16
    mnt = _small_disk(tmp_path)
    try:
        if mnt is None:  # a mocked small disk
            mnt = tmp_path / "disk"
            usage = shutil.disk_usage(tmp_path)
            monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=2**20))
        argv[-1] = str(mnt / "K.npy")
        cli_fails(argv, "--out", "needs 1.38 MiB", "1.00 MiB free")
        assert list(mnt.iterdir()) == []
    finally:
        if os.path.ismount(mnt):
            subprocess.run(["umount", str(mnt)], check=True)


def test_kernel_out_reservation_fails(tmp_path, monkeypatch, cli_fails):
    import errno

    argv = _kernel_job(tmp_path, n_neurons=20, n_points=50)

    def full(fd, offset, size):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    cli_fails(argv, "cannot reserve", "No space left")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.npy", "k.npz"]


def test_kernel_out_write_error_leaves_nothing(tmp_path, monkeypatch):
    import vqgeom.kernels as kernels

    net = Network([{"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": [0.0, 0.0]}])

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kernels, "_run_popcount", broken)
    with pytest.raises(OSError, match="No space"):
        kernels.vq_kernel(net, np.ones((5, 2)), out=tmp_path / "K.npy", method="popcount")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ 4. planted symlinks
def _plant(folder, names):
    victim = folder / "victim.txt"
    victim.write_text("precious\n")
    for name in names:
        (folder / name).symlink_to(victim)
    return victim


def test_planted_symlinks_are_never_followed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    net = Network([{"weight": [[1.0, 0.0], [0.0, 1.0]], "bias": [0.0, 0.5]}])
    net.to_json("net.json")
    np.save("X.npy", np.zeros((3, 2)))
    old_names = [".part.json.tmp", ".n2.json.tmp", "n3.npz.tmp.npz", ".g.graphml.tmp",
                 f".K.npy.{os.getpid()}.tmp.npy", ".v.json.tmp", ".v.md.tmp"]
    victim = _plant(tmp_path, old_names)
    assert main(["regions", "net.json", "--out", "part.json"]) == 0
    assert main(["kernel", "net.json", "--points", "X.npy", "--out", "K.npy"]) == 0
    net.to_json("n2.json")
    net.save_npz("n3.npz")
    from vqgeom.regions.engines import enumerate_regions

    enumerate_regions(net).export_graphml("g.graphml")
    assert victim.read_text() == "precious\n"
    assert all((tmp_path / n).is_symlink() for n in old_names)
    made = {p.name for p in tmp_path.iterdir()} - set(old_names)
    assert made == {"victim.txt", "net.json", "X.npy", "part.json", "K.npy", "n2.json", "n3.npz", "g.graphml"}
    assert load_network("n3.npz").to_dict() == net.to_dict()
    assert np.load("K.npy").tolist() == [[0, 0, 0]] * 3


def test_temp_names_are_random_and_exclusive(tmp_path, monkeypatch):
    import tempfile

    from vqgeom._paths import atomic_output

    seen = []
    real = tempfile.mkstemp

    def spy(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        seen.append((kwargs.get("dir"), name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    for _ in range(2):
        with atomic_output(tmp_path / "a.txt", mode="w") as f:
            f.write("x")
    assert [d for d, _ in seen] == [tmp_path, tmp_path] and seen[0][1] != seen[1][1]
    assert os.stat(tmp_path / "a.txt").st_mode & 0o777 == 0o666 & ~_umask_now()


def _umask_now():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------ 5. no wrap-around
def test_integer_weights_beyond_int64_are_exact():
    from vqgeom.codes import activation_codes
    from vqgeom.kernels import hamming_reference, vq_kernel

    net = Network([{"weight": [[1.0], [1.0]], "bias": [0.0, -1.0]}, {"weight": [[1.0, 1.0]], "bias": [-0.5]}])
    X = np.array([[-1.0], [0.5], [3.0]])
    for weights in ([2**62, 1], [2**70, 3], [1, 2**64]):
        K = vq_kernel(net, X, weights=weights)
        ref = hamming_reference(activation_codes(net, X), weights=weights)
        assert K.tolist() == ref.tolist()
        assert max(map(max, K.tolist())) >= 2**63
    assert vq_kernel(net, X, weights=[2**62, 1])[0, 2] == 2**63 + 1


@pytest.mark.parametrize("weights, needle", [("1e400", "int64"), ("1e400,0.5", "too large for a float64"),
                                             ("1e1000000000", "exponent"), ("2", None)])
def test_cli_huge_weights(tmp_path, monkeypatch, weights, needle, cli_fails):
    monkeypatch.chdir(tmp_path)
    Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}, {"weight": [[2.0]], "bias": [1.0]}]).to_json("n.json")
    np.save("X.npy", np.zeros((2, 2)))
    argv = ["kernel", "n.json", "--points", "X.npy", "--out", "K.npy", "--weights", weights + ",1"]
    if needle is None:
        assert main(argv) == 0
        return
    cli_fails(argv, "--weights", needle)
    assert not (tmp_path / "K.npy").exists()


# ------------------------------------------------------------------ 10. a kernel too large for memory
def test_kernel_too_large_for_memory_points_to_out():
    from vqgeom.errors import MemoryBudgetExceeded
    from vqgeom.kernels import vq_kernel

    net = Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}])
    X = np.zeros((200_000, 2))
    with pytest.raises(MemoryBudgetExceeded, match=r"200000 x 200000 int16\) would take 74.5 GiB.*out='K.npy'"):
        vq_kernel(net, X)


# ------------------------------------------------------------------ 6, 7. hostile and odd files
def _hostile_files(d):
    import json

    (d / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "nested_layers.json").write_text('{"layers": ' + "[" * 50_000 + "]" * 50_000 + "}")
    (d / "nested_weight.json").write_text('{"layers":[{"weight":' + "[" * 70 + '"1"' + "]" * 70 + ',"bias":[0]}]}')
    (d / "e100000.json").write_text('{"layers":[{"weight":[["1e100000","1"]],"bias":["0"]}]}')
    (d / "e1000000000.json").write_text('{"layers":[{"weight":[["1e1000000000","1"]],"bias":["0"]}]}')
    (d / "bigint.json").write_text('{"layers":[{"weight":[[1' + "0" * 5000 + ',1]],"bias":[0]}]}')
    (d / "true.json").write_text(json.dumps({"layers": [{"weight": [[True, 1]], "bias": [0]}]}))
    (d / "truedim.json").write_text(json.dumps({"input_dim": True, "layers": [{"weight": [[1, 1]], "bias": [0]}]}))
    np.savez(d / "complex.npz", **{"layer0.weight": np.array([[1 + 2j, 1]]), "layer0.bias": np.array([0.0])})
    np.savez(d / "ok.npz", **{"layer0.weight": np.array([[1.0, 1.0]]), "layer0.bias": np.array([0.0])})
    data = (d / "ok.npz").read_bytes()
    (d / "truncated.npz").write_bytes(data[: len(data) // 2])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)})
    with zipfile.ZipFile(d / "huge.npz", "w") as z:   # 1 kB claiming 16 TB
        z.writestr("layer0.weight.npy", header.getvalue() + bytes(64))
    return {"huge.npz": "claims shape", "nested.json": "nested too deeply", "nested_layers.json": "nested too deeply",
            "nested_weight.json": "weight", "e100000.json": "exponent", "e1000000000.json": "exponent",
            "bigint.json": "4300 digits", "true.json": "got True", "truedim.json": "input_dim",
            "complex.npz": "complex128", "truncated.npz": "not a zip file"}


@pytest.mark.parametrize("cmd", ["info", "regions"])
def test_hostile_files_one_line_fast(tmp_path, cmd, cli_fails):
    import time

    for name, needle in _hostile_files(tmp_path).items():
        t = time.perf_counter()
        cli_fails([cmd, str(tmp_path / name)], needle)
        assert time.perf_counter() - t < 1.0, name


@pytest.mark.parametrize("box, needle", [(["-1e400", "1"], None), (["-1e1000000000", "1"], "exponent")])
def test_huge_box_bounds(tmp_path, capsys, box, needle, cli_fails):
    Network([{"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "1/3"]}]).to_json(tmp_path / "p.json")
    argv = ["regions", str(tmp_path / "p.json"), "--json", "--box", *box]
    if needle is None:   # exact arithmetic handles any rational box
        assert main(argv) == 0
        assert '"n_regions": 4' in capsys.readouterr().out
        cli_fails(argv + ["--float"], "beyond float64's range")
    else:
        cli_fails(argv, needle)


def test_weight_beyond_float_range_exact_or_refused(tmp_path, capsys, cli_fails):
    Network([{"weight": [["1e400", "1"]], "bias": ["0"]}]).to_json(tmp_path / "e400.json")
    assert main(["regions", str(tmp_path / "e400.json"), "--json"]) == 0
    assert '"n_regions": 2' in capsys.readouterr().out
    cli_fails(["regions", str(tmp_path / "e400.json"), "--float"], "beyond float64's range")


def test_out_empty_is_refused(tmp_path, cli_fails):
    Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}]).to_json(tmp_path / "n.json")
    cli_fails(["regions", str(tmp_path / "n.json"), "--out", ""], "--out must be a file path")
    cli_fails(["counterexample", "lemma2", "--relax", "generic", "--out", ""], "--out")


def test_points_near_float_max_decided_exactly():
    import warnings

    from vqgeom.codes import activation_codes
    from vqgeom.errors import InvalidInputError as Bad

    net = Network([{"weight": [[1.0, 1.0], [1.0, -1.0]], "bias": [0.0, 0.0]},
                   {"weight": [[1.0, -1.0]], "bias": [0.0]}])
    X = np.array([[1.7e308, 1.7e308], [1.7e308, -1.0e308], [-1.7e308, -1.7e308], [1.0, 2.0]])
    exact = [pre >= 0 for pre in net.to_exact().preactivations(X.tolist())]
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no RuntimeWarning either
        got = net.signs(X)
        bits = activation_codes(net, X).bits()
    with np.errstate(all="ignore"):   # a naive float64 pass: relu as a product, relu(-inf) = NaN
        z, naive = X, []
        for lay in net.layers:
            pre = z @ lay.weight.T + lay.bias
            naive.append(pre >= 0)
            z = pre * (pre >= 0)
    assert any((a != b).any() for a, b in zip(naive, exact))   # float64 alone gets a bit wrong
    assert all((a == b).all() for a, b in zip(got, exact))
    assert (bits == np.concatenate(exact, axis=1)).all()
    with pytest.raises(Bad, match="overflow"):
        activation_codes(net.to_torch(), torch.as_tensor(X))


@pytest.mark.parametrize("bad", [[[1 + 1j, 0.0]], [[True, 0.0]], np.array([[1 + 0j, 2.0]])])
def test_complex_and_boolean_points_refused(bad):
    net = Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}])
    with pytest.raises(InvalidInputError, match="real numbers"):
        net.signs(bad)


# ------------------------------------------------------------------ 8. reproducible outputs
@pytest.mark.parametrize("extra", [[], ["--float"], ["--whole"]])
def test_regions_out_twice_is_byte_identical(tmp_path, capsys, extra):
    rng = np.random.default_rng(3)
    Network([{"weight": rng.integers(-3, 4, (5, 2)).astype(float), "bias": rng.integers(-2, 3, 5) / 2},
             {"weight": rng.integers(-3, 4, (3, 5)).astype(float), "bias": np.zeros(3)}]).to_json(tmp_path / "n.json")
    for name in ("a.json", "b.json"):
        assert main(["regions", str(tmp_path / "n.json"), "--out", str(tmp_path / name), *extra]) == 0
    capsys.readouterr()
    a, b = (tmp_path / "a.json").read_bytes(), (tmp_path / "b.json").read_bytes()
    assert a == b and b'"seconds"' not in a


def test_partition_timing_is_opt_in():
    from vqgeom.regions.engines import enumerate_regions
    from vqgeom.regions.partition import Partition

    part = enumerate_regions(Network([{"weight": [[1.0], [-1.0]], "bias": [0.0, 0.5]}]))
    assert "seconds" not in part.to_dict() and part.to_dict(timing=True)["seconds"] == part.seconds
    back = Partition.from_dict(part.to_dict())
    assert back.codes == part.codes and back.seconds is None


# ------------------------------------------------------------------ 9. the counterexample shrink loop
def test_shrink_does_not_swallow_certificate_errors(monkeypatch):
    import vqgeom.lemmas.counterexample as ce
    from vqgeom.errors import CertificateError

    real = ce._check
    calls = []

    def flaky(claim, net, dom, opts):
        calls.append(net)
        if len(calls) > 1:   # the search's own check passes; the first shrink check "finds a bug"
            raise CertificateError("planted: an exact certificate failed")
        return real(claim, net, dom, opts)

    monkeypatch.setattr(ce, "_check", flaky)
    with pytest.raises(CertificateError, match="planted"):
        ce.find_counterexample("lemma1", "distinct_hyperplanes", dim=1, budget=20)


def test_shrink_respects_the_time_limit(monkeypatch):
    import time

    import vqgeom.lemmas.counterexample as ce

    real = ce._check

    def slow(claim, net, dom, opts):
        time.sleep(0.2)
        return real(claim, net, dom, opts)

    monkeypatch.setattr(ce, "_check", slow)
    t = time.monotonic()
    res = ce.find_counterexample("lemma1", "distinct_hyperplanes", dim=1, budget=20, time_limit=0.5)
    took = time.monotonic() - t
    assert res.found and res.verdict is not None and not res.verdict.holds
    assert took < 0.5 + 2 * 0.2 + 0.5, took   # at most about one check past the limit


@pytest.mark.parametrize("dim", [1, 3])
def test_regions_memory_watchdog_stops_other_engines(monkeypatch, dim):
    import vqgeom._memory as mem
    from vqgeom.errors import MemoryBudgetExceeded
    from vqgeom.regions.engines import enumerate_regions

    rss = iter([10**8] + [10**8 + 2**30] * 1000)   # the process "grows" by 1 GiB after the start
    monkeypatch.setattr(mem, "_resident_bytes", lambda: next(rss))
    rng = np.random.default_rng(dim)
    net = Network([{"weight": rng.normal(size=(6, dim)), "bias": rng.normal(size=6) / 3}])
    with pytest.raises(MemoryBudgetExceeded, match="after finding") as info:
        enumerate_regions(net, arithmetic="float", max_memory=2**29)
    assert info.value.n_found >= 1 and info.value.needed == 2**30


def test_exact_conversion_is_budgeted():
    from vqgeom.errors import MemoryBudgetExceeded
    from vqgeom.regions.engines import enumerate_regions

    with pytest.raises(MemoryBudgetExceeded, match="region enumeration stopped: it would need"):
        enumerate_regions(_wide_net(20_000), max_memory=2**20)   # 60,000 Fractions first


def test_hostile_points_files(tmp_path, cli_fails):
    Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}]).to_json(tmp_path / "n.json")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)})
    (tmp_path / "huge.npy").write_bytes(header.getvalue() + bytes(64))
    np.save(tmp_path / "ok.npy", np.zeros((4, 2)))
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "ok.npy").read_bytes()[:100])
    np.save(tmp_path / "c.npy", np.zeros((3, 2), dtype=complex))
    for name, needle in [("huge.npy", "greater than file size"), ("trunc.npy", "EOF"), ("c.npy", "complex128")]:
        cli_fails(["kernel", str(tmp_path / "n.json"), "--points", str(tmp_path / name),
                "--out", str(tmp_path / "K.npy")], "--points", needle)
    assert not (tmp_path / "K.npy").exists()


def test_exact_kernel_too_large_for_memory():
    from fractions import Fraction

    from vqgeom.errors import MemoryBudgetExceeded
    from vqgeom.kernels import vq_kernel

    net = Network([{"weight": [[1.0, 0.0]], "bias": [0.0]}])
    X = np.zeros((200_000, 2))
    with pytest.raises(MemoryBudgetExceeded, match=r"Fraction\) would take .*fewer points"):
        vq_kernel(net, X, weights=[Fraction(1, 2)])
    with pytest.raises(MemoryBudgetExceeded, match=r"Python int\) would take"):
        vq_kernel(net, X, weights=[2**70])


def test_heat_code_source_is_not_called_integer_beyond_2_53():
    from vqgeom.heat import _CodeSource

    bits = np.array([[True, False], [False, True], [True, True]])
    small = _CodeSource(bits, np.array([3.0, 5.0]), "K")
    big = _CodeSource(bits, np.array([2.0**60, 3.0]), "K")
    assert small.integer and small.tile(0, 3, 0, 3).tolist() == [[0, 8, 5], [8, 0, 3], [5, 3, 0]]
    assert not big.integer and big.vmax is None and big.tile(0, 3, 0, 3).dtype == np.float64


def test_float_partition_lookup_near_float_max():
    import warnings

    from vqgeom.regions.engines import enumerate_regions

    # relu(-inf) is -inf * 0 = NaN in float64: the second layer's sign at X[0] would be wrong
    net = Network([{"weight": [[1.0, 1.0], [1.0, -1.0]], "bias": [0.0, 0.0]},
                   {"weight": [[1.0, -1.0]], "bias": [1.0]}])
    part = enumerate_regions(net, "whole", arithmetic="float")
    exact = enumerate_regions(net, "whole")
    X = np.array([[-1.7e308, -1.6e308], [1.0, 2.0], [1.7e308, -1.0e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = part.region_of(X)
    codes = [part.codes[i] for i in got]
    assert codes == [exact.codes[i] for i in exact.region_of(X)]
    assert [tuple(bool(v) for layer in c for v in layer) for c in codes] == [
        (False, False, True), (True, False, True), (True, True, False)]


@pytest.mark.slow
def test_regions_out_stops_on_sigterm(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    rng = np.random.default_rng(0)
    widths = [2, 128, 128, 128]
    Network([{"weight": rng.normal(size=(o, i)) / np.sqrt(i), "bias": rng.normal(size=o) / 10}
             for i, o in zip(widths[:-1], widths[1:])]).save_npz(tmp_path / "deep.npz")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, "-m", "vqgeom", "regions", str(tmp_path / "deep.npz"), "--box", "-8", "8",
                             "--out", str(tmp_path / "part.json")], env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None, "the enumeration ended before the signal"
    proc.send_signal(signal.SIGTERM)
    t = time.monotonic()
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 143 and time.monotonic() - t < 5, err
    assert err.strip() == "vqgeom regions: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.npz"]
