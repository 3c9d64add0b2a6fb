"""`kplane te`: Risk-aware traffic engineering; `kplane bench te-solvers`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, err_console, progress_bar
from kplane.cli.bench import app as bench_app
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import TEInstance

app = typer.Typer(help="Risk-aware traffic engineering.", no_args_is_help=True)

# ---------------------------------------------------------------------------------------------- options
_TOPOLOGY = typer.Option(None, "--topology", help="Bundled topology name (kplane topology list).")
_FROM = typer.Option(
    None, "--from-files", help="WAN data file/folder (ARROW, TeaVaR, Flexile, FIGRET, SNDlib, GraphML)."
)
_FORMAT = typer.Option(
    "auto",
    "--format",
    help="Data format of --from-files (auto, arrow, teavar, flexile, figret, sndlib, graphml).",
)
_TUNNELS = typer.Option(3, "--tunnels", help="k shortest paths per pair (or the cap on file tunnels).")
_TUNNEL_FILE = typer.Option(
    None, "--tunnel-file", help="Read tunnels from a YATES/Flexile/FIGRET/ARROW file."
)
_TUNNEL_FORMAT = typer.Option("auto", "--tunnel-format", help="auto, yates, flexile, figret, arrow.")
_TM = typer.Option(0, "--tm-index", help="Traffic matrix of the data to use (0-based).")
_SCALE = typer.Option(1.0, "--demand-scale", help="Multiply every demand.")
_LOAD = typer.Option(0.5, "--target-load", help="Gravity demands: mean shortest-path link utilisation.")
_CAP = typer.Option("100Gbps", "--capacity", help="Link capacity of bundled topologies.")
_FAIL = typer.Option(
    "auto",
    "--failure-model",
    help="auto, none, link, fibre, link-file, fibre-file, k-failure, scenario-file.",
)
_SHAPE = typer.Option(0.8, "--weibull-shape", help="Weibull shape of failure probabilities.")
_WSCALE = typer.Option(None, "--weibull-scale", help="Weibull scale (default 1e-3 per link, 0.02 per fibre).")
_CUTOFF = typer.Option(1e-4, "--cutoff", help="Scenario probability cutoff.")
_K = typer.Option(1, "--k-failures", help="k of --failure-model k-failure (FFC's sets).")
_KEEP = typer.Option(False, "--keep-disconnecting", help="Keep failure sets that disconnect the network.")
_UNCOV = typer.Option(
    "renormalised", "--uncovered", help="Mass below the cutoff: renormalised or all_failed."
)
_BIDIR = typer.Option(False, "--bidirectional-tunnels", help="A tunnel also dies when a reverse link fails.")
_SFILE = typer.Option(None, "--scenario-file", help="Scenarios for --failure-model scenario-file.")
_SEED = typer.Option(0, "--seed", help="Seed of the Weibull draws.")
_NAME = typer.Option(None, "--name", help="Instance name.")


def _build(
    topology: str | None,
    from_files: Path | None,
    fmt: str,
    tunnels: int,
    tunnel_file: Path | None,
    tunnel_format: str,
    tm_index: int,
    demand_scale: float,
    target_load: float,
    capacity: str,
    failure_model: str,
    weibull_shape: float,
    weibull_scale: float | None,
    cutoff: float,
    k_failures: int,
    keep_disconnecting: bool,
    uncovered: str,
    bidirectional_tunnels: bool,
    scenario_file: Path | None,
    seed: int,
    name: str | None,
) -> TEInstance:
    from kplane.te import build_instance
    from kplane.utils import parse_rate

    if (topology is None) == (from_files is None):
        raise InvalidParameterError(
            "give exactly one of --topology NAME or --from-files PATH (or --instance FILE)"
        )
    if from_files is not None and not from_files.exists():
        raise InvalidParameterError(f"--from-files {from_files}: no such file or folder")
    source: Any = topology if topology is not None else from_files
    with progress_bar(transient=True) as bar:
        task = bar.add_task("tunnels", total=None, rate="")

        def tick(done: int) -> None:
            bar.update(task, completed=done)

        return build_instance(
            source,
            format=fmt,
            tunnels=tunnels,
            tunnel_file=tunnel_file,
            tunnel_format=tunnel_format,
            tm_index=tm_index,
            demand_scale=demand_scale,
            target_load=target_load,
            capacity=parse_rate(capacity),
            failure_model=failure_model,
            weibull_shape=weibull_shape,
            weibull_scale=weibull_scale,
            cutoff=cutoff,
            k_failures=k_failures,
            drop_disconnecting=not keep_disconnecting,
            uncovered=uncovered,
            bidirectional_tunnels=bidirectional_tunnels,
            scenario_file=scenario_file,
            seed=seed,
            name=name,
            progress=tick,
        )


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
def instance_cmd(
    topology: str = _TOPOLOGY,
    from_files: Path = _FROM,
    fmt: str = _FORMAT,
    tunnels: int = _TUNNELS,
    tunnel_file: Path = _TUNNEL_FILE,
    tunnel_format: str = _TUNNEL_FORMAT,
    tm_index: int = _TM,
    demand_scale: float = _SCALE,
    target_load: float = _LOAD,
    capacity: str = _CAP,
    failure_model: str = _FAIL,
    weibull_shape: float = _SHAPE,
    weibull_scale: float = _WSCALE,
    cutoff: float = _CUTOFF,
    k_failures: int = _K,
    keep_disconnecting: bool = _KEEP,
    uncovered: str = _UNCOV,
    bidirectional_tunnels: bool = _BIDIR,
    scenario_file: Path = _SFILE,
    seed: int = _SEED,
    name: str = _NAME,
    export: Path = typer.Option(
        None, "--export", help="Write the instance JSON (schema kplane.te.instance v1)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the instance summary as JSON."),
) -> None:
    """Build a TE instance (topology, demands, tunnels, failure scenarios) and optionally export it."""
    inst = _build(
        topology,
        from_files,
        fmt,
        tunnels,
        tunnel_file,
        tunnel_format,
        tm_index,
        demand_scale,
        target_load,
        capacity,
        failure_model,
        weibull_shape,
        weibull_scale,
        cutoff,
        k_failures,
        keep_disconnecting,
        uncovered,
        bidirectional_tunnels,
        scenario_file,
        seed,
        name,
    )
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
def solve_cmd(
    instance: Path = typer.Option(None, "--instance", help="Instance JSON (kplane te instance --export)."),
    topology: str = _TOPOLOGY,
    from_files: Path = _FROM,
    fmt: str = _FORMAT,
    tunnels: int = _TUNNELS,
    tunnel_file: Path = _TUNNEL_FILE,
    tunnel_format: str = _TUNNEL_FORMAT,
    tm_index: int = _TM,
    demand_scale: float = _SCALE,
    target_load: float = _LOAD,
    capacity: str = _CAP,
    failure_model: str = _FAIL,
    weibull_shape: float = _SHAPE,
    weibull_scale: float = _WSCALE,
    cutoff: float = _CUTOFF,
    k_failures: int = _K,
    keep_disconnecting: bool = _KEEP,
    uncovered: str = _UNCOV,
    bidirectional_tunnels: bool = _BIDIR,
    scenario_file: Path = _SFILE,
    seed: int = _SEED,
    name: str = _NAME,
    objective: str = typer.Option("teavar", "--objective", help="ffc, teavar, quantile, expected, nominal."),
    beta: float = typer.Option(None, "--beta", help="CVaR/quantile level in (0, 1) (default 0.99)."),
    form: str = typer.Option("mean", "--form", help="Scenario loss over flows: mean or max (ffc, teavar)."),
    aggregate: str = typer.Option("max", "--aggregate", help="quantile: max or mean over flows."),
    weighting: str = typer.Option(
        "flow", "--weighting", help="Flow weights of scenario losses: flow or demand."
    ),
    time_limit: float = typer.Option(None, "--time-limit", help="Seconds (quantile default 300)."),
    mip_gap: float = typer.Option(1e-4, "--mip-gap", help="Relative MIP gap (quantile)."),
    method: str = typer.Option("auto", "--method", help="LP algorithm: auto, simplex, ipm, pdlp."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    allocation_out: Path = typer.Option(None, "--allocation-out", help="Write the allocation JSON."),
    verbose: bool = typer.Option(False, "--verbose", help="Show the HiGHS log."),
) -> None:
    """Solve a TE instance exactly (HiGHS) for a risk objective."""
    from kplane.te import load_instance, make_objective, save_allocation, solve

    make_objective(objective, beta=beta, form=form, weighting=weighting)  # fail fast on bad choices
    if instance is not None:
        if topology is not None or from_files is not None:
            raise InvalidParameterError(
                "give --instance FILE or instance options (--topology/--from-files), not both"
            )
        inst = load_instance(instance)
    else:
        inst = _build(
            topology,
            from_files,
            fmt,
            tunnels,
            tunnel_file,
            tunnel_format,
            tm_index,
            demand_scale,
            target_load,
            capacity,
            failure_model,
            weibull_shape,
            weibull_scale,
            cutoff,
            k_failures,
            keep_disconnecting,
            uncovered,
            bidirectional_tunnels,
            scenario_file,
            seed,
            name,
        )
    with progress_bar(transient=True) as bar:
        bar.add_task(f"solving {objective}", total=None, rate="")
        sol = solve(
            inst,
            objective,
            beta=beta,
            form=form,
            aggregate=aggregate,
            weighting=weighting,
            time_limit=time_limit,
            mip_rel_gap=mip_gap,
            method=method,
            verbose=verbose,
        )
    out = {
        "instance": inst.name,
        "n_scenarios": inst.n_scenarios,
        "n_tunnels": inst.n_tunnels,
        "total_demand": inst.total_demand,
        **sol.to_dict(),
    }
    if allocation_out is not None:
        save_allocation(
            sol.x,
            allocation_out,
            instance=inst.name,
            objective=sol.objective,
            objective_label=sol.objective_label,
            objective_value=sol.objective_value,
            status=sol.status.value,
        )
        out["allocation"] = str(allocation_out)
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
