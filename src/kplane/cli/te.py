"""`kplane te`: Risk-aware traffic engineering; `kplane bench te-solvers`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, err_console, progress_bar
from kplane.cli._te_options import (
    InstanceSource,
    ObjectiveChoice,
    instance_options,
    instance_summary,
    write_allocation,
)
from kplane.cli.bench import app as bench_app
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import TEInstance

app = typer.Typer(help="Risk-aware traffic engineering.", no_args_is_help=True)


def _print_instance(inst: TEInstance) -> None:
    from rich.table import Table

    d = inst.describe()
    table = Table(title=f"TE instance {inst.name}", show_header=False)
    for k, v in d.items():
        table.add_row(k, f"{v:.6g}" if isinstance(v, float) else str(v))
    table.add_row("failure model", str(inst.metadata.get("failure_model")))
    table.add_row("demands", str(inst.metadata.get("demand_source")))
    console.print(table)


@app.command("instance")
@instance_options(file=False)
def instance_cmd(
    source: InstanceSource,
    export: Path = typer.Option(
        None, "--export", help="Write the instance JSON (schema kplane.te.instance v1)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the instance summary as JSON."),
) -> None:
    """Build a TE instance (topology, demands, tunnels, failure scenarios) and optionally export it."""
    inst = source.load()
    if export is not None:
        from kplane.te import save_instance

        save_instance(inst, export)
    if json_out:
        emit_json(
            {
                **inst.describe(),
                "metadata": dict(inst.metadata),
                "export": None if export is None else str(export),
            }
        )
        return
    _print_instance(inst)
    if export is not None:
        console.print(f"wrote {export}")


@app.command("solve")
@instance_options(file=True, objective=True)
def solve_cmd(
    source: InstanceSource,
    goal: ObjectiveChoice,
    time_limit: float = typer.Option(None, "--time-limit", help="Seconds (quantile default 300)."),
    mip_gap: float = typer.Option(1e-4, "--mip-gap", help="Relative MIP gap (quantile)."),
    method: str = typer.Option("auto", "--method", help="LP algorithm: auto, simplex, ipm, pdlp."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    allocation_out: Path = typer.Option(None, "--allocation-out", help="Write the allocation JSON."),
    verbose: bool = typer.Option(False, "--verbose", help="Show the HiGHS log."),
) -> None:
    """Solve a TE instance exactly (HiGHS) for a risk objective."""
    from kplane.te import make_objective, solve

    objective = goal.objective
    make_objective(objective, beta=goal.beta, form=goal.form, weighting=goal.weighting)  # fail fast
    inst = source.load()
    with progress_bar(transient=True) as bar:
        bar.add_task(f"solving {objective}", total=None, rate="")
        sol = solve(
            inst,
            objective,
            beta=goal.beta,
            form=goal.form,
            aggregate=goal.aggregate,
            weighting=goal.weighting,
            time_limit=time_limit,
            mip_rel_gap=mip_gap,
            method=method,
            verbose=verbose,
        )
    out = {**instance_summary(inst), **sol.to_dict()}
    if allocation_out is not None:
        out["allocation"] = write_allocation(allocation_out, inst, sol, status=sol.status.value)
    if json_out:
        emit_json(out)
        return
    gap = "" if sol.mip_gap is None else f", MIP gap {sol.mip_gap:.2e}"
    console.print(
        f"[bold]{sol.objective_label}[/] on {inst.name} ({inst.n_scenarios} scenarios, "
        f"{inst.n_tunnels} tunnels): risk {sol.objective_value:.6g}, "
        f"throughput {sol.throughput / 1e9:.6g} Gbit/s, status {sol.status.value}"
        f"{gap}, {sol.time_s:.3g} s"
    )
    if allocation_out is not None:
        console.print(f"wrote {allocation_out}")


@app.command("evaluate")
def evaluate_cmd(
    instance: Path = typer.Option(..., "--instance", help="Instance JSON."),
    allocation: Path = typer.Option(..., "--allocation", help='Allocation JSON ({"x": [...]}).'),
    scenarios: Path = typer.Option(None, "--scenarios", help="Replay on another scenario set (JSON)."),
    reroute: str = typer.Option("none", "--reroute", help="none, or proportional (TeaVaR/ARROW rerouting)."),
    beta: float = typer.Option(0.99, "--beta", help="Level of VaR/CVaR."),
    loss_target: float = typer.Option(0.0, "--loss-target", help="Loss target of the availability metrics."),
    weighting: str = typer.Option("flow", "--weighting", help="Flow weights of scenario losses."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Replay an allocation: losses, throughput, availability, VaR/CVaR, link utilisation."""
    from kplane.te import load_allocation, load_instance, load_scenarios, replay

    inst = load_instance(instance)
    x = load_allocation(allocation, inst)
    scen = load_scenarios(scenarios, inst) if scenarios is not None else None
    res = replay(inst, x, scen, reroute=reroute, weighting=weighting)
    summary = {
        "instance": inst.name,
        "allocation": str(allocation),
        "scenarios": str(scenarios) if scenarios else "instance",
        **res.summary(beta=beta, loss_target=loss_target),
    }
    if json_out:
        emit_json(summary)
        return
    from rich.table import Table

    table = Table(
        title=f"replay of {allocation.name} on {inst.name} ({summary['n_scenarios']} scenarios)",
        show_header=False,
    )
    for group in ("loss", "throughput", "availability", "link_utilisation"):
        for k, v in summary[group].items():
            table.add_row(f"{group}.{k}", f"{v:.6g}" if isinstance(v, float) else str(v))
    table.add_row("feasible", str(summary["feasible"]))
    console.print(table)


# ---------------------------------------------------------------------------------------------- bench
def _floats(text: str, what: str) -> list[float]:
    try:
        vals = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InvalidParameterError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if not vals or any(not (0 < v < 1) or math.isnan(v) for v in vals):
        raise InvalidParameterError(f"{what} must lie in (0, 1), got {text!r}")
    return vals


@bench_app.command("te-solvers")
def bench_te_solvers(
    topologies: str = typer.Option(
        "b4,ibm,geant,germany50",
        "--topologies",
        help="Comma-separated: b4, ibm, geant, germany50, tatanld, teavar-b4, "
        "teavar-ibm, teavar-xnet, teavar-att.",
    ),
    objectives: str = typer.Option("nominal,expected,ffc,teavar,quantile", "--objectives"),
    cutoffs: str = typer.Option(
        "1e-3,1e-4", "--cutoffs", help="Scenario cutoffs (more scenarios when smaller)."
    ),
    time_limit: float = typer.Option(300.0, "--time-limit", help="Seconds per solve."),
    beta: float = typer.Option(0.99, "--beta"),
    quantile_aggregate: str = typer.Option("mean", "--quantile-aggregate", help="max or mean over flows."),
    data: Path = typer.Option(Path("../shared/data"), "--data", help="The public data folder."),
    seed: int = typer.Option(0, "--seed"),
    json_out: bool = typer.Option(False, "--json", help="Print JSON records."),
) -> None:
    """Solve times per topology × objective × scenario count (HiGHS, this machine)."""
    from kplane.te._bench import (
        BENCH_OBJECTIVES,
        NEURORISK_SOLVER_TIMES,
        TEAVAR_GUROBI_TIMES,
        run_solver_bench,
    )

    topos = [t.strip().lower() for t in topologies.split(",") if t.strip()]
    objs = [o.strip().lower() for o in objectives.split(",") if o.strip()]
    bad = [o for o in objs if o not in BENCH_OBJECTIVES]
    if bad:
        raise InvalidParameterError(f"unknown objective {bad[0]!r}; valid: {', '.join(BENCH_OBJECTIVES)}")
    cuts = _floats(cutoffs, "--cutoffs")
    if not data.is_dir():
        raise InvalidParameterError(
            f"--data {data}: folder not found (the public data folder, ../shared/data)"
        )
    total = len(topos) * len(cuts) * len(objs)
    with progress_bar() as bar:
        task = bar.add_task("te-solvers", total=total, rate="")

        def done(rec: dict[str, Any]) -> None:
            bar.advance(task, 1 if rec.get("objective") else len(objs))
            if rec.get("error") and not json_out:
                err_console.print(f"{rec['topology']} {rec.get('objective')}: {rec['error']}")

        recs = run_solver_bench(
            topos,
            objs,
            cuts,
            data,
            beta=beta,
            time_limit=time_limit,
            quantile_aggregate=quantile_aggregate,
            seed=seed,
            on_result=done,
        )
    if json_out:
        emit_json(
            {
                "beta": beta,
                "time_limit": time_limit,
                "quantile_aggregate": quantile_aggregate,
                "records": recs,
                "teavar_gurobi_times": TEAVAR_GUROBI_TIMES,
                "neurorisk_solver_times": NEURORISK_SOLVER_TIMES,
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"kplane exact TE solvers (HiGHS; beta={beta}, time limit {time_limit:g} s)")
    for col in (
        "topology",
        "cutoff",
        "scenarios",
        "tunnels",
        "objective",
        "status",
        "time s",
        "risk",
        "gap",
        "reference",
    ):
        table.add_column(col)
    for r in recs:
        if r.get("objective") is None:
            table.add_row(r["topology"], f"{r['cutoff']:g}", "-", "-", "-", "error", "-", "-", "-", "")
            continue
        ref = (
            TEAVAR_GUROBI_TIMES.get(r["topology"], "")
            if r["objective"] == "teavar"
            else (
                NEURORISK_SOLVER_TIMES.get(r["topology"], "") if r["objective"].startswith("quantile") else ""
            )
        )
        table.add_row(
            r["topology"],
            f"{r['cutoff']:g}",
            str(r["n_scenarios"]),
            str(r["n_tunnels"]),
            r["objective"],
            str(r.get("status")),
            f"{r['time_s']:.3g}" if "time_s" in r else "-",
            f"{r['objective_value']:.4g}" if "objective_value" in r else "-",
            "-" if r.get("mip_gap") is None else f"{r['mip_gap']:.1e}",
            ref,
        )
    console.print(table)
