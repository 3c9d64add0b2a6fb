"""Bundled real topologies (topohub): sizes, names, positions, capacities, errors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import topohub

from kplane.errors import InvalidParameterError
from kplane.network.topologies import (
    BUNDLED_TOPOLOGIES,
    FIBRE_SPEED,
    ROUTENET_CAPACITIES,
    list_topologies,
    load_topology,
    undirected_edge_ids,
)

EXPECTED_SIZES = {  # nodes, undirected links
    "nsfnet": (14, 21),
    "geant": (22, 36),
    "germany50": (50, 88),
    "abilene": (12, 15),
    "tatanld": (143, 181),
    "polska": (12, 18),
    "nobel-germany": (17, 26),
}


@pytest.mark.parametrize(("name", "size"), EXPECTED_SIZES.items())
def test_sizes(name: str, size: tuple[int, int]) -> None:
    t = load_topology(name)
    assert (t.n_nodes, t.n_links) == (size[0], 2 * size[1])
    assert t.name == name


def test_list_topologies_matches_loaded() -> None:
    infos = list_topologies()
    assert [i.name for i in infos] == sorted(BUNDLED_TOPOLOGIES)
    for info in infos:
        t = load_topology(info.name)
        assert (info.n_nodes, info.n_links, info.n_edges) == (t.n_nodes, t.n_links, t.n_links // 2)
        assert info.key == BUNDLED_TOPOLOGIES[info.name][0]
        assert t.is_strongly_connected(), info.name


@pytest.mark.parametrize("name", sorted(BUNDLED_TOPOLOGIES))
def test_same_graph_as_topohub(name: str) -> None:
    key = BUNDLED_TOPOLOGIES[name][0]
    g = nx.node_link_graph(topohub.get(key), edges="edges")
    t = load_topology(name)
    names = {v: str(g.nodes[v]["name"]) for v in g.nodes}
    expected = {frozenset((names[u], names[v])) for u, v in g.edges()}
    got = {frozenset((t.node_names[u], t.node_names[v])) for u, v in t.links}
    assert got == expected
    assert set(t.node_names) == set(names.values())


def test_nsfnet_names_positions_and_metadata() -> None:
    t = load_topology("nsfnet")
    assert t.node_names[0] == "Palo-Alto"
    assert t.positions is not None and t.positions.shape == (14, 2)
    np.testing.assert_allclose(t.positions[0], [-122.07, 37.25])  # longitude, latitude
    assert t.metadata["key"] == "sndlib/nobel-us"
    assert t.metadata["source"] == "topohub:sndlib/nobel-us"
    assert "MIT" in t.metadata["licence"] and "SNDlib" in t.metadata["licence"]
    assert len(t.metadata["length_km"]) == 21


def test_links_come_in_pairs() -> None:
    t = load_topology("geant")
    np.testing.assert_array_equal(t.links[0::2], t.links[1::2][:, ::-1])
    edge, n_edges = undirected_edge_ids(t)
    assert n_edges == 36
    np.testing.assert_array_equal(edge, np.repeat(np.arange(36), 2))


def test_default_capacities_are_routenet_seed_0_and_symmetric() -> None:
    a, b = load_topology("nsfnet"), load_topology("nsfnet", seed=0)
    np.testing.assert_array_equal(a.capacity, b.capacity)
    assert set(np.unique(a.capacity)) <= set(ROUTENET_CAPACITIES)
    np.testing.assert_array_equal(a.capacity[0::2], a.capacity[1::2])
    np.testing.assert_array_equal(a.queue_size, np.full(42, 32))
    np.testing.assert_array_equal(a.propagation_delay, np.zeros(42))
    c = load_topology("nsfnet", seed=1)
    assert not np.array_equal(a.capacity, c.capacity)


def test_capacity_and_queue_options() -> None:
    t = load_topology("abilene", capacities="1Gbps", queue_size=64)
    np.testing.assert_array_equal(t.capacity, np.full(30, 1e9))
    np.testing.assert_array_equal(t.queue_size, np.full(30, 64))
    t = load_topology("abilene", capacities=[10e3, "40kbps"], queue_size=[8, 16], seed=5)
    assert set(np.unique(t.capacity)) == {10e3, 40e3}
    assert set(np.unique(t.queue_size)) == {8, 16}


def test_distance_propagation_delay() -> None:
    t = load_topology("nsfnet", propagation_delay=True)
    length_m = np.repeat(np.asarray(t.metadata["length_km"]), 2) * 1e3
    np.testing.assert_allclose(t.propagation_delay, length_m / FIBRE_SPEED)
    assert t.propagation_delay[0] == pytest.approx(704.13e3 / 2e8)


def test_name_is_case_insensitive() -> None:
    assert load_topology("NSFNet").name == "nsfnet"


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(InvalidParameterError, match=r"unknown topology 'nsf'; valid: .*geant.*nsfnet"):
        load_topology("nsf")


def test_keep_is_refused_for_bundled() -> None:
    with pytest.raises(InvalidParameterError, match="topohub stores link lengths, not capacities"):
        load_topology("nsfnet", capacities="keep")
