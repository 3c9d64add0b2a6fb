"""Exact solvers: brute-force and reference-model oracles, duality/KKT, statuses, errors."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InfeasibleError, InvalidParameterError, SolverError
from kplane.te import ExactSolver, TEStatus, make_objective, replay, solve
from kplane.te.solvers import (
    ModelBuilder,
    build_expected_model,
    build_ffc_model,
    build_nominal_model,
    build_teavar_model,
    flow_patterns,
    solve_quantile,
    status_from_highs,
)
from kplane.te.solvers._base import finish
from kplane.te.solvers._highs import HighsRun

from .oracles import (
    grid_losses,
    grid_minimum,
    objective,
    random_instance,
    reference_lp,
    reference_quantile_milp,
    triangle,
)

CASES = [
    ("nominal", {}),
    ("expected", {}),
    ("ffc", {"form": "mean"}),
    ("ffc", {"form": "max"}),
    ("teavar", {"beta": 0.9, "form": "mean"}),
    ("teavar", {"beta": 0.97, "form": "max"}),
    ("quantile", {"beta": 0.9}),
    ("quantile", {"beta": 0.96, "aggregate": "mean"}),
]


_GRIDS: dict = {}


def _grid(demand, cap):
    if (demand, cap) not in _GRIDS:
        _GRIDS[(demand, cap)] = grid_losses(triangle(demand=demand, cap=cap), 1 / 30)
    return _GRIDS[(demand, cap)]


def _check_capacity(inst, x) -> None:
    load = inst.link_load(x)
    assert np.all(load <= inst.topology.capacity * (1 + 1e-9))
    assert np.all(x >= 0)


@pytest.mark.parametrize(("demand", "cap"), [((10.0, 10.0), 10.0), ((15.0, 5.0), 10.0)])
@pytest.mark.parametrize(("name", "kw"), CASES)
def test_every_objective_matches_brute_force_grid(name, kw, demand, cap) -> None:
    inst = triangle(demand=demand, cap=cap)
    sol = solve(inst, name, **kw)
    assert sol.status is TEStatus.OPTIMAL
    _check_capacity(inst, sol.x)
    best, x_best = grid_minimum(inst, name, grid=_grid(demand, cap), **kw)
    assert objective(inst, x_best, name, **kw) == pytest.approx(best, abs=1e-12)
    # the grid holds an optimal allocation of these small-denominator instances
    assert sol.objective_value == pytest.approx(best, abs=1e-7)
    # the reported value is the textbook objective of the returned allocation
    assert objective(inst, sol.x, name, **kw) == pytest.approx(sol.objective_value, abs=1e-9)
    assert sol.throughput == pytest.approx(inst.total_demand * (1 - sol.objective_value))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("name", "kw"), [c for c in CASES if c[0] != "quantile"])
def test_lp_optimum_equals_per_scenario_reference_lp(seed, name, kw) -> None:
    inst = random_instance(seed)
    sol = solve(inst, name, **kw)
    ref, _ = reference_lp(inst, name, beta=kw.get("beta", 0.99), form=kw.get("form", "mean"))
    assert sol.objective_value == pytest.approx(ref, abs=1e-7)
    assert sol.solver_objective == pytest.approx(ref, abs=1e-7)
    _check_capacity(inst, sol.x)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("beta", "aggregate"), [(0.9, "max"), (0.8, "mean"), (0.95, "mean")])
def test_quantile_milp_equals_per_scenario_milp(seed, beta, aggregate) -> None:
    inst = random_instance(seed, n_scen=5)
    sol = solve(inst, "quantile", beta=beta, aggregate=aggregate, mip_rel_gap=1e-9)
    ref = reference_quantile_milp(inst, beta, aggregate)
    assert sol.objective_value == pytest.approx(ref, abs=1e-6)
    per = solve_quantile(inst, beta=beta, aggregate=aggregate, mip_rel_gap=1e-9, per_scenario=True)
    assert per.objective_value == pytest.approx(ref, abs=1e-6)
    assert sol.info["n_integer"] <= per.info["n_integer"]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("beta", "form"), [(0.9, "mean"), (0.99, "mean"), (0.95, "max")])
def test_cvar_lp_optimum_is_sort_and_select_cvar_of_its_allocation(seed, beta, form) -> None:
    inst = random_instance(seed + 10, n_scen=8)
    sol = solve(inst, "teavar", beta=beta, form=form)
    r = replay(inst, sol.x)
    replayed = r.cvar(beta) if form == "mean" else r.objective("teavar", beta=beta, form="max")
    assert sol.solver_objective == pytest.approx(replayed, abs=1e-8)
    assert sol.objective_value == pytest.approx(replayed, abs=1e-12)


@pytest.mark.parametrize(
    "build",
    [
        lambda i: build_nominal_model(i),
        lambda i: build_expected_model(i),
        lambda i: build_ffc_model(i, form="mean"),
        lambda i: build_ffc_model(i, form="max"),
        lambda i: build_teavar_model(i, beta=0.9, form="mean"),
        lambda i: build_teavar_model(i, beta=0.9, form="max"),
    ],
)
@pytest.mark.parametrize("seed", [0, 3])
def test_lp_strong_duality_and_kkt(build, seed) -> None:
    inst = random_instance(seed, n_scen=7)
    m = build(inst)
    run = m.b.run(method="simplex")
    assert run.status is TEStatus.OPTIMAL
    a = m.b.arrays()
    mat = m.b.matrix()
    x, y, z = run.col_value, run.row_dual, run.col_dual
    # dual feasibility (stationarity): c - Aᵀy - z = 0
    assert np.allclose(a["cost"] - mat.T @ y - z, 0.0, atol=1e-9)
    # each dual sits on the bound it prices: y > 0 → lower row bound, y < 0 → upper
    ax = mat @ x
    on_lo = y > 1e-9
    on_hi = y < -1e-9
    assert np.allclose(ax[on_lo], a["row_lb"][on_lo], atol=1e-7)
    assert np.allclose(ax[on_hi], a["row_ub"][on_hi], atol=1e-7)
    zl, zu = z > 1e-9, z < -1e-9
    assert np.allclose(x[zl], a["lb"][zl], atol=1e-7) and np.allclose(x[zu], a["ub"][zu], atol=1e-7)
    # strong duality: the dual objective equals the primal one
    dual = (y[on_lo] * a["row_lb"][on_lo]).sum() + (y[on_hi] * a["row_ub"][on_hi]).sum()
    dual += (z[zl] * a["lb"][zl]).sum() + (z[zu] * a["ub"][zu]).sum()
    assert dual == pytest.approx(run.objective, abs=1e-8)
    # primal feasibility
    assert np.all(ax >= a["row_lb"] - 1e-7) and np.all(ax <= a["row_ub"] + 1e-7)


def test_reference_lp_duals_agree_with_kplane_optimum() -> None:
    """scipy's duals of the per-scenario TeaVaR LP price the same optimum (strong duality there too)."""
    inst = random_instance(5, n_scen=6)
    ref, res = reference_lp(inst, "teavar", beta=0.9)
    lam = res.ineqlin.marginals  # <= 0 for A_ub x <= b_ub
    b = res.ineqlin.residual + (res.ineqlin.marginals * 0)  # slack
    assert np.all(np.abs(lam * b) < 1e-7)  # complementary slackness
    assert solve(inst, "teavar", beta=0.9).objective_value == pytest.approx(ref, abs=1e-7)


def test_k_failure_ffc_guarantee() -> None:
    from kplane.te import TEInstance, k_shortest_tunnels
    from kplane.te.failures import FailureModel, k_failure_scenarios

    inst0 = random_instance(2, n_scen=1)
    topo = inst0.topology
    tun = k_shortest_tunnels(topo, 2, pairs=inst0.tunnels.pairs)
    fm = FailureModel.per_link(topo, 0.01)
    scen = k_failure_scenarios(fm, topo, tun, 1)
    inst = TEInstance(topo, tun, np.where(inst0.demand > 0, inst0.demand, 3.0), scen)
    sol = solve(inst, "ffc")
    ref, _ = reference_lp(inst, "ffc")
    assert sol.objective_value == pytest.approx(ref, abs=1e-7)
    assert inst.n_scenarios == 1 + fm.n_elements


def test_patterns_are_exact_and_compress() -> None:
    inst = random_instance(4, n_scen=9, k=3)
    pat = flow_patterns(inst)
    # every (scenario, flow) pattern reproduces that flow's survival bits
    surv = inst.scenarios.survival
    tun = inst.tunnels
    code_of = dict(zip(range(pat.n_patterns), pat.pat_code.tolist(), strict=True))
    full = {i: (1 << int(tun.n_tunnels_per_flow[f])) - 1 for i, f in enumerate(pat.flows)}
    affected = {(q, f): p for q, f, p in zip(pat.aff_q, pat.aff_f, pat.aff_pat, strict=True)}
    for q in range(inst.n_scenarios):
        for i, f in enumerate(pat.flows):
            bits = sum(int(surv[q, t]) << j for j, t in enumerate(tun.tunnels_of(f)))
            p = affected.get((q, i), pat.base[i])
            assert code_of[p] == bits
            assert (bits != full[i]) == ((q, i) in affected)
    assert pat.n_patterns <= pat.flows.size * inst.n_scenarios
    assert pat.pat_mass.sum() == pytest.approx(pat.flows.size)


def test_estimator_contract() -> None:
    inst = triangle()
    est = ExactSolver(objective="expected")
    assert est.get_params()["objective"] == "expected"
    with pytest.raises(AttributeError, match="not fitted"):
        _ = est.objective_value_
    assert est.fit(inst) is est
    assert est.objective_value_ == pytest.approx(est.solution_.objective_value)
    assert est.x_.shape == (inst.n_tunnels,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"objective": "cheapest"},
            "unknown objective 'cheapest'; valid: ffc, teavar, quantile, expected, nominal",
        ),
        ({"objective": "teavar", "beta": 1.5}, r"beta must lie strictly between 0 and 1, got 1.5"),
        ({"objective": "teavar", "beta": 0.0}, "beta must lie strictly between 0 and 1"),
        ({"objective": "expected", "beta": 0.9}, "takes no beta"),
        ({"objective": "expected", "form": "max"}, "applies to 'ffc' and 'teavar' only"),
        ({"objective": "teavar", "time_limit": -1}, "time_limit must be > 0"),
        ({"objective": "teavar", "method": "magic"}, "method must be one of"),
        ({"objective": "teavar", "weighting": "size"}, "weighting must be one of"),
    ],
)
def test_bad_solver_arguments(kwargs, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        solve(triangle(), **kwargs)


def test_zero_demand_is_rejected() -> None:
    inst = triangle(demand=(0.0, 0.0))
    with pytest.raises(InvalidParameterError, match="every demand is zero"):
        solve(inst, "teavar")


def test_status_names_cover_highs() -> None:
    import highspy

    names = [n for n in dir(highspy.HighsModelStatus) if n.startswith("k")]
    assert names
    assert all(isinstance(status_from_highs(n), TEStatus) for n in names)
    assert status_from_highs("kOptimal") is TEStatus.OPTIMAL
    assert status_from_highs("kTimeLimit") is TEStatus.TIME_LIMIT
    assert status_from_highs("kInfeasible") is TEStatus.INFEASIBLE
    assert status_from_highs("kUnbounded") is TEStatus.UNBOUNDED
    assert status_from_highs("kUnboundedOrInfeasible") is TEStatus.UNBOUNDED_OR_INFEASIBLE
    assert status_from_highs(highspy.HighsModelStatus.kIterationLimit) is TEStatus.ITERATION_LIMIT


def test_builder_reports_infeasible_and_unbounded_models() -> None:
    b = ModelBuilder()
    v = b.add_cols(1, cost=1.0, lb=0.0, ub=1.0)
    b.add_rows(1, [0], v, [1.0], lb=2.0)  # v >= 2 with v <= 1
    assert b.run().status in (TEStatus.INFEASIBLE, TEStatus.UNBOUNDED_OR_INFEASIBLE)
    b2 = ModelBuilder()
    b2.add_cols(1, cost=-1.0, lb=0.0)  # minimise -v, v unbounded above
    assert b2.run().status in (TEStatus.UNBOUNDED, TEStatus.UNBOUNDED_OR_INFEASIBLE)


def _fake_run(status: TEStatus, col=None) -> HighsRun:
    return HighsRun(
        status=status,
        highs_status=status.value,
        col_value=col,
        row_dual=None,
        col_dual=None,
        objective=0.0,
        bound=None,
        mip_gap=None,
        primal_feasible=col is not None,
        solve_time_s=0.0,
    )


def test_finish_maps_statuses_to_named_errors() -> None:
    m = build_expected_model(triangle())
    with pytest.raises(InfeasibleError, match="infeasible"):
        finish(m, _fake_run(TEStatus.INFEASIBLE))
    with pytest.raises(SolverError, match="unbounded") as e:
        finish(m, _fake_run(TEStatus.UNBOUNDED))
    assert e.value.status == "unbounded"
    with pytest.raises(SolverError, match="time_limit.*without a feasible allocation"):
        finish(m, _fake_run(TEStatus.TIME_LIMIT), extra_info={"time_limit": 1.0})
    ok = m.b.run()
    sol = finish(m, _fake_run(TEStatus.TIME_LIMIT, ok.col_value))
    assert sol.status is TEStatus.TIME_LIMIT and not sol.optimal


def test_solution_to_dict_keys() -> None:
    d = solve(triangle(), "teavar", beta=0.9).to_dict(include_x=True)
    for key in ("objective", "objective_value", "throughput", "status", "time_s", "mip_gap", "x"):
        assert key in d
    assert d["status"] == "optimal"


def test_make_objective_matches_textbook_on_random_allocation() -> None:
    inst = random_instance(7, n_scen=7)
    x = np.random.default_rng(0).random(inst.n_tunnels)
    for name, kw in CASES:
        obj = make_objective(
            name,
            **{k: v for k, v in kw.items() if k != "aggregate"},
            **({"flow_aggregate": kw["aggregate"]} if "aggregate" in kw else {}),
        )
        assert obj.evaluate(inst, x) == pytest.approx(objective(inst, x, name, **kw), abs=1e-12)
