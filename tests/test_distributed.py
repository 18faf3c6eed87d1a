"""enumerate_regions(..., executor=): the pieces merged exactly, on every kind of executor.

proofs/distributed.md: the merged partition has the serial run's regions, adjacencies and
flips; its exact witnesses verify. The networks put hyperplanes exactly on the walls between
tiles (x = 0, y = 0, x = 1/2) and on the widened pieces' own boundaries, and have later-layer
neurons that vanish on a whole wall.
"""

import concurrent.futures as cf
import multiprocessing
import os
import signal
from fractions import Fraction

import numpy as np
import pytest

from vqgeom import Network, enumerate_regions
from vqgeom.errors import InvalidInputError, RegionBudgetExceeded
from vqgeom.regions import Box
from vqgeom.regions.distributed import MARGIN, canonical, split_box, widen

W = MARGIN * 2  # a tile side of [-1, 1] moves out by 2/1024 = 1/512


def wall_net_2d():
    """x = 0 (twice, opposite orientations), y = 0, x = 1/512 (a widened piece's boundary),
    two generic lines; layer 2: relu(x) (zero on the whole half-plane x <= 0, wall included),
    relu(x) - relu(-x) = x (zero exactly on the wall x = 0), and a generic neuron."""
    l1 = {"weight": [["1", "0"], ["-1", "0"], ["0", "1"], ["1", "0"], ["1", "1"], ["1", "-2"]],
          "bias": ["0", "0", "0", str(-W), "-1/3", "1/5"]}
    l2 = {"weight": [["1", "0", "0", "0", "0", "0"], ["1", "-1", "0", "0", "0", "0"],
                     ["1", "-1", "2", "1", "0", "1/2"]],
          "bias": ["0", "0", "-1/4"]}
    return Network([l1, l2])


def wall_net_3d():
    """On [-1, 1]^3: x = 0, y = 0, x = 1/2 (tile walls), y = 1/512 (a piece boundary), two
    generic planes; layer 2 as in 2-D."""
    l1 = {"weight": [["1", "0", "0"], ["-1", "0", "0"], ["0", "1", "0"], ["1", "0", "0"],
                     ["0", "1", "0"], ["1", "1", "1"], ["0", "1", "-1"]],
          "bias": ["0", "0", "0", "-1/2", str(-W), "-1/4", "1/3"]}
    l2 = {"weight": [["1", "0", "0", "0", "0", "0", "0"], ["1", "-1", "0", "0", "0", "0", "0"],
                     ["1", "-1", "1", "1", "0", "1", "-1"]],
          "bias": ["0", "0", "-1/5"]}
    return Network([l1, l2])


def grid_tiles(cuts):
    """The tiles of [-1, 1]^D cut at the given coordinates per axis."""
    edges = [[Fraction(-1)] + [Fraction(c) for c in cs] + [Fraction(1)] for cs in cuts]
    tiles = [([], [])]
    for e in edges:
        tiles = [(lo + [a], hi + [b]) for lo, hi in tiles for a, b in zip(e[:-1], e[1:])]
    return [Box(lo, hi) for lo, hi in tiles]


def torch_net(widths, seed):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    mods = []
    for a, b in zip(widths[:-1], widths[1:]):
        mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return Network.from_torch(torch.nn.Sequential(*mods))


def triples(part):
    return [(i, j, f) for i, j, f in part.graph.edges(data="flips")]


def assert_same(serial, dist):
    """Codes, edges and flips of the distributed run equal the serial run's (in canonical
    order); exact witnesses verify."""
    ref = canonical(serial)
    assert dist.n_regions == serial.n_regions
    assert dist.codes == ref.codes
    assert triples(dist) == triples(ref)
    assert dist.codes == sorted(dist.codes, key=lambda c: [b for layer in c for b in layer])
    if dist.exact:
        dist.verify()


def children():
    """Pids of this process's worker processes (local pools, LocalCluster workers)."""
    return {p.pid for p in multiprocessing.active_children()}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def pool():
    with cf.ProcessPoolExecutor(2) as ex:
        yield ex


CASES = [
    ("2d-walls", wall_net_2d, [["0"], ["0"]]),
    ("3d-walls", wall_net_3d, [["0", "1/2"], ["0"], []]),
]


@pytest.mark.slow
@pytest.mark.parametrize("arithmetic", ["exact", "float"])
@pytest.mark.parametrize("name,make,cuts", CASES, ids=[c[0] for c in CASES])
def test_walls_on_a_local_cluster(client, pool, name, make, cuts, arithmetic):
    net = make()
    serial = enumerate_regions(net, arithmetic=arithmetic)
    assert not serial.is_generic  # x = 0 twice and the neuron equal to x flip together
    tiles = grid_tiles(cuts)
    on_dask = enumerate_regions(net, arithmetic=arithmetic, executor=client, pieces=tiles)
    assert_same(serial, on_dask)
    assert len(on_dask.pieces) == len(tiles)
    # the same result, witnesses included, on another executor
    on_pool = enumerate_regions(net, arithmetic=arithmetic, executor=pool, pieces=tiles)
    assert on_pool.codes == on_dask.codes and on_pool.witnesses == on_dask.witnesses
    assert list(on_pool.graph.edges(data=True)) == list(on_dask.graph.edges(data=True))


def test_the_wall_facets_need_the_overlap():
    """Negative control: without widening, the facets on the walls are lost (the pieces'
    own partitions do not see them), so the test above can fail."""
    net = wall_net_3d()
    serial = enumerate_regions(net)
    edges = set()
    for t in grid_tiles([["0", "1/2"], ["0"], []]):
        p = enumerate_regions(net, t)
        edges |= {frozenset((p.codes[i], p.codes[j])) for i, j in p.graph.edges()}
    full = {frozenset((serial.codes[i], serial.codes[j])) for i, j in serial.graph.edges()}
    assert edges < full


@pytest.mark.parametrize("arithmetic", ["exact", "float"])
@pytest.mark.parametrize("widths,seed", [((2, 8, 8), 1), ((3, 6, 6), 0)])
def test_random_networks_on_a_local_cluster(client, widths, seed, arithmetic):
    net = torch_net(widths, seed)
    serial = enumerate_regions(net, arithmetic=arithmetic)
    dist = enumerate_regions(net, arithmetic=arithmetic, executor=client, pieces=6)
    assert_same(serial, dist)
    assert sum(p.n_regions for p in dist.pieces) > dist.n_regions  # regions cut by walls


@pytest.mark.slow
def test_local_processes_without_dask():
    net = wall_net_3d()
    serial = enumerate_regions(net)
    before = children()
    dist = enumerate_regions(net, executor=2, pieces=grid_tiles([["0", "1/2"], ["0"], []]))
    assert_same(serial, dist)
    assert dist.executor == "2 local worker processes"
    assert children() <= before  # the call shut its pool down


def test_thread_pool_and_default_split():
    net = torch_net((2, 8, 8), 3)
    serial = enumerate_regions(net, arithmetic="float")
    with cf.ThreadPoolExecutor(2) as ex:
        dist = enumerate_regions(net, arithmetic="float", executor=ex)
    assert_same(serial, dist)
    assert len(dist.pieces) == 4  # two per worker


@pytest.mark.slow
def test_a_killed_worker_is_replaced():
    net = wall_net_3d()
    serial = enumerate_regions(net)
    killed = []
    before = children()

    def kill_one(n, stage):
        if not killed:
            victim = min(children() - before)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    dist = enumerate_regions(net, executor=2, pieces=12, progress=kill_one)
    assert killed and dist.n_restarts >= 1
    assert_same(serial, dist)


def test_a_lost_dask_worker_is_replaced(client):
    net = torch_net((3, 6, 6), 0)
    serial = enumerate_regions(net, arithmetic="float")
    restarted = []

    def restart_one(n, stage):
        if not restarted:
            addr = sorted(client.scheduler_info()["workers"])[0]
            # raise_for_error=False: a nanny busy under load may report an error of its own
            # (seen once as a ValueError); the run must stay exact and complete either way
            status = client.restart_workers([addr], raise_for_error=False)
            restarted.append((addr, status))

    dist = enumerate_regions(net, arithmetic="float", executor=client, pieces=12, progress=restart_one)
    assert restarted
    assert_same(serial, dist)


@pytest.mark.slow
def test_max_regions_stops_the_whole_run(pool):
    net = torch_net((3, 6, 6), 0)
    n = enumerate_regions(net, arithmetic="float").n_regions
    before = children()
    with pytest.raises(RegionBudgetExceeded) as info:
        enumerate_regions(net, arithmetic="float", executor=2, pieces=4, max_regions=n // 3)
    assert n // 3 < info.value.n_found <= n
    assert children() <= before  # the pieces still running were stopped
    ok = enumerate_regions(net, arithmetic="float", executor=pool, pieces=4, max_regions=n)
    assert ok.n_regions == n


def test_whole_space_is_serial_in_canonical_order():
    net = wall_net_2d()
    serial = enumerate_regions(net, "whole")
    with cf.ThreadPoolExecutor(2) as ex:
        dist = enumerate_regions(net, "whole", executor=ex)
    assert_same(serial, dist)


def test_split_is_balanced_and_tiles_the_box():
    net = torch_net((2, 8, 8), 1)
    box = Box(-1, 1, dim=2)
    tiles = split_box(net, box, 7)
    assert len(tiles) == 7
    area = sum((t.upper[0] - t.lower[0]) * (t.upper[1] - t.lower[1]) for t in tiles)
    assert area == 4
    # pieces: widened across inner walls only, never outside the box
    for t in tiles:
        w = widen(t, box)
        for a, b, c, d in zip(t.lower, t.upper, w.lower, w.upper):
            assert c == (a if a == -1 else a - W) and d == (b if b == 1 else b + W)
    part = enumerate_regions(net, arithmetic="float")
    counts = []
    for t in tiles:
        counts.append(enumerate_regions(net, t, arithmetic="float").n_regions)
    assert max(counts) < part.n_regions / 2


@pytest.mark.parametrize("bad", [0, -2, True, "two", 1.5])
def test_bad_executor(bad):
    with pytest.raises(InvalidInputError, match="executor"):
        enumerate_regions(wall_net_2d(), executor=bad)


def test_bad_pieces():
    net = wall_net_2d()
    with pytest.raises(InvalidInputError, match="pieces"):
        enumerate_regions(net, executor=1, pieces=0)
    with pytest.raises(InvalidInputError, match="overlap"):
        enumerate_regions(net, executor=1, pieces=[Box(-1, 1, dim=2), Box([-1, -1], [0, 0])])
    with pytest.raises(InvalidInputError, match="cover"):
        enumerate_regions(net, executor=1, pieces=[Box([-1, -1], [0, 1])])


@pytest.mark.parametrize("arithmetic", ["exact", "float"])
def test_one_dimension(arithmetic):
    # breakpoints at the wall 0 and at the widened boundary 1/512; a second-layer neuron
    # relu(x) - relu(-x) = x vanishing at the wall
    net = Network([{"weight": [["1"], ["-1"], ["1"], ["3"]], "bias": ["0", "0", str(-W), "-1"]},
                   {"weight": [["1", "-1", "0", "0"], ["1", "1", "-2", "1"]], "bias": ["0", "-1/7"]}])
    serial = enumerate_regions(net, arithmetic=arithmetic)
    with cf.ThreadPoolExecutor(2) as ex:
        dist = enumerate_regions(net, arithmetic=arithmetic, executor=ex,
                                 pieces=[Box([-1], [0]), Box([0], [1])])
    assert_same(serial, dist)
    assert dist.engine == serial.engine == "interval"


@pytest.mark.slow
def test_a_broken_foreign_pool_is_reported():
    """A process pool the caller owns cannot be replaced: a lost worker is an error that says so
    (never a partial partition)."""
    from vqgeom.errors import WorkerLostError

    net = wall_net_3d()
    before = children()
    killed = []

    def kill_one(n, stage):
        if not killed:
            victim = min(children() - before)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with cf.ProcessPoolExecutor(2) as ex:
        with pytest.raises(WorkerLostError, match="cannot run jobs any more"):
            enumerate_regions(net, executor=ex, pieces=12, progress=kill_one)
    assert killed
