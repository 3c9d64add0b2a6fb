"""routenet_scenario: one-call RouteNet-style scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network.generators import perturbed_routings, routenet_scenario, shortest_path_routing
from kplane.network.topologies import ROUTENET_CAPACITIES, load_topology


def test_defaults_nsfnet() -> None:
    sc = routenet_scenario("nsfnet", 12, seed=1)
    assert sc.name == "nsfnet-ti12-s1"
    assert sc.n_paths == 14 * 13
    assert dict(sc.metadata) == {"generator": "routenet", "intensity": 12.0, "seed": 1, "topology": "nsfnet"}
    np.testing.assert_array_equal(sc.topology.capacity, load_topology("nsfnet").capacity)
    np.testing.assert_array_equal(sc.routing.link_ids, shortest_path_routing(sc.topology).link_ids)
    off = ~np.eye(14, dtype=bool)
    assert (sc.traffic.rate[off] >= 0.1 * 12 / 13 * 1e3).all()
    assert (sc.traffic.rate[off] <= 12 / 13 * 1e3).all()
    assert sc.traffic.packet_sizes[0].mean == 1000.0


def test_seeded_and_reproducible() -> None:
    a, b, c = (routenet_scenario("geant", 10, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.traffic.rate, b.traffic.rate)
    assert not np.array_equal(a.traffic.rate, c.traffic.rate)


def test_capacities_and_routing_arguments() -> None:
    topo = load_topology("nsfnet")
    r = perturbed_routings(topo, 2, seed=0)[1]
    sc = routenet_scenario(topo, 14, seed=2, routing=r, capacities="routenet")
    assert sc.routing is r
    assert set(np.unique(sc.topology.capacity)) <= set(ROUTENET_CAPACITIES)
    assert not np.array_equal(sc.topology.capacity, topo.capacity)  # a fresh draw from the scenario seed
    again = routenet_scenario(topo, 14, seed=2, capacities="routenet")
    np.testing.assert_array_equal(again.topology.capacity, sc.topology.capacity)
    fixed = routenet_scenario(topo, 14, seed=2, capacities="100kbps", name="x")
    assert fixed.name == "x" and (fixed.topology.capacity == 1e5).all()


def test_higher_intensity_higher_load() -> None:
    lo = routenet_scenario("nsfnet", 8, seed=0)
    hi = routenet_scenario("nsfnet", 16, seed=0)
    np.testing.assert_allclose(hi.utilisation(), 2 * lo.utilisation())  # same draws, scaled by TI


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("nsfnet", -1.0), {"seed": 0}, "must be finite and >= 0 kbit/s"),
        (("nsfnet", 10.0), {"seed": -1}, "seed must be a non-negative integer"),
        (("nowhere", 10.0), {"seed": 0}, "unknown topology 'nowhere'; valid:"),
        ((42, 10.0), {"seed": 0}, "topology must be a Topology or a bundled name"),
    ],
)
def test_errors(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        routenet_scenario(*args, **kwargs)
