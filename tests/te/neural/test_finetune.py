"""Inference-time fine-tuning of the final latents: feasibility, monotonicity, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from kplane.errors import InvalidParameterError
from kplane.te import make_objective
from kplane.te.neural import (
    FINETUNE_LR,
    NeuroRiskNet,
    NeuroRiskOptimizer,
    check_te_allocation,
    compile_instance,
    finetune_latents,
)
from kplane.te.neural._decision import initial_state

from .conftest import ring_instance

OBJECTIVES = ["expected", "teavar", "ffc", "quantile", "nominal"]
METHODS = ["gr", "br", "gs", "ls", "gr9"]


@pytest.fixture(scope="module")
def instance():
    return ring_instance(6, k=3, seed=4, load=2.5)


@pytest.fixture(scope="module")
def optimizers():
    """One tiny (1 epoch, hidden 8) optimizer per learned method."""
    train = [ring_instance(5, k=2, seed=s, load=2.0) for s in range(2)]
    return {
        m: NeuroRiskOptimizer(
            objective="expected",
            method=m,
            hidden=8,
            iterations=2,
            epochs=1,
            batch_size=2,
            validation_fraction=0.0,
        ).fit(train)
        for m in METHODS
    }


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_refined_allocation_is_feasible_and_never_worse(optimizers, instance, method, objective) -> None:
    opt = optimizers[method]
    obj = make_objective(objective, flow_aggregate="mean")
    base = opt.solve(instance, obj)
    ref = opt.solve(instance, obj, finetune_steps=8)
    check_te_allocation(instance, ref.x, obj, objective_value=ref.objective_value, throughput=ref.throughput)
    assert np.all(instance.link_load(ref.x) <= instance.topology.capacity)
    assert ref.objective_value <= base.objective_value + 1e-12
    info = ref.info["finetune"]
    assert ref.info["finetune_steps"] == 8 and info["steps"] == 8 and info["lr"] == FINETUNE_LR
    assert info["best_objective_value"] <= info["start_objective_value"]
    assert math.isclose(info["start_objective_value"], base.objective_value, rel_tol=1e-6, abs_tol=1e-9)


def test_finetuning_improves_a_poor_start_and_is_deterministic(instance) -> None:
    # zero latents (uniform shares) are far from optimal: 30 steps must find a strictly better allocation
    obj = make_objective("expected")
    g = compile_instance(instance, objective=obj, dtype=torch.float64)
    state = initial_state(g, "gr")
    a = finetune_latents(g, "gr", state, obj, steps=30)
    b = finetune_latents(g, "gr", state, obj, steps=30)
    assert a.best_value < a.start_value - 1e-3
    assert a.best_step > 0 and len(a.history) == 31 and a.history[a.best_step] == a.best_value
    assert min(a.history) == a.best_value
    for k in state:
        assert torch.equal(a.state[k], b.state[k])
        assert torch.equal(state[k], torch.zeros_like(state[k]))  # input untouched
    assert a.history == b.history
    none = finetune_latents(g, "gr", state, obj, steps=0)
    assert none.best_value == none.start_value == a.start_value and none.best_step == 0


def test_solve_is_deterministic_and_zero_steps_is_the_paper(optimizers, instance) -> None:
    opt = optimizers["gr"]
    plain = opt.solve(instance, "teavar")
    zero = opt.solve(instance, "teavar", finetune_steps=0)
    assert np.array_equal(plain.x, zero.x) and "finetune" not in zero.info
    one = opt.optimize(instance, "teavar", finetune_steps=12, finetune_lr=0.05)
    two = opt.optimize(instance, "teavar", finetune_steps=12, finetune_lr=0.05)
    assert np.array_equal(one, two)


def test_finetune_composes_with_refine(optimizers, instance) -> None:
    opt = optimizers["gr"]
    obj = make_objective("teavar")
    refined = opt.solve(instance, obj, refine=3)
    both = opt.solve(instance, obj, refine=3, finetune_steps=10)
    assert both.objective_value <= refined.objective_value + 1e-12
    assert both.objective_value <= opt.solve(instance, obj, finetune_steps=10).objective_value + 1e-12
    check_te_allocation(instance, both.x, obj, objective_value=both.objective_value)


def test_collapsed_baseline_latents_can_be_finetuned(instance) -> None:
    net = NeuroRiskNet("collapsed", hidden=4)
    obj = make_objective("expected")
    g = compile_instance(instance, objective=obj, dtype=torch.float64)
    res = finetune_latents(g, net.space, initial_state(g, net.space), obj, steps=5)
    assert res.best_value <= res.start_value


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"finetune_steps": -1}, "finetune_steps must be an integer >= 0, got -1"),
        ({"finetune_steps": 2.5}, "finetune_steps must be an integer >= 0, got 2.5"),
        ({"finetune_steps": True}, "finetune_steps must be an integer >= 0, got True"),
        (
            {"finetune_steps": 3, "finetune_lr": float("nan")},
            "finetune_lr must be a finite number > 0, got nan",
        ),
        ({"finetune_steps": 3, "finetune_lr": float("inf")}, "finetune_lr must be a finite number > 0"),
        ({"finetune_steps": 3, "finetune_lr": 0.0}, "finetune_lr must be a finite number > 0, got 0.0"),
        ({"finetune_steps": 3, "finetune_lr": -0.1}, "finetune_lr must be a finite number > 0"),
        ({"finetune_steps": 3, "finetune_lr": "fast"}, "finetune_lr must be a finite number > 0, got 'fast'"),
        ({"refine": -2}, "refine must be an integer >= 0 rounds, got -2"),
    ],
)
def test_bad_parameters_are_refused(optimizers, instance, kw, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        optimizers["gr"].solve(instance, **kw)


def test_unknown_space_is_refused(instance) -> None:
    g = compile_instance(instance, dtype=torch.float64)
    with pytest.raises(InvalidParameterError, match="decision space"):
        finetune_latents(
            g, "xx", {"z": torch.zeros(g.n_tunnels, dtype=torch.float64)}, make_objective("expected"), steps=1
        )
