"""Synthetic generators: connectivity guarantee over many seeds, seeding, parameters, errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Topology
from kplane.network.topologies import ROUTENET_CAPACITIES, barabasi_albert, random_geometric, waxman

GENERATORS: dict[str, Callable[[int], Topology]] = {
    "waxman": lambda s: waxman(20, alpha=0.15, beta=0.3, seed=s),  # sparse: often disconnected draws
    "geometric": lambda s: random_geometric(25, radius=0.15, seed=s),  # below the connectivity radius
    "barabasi-albert": lambda s: barabasi_albert(30, 1, seed=s),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_always_strongly_connected(name: str) -> None:
    repaired = 0
    for seed in range(60):
        t = GENERATORS[name](seed)
        assert t.is_strongly_connected(), (name, seed)
        np.testing.assert_array_equal(t.links[0::2], t.links[1::2][:, ::-1])  # both directions
        repaired += t.metadata["repaired_edges"]
    if name != "barabasi-albert":
        assert repaired > 0  # these parameters exercise the repair rule too


@pytest.mark.parametrize("name", GENERATORS)
def test_seeding_is_reproducible(name: str) -> None:
    a, b, c = GENERATORS[name](11), GENERATORS[name](11), GENERATORS[name](12)
    np.testing.assert_array_equal(a.links, b.links)
    np.testing.assert_array_equal(a.capacity, b.capacity)
    assert not (np.array_equal(a.links, c.links) and np.array_equal(a.capacity, c.capacity))


def test_repair_adds_nearest_edges_only_when_needed() -> None:
    # radius far below connectivity: every draw disconnected; repaired graph is a spanning structure
    t = random_geometric(12, radius=1e-3, seed=0, max_tries=2)
    assert t.metadata["tries"] == 2
    assert t.metadata["repaired_edges"] == 11  # 12 isolated nodes need 11 joining edges
    assert t.n_links == 22 and t.is_strongly_connected()
    dense = random_geometric(12, radius=2.0, seed=0)  # complete graph
    assert dense.metadata["repaired_edges"] == 0 and dense.n_links == 12 * 11


def test_waxman_parameters_change_density() -> None:
    sparse = np.mean([waxman(30, alpha=0.1, beta=0.2, seed=s).n_links for s in range(5)])
    dense = np.mean([waxman(30, alpha=0.8, beta=0.9, seed=s).n_links for s in range(5)])
    assert dense > 2 * sparse


def test_barabasi_albert_sizes_and_metadata() -> None:
    t = barabasi_albert(40, 2, seed=4)
    assert t.n_nodes == 40
    assert t.n_links == 2 * (2 * (40 - 2))  # networkx: star of m+1 nodes, then m edges per new node
    assert t.positions is None
    assert t.metadata["generator"] == "barabasi-albert" and t.metadata["params"] == {"m": 2}
    assert t.name == "barabasi-albert-40"


def test_positions_and_capacities() -> None:
    t = waxman(15, seed=3)
    assert t.positions is not None and t.positions.shape == (15, 2)
    assert ((t.positions >= 0) & (t.positions <= 1)).all()
    assert set(np.unique(t.capacity)) <= set(ROUTENET_CAPACITIES)
    np.testing.assert_array_equal(t.capacity[0::2], t.capacity[1::2])
    u = waxman(15, seed=3, capacities="1Mbps", queue_size=5)
    np.testing.assert_array_equal(u.capacity, np.full(u.n_links, 1e6))
    np.testing.assert_array_equal(u.queue_size, np.full(u.n_links, 5))
    np.testing.assert_array_equal(u.links, t.links)  # the graph draw does not depend on capacities


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: waxman(1, seed=0), r"n \(number of nodes\) must be an integer >= 2, got 1"),
        (lambda: waxman(10, alpha=0.0, seed=0), r"alpha must be in \(0, 1\], got 0.0"),
        (lambda: waxman(10, beta=1.5, seed=0), r"beta must be in \(0, 1\]"),
        (lambda: random_geometric(10, radius=-1, seed=0), "radius must be > 0, got -1"),
        (lambda: barabasi_albert(5, 5, seed=0), r"m must be an integer with 1 <= m < n = 5, got 5"),
        (lambda: barabasi_albert(5.5, 1, seed=0), "n .* must be an integer"),
        (lambda: waxman(10, seed=0, max_tries=0), "max_tries must be an integer >= 1"),
        (lambda: waxman(10, seed=-1), "seed must be a non-negative integer"),
    ],
)
def test_parameter_errors(call: Callable[[], Topology], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        call()
