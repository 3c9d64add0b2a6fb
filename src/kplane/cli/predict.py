"""`kplane predict`: per-path delay, jitter and loss of one scenario with RouteNet.

With ``--compare`` the same scenario is also simulated by kplane's packet-level simulator and solved by
the M/M/1/b baseline, and each model's error against the simulator and its time are shown side by side.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, err_console, fmt_number
from kplane.cli.routenet import open_dataset
from kplane.errors import InvalidParameterError
from kplane.network import PAPER_SAMPLE_TIME

if TYPE_CHECKING:
    from kplane.network import PathKPIs, Scenario



def _load_one(
    scenario: Path | None, datanet: Path | None, sample: int | None
) -> tuple[Scenario, PathKPIs | None]:
    if (scenario is None) == (datanet is None):
        raise InvalidParameterError("give exactly one of --scenario FILE or --datanet DIR --sample K")
    if scenario is not None:
        if sample is not None:
            raise InvalidParameterError("--sample applies to --datanet only")
        from kplane.network.io import load_scenario

        return load_scenario(scenario), None
    ds = open_dataset(datanet)  # type: ignore[arg-type]
    k = 0 if sample is None else sample
    if not 0 <= k < len(ds):
        raise InvalidParameterError(f"--sample must be in 0..{len(ds) - 1} for {datanet}, got {k}")
    item = ds[k]
    return item[0], item[1]


def predict_command(
    scenario: Path | None = typer.Option(None, "--scenario", help="A kplane scenario JSON file."),
    datanet: Path | None = typer.Option(None, "--datanet", help="A datanet (or kplane) dataset folder."),
    sample: int | None = typer.Option(None, "--sample", help="Sample index in --datanet."),
    model_path: str = typer.Option("bundled", "--model", help="RouteNet model file, or 'bundled'."),
    mc_samples: int = typer.Option(0, "--mc-samples", help="Monte-Carlo dropout draws (0 or >= 2)."),
    compare: bool = typer.Option(
        False, "--compare", help="Also run the simulator and the M/M/1/b baseline; show errors and times."
    ),
    duration: float = typer.Option(
        PAPER_SAMPLE_TIME, "--duration", help="Simulated seconds for --compare (paper: 16,000)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the --compare simulation and of MC dropout."),
    limit: int = typer.Option(30, "--limit", help="Paths shown in the table."),
    threads: int | None = typer.Option(None, "--threads", help="Torch CPU threads."),
    json_out: bool = typer.Option(False, "--json", help="Print PathKPIs JSON."),
) -> None:
    """Predict per-path delay, jitter and loss of a scenario with RouteNet."""
    import warnings

    from kplane.errors import OutOfDistributionWarning
    from kplane.routenet import RouteNetModel

    if not (math.isfinite(duration) and duration > 0):
        raise InvalidParameterError(f"--duration must be a number of seconds > 0, got {duration}")
    sc, truth = _load_one(scenario, datanet, sample)
    model = RouteNetModel.load(model_path, mc_samples=mc_samples, num_threads=threads, seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OutOfDistributionWarning)
        kpis = model.predict([sc])[0]
    for w in caught:
        err_console.print(f"[yellow]warning:[/] {w.message}", highlight=False, soft_wrap=True)
    comparison = _compare(sc, model, kpis, duration, seed, quiet=json_out) if compare else None
    if json_out:
        out = kpis.to_dict()
        if comparison is not None:
            out = {"routenet": out, "comparison": comparison["summary"],
                   "simulator": comparison["simulator"].to_dict(),
                   "queueing": comparison["queueing"].to_dict()}
        emit_json(out)
        return
    reference = comparison["simulator"] if comparison is not None else truth
    label = "sim" if comparison is not None else "true"
    console.print(_predict_table(sc, kpis, reference, label, limit))
    if comparison is not None:
        console.print(_comparison_table(sc, comparison["summary"]))


def _compare(sc: Scenario, model: Any, kpis: PathKPIs, duration: float, seed: int,
             quiet: bool) -> dict[str, Any]:
    """Simulate ``sc`` and solve it with M/M/1/b; errors of RouteNet and M/M/1/b against the simulator.

    Model times are of a second call (the first one, already made, paid the one-off allocations).
    """
    import warnings

    from kplane.cli.sim import _simulate_with_bar
    from kplane.queueing import MM1bModel
    from kplane.sim import compare_kpis

    res = _simulate_with_bar(sc, duration, None, seed, quiet)
    sim_s = res.wall_time_s  # the simulation itself, without loading or compiling the kernel
    qt_model = MM1bModel()
    qt = qt_model.predict([sc])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already reported
        routenet_s = _time_predict(model, sc)
    qt_s = _time_predict(qt_model, sc)
    summary: dict[str, Any] = {"duration_s": duration, "paths": sc.n_paths, "simulator_time_s": sim_s}
    for name, pred, secs in (("routenet", kpis, routenet_s), ("queueing", qt, qt_s)):
        errs = compare_kpis(pred, res.kpis)
        summary[name] = {"time_s": secs, "speedup_vs_simulator": sim_s / secs if secs > 0 else math.inf,
                         "delay_mape": errs["delay_mape"], "jitter_mape": errs["jitter_mape"],
                         "loss_mae": errs["loss_mae"]}
    return {"summary": summary, "simulator": res.kpis, "queueing": qt}


def _time_predict(model: Any, sc: Scenario) -> float:
    t0 = time.perf_counter()
    model.predict([sc])
    return time.perf_counter() - t0


def _comparison_table(sc: Scenario, s: dict[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title=f"{sc.name}: against the simulator ({s['duration_s']:g} simulated s, {s['paths']} paths)")
    for c in ("model", "time (s)", "speed-up", "delay MAPE", "jitter MAPE", "loss MAE"):
        t.add_column(c, justify="left" if c == "model" else "right")
    t.add_row("simulator (ground truth)", f"{s['simulator_time_s']:.3g}", "1×", "-", "-", "-")
    for key, name in (("routenet", "RouteNet"), ("queueing", "M/M/1/b")):
        m = s[key]
        t.add_row(name, f"{m['time_s']:.3g}", f"{m['speedup_vs_simulator']:,.0f}×", f"{m['delay_mape']:.1%}",
                  f"{m['jitter_mape']:.1%}", f"{m['loss_mae']:.2e}")
    return t


def _predict_table(sc: Scenario, kpis: PathKPIs, truth: PathKPIs | None, label: str, limit: int) -> Any:
    from rich.table import Table

    ci = kpis.mean_delay_ci
    t = Table(title=f"{sc.name}: RouteNet prediction ({kpis.n_paths} paths)")
    cols = ["src", "dst", "hops", "delay (ms)", *(["±95% (ms)"] if ci is not None else []), "jitter (ms²)",
            "loss (%)"]
    if truth is not None:
        cols += [f"{label} delay (ms)", f"{label} loss (%)"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("src", "dst") else "right")
    names = sc.topology.node_names
    hops = sc.routing.hops
    for i in range(min(limit, kpis.n_paths)):
        s, d = kpis.pairs[i]
        row = [names[s], names[d], str(int(hops[i])), fmt_number(kpis.mean_delay[i], 1e3),
               *([fmt_number(ci[i], 1e3)] if ci is not None else []), fmt_number(kpis.jitter[i], 1e6, 3),
               fmt_number(kpis.loss_ratio[i], 100.0, 2)]
        if truth is not None:
            row += [fmt_number(truth.mean_delay[i], 1e3), fmt_number(truth.loss_ratio[i], 100.0, 2)]
        t.add_row(*row)
    return t
