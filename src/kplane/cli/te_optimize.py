"""`kplane te optimize`: a TE instance optimised by NeuroRisk (or an ablation / baseline) in milliseconds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli._te_options import (
    InstanceSource,
    ObjectiveChoice,
    instance_options,
    instance_summary,
    write_allocation,
)
from kplane.cli.te import app as te_app
from kplane.cli.te_neural_common import (
    FINETUNE_HELP,
    FINETUNE_LR_HELP,
    METHOD_HELP,
    check_refinement,
    set_threads,
)
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import TEInstance
    from kplane.te.neural import NeuroRiskOptimizer

__all__ = ["load_policy", "optimize_cmd"]


def load_policy(
    policy: str, method: str, objective: str, instance: TEInstance | None = None
) -> tuple[NeuroRiskOptimizer, str]:
    """The optimizer of ``--policy`` for a learned method, and where it came from.

    ``bundled`` picks the shipped policy for the instance's network and the objective
    (:func:`kplane.te.neural.bundled_policy_for`); ``bundled:<name>`` a shipped one by name; anything
    else is a policy file.
    """
    from kplane.te.neural import NeuroRiskOptimizer, bundled_policy_for, bundled_policy_path

    shipped = policy == "bundled" or policy.startswith("bundled:")
    if method != "gr" and shipped:
        raise InvalidParameterError(
            f"no bundled policy for method {method!r} (bundled policies are NeuroRisk/gr); train one with "
            f"`kplane te train --method {method}` and pass --policy FILE"
        )
    if policy.startswith("bundled:"):
        path = bundled_policy_path(policy.split(":", 1)[1])
    elif policy == "bundled":
        path = bundled_policy_for(objective, instance)
    else:
        path = Path(policy)
    opt = NeuroRiskOptimizer.load(path)
    if opt.net_.method != method:
        raise InvalidParameterError(
            f"policy {path} was trained for method {opt.net_.method!r}, not {method!r}; pass --method "
            f"{opt.net_.method}"
        )
    return opt, (f"bundled:{path.stem}" if shipped else str(path))


@te_app.command("optimize")
@instance_options(file=True, objective=True)
def optimize_cmd(
    source: InstanceSource,
    goal: ObjectiveChoice,
    method: str = typer.Option("neurorisk", "--method", help=METHOD_HELP),
    policy: str = typer.Option(
        "bundled",
        "--policy",
        help="'bundled' (by network and objective), 'bundled:<name>' (e.g. bundled:ibm-teavar) or a file.",
    ),
    iterations: int = typer.Option(None, "--iterations", help="Unrolled steps K (default: as trained)."),
    threads: int = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's)."),
    chunk_size: int = typer.Option(None, "--chunk-size", help="Scenarios per chunk (default: automatic)."),
    refine: int = typer.Option(
        0,
        "--refine",
        help="Rounds of reservation tightening after the K steps (kplane extension; 0 = paper).",
    ),
    finetune: int = typer.Option(0, "--finetune", help=FINETUNE_HELP),
    finetune_lr: float = typer.Option(None, "--finetune-lr", help=FINETUNE_LR_HELP),
    compare_solver: bool = typer.Option(
        False, "--compare-solver", help="Also solve exactly; report the gap."
    ),
    time_limit: float = typer.Option(
        None, "--time-limit", help="Solver time limit in seconds for --compare-solver."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    allocation_out: Path = typer.Option(None, "--allocation-out", help="Write the allocation JSON."),
) -> None:
    """Optimise a TE instance with NeuroRisk (or an ablation / baseline) in milliseconds."""
    import time

    from kplane.te.neural import BASELINE_METHODS, NeuroRiskSolution, baseline_allocation
    from kplane.te.neural._evaluate import compare_with_solver
    from kplane.te.neural._io import check_method

    obj = goal.make()
    n_threads = set_threads(threads)
    source.check_finite()
    m = method.strip().lower()
    if m not in BASELINE_METHODS:
        m = check_method(m)
    check_refinement(refine, finetune, finetune_lr, learned=m not in BASELINE_METHODS, method=m)
    inst = source.load()
    origin = None
    if m in BASELINE_METHODS:
        t0 = time.perf_counter()
        x = baseline_allocation(inst, m)
        dt = time.perf_counter() - t0
        sol = NeuroRiskSolution.replayed(x, obj, inst, time_s=dt, method=m, iterations=0,
                                         info={"threads": n_threads})
    else:
        opt, origin = load_policy(policy, m, obj.name, inst)
        sol = opt.solve(
            inst,
            obj,
            iterations=iterations,
            chunk_size=chunk_size,
            refine=refine,
            finetune_steps=finetune,
            finetune_lr=finetune_lr,
        )
    out: dict[str, Any] = {**instance_summary(inst), "policy": origin, **sol.to_dict()}
    out["max_utilisation"] = float((inst.link_load(sol.x) / inst.topology.capacity).max())
    if compare_solver:
        with progress_bar(transient=True) as bar:
            bar.add_task(f"solving {obj.name} exactly", total=None, rate="")
            out["solver"] = compare_with_solver(inst, sol, obj, time_limit=time_limit)
        out["relative_error"] = out["solver"]["relative_error"]
    if allocation_out is not None:
        out["allocation"] = write_allocation(
            allocation_out, inst, sol, method=sol.method, iterations=sol.iterations, policy=origin
        )
    if json_out:
        emit_json(out)
        return
    console.print(
        f"[bold]{sol.method}[/] {sol.objective_label} on {inst.name} ({inst.n_scenarios} scenarios, "
        f"{inst.n_tunnels} tunnels): risk {sol.objective_value:.6g}, "
        f"throughput {sol.throughput / 1e9:.6g} Gbit/s, "
        f"{sol.time_s * 1e3:.1f} ms on {n_threads} thread(s), K = {sol.iterations}"
        + (f", {finetune} fine-tuning steps" if finetune else ""),
        highlight=False,
    )
    if compare_solver:
        s = out["solver"]
        console.print(
            f"solver: risk {s['solver_objective_value']:.6g}, "
            f"throughput {s['solver_throughput'] / 1e9:.6g} Gbit/s, {s['solver_time_s']:.3g} s "
            f"({s['solver_status']}); relative error {100 * s['relative_error']:.2f}%",
            highlight=False,
        )
    if allocation_out is not None:
        console.print(f"wrote {allocation_out}")
