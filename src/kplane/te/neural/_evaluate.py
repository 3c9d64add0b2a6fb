"""Evaluation helpers: relative error against the exact solver, latency on a given thread count.

Relative error is measured in throughput form, as in the paper:
``(T_solver − T_method) / T_solver`` with ``T = total demand × (1 − objective value)``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import torch

from kplane.te._instance import TEInstance
from kplane.te._objectives import Objective, make_objective
from kplane.te.neural._estimator import NeuroRiskOptimizer
from kplane.te.neural._solution import NeuroRiskSolution

__all__ = ["compare_with_solver", "measure_latency", "relative_error", "solve_exact"]


def relative_error(solver_throughput: float, method_throughput: float) -> float:
    """``(T_solver − T_method) / T_solver`` (0 when the solver's throughput is 0)."""
    if solver_throughput <= 0:
        return 0.0
    return (solver_throughput - method_throughput) / solver_throughput


def solve_exact(instance: TEInstance, objective: Objective, *, time_limit: float | None = None) -> Any:
    """The exact solver's :class:`~kplane.te.TESolution` for ``objective`` (HiGHS)."""
    from kplane.te import solve

    kw: dict[str, Any] = {
        "beta": objective.beta,
        "form": objective.form,
        "weighting": objective.weighting,
        "time_limit": time_limit,
    }
    if objective.level == "flow":
        kw["aggregate"] = objective.flow_aggregate
    if objective.name in ("expected", "nominal", "ffc"):
        kw.pop("beta")
    return solve(instance, objective.name, **kw)


def compare_with_solver(
    instance: TEInstance,
    solution: NeuroRiskSolution,
    objective: Objective | str,
    *,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Solve ``instance`` exactly and compare: both objective values, throughputs, times, relative error."""
    obj = make_objective(objective)
    exact = solve_exact(instance, obj, time_limit=time_limit)
    return {
        "solver_objective_value": exact.objective_value,
        "solver_throughput": exact.throughput,
        "solver_time_s": exact.time_s,
        "solver_status": exact.status.value,
        "relative_error": relative_error(exact.throughput, solution.throughput),
    }


def measure_latency(
    opt: NeuroRiskOptimizer,
    instance: TEInstance,
    *,
    threads: int,
    repeats: int = 5,
    iterations: int | None = None,
    objective: str | Objective | None = None,
) -> dict[str, Any]:
    """Wall time of :meth:`NeuroRiskOptimizer.solve` on ``threads`` torch threads (one warm-up run first)."""
    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        opt.solve(instance, objective, iterations=iterations)
        times = [opt.solve(instance, objective, iterations=iterations).time_s for _ in range(max(1, repeats))]
    finally:
        torch.set_num_threads(old)
    return {
        "threads": int(threads),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "repeats": len(times),
    }


def evaluate_set(
    opt: NeuroRiskOptimizer,
    instances: Sequence[TEInstance],
    objective: Objective | str,
    *,
    iterations: int | None = None,
    time_limit: float | None = None,
) -> list[dict[str, Any]]:
    """One row per instance: NeuroRisk's and the solver's results and the relative error."""
    rows = []
    for inst in instances:
        sol = opt.solve(inst, objective, iterations=iterations)
        rows.append(
            {
                "instance": inst.name,
                "n_scenarios": inst.n_scenarios,
                "objective_value": sol.objective_value,
                "throughput": sol.throughput,
                "time_s": sol.time_s,
                **compare_with_solver(inst, sol, objective, time_limit=time_limit),
            }
        )
    return rows
