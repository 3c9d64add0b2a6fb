"""QoS routing optimisation with a deterministic fake model (and the real models when present)."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network.generators import routenet_scenario
from kplane.network.topologies import load_topology
from kplane.whatif import (
    Constraint,
    Objective,
    Policy,
    RoutingOptimizer,
    balanced_utilisation_choice,
    compare_routings,
    routing_candidates,
    summarise,
)


@pytest.fixture(scope="module")
def setup():
    topo = load_topology("nsfnet")
    scenario = routenet_scenario(topo, 14, seed=2)
    cands = routing_candidates(topo, 20, seed=0)
    return scenario, cands


def test_optimizer_scores_all_in_one_batch_and_follows_policy(setup, fake_model):
    scenario, cands = setup
    choice = RoutingOptimizer(model=fake_model).optimize(scenario, cands)
    assert fake_model.calls == [choice.n_unique]
    assert choice.n_candidates == 20
    # Recompute by hand: the paper policy over the fake model's KPIs of each candidate.
    policy = Policy.routenet_qos()
    values = policy.evaluate([fake_model.one(scenario.replace(routing=r)) for r in cands])
    assert choice.selection.index == policy.select(values).index == choice.index
    assert np.allclose(choice.selection.values, values, equal_nan=True)
    assert choice.routing is cands[choice.index]
    assert summarise(choice.predicted)["mean_delay"] == pytest.approx(values[choice.index, 2])
    assert choice.selection.explanation


def test_batch_size_splits_calls(setup, fake_model):
    scenario, cands = setup
    progress = []
    choice = RoutingOptimizer(model=fake_model, batch_size=7).optimize(
        scenario, cands, progress=lambda d, t: progress.append((d, t))
    )
    assert fake_model.calls == [7, 7, choice.n_unique - 14]
    assert progress[-1] == (choice.n_unique, choice.n_unique)


def test_custom_policy_changes_the_choice(setup, fake_model):
    scenario, cands = setup
    worst = Policy(objective=Objective("mean_delay", "max"))
    a = RoutingOptimizer(model=fake_model, policy=worst).optimize(scenario, cands)
    values = worst.evaluate([fake_model.one(scenario.replace(routing=r)) for r in cands])
    assert a.index == int(np.argmin(values[:, 0]))
    impossible = Policy(constraints=(Constraint("loss_ratio", bound=-1.0, on_infeasible="minimise"),))
    b = RoutingOptimizer(model=fake_model, policy=impossible).optimize(scenario, cands)
    assert b.selection.rule == "minimised" and "no candidate meets" in b.selection.explanation


def test_default_candidates_are_generated(setup, fake_model):
    scenario, _ = setup
    choice = RoutingOptimizer(model=fake_model, n_candidates=5, seed=1).optimize(scenario)
    assert choice.n_candidates == 5


def test_balanced_baseline_is_least_variance(setup):
    scenario, cands = setup
    i, var = balanced_utilisation_choice(scenario, cands)
    variances = [np.var(scenario.replace(routing=r).utilisation()) for r in cands]
    assert i == int(np.argmin(variances)) and var == pytest.approx(min(variances))
    with pytest.raises(InvalidParameterError, match="candidate list is empty"):
        balanced_utilisation_choice(scenario, [])


def test_compare_routings_with_fake_models(setup, fake_model):
    scenario, cands = setup
    seen = []
    rep = compare_routings(
        scenario, cands, model=fake_model, measure=fake_model, progress=lambda d, t: seen.append((d, t))
    )
    assert set(rep.outcomes) == {"model", "balanced", "optimal", "sp_average"}
    # the same deterministic model as optimizer and reference: its choice is the optimal one
    assert rep.outcomes["optimal"].index == rep.outcomes["model"].index == rep.choice.index
    sims = [summarise(fake_model.one(scenario.replace(routing=r))) for r in cands]
    assert rep.outcomes["sp_average"].summary["mean_delay"] == pytest.approx(
        np.mean([s["mean_delay"] for s in sims])
    )
    assert rep.outcomes["balanced"].summary == pytest.approx(sims[rep.outcomes["balanced"].index])
    assert seen[-1][0] == seen[-1][1]
    d = rep.to_dict()
    assert d["chosen"]["index"] == rep.choice.index
    assert len(d["chosen"]["routing"]) == scenario.n_paths
    assert d["chosen"]["routing"][0]["nodes"][0] == d["chosen"]["routing"][0]["src"]
    assert set(d["baselines"]) == {"balanced", "optimal", "sp_average"}


def test_compare_routings_rejects_unknown_baseline(setup, fake_model):
    scenario, cands = setup
    with pytest.raises(InvalidParameterError, match="unknown baseline.*valid: sp_average, balanced, optimal"):
        compare_routings(scenario, cands, model=fake_model, measure=fake_model, baselines=["best"])


def test_only_model_outcome_without_baselines(setup, fake_model):
    scenario, cands = setup
    rep = compare_routings(scenario, cands, model=fake_model, measure=fake_model, baselines=())
    assert set(rep.outcomes) == {"model"}


def test_end_to_end_with_queueing_model_and_simulator(setup):
    MM1bModel = pytest.importorskip("kplane.queueing").MM1bModel
    Simulator = pytest.importorskip("kplane.sim").Simulator
    scenario, cands = setup
    cands = cands[:8]
    measure, reference = Simulator(duration=300.0, seed=0), Simulator(duration=300.0, seed=1)
    rep = compare_routings(scenario, cands, model=MM1bModel(), measure=measure, reference=reference)
    # every outcome is the measuring simulator's result for the chosen routing
    for name in ("model", "balanced", "optimal"):
        o = rep.outcomes[name]
        direct = Simulator(duration=300.0, seed=0).predict([scenario.replace(routing=cands[o.index])])[0]
        assert o.summary == pytest.approx(summarise(direct), nan_ok=True)
    # "optimal" is the paper policy applied to the reference simulator's results
    sims = reference.predict([scenario.replace(routing=r) for r in cands])
    assert rep.outcomes["optimal"].index == Policy.routenet_qos().select(sims).index
    # the simulator as the model under test goes through the same code path and agrees with "optimal"
    same = compare_routings(
        scenario, cands, model=reference, measure=measure, reference=reference, baselines=("optimal",)
    )
    assert same.outcomes["model"].index == same.outcomes["optimal"].index
