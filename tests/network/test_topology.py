"""Topology: construction, immutability, builders, queries and every validation error."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from kplane.errors import InvalidScenarioError
from kplane.network import DEFAULT_QUEUE_SIZE, Topology


@pytest.fixture
def triangle() -> Topology:
    return Topology.from_edges(
        ["a", "b", "c"],
        [(0, 1), (1, 0), (1, 2), (2, 1), (2, 0), (0, 2)],
        capacity=[10e3, 10e3, 40e3, 40e3, 100e3, 100e3],
        positions=[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        name="tri",
        metadata={"source": "test"},
    )


def test_construction_and_defaults(triangle: Topology) -> None:
    assert triangle.n_nodes == 3
    assert triangle.n_links == 6
    assert triangle.links.dtype == np.int64
    assert triangle.capacity.dtype == np.float64
    np.testing.assert_array_equal(triangle.queue_size, np.full(6, DEFAULT_QUEUE_SIZE))
    np.testing.assert_array_equal(triangle.propagation_delay, np.zeros(6))
    assert triangle.node_names == ("a", "b", "c")
    assert triangle.metadata["source"] == "test"


def test_scalar_capacity_is_broadcast() -> None:
    t = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=5e3, queue_size=8, propagation_delay=1e-3)
    np.testing.assert_array_equal(t.capacity, [5e3, 5e3])
    np.testing.assert_array_equal(t.queue_size, [8, 8])
    np.testing.assert_array_equal(t.propagation_delay, [1e-3, 1e-3])


@pytest.mark.parametrize("field", ["links", "capacity", "queue_size", "propagation_delay", "positions"])
def test_arrays_are_read_only(triangle: Topology, field: str) -> None:
    arr = getattr(triangle, field)
    assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = 0


def test_input_arrays_are_copied() -> None:
    cap = np.array([1.0, 2.0])
    t = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=cap)
    cap[0] = -5.0
    assert t.capacity[0] == 1.0


def test_fields_cannot_be_reassigned(triangle: Topology) -> None:
    with pytest.raises(AttributeError):
        triangle.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        triangle.metadata["x"] = 1  # type: ignore[index]


def test_queries(triangle: Topology) -> None:
    assert triangle.link_id(1, 2) == 2
    assert triangle.has_link(2, 0)
    assert not triangle.has_link(0, 0)
    assert triangle.node_id("c") == 2
    assert triangle.describe_link(2) == "link 2 (b→c)"
    assert triangle.is_strongly_connected()
    with pytest.raises(InvalidScenarioError, match="no link a→a in topology 'tri'"):
        triangle.link_id(0, 0)
    with pytest.raises(InvalidScenarioError, match="no node named 'z'"):
        triangle.node_id("z")


def test_replace_validates_again(triangle: Topology) -> None:
    t2 = triangle.replace(capacity=np.full(6, 1e6), name="fast")
    assert t2.name == "fast" and t2.capacity[0] == 1e6
    assert triangle.capacity[0] == 10e3
    with pytest.raises(InvalidScenarioError, match="capacity of link 0"):
        triangle.replace(capacity=np.zeros(6))
    with pytest.raises(TypeError, match="unknown Topology field"):
        triangle.replace(colour="red")


def test_networkx_round_trip(triangle: Topology) -> None:
    g = triangle.to_networkx()
    assert g.number_of_nodes() == 3 and g.number_of_edges() == 6
    assert g.edges[1, 2]["capacity"] == 40e3 and g.edges[1, 2]["id"] == 2
    assert g.nodes[0]["pos"] == (0.0, 0.0)
    ug = nx.Graph()
    ug.add_edge("x", "y", capacity=1e3)
    ug.add_edge("y", "z", capacity=2e3)
    t = Topology.from_networkx(ug, name="path")
    assert t.n_links == 4 and t.name == "path"
    assert t.capacity[t.link_id(t.node_id("z"), t.node_id("y"))] == 2e3
    t2 = Topology.from_networkx(ug, capacity=5.0)
    np.testing.assert_array_equal(t2.capacity, np.full(4, 5.0))


def test_from_networkx_missing_capacity() -> None:
    g = nx.Graph()
    g.add_edge(0, 1)
    with pytest.raises(InvalidScenarioError, match="has no 'capacity' attribute"):
        Topology.from_networkx(g)


def test_weakly_connected_is_detected() -> None:
    t = Topology.from_edges(["a", "b"], [(0, 1)], capacity=1.0)
    assert not t.is_strongly_connected()


TWO = ["a", "b"]
BOTH = [(0, 1), (1, 0)]


@pytest.mark.parametrize(
    ("names", "edges", "kwargs", "match"),
    [
        ([], [], {"capacity": 1.0}, "no nodes"),
        (["a", "a"], BOTH, {"capacity": 1.0}, "'a' appears twice"),
        (TWO, [], {"capacity": 1.0}, "has no links"),
        (TWO, [(0, 0), (0, 1)], {"capacity": 1.0}, "link 0 is a self-loop at node 'a'"),
        (TWO, [(0, 1), (0, 1)], {"capacity": 1.0}, "more than one link 'a'→'b'"),
        (TWO, [(0, 2)], {"capacity": 1.0}, r"link 0 \(0→2\) refers to a node outside 0..1"),
        (TWO, [(-1, 0)], {"capacity": 1.0}, "refers to a node outside"),
        (TWO, [(0, 1, 1)], {"capacity": 1.0}, r"links must have shape \(n_links, 2\)"),
        (TWO, BOTH, {"capacity": [1.0, -10.0]}, r"capacity of link 1 \(b→a\) must be > 0 bit/s, got -10"),
        (TWO, BOTH, {"capacity": [0.0, 1.0]}, r"capacity of link 0 \(a→b\) must be > 0 bit/s"),
        (TWO, BOTH, {"capacity": [np.nan, 1.0]}, "capacity: entry 0 must be finite, got nan"),
        (TWO, BOTH, {"capacity": [np.inf, 1.0]}, "capacity: entry 0 must be finite"),
        (TWO, BOTH, {"capacity": [1.0, 2.0, 3.0]}, r"capacity must be a single value or one per link"),
        (TWO, BOTH, {"capacity": "fast"}, r"capacity must be numeric"),
        (TWO, BOTH, {"capacity": 1.0, "queue_size": 0}, r"queue_size of link 0 \(a→b\) must be >= 1"),
        (TWO, BOTH, {"capacity": 1.0, "queue_size": [4, -1]}, "queue_size of link 1"),
        (TWO, BOTH, {"capacity": 1.0, "queue_size": 2.5}, "queue_size must be whole numbers"),
        (TWO, BOTH, {"capacity": 1.0, "queue_size": np.nan}, "queue_size must be whole numbers"),
        (TWO, BOTH, {"capacity": 1.0, "queue_size": [1, 2, 3]}, "queue_size must be a single value"),
        (TWO, BOTH, {"capacity": 1.0, "propagation_delay": -1e-3}, "propagation_delay of link 0"),
        (TWO, BOTH, {"capacity": 1.0, "positions": [[0, 0]]}, r"positions must have shape \(2, 2\)"),
    ],
)
def test_validation_errors(names: list[str], edges: list, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        Topology.from_edges(names, edges, **kwargs)


def test_validation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Topology.from_edges(TWO, BOTH, capacity=-1.0)
