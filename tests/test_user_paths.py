"""Bad input from a user's point of view: each mistake gets a clear error naming the parameter.

The CLI answers with one line and exit code 2, checks output paths before doing any work, and
leaves nothing on disk; the Python API raises a vqgeom error (a ValueError or TypeError),
never a bare numpy / torch / IndexError, and never silently computes something else.
"""

import json

import numpy as np
import pytest

import vqgeom
from vqgeom import Network
from vqgeom.cli import main
from vqgeom.errors import InvalidInputError, InvalidNetworkError

PLANE = {"weight": [["1", "0"], ["0", "1"], ["1", "1"]], "bias": ["0", "0", "-1/2"]}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Network([PLANE]).to_json("net.json")
    np.save("X.npy", np.random.default_rng(0).uniform(-1, 1, (6, 2)))
    return tmp_path



# ----------------------------------------------------------------------------- CLI
def test_kernel_points_npz_archive(files, cli_fails):
    np.savez("X.npz", a=np.zeros((3, 2)))
    cli_fails(["kernel", "net.json", "--points", "X.npz", "--out", "K.npy"], "--points", ".npz")
    assert not (files / "K.npy").exists()


@pytest.mark.parametrize("cmd", [
    ["kernel", "net.json", "--points", "X.npy", "--out", "{}"],
    ["regions", "net.json", "--out", "{}"],
    ["counterexample", "lemma2", "--relax", "generic", "--out", "{}"],
])
@pytest.mark.parametrize("where, what", [("nodir/out.json", "does not exist"), (".", "is a folder")])
def test_out_path_checked_first(files, cmd, where, what, cli_fails):
    if cmd[0] == "kernel" and where != ".":
        where = "nodir/K.npy"
    argv = [a.replace("{}", where) for a in cmd]
    cli_fails(argv, "--out", what)
    assert sorted(p.name for p in files.iterdir()) == ["X.npy", "net.json"]


@pytest.mark.parametrize("option", ["--json", "--markdown"])
def test_verify_report_path_checked_first(files, capsys, option, cli_fails):
    cli_fails(["verify", option, "nodir/r.txt", "arrangement-1d"], option, "nodir")
    assert capsys.readouterr().out == ""  # nothing ran


def test_negative_fractions_and_lists_after_options(files, capsys, cli_fails):
    # argparse would read "-1/3" and "-1,2" as option names ("expected one argument")
    assert main(["regions", "net.json", "--box", "-1/3", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["domain"]["lower"] == ["-1/3", "-1/3"]
    cli_fails(["kernel", "net.json", "--points", "X.npy", "--weights", "-1", "--out", "K.npy"], "weights[0] must be > 0")
    cli_fails(["kernel", "net.json", "--points", "X.npy", "--weights", "-1,2", "--out", "K.npy"], "one entry per layer")


def test_counterexample_negative_seed(files, cli_fails):
    cli_fails(["counterexample", "lemma2", "--relax", "generic", "--seed", "-1"], "seed", "-1")
    with pytest.raises(InvalidInputError, match="seed"):
        vqgeom.find_counterexample("lemma2", "generic", seed=-1)


def test_figures_missing_mnist_dir_creates_nothing(files, cli_fails):
    cli_fails(["figures", "--out", "figs", "--only", "fig3", "--mnist-dir", "nodir"],
           "--mnist-dir", "nodir")
    assert not (files / "figs").exists()
    from vqgeom.figures import run_figures

    with pytest.raises(InvalidInputError, match="mnist_dir: folder 'nodir' does not exist"):
        run_figures(files / "figs", only=["fig3"], mnist_dir="nodir")
    assert not (files / "figs").exists()


def test_info_unreadable_npz_names_the_file(files, cli_fails):
    (files / "garbage.npz").write_text("garbage")
    cli_fails(["info", "garbage.npz"], "garbage.npz")
    np.save("single.npy", np.zeros(3))
    (files / "single.npy").rename(files / "single.npz")
    cli_fails(["info", "single.npz"], "single.npz")


# ----------------------------------------------------------------------- networks
@pytest.mark.parametrize("layers, match", [
    (None, "layers must be a sequence"),
    ([{"bias": [0]}], "layer 0: missing 'weight'"),
    ([{"weight": [[1, 0]], "activaton": "abs"}], "unknown key.*activaton"),
    ([PLANE, {"weight": [[1, 1, 1]], "wieght": 1}], "layer 1: unknown key"),
    ([{"weight": [[1, 0]], "activation": "leaky_relu", "negative_slope": "x"}], "negative_slope"),
    ([PLANE, 5], "layer 1 must be a Layer or a dict"),
])
def test_network_constructor_errors(layers, match):
    with pytest.raises(InvalidNetworkError, match=match):
        Network(layers)


@pytest.mark.parametrize("fn", [vqgeom.load_network, vqgeom.enumerate_regions,
                                lambda x: vqgeom.check_lemma1(x, None)])
def test_not_a_network(fn):
    with pytest.raises(InvalidInputError, match="network must be .* got NoneType"):
        fn(None)


def test_writers_check_the_folder_and_leave_nothing(tmp_path):
    net = Network([PLANE])
    part = vqgeom.enumerate_regions(net)
    for write in (net.to_json, net.save_npz, part.save):
        with pytest.raises(InvalidInputError, match="path: folder .*does not exist"):
            write(tmp_path / "nodir" / "x.out")
        with pytest.raises(InvalidInputError, match="is a folder"):
            write(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_preactivation_maps_rejects_bad_codes():
    net = Network([PLANE, {"weight": [["1", "1", "1"]], "bias": ["0"]}])
    with pytest.raises(InvalidInputError, match=r"code\[0\] must hold 3 signs"):
        net.preactivation_maps([[True, False]])
    with pytest.raises(InvalidInputError, match="code must be a sequence of at most 2"):
        net.preactivation_maps("abc")
    (A0, _), (A1, c1) = net.preactivation_maps([[True, True, False]])
    assert A1.tolist() == [[1, 1]] and c1.tolist() == [0]


def test_box_needs_a_dimension():
    with pytest.raises(InvalidInputError, match="dimension must be an integer >= 1"):
        vqgeom.regions.Box(-1, 1, dim=0)
    with pytest.raises(InvalidInputError, match="lower is empty"):
        vqgeom.regions.Box([], [])


# ------------------------------------------------------------------ kernels, heat
def test_flags_must_be_bools():
    net = Network([PLANE])
    X = [[0.1, 0.2], [0.9, -0.3]]
    with pytest.raises(InvalidInputError, match="per_layer"):
        vqgeom.vq_kernel(net, X, per_layer="yes")
    with pytest.raises(InvalidInputError, match="squared"):
        vqgeom.heat_kernel([[0, 1], [1, 0]], 1.0, squared="no")
    K = np.array([[0, 1], [1, 0]])
    with pytest.raises(InvalidInputError, match="centered"):
        vqgeom.kernel_cosine(K, K, centered="no")


@pytest.mark.parametrize("bad", [-1.0, np.nan])
def test_heat_kernel_needs_distances(bad):
    K = np.array([[0.0, bad], [2.0, 0.0]])
    with pytest.raises(InvalidInputError, match="K must hold distances >= 0"):
        vqgeom.heat_kernel(K, 1.0)


def test_kernel_cosine_of_heat_kernels_needs_distances():
    K = np.array([[0.0, -1.0], [-1.0, 0.0]])
    with pytest.raises(InvalidInputError, match="A: a heat kernel needs distances >= 0"):
        vqgeom.kernel_cosine(K, np.ones((2, 2)), sigma2=1.0)
    # the plain cosine (no sigma2) of signed matrices is still defined
    assert vqgeom.kernel_cosine(K, -K) == pytest.approx(-1.0)


def test_mds_of_a_matrix_says_what_it_needs():
    with pytest.raises(InvalidInputError, match="unless the first argument is Codes; got a ndarray"):
        vqgeom.mds_embedding(np.zeros((3, 3)), k=2)


def test_torch_module_on_points_of_the_wrong_size():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU())
    with pytest.raises(InvalidInputError, match="X: the module's forward pass failed"):
        vqgeom.activation_codes(model, np.zeros((3, 5)))
