"""Capacity and queue-size assignment: seeding, symmetry, choices, probabilities and errors."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Topology
from kplane.network.topologies import (
    ROUTENET_CAPACITIES,
    apply_capacities,
    assign_capacities,
    assign_queue_sizes,
    undirected_edge_ids,
    uniform_capacity,
)


@pytest.fixture
def mixed() -> Topology:
    # edges a-b (both ways), b-c (both ways, reverse listed later), and a one-way c→a
    return Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2), (1, 0), (2, 0), (2, 1)], capacity=1.0)


def test_undirected_edge_ids(mixed: Topology) -> None:
    edge, n = undirected_edge_ids(mixed)
    assert n == 3
    np.testing.assert_array_equal(edge, [0, 1, 0, 2, 1])


def test_assign_capacities_symmetric(mixed: Topology) -> None:
    t = assign_capacities(mixed, seed=1)
    assert t.capacity[0] == t.capacity[2] and t.capacity[1] == t.capacity[4]
    assert set(t.capacity) <= set(ROUTENET_CAPACITIES)
    assert mixed.capacity[0] == 1.0  # input untouched


def test_assign_capacities_is_seeded() -> None:
    t = Topology.from_edges([str(i) for i in range(30)], [(i, (i + 1) % 30) for i in range(30)], capacity=1.0)
    a = assign_capacities(t, seed=7, symmetric=False)
    b = assign_capacities(t, seed=7, symmetric=False)
    c = assign_capacities(t, seed=8, symmetric=False)
    np.testing.assert_array_equal(a.capacity, b.capacity)
    assert not np.array_equal(a.capacity, c.capacity)
    expected = np.random.default_rng(7).choice(np.array(ROUTENET_CAPACITIES), size=30)
    np.testing.assert_array_equal(a.capacity, expected)  # documented rule: one draw per link in id order


def test_assign_capacities_probabilities() -> None:
    t = Topology.from_edges(
        [str(i) for i in range(400)], [(i, (i + 1) % 400) for i in range(400)], capacity=1.0
    )
    only = assign_capacities(t, choices=("10kbps", "40kbps"), probs=[0.0, 1.0], seed=0)
    np.testing.assert_array_equal(only.capacity, np.full(400, 40e3))
    mix = assign_capacities(t, choices=(1.0, 2.0), probs=[0.25, 0.75], seed=0, symmetric=False)
    assert 0.6 < np.mean(mix.capacity == 2.0) < 0.9


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"choices": []}, "choices must be a non-empty sequence of rates"),
        ({"choices": "10kbps"}, "choices must be a non-empty sequence"),
        ({"choices": [10e3, -1.0]}, "rate must be > 0 bit/s"),
        ({"choices": [10e3, 40e3], "probs": [0.5]}, "probs must be 2 non-negative numbers summing to 1"),
        ({"choices": [10e3, 40e3], "probs": [0.8, 0.8]}, "summing to 1"),
    ],
)
def test_assign_capacities_errors(mixed: Topology, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        assign_capacities(mixed, seed=0, **kwargs)


def test_uniform_capacity(mixed: Topology) -> None:
    np.testing.assert_array_equal(uniform_capacity(mixed, "2.5 Mbit/s").capacity, np.full(5, 2.5e6))
    with pytest.raises(InvalidParameterError, match="rate must be > 0"):
        uniform_capacity(mixed, 0)


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("routenet", set(ROUTENET_CAPACITIES)),
        ("40kbps", {40e3}),
        (1e6, {1e6}),
        ("10kbps, 100kbps", {10e3, 100e3}),
        ([5.0, "7"], {5.0, 7.0}),
    ],
)
def test_apply_capacities_specs(spec: object, values: set) -> None:
    t = Topology.from_edges([str(i) for i in range(40)], [(i, (i + 1) % 40) for i in range(40)], capacity=3.0)
    out = apply_capacities(t, spec, seed=0)  # type: ignore[arg-type]
    assert set(np.unique(out.capacity)) <= values
    assert apply_capacities(t, "keep") is t


def test_apply_capacities_rejects_garbage(mixed: Topology) -> None:
    with pytest.raises(InvalidParameterError, match="capacities 'fast' not understood; valid: 'routenet'"):
        apply_capacities(mixed, "fast")
    with pytest.raises(InvalidParameterError, match="capacities must be"):
        apply_capacities(mixed, {"a": 1})  # type: ignore[arg-type]


def test_assign_queue_sizes(mixed: Topology) -> None:
    np.testing.assert_array_equal(assign_queue_sizes(mixed, 10).queue_size, np.full(5, 10))
    a = assign_queue_sizes(mixed, [8, 16, 64], seed=3)
    b = assign_queue_sizes(mixed, [8, 16, 64], seed=3)
    np.testing.assert_array_equal(a.queue_size, b.queue_size)
    assert set(a.queue_size) <= {8, 16, 64}


@pytest.mark.parametrize("bad", [0, -4, 2.5, [], [8, 0], True, "32"])
def test_assign_queue_sizes_errors(mixed: Topology, bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="queue_size must be a whole number of packets >= 1"):
        assign_queue_sizes(mixed, bad, seed=0)  # type: ignore[arg-type]
