"""The estimator API, the allocation contract shared with the exact solvers, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.errors import InfeasibleError, InvalidParameterError, InvalidScenarioError, NotFittedError
from kplane.te import make_objective, solve
from kplane.te.neural import (
    NeuroRiskOptimizer,
    baseline_allocation,
    check_te_allocation,
    compile_instance,
    plan_chunk,
)

from .conftest import ring_instance


@pytest.fixture(scope="module")
def opt():
    inst = [ring_instance(5, k=2, seed=s, load=2.0) for s in range(2)]
    return NeuroRiskOptimizer(
        objective="teavar", beta=0.9, hidden=8, iterations=2, epochs=1, batch_size=2, validation_fraction=0.0
    ).fit(inst)


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        NeuroRiskOptimizer().optimize(ring_instance(4))


def test_init_only_stores_parameters() -> None:
    o = NeuroRiskOptimizer(objective="nonsense", epochs=-3)
    assert o.get_params()["objective"] == "nonsense" and o.epochs == -3
    with pytest.raises(InvalidParameterError, match="unknown objective"):
        o.fit([ring_instance(4)])


@pytest.mark.parametrize("objective", ["teavar", "expected", "ffc", "quantile", "nominal"])
def test_contract_shared_with_the_exact_solver(opt, objective: str) -> None:
    inst = ring_instance(6, k=3, seed=11, load=2.0)
    obj = make_objective(objective)
    sol = opt.solve(inst, objective, iterations=4)
    check_te_allocation(inst, sol.x, obj, objective_value=sol.objective_value, throughput=sol.throughput)
    exact = solve(inst, objective, time_limit=30)
    check_te_allocation(inst, exact.x, obj, objective_value=exact.objective_value, atol=1e-6)
    assert exact.objective_value <= sol.objective_value + 1e-6


def test_contract_catches_overload(ring) -> None:
    x = np.where(ring.active[ring.tunnels.flow], 50.0, 0.0)
    with pytest.raises(InfeasibleError, match="over its capacity"):
        check_te_allocation(ring, x)
    good = baseline_allocation(ring, "sp")
    with pytest.raises(InvalidParameterError, match="differs from the replay"):
        check_te_allocation(ring, good, make_objective("expected"), objective_value=0.123456)


@pytest.mark.parametrize("method", ["sp", "ecmp"])
def test_baselines_are_feasible(ring, method: str) -> None:
    x = baseline_allocation(ring.scaled(5.0), method)
    check_te_allocation(ring.scaled(5.0), x)


def test_nan_in_input_rejected(ring, opt) -> None:
    with pytest.raises(InvalidScenarioError, match="demand"):
        ring.replace(demand=np.where(np.arange(ring.n_flows) == 3, np.nan, ring.demand))
    broken = ring.replace()
    object.__setattr__(broken, "demand", np.where(np.arange(ring.n_flows) == 2, np.nan, ring.demand))
    with pytest.raises(InvalidScenarioError, match="demand 2 must be finite"):
        opt.optimize(broken)


def test_memory_plan_names_the_chunk_to_use(ring) -> None:
    g = compile_instance(ring)
    units = g.n_pairs
    assert plan_chunk(g, 64, None, units=units) is None
    per = units * 64 * 4 * 3
    with pytest.raises(InvalidParameterError, match="use a chunk size of at most 4 scenarios"):
        plan_chunk(g, 64, 10, units=units, budget=per * 4)
    assert plan_chunk(g, 64, None, units=units, budget=per * 5) == 5
    with pytest.raises(InvalidParameterError, match="even with chunk size 1"):
        plan_chunk(g, 64, None, units=units, budget=per // 2)


def test_iterations_override_and_float32_feasibility(opt) -> None:
    inst = ring_instance(6, k=3, seed=2, load=4.0)
    for k in (0, 1, 9):
        sol = opt.solve(inst, iterations=k)
        assert sol.iterations == k
        assert np.all(inst.link_load(sol.x) <= inst.topology.capacity)
    with pytest.raises(InvalidParameterError, match="iterations"):
        opt.solve(inst, iterations=-2)
    assert torch.get_num_threads() >= 1
