"""Sort-and-Select objectives: numpy definitions, torch agreement and gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from kplane.errors import InvalidParameterError
from kplane.te import (
    Mask,
    TorchObjective,
    cvar,
    flow_losses,
    make_objective,
    sort_select,
    sort_select_torch,
    value_at_risk,
)

from .oracles import cvar as cvar_ru
from .oracles import objective, random_instance
from .oracles import var as var_def

dists = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.floats(0.01, 1, allow_nan=False), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(dists, st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]))
def test_tail_and_quantile_masks_match_definitions(dist, beta) -> None:
    values, w = (np.asarray(v) for v in dist)
    p = w / w.sum()
    assert cvar(values, p, beta) == pytest.approx(cvar_ru(values, p, beta), abs=1e-9)
    assert value_at_risk(values, p, beta) == pytest.approx(var_def(values, p, beta), abs=1e-12)
    assert sort_select(values, p, Mask.worst()) == pytest.approx(values.max())
    assert sort_select(values, p, Mask.expected()) == pytest.approx(values @ p)
    assert sort_select(values, p, Mask.nominal()) == pytest.approx(values[0])
    # CVaR lies between VaR and the worst value
    assert value_at_risk(values, p, beta) - 1e-9 <= cvar(values, p, beta) <= values.max() + 1e-9


def test_quantile_at_exact_mass_boundary() -> None:
    # 1 % of mass on the bad scenario: VaR_0.99 is the good value, CVaR_0.99 the bad one
    assert value_at_risk([0.0, 1.0], [0.99, 0.01], 0.99) == 0.0
    assert cvar([0.0, 1.0], [0.99, 0.01], 0.99) == pytest.approx(1.0)
    assert value_at_risk([0.0, 1.0], [0.98, 0.02], 0.99) == 1.0


def test_custom_mass_mask_reproduces_cvar() -> None:
    a = 0.1
    m = Mask.from_mass_density(lambda u: np.minimum(u, a) / a, name="tail10")
    v, p = np.array([0.3, 0.9, 0.1, 0.5]), np.array([0.4, 0.05, 0.3, 0.25])
    assert sort_select(v, p, m) == pytest.approx(cvar(v, p, 0.9))


def test_batched_sort_select() -> None:
    v = np.random.default_rng(0).random((3, 4, 6))
    p = np.full(6, 1 / 6)
    out = sort_select(v, p, Mask.tail(0.5))
    assert out.shape == (3, 4)
    assert out[1, 2] == pytest.approx(cvar(v[1, 2], p, 0.5))


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("ffc", {}),
        ("ffc", {"form": "max"}),
        ("teavar", {"beta": 0.8}),
        ("teavar", {"beta": 0.9, "form": "max"}),
        ("expected", {}),
        ("nominal", {}),
        ("quantile", {"beta": 0.8}),
        ("quantile", {"beta": 0.8, "aggregate": "mean"}),
    ],
)
def test_numpy_and_torch_objectives_agree(name, kw) -> None:
    inst = random_instance(3, n_scen=8, k=3)
    x = np.random.default_rng(1).random((5, inst.n_tunnels)) * 0.8
    okw = {k: v for k, v in kw.items() if k != "aggregate"}
    if "aggregate" in kw:
        okw["flow_aggregate"] = kw["aggregate"]
    obj = make_objective(name, **okw)
    risk = TorchObjective(obj, inst)
    got = risk(torch.as_tensor(x))
    assert got.shape == (5,)
    for i in range(5):
        assert float(got[i]) == pytest.approx(obj.evaluate(inst, x[i]), abs=1e-12)
        assert float(got[i]) == pytest.approx(objective(inst, x[i], name, **kw), abs=1e-12)


@pytest.mark.parametrize("weighting", ["flow", "demand"])
def test_torch_objective_copies_read_only_arrays_without_warning(weighting) -> None:
    inst = random_instance(4, n_scen=5, k=2)
    assert not inst.scenarios.survival.flags.writeable  # the case torch warns about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        risk = TorchObjective(make_objective("teavar", beta=0.8, weighting=weighting), inst)
    assert np.array_equal(risk.survival.numpy(), inst.scenarios.survival)


def test_flow_losses_numpy_and_torch() -> None:
    inst = random_instance(2, n_scen=6, k=3)
    x = np.random.default_rng(3).random(inst.n_tunnels)
    lo = flow_losses(inst, x)
    risk = TorchObjective(make_objective("expected"), inst)
    assert np.allclose(risk.flow_losses(torch.as_tensor(x)).numpy(), lo)


def test_torch_gradient_matches_finite_differences() -> None:
    inst = random_instance(6, n_scen=7, k=3)
    obj = make_objective("teavar", beta=0.8)
    risk = TorchObjective(obj, inst)
    rng = np.random.default_rng(5)
    x0 = rng.uniform(0.05, 0.6, inst.n_tunnels)
    x = torch.tensor(x0, requires_grad=True)
    risk(x).backward()
    g = x.grad.numpy()
    h = 1e-7
    for t in range(inst.n_tunnels):
        e = np.zeros_like(x0)
        e[t] = h
        fd = (obj.evaluate(inst, x0 + e) - obj.evaluate(inst, x0 - e)) / (2 * h)
        assert g[t] == pytest.approx(fd, abs=1e-5)


def test_sort_select_torch_gradient_goes_to_selected_ranks() -> None:
    v = torch.tensor([0.2, 0.9, 0.5, 0.1], dtype=torch.float64, requires_grad=True)
    p = torch.tensor([0.4, 0.05, 0.05, 0.5], dtype=torch.float64)
    sort_select_torch(v, p, Mask.tail(0.9)).backward()
    # the worst 10 % of mass: all of value 0.9 (p 0.05) and 0.5 (p 0.05) → weights 0.5 each
    assert v.grad.tolist() == pytest.approx([0.0, 0.5, 0.5, 0.0])


def test_objective_validation() -> None:
    with pytest.raises(InvalidParameterError, match="unknown objective 'x'; valid: ffc, teavar, quantile"):
        make_objective("x")
    with pytest.raises(InvalidParameterError, match="beta must lie strictly between 0 and 1"):
        make_objective("quantile", beta=1.0)
    assert make_objective("cvar").name == "teavar" and make_objective("prete").name == "quantile"
    assert make_objective("teavar").describe() == "teavar(beta=0.99, form=mean)"
    with pytest.raises(InvalidParameterError, match="form must be 'mean' or 'max'"):
        from kplane.te import scenario_losses

        scenario_losses(np.zeros((2, 2)), np.ones(2), form="median")
    inst = random_instance(1)
    with pytest.raises(InvalidParameterError, match="one split ratio per tunnel"):
        flow_losses(inst, np.zeros(inst.n_tunnels + 1))
    with pytest.raises(InvalidParameterError, match="must be finite and >= 0"):
        flow_losses(inst, -np.ones(inst.n_tunnels))
