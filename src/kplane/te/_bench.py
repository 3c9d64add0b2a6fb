"""Benchmark instances from the public data and the solver-timing grid of ``kplane bench te-solvers``.

Instances (paths relative to the data folder ``.../shared/data``):

================  ===========================================================  ===================
name              data                                                         failures (default)
================  ===========================================================  ===================
``b4``, ``ibm``   ARROW ``te/arrow/data/topology/{B4,IBM}`` (NeuroRisk's)       per fibre, Weibull(0.8, 0.02)
``geant``         FIGRET ``te/figret/Data/GEANT`` (TM 0)                        per link, Weibull(0.8, 1e-3)
``germany50``     SNDlib ``te/sndlib/germany50.txt``                           per link, Weibull(0.8, 1e-3)
``tatanld``       Topology Zoo ``te/topology-zoo/TataNld.graphml`` (gravity)   per link, Weibull(0.8, 1e-3)
``teavar-b4``,    TeaVaR's ``te/teavar/{B4,IBM,XNet,ATT}`` (TM 0) — the graphs  per link, Weibull(0.8, 1e-3)
``teavar-ibm``,   of TeaVaR's recorded Gurobi times
``teavar-xnet``,
``teavar-att``
================  ===========================================================  ===================

Tunnels: 3 shortest paths per ordered pair (NeuroRisk's setting); failure sets that disconnect the
network are dropped, uncovered mass renormalised; seed 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kplane.errors import InvalidParameterError, KplaneError
from kplane.te._builders import build_instance
from kplane.te._instance import TEInstance
from kplane.te.solvers import solve, solve_quantile

__all__ = ["BENCH_INSTANCES", "BENCH_OBJECTIVES", "TEAVAR_GUROBI_TIMES", "bench_instance", "run_solver_bench"]

BENCH_OBJECTIVES = ("nominal", "expected", "ffc", "teavar", "quantile", "quantile-per-scenario")
"""Objectives of the bench; ``quantile-per-scenario`` is the textbook MILP with one binary per
(flow, scenario) — the formulation size NeuroRisk's solver baseline faces — for comparison."""

BENCH_INSTANCES: dict[str, tuple[str, dict[str, Any]]] = {
    "b4": ("te/arrow/data/topology/B4", {}),
    "ibm": ("te/arrow/data/topology/IBM", {}),
    "geant": ("te/figret/Data/GEANT", {}),
    "germany50": ("te/sndlib/germany50.txt", {}),
    "tatanld": ("te/topology-zoo/TataNld.graphml", {}),
    "teavar-b4": ("te/teavar/B4", {}),
    "teavar-ibm": ("te/teavar/IBM", {}),
    "teavar-xnet": ("te/teavar/XNet", {}),
    "teavar-att": ("te/teavar/ATT", {}),
}
"""Benchmark instance name → (path under the data folder, extra :func:`build_instance` options)."""

TEAVAR_GUROBI_TIMES = {
    "teavar-b4": "0.45-1.1 s (38 directed edges)",
    "teavar-ibm": "1.2-2.8 s (46)",
    "teavar-xnet": "5.5-27 s (75)",
    "teavar-att": "9-114 s (112)",
}
"""TeaVaR's recorded Gurobi solve times over cutoffs 1e-4…1e-7 (``docs/neurorisk-notes.md``)."""

NEURORISK_SOLVER_TIMES = {
    "b4": "53.0 s (PreTE, Gurobi)",
    "ibm": "196.4 s (PreTE, Gurobi)",
    "geant": "timeout > 1 h",
    "germany50": "timeout > 1 h",
}


def bench_instance(name: str, data_dir: str | Path, **options: Any) -> TEInstance:
    """Build benchmark instance ``name`` from the public data folder (see the module docstring).

    Raises
    ------
    InvalidParameterError
        Unknown name (lists the valid ones) or missing data.
    """
    key = name.strip().lower()
    if key not in BENCH_INSTANCES:
        raise InvalidParameterError(
            f"unknown benchmark instance {name!r}; valid: {', '.join(BENCH_INSTANCES)}"
        )
    rel, extra = BENCH_INSTANCES[key]
    path = Path(data_dir) / rel
    if not path.exists():
        raise InvalidParameterError(f"benchmark data for {key!r} not found at {path}")
    return build_instance(path, name=key, **{**extra, **options})


def run_solver_bench(
    topologies: Sequence[str],
    objectives: Sequence[str],
    cutoffs: Sequence[float],
    data_dir: str | Path,
    *,
    beta: float = 0.99,
    time_limit: float = 300.0,
    quantile_aggregate: str = "mean",
    seed: int = 0,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve every (topology, cutoff, objective) once and return one record per run.

    Records: ``topology, cutoff, objective, n_scenarios, n_tunnels, n_flows, build_s, status, time_s,
    cpu_s, solve_s, objective_value, mip_gap, bound, n_rows, n_cols, n_nonzeros, n_integer, method``
    (``error`` when a run failed). ``time_s``/``solve_s`` are wall-clock seconds (model building plus
    solving / HiGHS alone), ``cpu_s`` the process CPU time of the run — less sensitive to other load
    on a shared machine.
    """
    out: list[dict[str, Any]] = []
    for topo in topologies:
        for cutoff in cutoffs:
            t0 = time.perf_counter()
            try:
                inst = bench_instance(topo, data_dir, cutoff=cutoff, seed=seed)
            except KplaneError as exc:
                failed = {"topology": topo, "cutoff": cutoff, "objective": None, "error": str(exc)}
                out.append(failed)
                if on_result:
                    on_result(failed)
                continue
            build = time.perf_counter() - t0
            for obj in objectives:
                rec: dict[str, Any] = {
                    "topology": topo,
                    "cutoff": cutoff,
                    "objective": obj,
                    "n_scenarios": inst.n_scenarios,
                    "n_tunnels": inst.n_tunnels,
                    "n_flows": int(inst.active.sum()),
                    "build_s": build,
                }
                kw: dict[str, Any] = {"time_limit": time_limit}
                if obj in ("teavar", "quantile", "quantile-per-scenario"):
                    kw["beta"] = beta
                if obj.startswith("quantile"):
                    kw["aggregate"] = quantile_aggregate
                c0 = time.process_time()
                try:
                    if obj == "quantile-per-scenario":
                        sol = solve_quantile(inst, per_scenario=True, **kw)
                    else:
                        sol = solve(inst, obj, **kw)
                    rec.update(
                        {
                            "status": sol.status.value,
                            "time_s": sol.time_s,
                            "cpu_s": time.process_time() - c0,
                            "solve_s": sol.info.get("solve_time_s"),
                            "objective_value": sol.objective_value,
                            "mip_gap": sol.mip_gap,
                            "n_rows": sol.info.get("n_rows"),
                            "n_cols": sol.info.get("n_cols"),
                            "n_nonzeros": sol.info.get("n_nonzeros"),
                            "method": sol.info.get("method"),
                            "n_integer": sol.info.get("n_integer"),
                            "bound": sol.bound,
                        }
                    )
                except KplaneError as exc:
                    rec.update({"status": getattr(exc, "status", None) or "error", "error": str(exc)})
                out.append(rec)
                if on_result:
                    on_result(rec)
    return out
