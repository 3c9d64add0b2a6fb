"""`kplane bench te`: NeuroRisk latency (one thread, all threads) vs the exact solver, per topology.

Instances come from :mod:`kplane.te.neural._family` (the distribution the shipped policies are trained
on): traffic matrix 10 (0 when the data has one matrix), shortest-path load ρ = 1, scenario
configuration cutoff 1e-3 / Weibull scale 0.02, 3 tunnels per pair. Latency is the wall time of
:meth:`NeuroRiskOptimizer.solve` (compiling the instance included), median of ``repeats`` runs after
a warm-up; ``cpu_s`` is the process CPU time of the same runs (robust to other load on the machine).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from kplane.errors import InvalidParameterError, KplaneError
from kplane.te._objectives import Objective, make_objective
from kplane.te.neural._bundled import bundled_policy_for
from kplane.te.neural._estimator import NeuroRiskOptimizer
from kplane.te.neural._evaluate import relative_error, solve_exact
from kplane.te.neural._family import ScenarioConfig, TENetwork, load_te_network, make_instance
from kplane.te.neural._finetune import check_finetune

__all__ = [
    "BENCH_CONFIG",
    "BENCH_TOPOLOGIES",
    "PAPER_TABLE4",
    "bench_network_instance",
    "run_neurorisk_bench",
]

BENCH_TOPOLOGIES = ("b4", "ibm", "geant", "germany50")
"""Default topologies of ``kplane bench te`` (``tatanld`` can be added)."""

BENCH_CONFIG = ScenarioConfig(1e-3, 0.02)

PAPER_TABLE4 = {
    "b4": {"solver": "53.0 s", "gpu": "7 ms", "cpu_1_thread": "151 ms"},
    "ibm": {"solver": "196.4 s", "gpu": "11 ms", "cpu_1_thread": "660 ms"},
    "geant": {"solver": "timeout (> 1 h)", "gpu": "18 ms", "cpu_1_thread": "7.0 s"},
    "germany50": {"solver": "timeout (> 1 h)", "gpu": "68 ms", "cpu_1_thread": "177 s"},
}
"""The paper's Table 4 (PreTE objective; Gurobi; H200 GPU; one CPU thread)."""


def bench_network_instance(
    network: TENetwork, *, config: ScenarioConfig = BENCH_CONFIG, load: float = 1.0, seed: int = 1
) -> Any:
    """The benchmark instance of ``network`` (see the module docstring)."""
    tm = 10 if network.n_matrices > 10 else 0
    return make_instance(network, tm=tm, load=load, config=config, seed=seed)


def _timed(
    opt: NeuroRiskOptimizer,
    inst: Any,
    objective: Any,
    threads: int,
    repeats: int,
    iterations: int | None,
    **solve_kw: Any,
) -> dict[str, Any]:
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        sol = opt.solve(inst, objective, iterations=iterations, **solve_kw)
        walls, cpus = [], []
        for _ in range(max(1, repeats)):
            c0 = time.process_time()
            sol = opt.solve(inst, objective, iterations=iterations, **solve_kw)
            cpus.append(time.process_time() - c0)
            walls.append(sol.time_s)
    finally:
        torch.set_num_threads(old)
    return {
        "threads": threads,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "cpu_median_s": statistics.median(cpus),
        "solution": sol,
    }


def run_neurorisk_bench(
    topologies: Sequence[str],
    *,
    objective: str | Objective = "teavar",
    policy: str | Path = "bundled",
    iterations: int | None = None,
    repeats: int = 5,
    time_limit: float | None = 300.0,
    solver: bool = True,
    data_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    finetune_steps: int = 0,
    finetune_lr: float | None = None,
    threads: int | None = None,
    instances: Sequence[str | Path] = (),
) -> list[dict[str, Any]]:
    """One record per topology: sizes, NeuroRisk latency (1 / all threads), solver time, relative error.

    ``policy`` is a policy file, or ``"bundled"``: the shipped policy for each topology and the
    objective (:func:`kplane.te.neural.bundled_policy_for`). With ``finetune_steps > 0`` the record
    also holds the one-thread latency, objective and relative error with that many inference-time
    fine-tuning steps (``finetune_*`` keys; a kplane extension), beside the pure learned ones.
    ``threads`` is the thread count of the multi-thread measurement (default: every CPU core); with 1
    that measurement is the one-thread one. ``instances`` are instance files (``kplane te instance
    --export``), measured after the topologies; their records are named by the file.
    """
    from kplane.te import load_instance

    n_ft, ft_lr = check_finetune(finetune_steps, finetune_lr)
    obj = make_objective(objective)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InvalidParameterError(f"threads must be an integer >= 1, got {threads!r}")
    n_all = threads if threads is not None else (os.cpu_count() or 1)
    jobs: list[tuple[str, str | Path, bool]] = [(name, name, True) for name in topologies]
    jobs += [(Path(f).name, f, False) for f in instances]
    rows = []
    for name, source, is_network in jobs:
        if progress:
            progress(f"{name}: building")
        if is_network:
            inst = bench_network_instance(load_te_network(str(source), data_dir=data_dir))
        else:
            inst = load_instance(source)
        row: dict[str, Any] = {
            "topology": name,
            "instance": inst.name,
            "n_nodes": inst.topology.n_nodes,
            "n_links": inst.topology.n_links,
            "n_tunnels": inst.n_tunnels,
            "n_scenarios": inst.n_scenarios,
            "objective": obj.describe(),
        }
        if str(policy) == "bundled":
            path = bundled_policy_for(obj.name, inst)
            row["policy"] = f"bundled:{path.stem}"
        else:
            path = Path(policy)
            row["policy"] = str(path)
        opt = NeuroRiskOptimizer.load(path)
        if progress:
            progress(f"{name}: NeuroRisk")
        one = _timed(opt, inst, obj, 1, repeats, iterations)
        sol = one.pop("solution")
        full = one if n_all == 1 else _timed(opt, inst, obj, n_all, repeats, iterations)
        full.pop("solution", None)
        ft_sol = None
        if n_ft:
            if progress:
                progress(f"{name}: NeuroRisk + {n_ft} fine-tuning steps")
            ft = _timed(opt, inst, obj, 1, repeats, iterations, finetune_steps=n_ft, finetune_lr=ft_lr)
            ft_sol = ft.pop("solution")
            row.update(
                {
                    "finetune_steps": n_ft,
                    "finetune_lr": ft_lr,
                    "finetune_1_thread_s": ft["median_s"],
                    "finetune_1_thread_cpu_s": ft["cpu_median_s"],
                    "finetune_objective_value": ft_sol.objective_value,
                    "finetune_throughput": ft_sol.throughput,
                }
            )
        row.update(
            {
                "neurorisk_1_thread_s": one["median_s"],
                "neurorisk_1_thread_cpu_s": one["cpu_median_s"],
                "neurorisk_all_threads_s": full["median_s"],
                "threads_all": n_all,
                "neurorisk_objective_value": sol.objective_value,
                "neurorisk_throughput": sol.throughput,
                "iterations": sol.iterations,
            }
        )
        if solver:
            if progress:
                progress(f"{name}: exact solver")
            try:
                ex = solve_exact(inst, obj, time_limit=time_limit)
                row.update(
                    {
                        "solver_time_s": ex.time_s,
                        "solver_status": ex.status.value,
                        "solver_objective_value": ex.objective_value,
                    }
                )
                if ex.status.value == "optimal":
                    row["relative_error"] = relative_error(ex.throughput, sol.throughput)
                    if ft_sol is not None:
                        row["finetune_relative_error"] = relative_error(ex.throughput, ft_sol.throughput)
                    row["speedup"] = ex.time_s / max(one["median_s"], 1e-9)
            except KplaneError as exc:
                row.update({"solver_status": "error", "solver_error": str(exc)})
        row["paper"] = PAPER_TABLE4.get(name)
        rows.append(row)
    return rows
