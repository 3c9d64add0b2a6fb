"""Replay of allocations: hand-computed losses, rerouting, availability, utilisation."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.te import make_objective, replay

from .oracles import losses, random_instance, triangle


def test_no_reroute_losses_throughput_and_utilisation_by_hand() -> None:
    inst = triangle(demand=(10.0, 10.0), cap=10.0)  # tunnels: ab, ac-cb | ac, ab-bc
    x = np.array([0.6, 0.4, 0.5, 0.3])
    r = replay(inst, x)
    # scenario 1: a↔b down → flow a→b keeps 0.4, flow a→c keeps 0.5
    assert r.flow_loss[:, 1] == pytest.approx([0.6, 0.5])
    assert r.flow_loss[:, 0] == pytest.approx([0.0, 0.2])
    assert r.scenario_loss == pytest.approx(losses(inst, x).mean(axis=0))
    assert r.delivered[1] == pytest.approx(4.0 + 5.0)
    assert r.bandwidth_loss[1] == pytest.approx(1 - 9 / 20)
    # healthy utilisation: a→b carries 6 + 3 (flow a→c's a-b-c tunnel), a→c carries 4 + 5
    ab, ac = inst.topology.link_id(0, 1), inst.topology.link_id(0, 2)
    assert r.link_utilisation[ab, 0] == pytest.approx(0.9)
    assert r.link_utilisation[ac, 0] == pytest.approx(0.9)
    assert r.feasible and r.reserved_utilisation.max() == pytest.approx(0.9)
    assert r.expected_throughput == pytest.approx(inst.scenarios.prob @ r.delivered)


def test_over_provisioned_flow_sends_only_its_demand() -> None:
    inst = triangle(demand=(10.0, 2.0), cap=10.0)
    x = np.array([0.7, 0.7, 0.0, 0.0])  # flow a→b reserves 140 % of its demand
    r = replay(inst, x)
    assert r.flow_loss[0, 0] == 0.0 and r.delivered[0] == pytest.approx(10.0)
    ab = inst.topology.link_id(0, 1)
    assert r.link_utilisation[ab, 0] == pytest.approx(0.5)  # 10 split 50/50 over the two tunnels
    assert r.reserved_utilisation[ab] == pytest.approx(0.7)


def test_proportional_rerouting_with_congestion_by_hand() -> None:
    inst = triangle(demand=(10.0, 10.0), cap=10.0)
    x = np.array([1.0, 0.0, 0.5, 0.0])
    r = replay(inst, x, reroute="proportional")
    # healthy: flow a→c sends all 10 on a→c (its only allocated tunnel) → no loss
    assert r.flow_loss[:, 0] == pytest.approx([0.0, 0.0])
    # a↔b down: flow a→b has no allocated survivor → equal split over survivors (a-c-b);
    # link a→c then carries 10 + 10 = 20 > 10 → both deliver half
    assert r.flow_loss[:, 1] == pytest.approx([0.5, 0.5])
    ac = inst.topology.link_id(0, 2)
    assert r.link_utilisation[ac, 1] == pytest.approx(2.0)
    # a↔c down: flow a→c's tunnel a-b-c survives (allocation 0 → fallback); a→b carries 10 + 10
    assert r.flow_loss[:, 2] == pytest.approx([0.5, 0.5])


def test_availability_definitions() -> None:
    inst = triangle(demand=(10.0, 10.0), cap=10.0, probs=(0.9, 0.05, 0.03, 0.02))
    x = np.array([1.0, 0.0, 1.0, 0.0])  # direct tunnels only
    r = replay(inst, x)
    # losses: healthy 0; a↔b → a→b lost; a↔c → a→c lost; b↔c → none
    assert r.bandwidth_loss == pytest.approx([0.0, 0.5, 0.5, 0.0])
    a0 = r.availability(0.0)
    assert a0["scenario"] == pytest.approx(0.92)
    assert a0["flow"] == pytest.approx(0.92 + 0.08 * 0.5)
    assert a0["bandwidth"] == pytest.approx(0.92 + 0.08 * 0.5)
    assert r.availability(0.5)["scenario"] == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError, match=r"loss target must lie in \[0, 1\)"):
        r.availability(1.5)
    s = r.summary(beta=0.9)
    assert s["loss"]["worst"] == pytest.approx(0.5) and s["loss"]["nominal"] == 0.0
    assert s["loss"]["cvar"] == pytest.approx(r.cvar(0.9))
    assert r.var(0.9) == 0.0 and r.var(0.95) == pytest.approx(0.5)


def test_replay_objective_matches_objective_evaluate() -> None:
    inst = random_instance(8, n_scen=7, k=3)
    x = np.random.default_rng(2).random(inst.n_tunnels)
    r = replay(inst, x)
    for name, kw in [("teavar", {"beta": 0.9}), ("ffc", {}), ("expected", {}), ("quantile", {"beta": 0.8})]:
        assert r.objective(name, **kw) == pytest.approx(make_objective(name, **kw).evaluate(inst, x))


def test_replay_on_another_scenario_set_and_chunks() -> None:
    inst = random_instance(9, n_scen=9, k=2)
    other = random_instance(9, n_scen=4, k=2).scenarios
    x = np.random.default_rng(1).random(inst.n_tunnels)
    r = replay(inst, x, other)
    assert r.flow_loss.shape == (inst.n_flows, 4)
    whole = replay(inst, x, reroute="proportional")
    chunked = replay(inst, x, reroute="proportional", chunk_cells=inst.n_tunnels)  # one scenario per chunk
    assert np.allclose(whole.flow_loss, chunked.flow_loss) and np.allclose(
        whole.link_utilisation, chunked.link_utilisation
    )


def test_replay_flags_infeasible_allocations_and_bad_options() -> None:
    inst = triangle(demand=(10.0, 10.0), cap=10.0)
    r = replay(inst, np.array([1.0, 1.0, 1.0, 1.0]))
    assert not r.feasible and r.reserved_utilisation.max() == pytest.approx(2.0)
    with pytest.raises(InvalidParameterError, match="reroute must be one of"):
        replay(inst, np.zeros(4), reroute="ecmp")
    with pytest.raises(InvalidParameterError, match="one split ratio per tunnel"):
        replay(inst, np.zeros(3))
