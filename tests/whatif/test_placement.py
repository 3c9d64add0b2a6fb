"""Link placement and the most-utilised-link upgrade baseline."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Scenario, Topology, Traffic
from kplane.network.generators import routenet_scenario, shortest_path_routing
from kplane.whatif import (
    LinkPlacementOptimizer,
    Policy,
    compare_placements,
    link_candidates,
    most_utilised_link_upgrade,
    routing_candidates,
    summarise,
)


def ring(n: int = 6, capacity=10e3) -> Topology:
    edges = []
    for i in range(n):
        edges += [(i, (i + 1) % n), ((i + 1) % n, i)]
    return Topology.from_edges([f"n{i}" for i in range(n)], edges, capacity=capacity)


@pytest.fixture(scope="module")
def ring_scenario() -> Scenario:
    return routenet_scenario(ring(), 8, seed=1)


def test_placement_evaluates_every_link_and_routing(ring_scenario, fake_model):
    opt = LinkPlacementOptimizer(model=fake_model, capacity="10kbps", n_routings=4, seed=0)
    choice = opt.optimize(ring_scenario)
    links = link_candidates(ring_scenario.topology, 10e3)
    assert len(choice.links) == len(links) == 6 * 5 // 2 - 6
    assert len(fake_model.calls) == len(links) + 1  # one batch per new link, then the winner
    assert choice.selection.n_candidates == len(links) * 4
    # brute force with the same deterministic model
    best = (np.inf, None)
    for k, cand in enumerate(links):
        for j, r in enumerate(routing_candidates(cand.topology, 4, seed=0)):
            sc = ring_scenario.replace(topology=cand.topology, routing=r)
            d = summarise(fake_model.one(sc))["mean_delay"]
            if d < best[0]:
                best = (d, (k, j))
    k, j = best[1]
    assert (choice.link.u, choice.link.v) == (links[k].u, links[k].v)
    assert choice.routing_index == j
    assert summarise(choice.predicted)["mean_delay"] == pytest.approx(best[0])
    assert np.nanmin(choice.per_link_best) == pytest.approx(best[0])
    assert choice.scenario.topology.n_links == ring_scenario.topology.n_links + 2
    assert "new link" in choice.selection.explanation


def test_placement_on_a_full_mesh_is_an_error(fake_model):
    t = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)], capacity=1e4)
    sc = routenet_scenario(t, 5, seed=0)
    with pytest.raises(InvalidParameterError, match="full mesh"):
        LinkPlacementOptimizer(model=fake_model, n_routings=2).optimize(sc)


def test_upgrade_most_utilised_link_both_directions():
    topo = ring(4, capacity=[10e3, 10e3, 40e3, 40e3, 10e3, 10e3, 100e3, 100e3])
    rate = np.zeros((4, 4))
    rate[0, 1] = 7e3  # link 0 (0→1) at 70%
    rate[1, 2] = 20e3  # link 2 (1→2) at 50%
    sc = Scenario(topo, shortest_path_routing(topo, pairs=[(0, 1), (1, 2)]), Traffic(rate=rate))
    up = most_utilised_link_upgrade(sc)
    assert up.link_ids == (0, 1)
    assert (up.old_capacity, up.new_capacity) == (10e3, 40e3)
    assert up.scenario.topology.capacity[:2].tolist() == [40e3, 40e3]
    assert up.scenario.routing is sc.routing
    assert up.utilisation == pytest.approx(0.7)
    assert "highest fluid utilisation" in up.explanation and up.label() == "n0–n1"
    # a link already at the top step is skipped in favour of the next one
    top = topo.replace(capacity=np.where(np.arange(8) < 2, 100e3, topo.capacity))
    rate2 = rate.copy()
    rate2[0, 1] = 90e3  # 90% of 100 kbit/s: most utilised but at the top
    up2 = most_utilised_link_upgrade(Scenario(top, sc.routing, Traffic(rate=rate2)))
    assert up2.link_ids == (2, 3) and up2.new_capacity == 100e3
    assert "already at the top" in up2.explanation


def test_upgrade_errors():
    topo = ring(3, capacity=100e3)
    sc = routenet_scenario(topo, 5, seed=0)
    with pytest.raises(InvalidParameterError, match="already at the top capacity step"):
        most_utilised_link_upgrade(sc)
    with pytest.raises(InvalidParameterError, match="at least one capacity"):
        most_utilised_link_upgrade(sc, steps=[])


def test_compare_placements_with_fake_model(ring_scenario, fake_model):
    rep = compare_placements(
        ring_scenario, model=fake_model, measure=fake_model, n_routings=3, policy=Policy.min_delay()
    )
    assert set(rep.simulated) == {"original", "placement", "baseline"}
    assert rep.original == pytest.approx(summarise(fake_model.one(ring_scenario)))
    assert rep.reduction("placement") == pytest.approx(
        1 - rep.placement["mean_delay"] / rep.original["mean_delay"]
    )
    assert rep.relative_to_baseline() == pytest.approx(
        1 - rep.placement["mean_delay"] / rep.baseline["mean_delay"]
    )
    d = rep.to_dict(paths=True)
    assert d["placement"]["link"]["capacity"] == 10e3
    assert d["baseline"]["new_capacity"] == 40e3
    assert len(d["placement"]["routing"]) == ring_scenario.n_paths


def test_end_to_end_placement_with_queueing_model_and_simulator():
    MM1bModel = pytest.importorskip("kplane.queueing").MM1bModel
    Simulator = pytest.importorskip("kplane.sim").Simulator
    sc = routenet_scenario("nsfnet", 16, seed=4)
    rep = compare_placements(sc, model=MM1bModel(), measure=Simulator(duration=300.0, seed=0), n_routings=2)
    assert not sc.topology.has_link(rep.choice.link.u, rep.choice.link.v)
    assert rep.choice.n_evaluated <= 70 * 2 and len(rep.choice.links) == 70
    direct = Simulator(duration=300.0, seed=0).predict([sc, rep.upgrade.scenario])
    assert rep.original == pytest.approx(summarise(direct[0]), nan_ok=True)
    assert rep.baseline == pytest.approx(summarise(direct[1]), nan_ok=True)
    assert rep.upgrade.new_capacity > rep.upgrade.old_capacity
