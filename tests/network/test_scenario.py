"""Scenario: validation across topology, routing and traffic; derived loads."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidScenarioError
from kplane.network import Routing, Scenario, Topology, Traffic


@pytest.fixture
def line() -> Topology:
    # a <-> b <-> c ; links: 0 a→b, 1 b→a, 2 b→c, 3 c→b
    return Topology.from_edges(
        ["a", "b", "c"], [(0, 1), (1, 0), (1, 2), (2, 1)], capacity=[1e3, 1e3, 2e3, 2e3]
    )


@pytest.fixture
def routing() -> Routing:
    return Routing.from_link_paths({(0, 1): [0], (0, 2): [0, 2], (2, 0): [3, 1]})


def _traffic(rates: dict[tuple[int, int], float], n: int = 3) -> Traffic:
    return Traffic.from_pairs(n, [(s, d, r) for (s, d), r in rates.items()])


def test_loads_and_utilisation(line: Topology, routing: Routing) -> None:
    sc = Scenario(line, routing, _traffic({(0, 1): 100.0, (0, 2): 200.0, (2, 0): 400.0}), name="s")
    np.testing.assert_allclose(sc.path_rate(), [100.0, 200.0, 400.0])
    np.testing.assert_allclose(sc.link_load(), [300.0, 400.0, 200.0, 400.0])
    np.testing.assert_allclose(sc.utilisation(), [0.3, 0.4, 0.1, 0.2])
    assert sc.n_paths == 3
    assert "n_paths=3" in repr(sc)


def test_path_propagation_delay_sums_the_links(line: Topology, routing: Routing) -> None:
    topo = line.replace(propagation_delay=np.array([0.001, 0.002, 0.01, 0.02]))
    sc = Scenario(topo, routing, _traffic({(0, 1): 1.0}))
    np.testing.assert_allclose(sc.path_propagation_delay(), [0.001, 0.011, 0.022])
    assert Scenario(line, routing, _traffic({(0, 1): 1.0})).path_propagation_delay().tolist() == [0, 0, 0]


def test_paths_without_traffic_are_allowed(line: Topology, routing: Routing) -> None:
    sc = Scenario(line, routing, _traffic({(0, 1): 100.0}))
    assert sc.path_rate()[2] == 0.0


def test_replace_and_metadata_are_immutable(line: Topology, routing: Routing) -> None:
    sc = Scenario(line, routing, _traffic({(0, 1): 1.0}), metadata={"seed": 1})
    with pytest.raises(TypeError):
        sc.metadata["seed"] = 2  # type: ignore[index]
    sc2 = sc.replace(name="other", metadata={"seed": 2})
    assert sc2.name == "other" and sc2.metadata["seed"] == 2 and sc.metadata["seed"] == 1
    with pytest.raises(TypeError, match="unknown Scenario field"):
        sc.replace(colour=1)
    with pytest.raises(InvalidScenarioError, match="but no path in the routing"):
        sc.replace(traffic=_traffic({(1, 0): 1.0}))


def test_traffic_shape_mismatch(line: Topology, routing: Routing) -> None:
    with pytest.raises(
        InvalidScenarioError, match="traffic matrix is 2×2 but topology 'topology' has 3 nodes"
    ):
        Scenario(line, routing, _traffic({(0, 1): 1.0}, n=2))


def test_pair_with_traffic_but_no_path(line: Topology, routing: Routing) -> None:
    with pytest.raises(InvalidScenarioError, match=r"pair b→a \(1→0\) has traffic 5 bit/s but no path"):
        Scenario(line, routing, _traffic({(1, 0): 5.0}))


def test_routing_through_missing_link(line: Topology) -> None:
    r = Routing.from_link_paths({(0, 2): [0, 9]})
    with pytest.raises(InvalidScenarioError, match="uses link 9, which does not exist"):
        Scenario(line, r, _traffic({(0, 2): 1.0}))


def test_broken_chain(line: Topology) -> None:
    r = Routing.from_link_paths({(0, 2): [0, 3]})
    with pytest.raises(InvalidScenarioError, match="does not end at its destination"):
        Scenario(line, r, _traffic({(0, 2): 1.0}))
    r = Routing.from_link_paths({(0, 1): [0, 3, 3]})
    with pytest.raises(InvalidScenarioError, match="is not connected"):
        Scenario(line, r, _traffic({(0, 1): 1.0}))


def test_wrong_types() -> None:
    with pytest.raises(InvalidScenarioError, match="needs a Topology and a Routing"):
        Scenario("topo", None, None)  # type: ignore[arg-type]


def test_scenario_and_kpis_pickle_round_trip() -> None:
    import pickle

    from kplane.network import PathKPIs
    from kplane.network.generators import routenet_scenario
    from kplane.network.topologies import load_topology

    scenario = routenet_scenario(load_topology("nsfnet"), 12, seed=3)
    back = pickle.loads(pickle.dumps(scenario))
    assert dict(back.metadata) == dict(scenario.metadata)
    np.testing.assert_array_equal(back.utilisation(), scenario.utilisation())
    assert not back.topology.capacity.flags.writeable
    with pytest.raises(TypeError):
        back.metadata["x"] = 1  # type: ignore[index]
    kpis = PathKPIs(pairs=[[0, 1]], mean_delay=[0.1], jitter=[0.01], loss_ratio=[0.0], metadata={"m": 1})
    kb = pickle.loads(pickle.dumps(kpis))
    assert kb.metadata["m"] == 1 and float(kb.mean_delay[0]) == 0.1
