"""Routing: CSR construction, queries, immutability, validation and checks against a topology."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidScenarioError
from kplane.network import Routing, Topology


@pytest.fixture
def line() -> Topology:
    # a <-> b <-> c ; links: 0 a→b, 1 b→a, 2 b→c, 3 c→b
    return Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (1, 2), (2, 1)], capacity=1e4)


def test_from_link_paths_sorts_pairs_and_builds_csr() -> None:
    r = Routing.from_link_paths({(2, 0): [3, 1], (0, 1): [0], (0, 2): [0, 2]})
    np.testing.assert_array_equal(r.pairs, [[0, 1], [0, 2], [2, 0]])
    np.testing.assert_array_equal(r.offsets, [0, 1, 3, 5])
    np.testing.assert_array_equal(r.link_ids, [0, 0, 2, 3, 1])
    np.testing.assert_array_equal(r.hops, [1, 2, 2])
    np.testing.assert_array_equal(r.path(2), [3, 1])
    np.testing.assert_array_equal(r.path_index(), [0, 1, 1, 2, 2])
    assert r.n_paths == 3
    assert r.index_of(2, 0) == 2
    assert r.has_pair(0, 2) and not r.has_pair(1, 0)
    with pytest.raises(InvalidScenarioError, match="no path for pair 1→0"):
        r.index_of(1, 0)


def test_from_node_paths_and_node_path(line: Topology) -> None:
    r = Routing.from_node_paths(line, {(0, 2): [0, 1, 2], (2, 0): [2, 1, 0]})
    np.testing.assert_array_equal(r.path(r.index_of(0, 2)), [0, 2])
    assert r.node_path(line, r.index_of(2, 0)) == [2, 1, 0]
    r.check(line)


@pytest.mark.parametrize("field", ["pairs", "link_ids", "offsets"])
def test_arrays_are_read_only(field: str) -> None:
    r = Routing.from_link_paths({(0, 1): [0]})
    with pytest.raises(ValueError, match="read-only"):
        getattr(r, field)[0] = 1


def test_from_node_paths_errors(line: Topology) -> None:
    with pytest.raises(InvalidScenarioError, match="must start at 0 and end at 2"):
        Routing.from_node_paths(line, {(0, 2): [0, 1]})
    with pytest.raises(InvalidScenarioError, match="uses link 0→2, which is not in topology"):
        Routing.from_node_paths(line, {(0, 2): [0, 2]})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pairs": [[0, 1]], "link_ids": [0], "offsets": [0, 2]}, "offsets must have length"),
        ({"pairs": [[0, 1]], "link_ids": [0], "offsets": [1, 1]}, "start at 0"),
        ({"pairs": [[0, 1], [1, 0]], "link_ids": [0], "offsets": [0, 1, 1]}, r"path 1 \(1→0\) is empty"),
        ({"pairs": [[0, 0]], "link_ids": [0], "offsets": [0, 1]}, "path 0 goes from node 0 to itself"),
        ({"pairs": [[0, 1], [0, 1]], "link_ids": [0, 0], "offsets": [0, 1, 2]}, "pair 0→1 has more than one"),
        ({"pairs": [[0, 1]], "link_ids": [-1], "offsets": [0, 1]}, "must be >= 0"),
        ({"pairs": [[-1, 1]], "link_ids": [0], "offsets": [0, 1]}, "must be >= 0"),
    ],
)
def test_construction_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        Routing(**kwargs)


@pytest.mark.parametrize(
    ("paths", "match"),
    [
        (
            {(0, 2): [0, 7]},
            r"path 0 \(0→2\) uses link 7, which does not exist \(topology 'topology' has links 0..3\)",
        ),
        ({(0, 5): [0]}, r"path 0 \(0→5\) refers to a node outside 0..2"),
        ({(0, 2): [2]}, r"path 0 \(0→2\) does not start at its source"),
        ({(0, 2): [0]}, r"path 0 \(0→2\) does not end at its destination"),
        ({(0, 2): [0, 1, 2]}, r"path 0 \(0→2\) is not connected: link 1 ends at node 0 but link 2 starts"),
        ({(0, 1): [0, 3, 1, 0]}, r"is not connected: link 0 ends at node 1 but link 3 starts at node 2"),
    ],
)
def test_check_against_topology(line: Topology, paths: dict, match: str) -> None:
    r = Routing.from_link_paths(paths)
    with pytest.raises(InvalidScenarioError, match=match):
        r.check(line)


def test_empty_routing_is_allowed(line: Topology) -> None:
    r = Routing.from_link_paths({})
    assert r.n_paths == 0
    r.check(line)
