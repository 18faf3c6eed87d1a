"""The Partition: invariances (permuting and scaling units), d_Omega as a pseudometric,
exact region lookup, halfspaces and polygons, degenerate networks, save / load, plotting."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vqgeom import Network, enumerate_regions
from vqgeom.errors import DegenerateInputError, InvalidInputError
from vqgeom.regions import Box, Partition
from vqgeom.regions.partition import ON_BOUNDARY, OUTSIDE

F = Fraction


def rational_mlp(widths, seed, input_dim=2):
    """A small exact MLP with quarter-integer weights (ties and degeneracies are common)."""
    rng = np.random.default_rng(seed)
    layers, d = [], input_dim
    for w in widths:
        W = [[F(int(v), 4) for v in row] for row in rng.integers(-6, 7, size=(w, d))]
        for row in W:
            if all(v == 0 for v in row) and not layers:
                row[0] = F(1)
        b = [F(int(v), 4) for v in rng.integers(-4, 5, size=w)]
        layers.append({"weight": W, "bias": b})
        d = w
    return Network(layers)


def edge_codes(part):
    """The adjacency graph with regions named by their codes (engine-independent)."""
    return {frozenset((part.codes[i], part.codes[j])) for i, j in part.graph.edges()}


def permute_layer(net, l, perm):
    layers = [dict(weight=lay.weight.copy(), bias=lay.bias.copy()) for lay in net.layers]
    layers[l]["weight"] = layers[l]["weight"][perm]
    layers[l]["bias"] = layers[l]["bias"][perm]
    if l + 1 < len(layers):
        layers[l + 1]["weight"] = layers[l + 1]["weight"][:, perm]
    return Network(layers)


def scale_unit(net, l, j, c):
    """Scale unit j of layer l by c > 0 and its outgoing weights by 1/c (same function)."""
    layers = [dict(weight=lay.weight.copy(), bias=lay.bias.copy()) for lay in net.layers]
    layers[l]["weight"][j] = layers[l]["weight"][j] * c
    layers[l]["bias"][j] = layers[l]["bias"][j] * c
    if l + 1 < len(layers):
        layers[l + 1]["weight"][:, j] = layers[l + 1]["weight"][:, j] / c
    return Network(layers)


# ------------------------------------------------------------------ invariance laws
@settings(max_examples=10)
@given(st.integers(0, 10**6), st.integers(0, 2), st.data())
def test_permuting_hidden_units_permutes_codes(seed, layer, data):
    net = rational_mlp((4, 3, 3), seed)
    width = net.widths[layer]
    perm = np.array(data.draw(st.permutations(range(width))))
    part = enumerate_regions(net, engine="polygon")
    other = enumerate_regions(permute_layer(net, layer, perm), engine="polygon")

    def unpermute(code):
        code = list(code)
        code[layer] = tuple(code[layer][int(np.flatnonzero(perm == k)[0])] for k in range(width))
        return tuple(code)

    assert other.n_regions == part.n_regions and other.n_adjacencies == part.n_adjacencies
    assert {unpermute(c) for c in other.codes} == set(part.codes)
    assert {frozenset(map(unpermute, e)) for e in edge_codes(other)} == edge_codes(part)


@settings(max_examples=10)
@given(st.integers(0, 10**6), st.integers(0, 2), st.integers(0, 2),
       st.fractions(min_value=F(1, 10), max_value=10))
def test_scaling_a_unit_by_a_positive_factor_changes_nothing(seed, layer, j, c):
    net = rational_mlp((3, 3, 3), seed)
    part = enumerate_regions(net, engine="polygon")
    other = enumerate_regions(scale_unit(net, layer, j, c), engine="polygon")
    assert set(other.codes) == set(part.codes)
    assert edge_codes(other) == edge_codes(part)


def test_scaling_a_deep_unit_without_compensation_can_change_the_partition():
    # the negative control of the law above: the compensation is needed
    changed = 0
    for seed in range(6):
        net = rational_mlp((3, 3, 3), seed)
        layers = [dict(weight=lay.weight.copy(), bias=lay.bias.copy()) for lay in net.layers]
        layers[0]["weight"][0] *= 3
        layers[0]["bias"][0] *= 3          # outgoing weights left alone: layer 2 sees 3 h_0
        a = enumerate_regions(net, engine="polygon")
        b = enumerate_regions(Network(layers), engine="polygon")
        changed += edge_codes(a) != edge_codes(b)
    assert changed > 0


# ------------------------------------------------------------------ d_Omega
def test_d_omega_is_a_pseudometric_and_matches_point_distances():
    net = rational_mlp((5, 4), 11)
    part = enumerate_regions(net)
    D = part.region_distances()
    n = part.n_regions
    assert D.shape == (n, n)
    assert np.all(np.diag(D) == 0) and np.array_equal(D, D.T)
    assert np.all(D[~np.eye(n, dtype=bool)] >= 1)                 # distinct regions
    assert np.all(D[:, :, None] <= D[:, None, :] + D.T[None, :, :])  # D[i,k] <= D[i,j] + D[j,k]
    # one row by BFS equals the csgraph row
    np.testing.assert_array_equal(part.region_distances([3])[0], D[3])
    W = np.array(part.witnesses, dtype=object)
    np.testing.assert_array_equal(part.partition_distance(W[:7], W[2:9]), D[:7, 2:9])
    # adjacent regions are at distance 1
    for i, j in part.graph.edges():
        assert D[i, j] == 1


def test_vq_distances_with_layer_weights():
    part = enumerate_regions(rational_mlp((4, 3), 5))
    bits = part.code_bits().astype(int)
    i, j = 0, part.n_regions - 1
    manual = 1 * np.sum(bits[i, :4] != bits[j, :4]) + 0.5 * np.sum(bits[i, 4:] != bits[j, 4:])
    assert part.vq_distances([1, 0.5])[i, j] == manual
    with pytest.raises(InvalidInputError, match="weights"):
        part.vq_distances([1, -1])
    with pytest.raises(InvalidInputError, match="weights"):
        part.vq_distances([1])


def test_unreachable_regions_are_at_infinite_distance():
    # two regions of a non-convex domain with no shared facet (graph without the edge)
    net = Network([{"weight": [["1", "0"]], "bias": ["0"]}])
    full = enumerate_regions(net)
    cut = Partition(net.to_exact(), full.domain, full.codes, full.witnesses, [],
                    arithmetic="exact", engine="manual")
    assert full.region_distances()[0, 1] == 1
    assert np.isinf(cut.region_distances()[0, 1]) and np.isinf(cut.region_distances([0])[0, 1])


# ------------------------------------------------------------------ lookup
def test_region_of_witnesses_boundaries_and_outside():
    net = rational_mlp((5, 4), 2)
    part = enumerate_regions(net)
    assert part.region_of(part.witnesses).tolist() == list(range(part.n_regions))
    facets = [d["facet_witness"] for _, _, d in part.graph.edges(data=True)]
    assert set(part.region_of(facets, on_boundary="mark").tolist()) == {ON_BOUNDARY}
    assert part.region_of([[2, 0], [0, -1.5]], on_boundary="mark").tolist() == [OUTSIDE, OUTSIDE]
    with pytest.raises(DegenerateInputError, match=r"X\[1\].*boundary"):
        part.region_of([part.witnesses[0], facets[0]])
    with pytest.raises(DegenerateInputError, match="outside"):
        part.region_of([[5, 5]])


def test_region_of_decides_exactly():
    # the float 0.1 is slightly above 1/10: exactly on the line x = 0.1 (float bias), but
    # strictly right of the line x = 1/10 (decimal bias)
    float_line = enumerate_regions(Network([{"weight": [[1.0, 0.0]], "bias": [-0.1]}]))
    assert float_line.region_of([[0.1, 0.0]], on_boundary="mark").tolist() == [ON_BOUNDARY]
    dec_line = enumerate_regions(Network([{"weight": [["1", "0"]], "bias": ["-1/10"]}]))
    right = dec_line.index_of_code(((True,),))
    assert dec_line.region_of([[0.1, 0.0]]).tolist() == [right]
    # a point on the domain's own boundary but inside a region is that region
    assert dec_line.region_of([[1, 1]]).tolist() == [right]


def test_halfspaces_and_polygons_agree_with_witnesses():
    part = enumerate_regions(rational_mlp((4, 4), 8))
    for i in range(part.n_regions):
        A, b = part.halfspaces(i)
        w = np.array(part.witnesses[i], dtype=object)
        assert np.all(A @ w < b)                                  # strictly inside
        for v in part.polygon(i):
            slack = b - A @ np.array(v, dtype=object)
            assert np.all(slack >= 0) and np.sum(slack == 0) >= 2  # a vertex: two tight rows
    # the polygon computed from the halfspaces equals the engine's (as vertex sets)
    clipped = Partition(part.net, part.domain, part.codes, part.witnesses, [], arithmetic="exact",
                        engine="manual")
    for i in range(part.n_regions):
        assert set(clipped.polygon(i)) <= set(part.polygon(i))


# ------------------------------------------------------------------ degenerate inputs
def test_duplicate_neurons_flip_together():
    line = {"weight": [["1", "2"], ["-2", "-4"], ["1", "-1"]], "bias": ["1/2", "-1", "0"]}
    part = enumerate_regions(Network([line]))
    single = enumerate_regions(Network([{"weight": [["1", "2"], ["1", "-1"]], "bias": ["1/2", "0"]}]))
    assert part.n_regions == single.n_regions == 4
    assert not part.is_generic and single.is_generic
    assert [f for _, _, f in part.non_generic_facets()] == [((0, 0), (0, 1))] * 2
    part.verify()


def test_dead_and_constant_neurons():
    layer1 = {"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "0"]}      # zero biases
    # layer 2: relu(x) (>= 0: identically 0 on x < 0, never negative), relu(x) - 1/2 (splits at
    # x = 1/2), a constant neuron with zero bias, a constant negative neuron
    layer2 = {"weight": [["1", "0"], ["1", "0"], ["0", "0"], ["0", "0"]], "bias": ["0", "-1/2", "0", "-1"]}
    net = Network([layer1, layer2])
    assert net.constant_neurons == [(1, 2), (1, 3)]
    part = enumerate_regions(net)
    assert part.n_regions == 6
    assert {c[1][0] for c in part.codes} == {True}
    assert {c[1][2] for c in part.codes} == {True} and {c[1][3] for c in part.codes} == {False}
    part.verify()
    # a point where the dead neuron vanishes but nothing bends is not a boundary
    assert part.region_of([[F(-1, 2), F(1, 2)]]).tolist() == [part.index_of_code(
        ((False, True), (True, False, True, False)))]


def test_neurons_in_two_layers_sharing_a_facet():
    # layer 2 computes relu(x) - relu(-x) = x: its zero set is layer 1's line x = 0
    net = Network([{"weight": [["1", "0"], ["-1", "0"], ["0", "1"]], "bias": ["0", "0", "0"]},
                   {"weight": [["1", "-1", "0"]], "bias": ["0"]}])
    part = enumerate_regions(net)
    assert part.n_regions == 4
    flips = {f for _, _, f in part.non_generic_facets()}
    assert flips == {((0, 0), (0, 1), (1, 0))}
    part.verify()


@pytest.mark.parametrize("weight, bias, regions, adjacencies", [
    (["1", "1"], "-2", 1, 0),     # touches the corner (1, 1) only
    (["1", "-1"], "0", 2, 1),     # the diagonal through two corners
    (["1", "0"], "-1", 1, 0),     # the box's right side
])
def test_lines_through_box_corners_and_sides(weight, bias, regions, adjacencies):
    part = enumerate_regions(Network([{"weight": [weight], "bias": [bias]}]))
    assert (part.n_regions, part.n_adjacencies) == (regions, adjacencies)
    part.verify()


def _rebuilt(part, witnesses=None, edges=None):
    """A copy of ``part`` with some witnesses or edges replaced (for corrupting certificates)."""
    if edges is None:
        edges = [(i, j, d["flips"], d["facet_witness"]) for i, j, d in part.graph.edges(data=True)]
    return Partition(part.net, part.domain, part.codes, part.witnesses if witnesses is None else witnesses,
                     edges, arithmetic="exact", engine="manual")


def test_verify_rejects_corrupted_witnesses_and_facets():
    # the negative control of every part.verify() in the suite: each lie is caught
    from vqgeom.errors import CertificateError

    part = enumerate_regions(rational_mlp((4, 3), 7))
    _rebuilt(part).verify()                                      # the honest copy passes
    edges = [(i, j, d["flips"], d["facet_witness"]) for i, j, d in part.graph.edges(data=True)]
    i, j, flips, facet = edges[0]
    # a region's witness taken from another region
    W = list(part.witnesses)
    W[0], W[1] = W[1], W[0]
    with pytest.raises(CertificateError, match="region 0"):
        _rebuilt(part, witnesses=W).verify()
    # a region's witness on a boundary (a facet witness)
    W = list(part.witnesses)
    W[i] = facet
    with pytest.raises(CertificateError, match=f"region {i}"):
        _rebuilt(part, witnesses=W).verify()
    # a region's witness outside the domain
    W = list(part.witnesses)
    W[0] = (F(5), F(5))
    with pytest.raises(CertificateError, match="region 0"):
        _rebuilt(part, witnesses=W).verify()
    # the listed flips differ from the codes' difference
    other = next(n for n in part.net.neuron_index if n not in flips)
    for bad in ((), tuple(sorted(flips + (other,)))):
        with pytest.raises(CertificateError, match="listed flips"):
            _rebuilt(part, edges=[(i, j, bad, facet)] + edges[1:]).verify()
    # a facet witness where the flipping neuron does not vanish
    with pytest.raises(CertificateError, match=r"flipped neuron .* not 0"):
        _rebuilt(part, edges=[(i, j, flips, part.witnesses[i])] + edges[1:]).verify()
    # a facet witness on the flipped neuron's zero set, but on another facet of it (some other
    # neuron has a sign there that neither region's code gives it)
    # (another pair of regions differs from {i, j} in a neuron that does not vanish there)
    far = next(e[3] for e in edges if e[2] == flips and {e[0], e[1]} != {i, j})
    with pytest.raises(CertificateError, match="facet witness"):
        _rebuilt(part, edges=[(i, j, flips, far)] + edges[1:]).verify()
    with pytest.raises(InvalidInputError, match="exact"):
        enumerate_regions(rational_mlp((4, 3), 7), arithmetic="float").verify()


# ------------------------------------------------------------------ save / load
@pytest.mark.parametrize("arithmetic", ["exact", "float"])
def test_save_load_round_trip(tmp_path, arithmetic):
    net = rational_mlp((4, 3), 4)
    part = enumerate_regions(net, Box(["-1", "-1/3"], ["1/2", "1"]), arithmetic=arithmetic)
    path = tmp_path / "part.json"
    part.save(path)
    back = Partition.load(path)
    assert back.arithmetic == arithmetic and back.engine == part.engine
    assert back.codes == part.codes and back.witnesses == part.witnesses
    assert back.domain == part.domain
    assert {(i, j, d["flips"], d["facet_witness"]) for i, j, d in back.graph.edges(data=True)} == \
        {(i, j, d["flips"], d["facet_witness"]) for i, j, d in part.graph.edges(data=True)}
    assert back.polygons() == part.polygons()
    assert list(tmp_path.iterdir()) == [path]                      # no temp file left
    if arithmetic == "exact":
        back.verify()


def test_load_rejects_foreign_documents(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"format": "something-else"}')
    with pytest.raises(InvalidInputError, match="partition"):
        Partition.load(path)
    with pytest.raises(InvalidInputError, match="cannot read"):
        Partition.load(tmp_path / "missing.json")


# ------------------------------------------------------------------ plotting
def test_plot_colours_regions_by_distance():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = enumerate_regions(rational_mlp((4, 3), 1))
    ax = part.plot(color_by="distance", source=2)
    coll = ax.collections[0]
    assert len(coll.get_paths()) == part.n_regions
    np.testing.assert_array_equal(np.asarray(coll.get_array()), part.region_distances([2])[0])
    plt.close(ax.figure)
    with pytest.raises(InvalidInputError, match="color_by"):
        part.plot(color_by="rainbow")


def test_a_cell_split_by_a_non_convex_domain_gives_two_regions_with_one_code(tmp_path):
    from vqgeom.lemmas.union import BoxUnion, enumerate_union

    net = Network([{"weight": [["1", "0"]], "bias": ["5"]}])           # no line in the domain
    union = BoxUnion([Box([0, 0], [3, 1]), Box([0, 2], [3, 3])])       # two separate strips
    part = enumerate_union(net, union)
    assert part.n_regions == 2 and part.regions_of_code(part.codes[0]) == [0, 1]
    assert np.isinf(part.region_distances()[0, 1])
    with pytest.raises(DegenerateInputError, match="shared by regions"):
        part.region_of([[1, F(1, 2)]])
    assert part.region_of([[1, F(3, 2)]], on_boundary="mark").tolist() == [OUTSIDE]
    part.save(tmp_path / "u.json")
    back = Partition.load(tmp_path / "u.json")
    assert back.codes == part.codes and back.domain.contains([1, F(5, 2)])


def test_cpa_layers_with_skips_leaky_and_abs():
    rng = np.random.default_rng(21)
    q = lambda *shape: [[F(int(v), 4) for v in row] for row in rng.integers(-5, 6, size=shape)]
    net = Network([
        {"weight": q(3, 2), "bias": [F(1, 3), F(-1, 2), 0], "activation": "leaky_relu",
         "negative_slope": "1/10", "skip": q(3, 2)},
        {"weight": q(4, 3), "bias": [0, F(1, 4), F(-1, 4), F(1, 2)], "activation": "abs",
         "out": q(2, 4), "skip": q(2, 3), "out_bias": [F(1, 5), 0]},
        {"weight": q(3, 2), "bias": [F(1, 7), 0, F(-1, 3)]},
    ])
    part = enumerate_regions(net)
    part.verify()
    # the witnesses' codes, computed independently with Fraction arrays
    for code, w in zip(part.codes, part.witnesses):
        assert tuple(tuple(bool(v) for v in s[0]) for s in net.signs([w])) == code
    # the flint route of region_of agrees with Fraction arithmetic on random points
    X = rng.uniform(-1, 1, size=(40, 2))
    codes = [tuple(tuple(bool(v) for v in s[n]) for s in net.signs(X)) for n in range(40)]
    assert part.region_of(X).tolist() == [part.index_of_code(c) for c in codes]


def test_certified_float_filter_agrees_with_exact_arithmetic_near_boundaries():
    # float points rounded from facet witnesses sit within an ulp of a boundary: the float
    # filter must hand them to exact arithmetic, never decide them wrongly
    rng = np.random.default_rng(5)
    net = Network([{"weight": rng.normal(size=(6, 2)), "bias": rng.normal(size=6) * 0.5},
                   {"weight": rng.normal(size=(5, 6)), "bias": rng.normal(size=5) * 0.5,
                    "activation": "leaky_relu", "negative_slope": 0.1},
                   {"weight": rng.normal(size=(4, 5)), "bias": rng.normal(size=4) * 0.5}])
    part = enumerate_regions(net, engine="polygon")
    facets = [d["facet_witness"] for _, _, d in part.graph.edges(data=True)]
    X = np.array([[float(v) for v in f] for f in facets])
    X = np.concatenate([X, np.nextafter(X, np.inf), np.nextafter(X, -np.inf)])
    got_float_path = part.region_of(X, on_boundary="mark")
    got_exact_path = part.region_of([[F(v) for v in row] for row in X], on_boundary="mark")
    np.testing.assert_array_equal(got_float_path, got_exact_path)
    # an independent oracle: Fraction arithmetic of the network itself
    exact = net.to_exact()
    for n in range(0, X.shape[0], 7):
        codes = tuple(tuple(bool(v) for v in s[0]) for s in exact.signs([X[n]]))
        zero = any(np.any(p[0] == 0) for p in exact.preactivations([X[n]]))
        expected = ON_BOUNDARY if zero else part.index_of_code(codes)
        assert got_float_path[n] == expected


def test_graphml_export_reads_back_as_the_same_graph(tmp_path):
    import networkx as nx

    part = enumerate_regions(rational_mlp((3, 3), 6))
    part.export_graphml(tmp_path / "g.graphml")
    g = nx.read_graphml(tmp_path / "g.graphml", node_type=int)
    assert sorted(g.edges()) == sorted(tuple(sorted(e)) for e in part.graph.edges())
    i, j = next(iter(part.graph.edges()))
    assert g.edges[i, j]["flips"] == " ".join(f"{l}:{k}" for l, k in part.graph.edges[i, j]["flips"])
    assert [F(v) for v in g.nodes[0]["witness"].split()] == list(part.witnesses[0])
    assert list(tmp_path.iterdir()) == [tmp_path / "g.graphml"]


def test_progress_only_when_asked(capsys):
    net = rational_mlp((4, 3), 3)
    enumerate_regions(net)
    assert capsys.readouterr() == ("", "")
    seen = []
    enumerate_regions(net, progress=lambda n, stage: seen.append(n))
    assert seen and all(int(n) >= 0 for n in seen)
    assert capsys.readouterr().out == ""
    with pytest.raises(InvalidInputError, match="progress"):
        enumerate_regions(net, progress="yes")


def test_lookup_with_numbers_beyond_float_range_stays_exact():
    # 1e-400 underflows and 1e400 overflows as floats: lookups must not trust a float pass
    net = Network([{"weight": [["1", "0"], ["0", "1"]], "bias": ["0", "0"]},
                   {"weight": [["1e400", "0"], ["0", "1"]], "bias": ["-1", "-1e-400"]}])
    part = enumerate_regions(net, engine="polygon")
    # layer 2, neuron 0 switches at x = 1e-400: float 1e-300 is right of it, 0.0 on layer 1's line
    got = part.region_of(np.array([[1e-300, 0.5], [-0.5, 0.5]]))
    exact = net.to_exact()
    for n, x in enumerate([[1e-300, 0.5], [-0.5, 0.5]]):
        code = tuple(tuple(bool(v) for v in s[0]) for s in exact.signs([x]))
        assert got[n] == part.index_of_code(code)
    assert part.codes[got[0]][1][0] is True
