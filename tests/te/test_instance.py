"""TunnelSet, ScenarioSet and TEInstance: construction and validation."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network import Topology
from kplane.te import ScenarioSet, TEInstance, TunnelSet

from .oracles import triangle


def _topo() -> Topology:
    return Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)], 10.0)


def test_tunnelset_layout_and_queries() -> None:
    ts = TunnelSet.from_paths({(0, 1): [[0], [2, 5]], (0, 2): [[2]]}, pairs=[(0, 2), (0, 1), (1, 2)])
    assert ts.pairs.tolist() == [[0, 2], [0, 1], [1, 2]]
    assert ts.flow.tolist() == [0, 1, 1] and ts.n_tunnels_per_flow.tolist() == [1, 2, 0]
    assert ts.tunnel(2).tolist() == [2, 5] and list(ts.tunnels_of(1)) == [1, 2]
    assert ts.rank.tolist() == [0, 0, 1] and ts.hops.tolist() == [1, 1, 2]
    inc = ts.incidence(6).toarray()
    assert inc[:, 2].tolist() == [0, 0, 1, 0, 0, 1]
    ts.check(_topo())
    t1 = ts.truncate(1)
    assert t1.n_tunnels == 2 and t1.tunnel(1).tolist() == [0]
    assert ts.to_lists() == [(0, [2]), (1, [0]), (1, [2, 5])]


@pytest.mark.parametrize(
    ("paths", "match"),
    [
        ({(0, 1): [[2]]}, "does not join"),
        ({(0, 1): [[0, 5]]}, "not a contiguous path"),
        ({(0, 2): [[0, 1, 2]]}, "visits a node twice"),
        ({(0, 1): [[2, 4]]}, "does not join"),
        ({(0, 1): [[9]]}, "uses link 9, the topology has 6 links"),
    ],
)
def test_tunnel_check_names_the_problem(paths, match) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        TunnelSet.from_paths(paths).check(_topo())


def test_tunnelset_structure_errors() -> None:
    with pytest.raises(InvalidScenarioError, match="grouped by flow"):
        TunnelSet(np.array([[0, 1], [0, 2]]), np.array([1, 0]), np.array([0, 2]), np.array([0, 1, 2]))
    with pytest.raises(InvalidScenarioError, match="duplicate pair"):
        TunnelSet(np.array([[0, 1], [0, 1]]), np.array([0, 1]), np.array([0, 0]), np.array([0, 1, 2]))
    with pytest.raises(InvalidScenarioError, match="to itself"):
        TunnelSet.from_paths({(1, 1): [[0]]})
    with pytest.raises(InvalidScenarioError, match="not a flow"):
        TunnelSet.from_paths({(0, 1): [[0]]}, pairs=[(0, 2)])


def test_scenarioset_validation() -> None:
    topo = _topo()
    ts = TunnelSet.from_paths({(0, 1): [[0], [2, 5]]})
    ok = ScenarioSet.from_failed_edges(topo, ts, [[], [0, 1]], [0.9, 0.1])
    assert ok.survival.tolist() == [[True, True], [False, True]]
    with pytest.raises(InvalidScenarioError, match="must sum to 1"):
        ScenarioSet.from_failed_edges(topo, ts, [[], [0]], [0.9, 0.2])
    with pytest.raises(InvalidScenarioError, match="must be the healthy scenario"):
        ScenarioSet.from_failed_edges(topo, ts, [[0], []], [0.5, 0.5])
    with pytest.raises(InvalidScenarioError, match="references link 7, but topology"):
        ScenarioSet.from_failed_edges(topo, ts, [[], [7]], [0.5, 0.5])
    with pytest.raises(InvalidScenarioError, match="must be finite and >= 0"):
        ScenarioSet.from_failed_edges(topo, ts, [[], [0]], [1.5, -0.5])
    healthy_added = ScenarioSet.from_failed_edges(topo, ts, [[0]], [0.25], add_healthy=True)
    assert healthy_added.prob.tolist() == [0.75, 0.25] and healthy_added.failed_edges[0] == ()
    moved = ScenarioSet.from_failed_edges(topo, ts, [[0], []], [0.25, 0.75], add_healthy=True)
    assert moved.failed_edges == ((), (0,))


def test_instance_validation_messages() -> None:
    inst = triangle()
    with pytest.raises(
        InvalidScenarioError, match=r"demand of flow 1 \(a→c\) must be finite and >= 0 bit/s, got -1"
    ):
        inst.replace(demand=np.array([1.0, -1.0]))
    with pytest.raises(InvalidScenarioError, match="pair a→c has demand 5 bit/s but no tunnel"):
        TEInstance(
            inst.topology, TunnelSet.from_paths({(0, 1): [[0]]}, pairs=[(0, 1), (0, 2)]), np.array([1.0, 5.0])
        )
    with pytest.raises(InvalidScenarioError, match="pair a→b has demand 3 bit/s but no tunnel"):
        TEInstance.from_demand_matrix(
            inst.topology, [[0, 3, 0], [0, 0, 0], [0, 0, 0]], TunnelSet.from_paths({(0, 2): [[2]]})
        )
    with pytest.raises(InvalidScenarioError, match="scenario set is for 1 tunnels"):
        inst.with_scenarios(ScenarioSet.healthy(1))
    with pytest.raises(InvalidParameterError, match="scale factor must be finite and >= 0"):
        inst.scaled(-2)
    with pytest.raises(InvalidParameterError, match="unknown TEInstance field"):
        inst.replace(colour="red")


def test_instance_queries() -> None:
    inst = triangle(demand=(10.0, 0.0))
    assert inst.active.tolist() == [True, False]
    assert inst.total_demand == 10.0 and inst.tunnel_demand.tolist() == [10, 10, 0, 0]
    assert inst.demand_matrix()[0, 1] == 10.0
    assert inst.link_load([1.0, 0.5, 0, 0]).tolist() == [10, 0, 5, 0, 0, 5]
    assert inst.scaled(2).total_demand == 20 and inst.scaled(2).metadata["demand_scale"] == 2
    d = inst.describe()
    assert d["n_tunnels"] == 4 and d["n_scenarios"] == 4 and d["n_active_flows"] == 1
    assert "n_tunnels=4" in repr(inst)
