"""`kplane sim`: Packet-level simulation (ground truth); `kplane bench sim`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, err_console, fmt_number, progress_bar
from kplane.cli.bench import app as bench_app
from kplane.errors import InvalidParameterError
from kplane.network import PAPER_SAMPLE_TIME

if TYPE_CHECKING:
    from kplane.network import PathKPIs, Scenario

app = typer.Typer(help="Packet-level simulation (ground truth).", no_args_is_help=True)


def _load(scenario: Path | None, datanet: Path | None, sample: int | None) -> tuple[Scenario, dict[str, Any]]:
    """The scenario to simulate and, for a datanet sample, its metadata."""
    if (scenario is None) == (datanet is None):
        raise InvalidParameterError("give exactly one of --scenario FILE or --datanet DIR --sample K")
    if scenario is not None:
        if sample is not None:
            raise InvalidParameterError("--sample applies to --datanet only")
        from kplane.network.io import load_scenario

        return load_scenario(scenario), {}
    from kplane.network.io import DatanetDataset

    ds = DatanetDataset(datanet)  # type: ignore[arg-type]
    k = 0 if sample is None else sample
    if not 0 <= k < len(ds):
        raise InvalidParameterError(f"--sample must be in 0..{len(ds) - 1} for {datanet}, got {k}")
    smp = ds[k]
    return smp.scenario, dict(smp.metadata) | {"kpis": smp.kpis}


def _simulate_with_bar(sc: Scenario, duration: float, warmup: float | None, seed: int, quiet: bool) -> Any:
    from kplane.sim import simulate

    if quiet:
        return simulate(sc, duration=duration, warmup=warmup, seed=seed)
    with progress_bar(transient=True) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=1.0, rate="")

        def tick(f: float) -> None:
            bar.update(task, completed=f, rate=f"{f * duration:,.0f} / {duration:,.0f} s simulated")

        return simulate(sc, duration=duration, warmup=warmup, seed=seed, progress=tick)


def _paths_table(title: str, kpis: PathKPIs, limit: int, other: PathKPIs | None = None,
                 other_name: str = "") -> Any:
    from rich.table import Table

    t = Table(title=title)
    t.add_column("path", style="bold", no_wrap=True)
    t.add_column("delay (ms)", justify="right")
    if other is not None:
        t.add_column(f"{other_name} delay", justify="right")
    t.add_column("jitter (ms²)", justify="right")
    if other is not None:
        t.add_column(f"{other_name} jitter", justify="right")
    t.add_column("loss", justify="right")
    if other is not None:
        t.add_column(f"{other_name} loss", justify="right")
    names = kpis.node_names
    for i in range(min(limit, kpis.n_paths)):
        s, d = kpis.pairs[i]
        label = f"{names[s]}→{names[d]}" if names else f"{s}→{d}"
        row = [label, fmt_number(kpis.mean_delay[i], 1e3)]
        if other is not None:
            row.append(fmt_number(other.mean_delay[i], 1e3))
        row.append(fmt_number(kpis.jitter[i], 1e6))
        if other is not None:
            row.append(fmt_number(other.jitter[i], 1e6))
        row.append(fmt_number(kpis.loss_ratio[i], 1.0, 3))
        if other is not None:
            row.append(fmt_number(other.loss_ratio[i], 1.0, 3))
        t.add_row(*row)
    return t


@app.command("run")
def run_cmd(
    scenario: Path | None = typer.Option(None, "--scenario", help="A kplane scenario JSON file."),
    datanet: Path | None = typer.Option(None, "--datanet", help="A datanet dataset folder."),
    sample: int | None = typer.Option(None, "--sample", help="Sample index in --datanet (stable samples)."),
    duration: float | None = typer.Option(
        None, "--duration", help="Simulated seconds (default: the sample's recorded time, or 16000 s)."
    ),
    warmup: float | None = typer.Option(None, "--warmup", help="Seconds excluded (default duration/20)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same result)."),
    limit: int = typer.Option(20, "--limit", help="Paths shown in the table."),
    json_out: bool = typer.Option(False, "--json", help="Print PathKPIs JSON plus links and run info."),
) -> None:
    """Simulate a scenario or a datanet sample; print per-path KPIs and run statistics."""
    sc, meta = _load(scenario, datanet, sample)
    if duration is None:
        duration = float(meta.get("sim_time", PAPER_SAMPLE_TIME))
    res = _simulate_with_bar(sc, duration, warmup, seed, quiet=json_out)
    if json_out:
        out = res.to_dict(sc.topology.links)
        out["scenario"] = sc.name
        out["wall_time_s"] = res.wall_time_s
        emit_json(out)
        return
    console.print(_paths_table(f"{sc.name}: simulated {duration:g} s (warm-up {res.warmup:g} s)",
                               res.kpis, limit))
    if sc.n_paths > limit:
        console.print(f"({sc.n_paths - limit} more paths; --limit N or --json for all)")
    console.print(
        f"{res.n_packets:,} packets, {res.n_events:,} events in {res.wall_time_s:.3g} s "
        f"({res.packets_per_s / 1e6:.3g} M packets/s, {res.events_per_s / 1e6:.3g} M events/s; "
        f"compile/load {res.compile_time_s:.3g} s)",
        highlight=False,
    )


@app.command("compare")
def compare_cmd(
    scenario: Path = typer.Option(..., "--scenario", help="A kplane scenario JSON file."),
    duration: float = typer.Option(PAPER_SAMPLE_TIME, "--duration", help="Simulated seconds."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the simulation."),
    limit: int = typer.Option(15, "--limit", help="Paths shown in the table."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Simulator vs the M/M/1/b queueing baseline, per path and overall."""
    from kplane.network.io import load_scenario
    from kplane.queueing import MM1bModel
    from kplane.sim import compare_kpis

    sc = load_scenario(scenario)
    res = _simulate_with_bar(sc, duration, None, seed, quiet=json_out)
    qt = MM1bModel().predict([sc])[0]
    agreement = compare_kpis(qt, res.kpis)
    if json_out:
        emit_json({"scenario": sc.name, "simulator": res.kpis.to_dict(), "queueing": qt.to_dict(),
                   "queueing_vs_simulator": agreement, "sim_wall_time_s": res.wall_time_s})
        return
    console.print(_paths_table(f"{sc.name}: simulator vs M/M/1/b", res.kpis, limit, qt, "M/M/1/b"))
    console.print(
        f"M/M/1/b vs simulator over {sc.n_paths} paths: delay MAPE {agreement['delay_mape']:.1%}, "
        f"jitter MAPE {agreement['jitter_mape']:.1%}, loss MAE {agreement['loss_mae']:.2e}  "
        f"(simulated {duration:g} s in {res.wall_time_s:.2f} s)",
        highlight=False,
    )


@app.command("validate")
def validate_cmd(
    datanet: Path = typer.Option(..., "--datanet", help="A datanet dataset folder with labels."),
    samples: int | None = typer.Option(None, "--samples", help="First N stable samples (default: all)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the kplane runs."),
    noise_floor: bool = typer.Option(
        False, "--noise-floor", help="Also run a second seed and report the seed-to-seed disagreement."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Simulate recorded samples with their own simulated time; compare delay, jitter, loss and speed."""
    from rich.table import Table

    from kplane.network.io import DatanetDataset
    from kplane.sim import validate_samples

    ds = DatanetDataset(datanet)
    n = len(ds) if samples is None else samples
    if not 1 <= n <= len(ds):
        raise InvalidParameterError(f"--samples must be in 1..{len(ds)}, got {samples}")
    chosen = [ds[k] for k in range(n)]
    with progress_bar(transient=True) as bar:
        task = bar.add_task("simulating samples", total=n, rate="")

        def tick(done: float, total: int) -> None:
            bar.update(task, completed=done)

        report = validate_samples(chosen, seed=seed, noise_floor=noise_floor, progress=tick)
    out = report.to_dict()
    if json_out:
        emit_json(out)
        return
    t = Table(title=f"kplane vs recorded simulations ({datanet})")
    for col in ("sample", "sim time (s)", "delay MAPE", "jitter MAPE", "loss MAE", "kplane (s)",
                "recorded (s)", "speed-up"):
        t.add_column(col, justify="right")
    for r in report.samples:
        t.add_row(str(r["sample"]), f"{r['sim_time']:g}", f"{r['delay_mape']:.2%}", f"{r['jitter_mape']:.2%}",
                  f"{r['loss_mae']:.1e}", f"{r['kplane_wall_s']:.2f}",
                  "-" if r["recorded_wall_s"] is None else f"{r['recorded_wall_s']:g}",
                  "-" if r["speedup"] is None else f"{r['speedup']:.0f}×")
    console.print(t)
    line = (f"overall: delay MAPE {report.delay_mape:.2%}, jitter MAPE {report.jitter_mape:.2%}, "
            f"loss MAE {report.loss_mae:.2e}; kplane {report.kplane_wall_s:.1f} s")
    if report.recorded_wall_s is not None and report.speedup is not None:
        line += (f" ({report.kplane_cpu_s:.1f} s CPU) vs recorded {report.recorded_wall_s:.0f} s: "
                 f"{report.speedup:.0f}× faster ({report.speedup_cpu:.0f}× by CPU time)")
    line += f"; {out['packets_per_s'] / 1e6:.2f} M packets/s"
    console.print(line, highlight=False)
    if report.noise_delay_mape is not None:
        console.print(f"noise floor (kplane seed {seed} vs {seed + 1}): "
                      f"delay MAPE {report.noise_delay_mape:.2%}, "
                      f"jitter MAPE {report.noise_jitter_mape:.2%}, loss MAE {report.noise_loss_mae:.2e}",
                      highlight=False)


@bench_app.command("sim")
def bench_sim_cmd(
    duration: float = typer.Option(PAPER_SAMPLE_TIME, "--duration", help="Simulated seconds per run."),
    intensity: float = typer.Option(12.0, "--traffic-intensity", help="RouteNet traffic intensity (kbit/s)."),
    repeat: int = typer.Option(3, "--repeat", help="Timed runs (the best is reported)."),
    ns3: bool = typer.Option(True, "--ns3/--no-ns3", help="Also time ns-3 when it is installed."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Simulator speed on NSFNET (packets/s, events/s, per paper sample), queueing on Germany50, ns-3."""
    from kplane.sim._bench import bench_sim

    if repeat < 1:
        raise InvalidParameterError(f"--repeat must be >= 1, got {repeat}")
    with progress_bar(transient=True) as bar:
        task = bar.add_task("benchmarking", total=None, rate="")

        def tick(what: str) -> None:
            bar.update(task, description=what)

        out = bench_sim(duration=duration, intensity=intensity, repeat=repeat, ns3=ns3, progress=tick)
    if json_out:
        emit_json(out)
        return
    s = out["simulator"]
    sc = out["scenario"]
    console.print(f"[bold]kplane simulator[/] on {sc['name']} ({sc['n_paths']} paths, "
                  f"max utilisation {sc['max_utilisation']:.2f}), {duration:g} s simulated:", highlight=False)
    console.print(f"  {s['wall_s']:.3f} s wall ({s['cpu_s']:.3f} s CPU), "
                  f"{s['packets_per_s'] / 1e6:.2f} M packets/s, {s['events_per_s'] / 1e6:.2f} M events/s, "
                  f"{s['hops_per_s'] / 1e6:.2f} M packet-hops/s; compile/load {s['compile_s']:.2f} s",
                  highlight=False)
    console.print(f"  per RouteNet-paper sample ({PAPER_SAMPLE_TIME:g} s): "
                  f"{s['paper_sample_wall_s']:.3f} s wall, {s['paper_sample_cpu_s']:.3f} s CPU",
                  highlight=False)
    q = out["queueing"]
    console.print(f"[bold]M/M/1/b baseline[/] on {q['scenario']} ({q['n_paths']} paths): "
                  f"{q['wall_ms']:.2f} ms per scenario ({q['n_iter']} iterations)", highlight=False)
    n3 = out["ns3"]
    if n3.get("available"):
        console.print(f"[bold]ns-3[/] {n3['version']} on {n3['scenario']}: "
                      f"{n3['hops_per_s'] / 1e3:.0f} k packet-hops/s vs kplane "
                      f"{n3['kplane_hops_per_s'] / 1e6:.2f} M → kplane {n3['ratio']:.0f}× faster "
                      f"per packet-hop ({n3['ratio_cpu']:.0f}× by CPU time)",
                      highlight=False)
    else:
        err_console.print(f"ns-3: skipped ({n3.get('reason')})", highlight=False)
