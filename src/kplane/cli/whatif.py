"""`kplane whatif`: pick a routing or a new link with a performance model (RouteNet §VI).

Also registers ``kplane bench whatif`` (time to score candidate routings with each model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, fmt_number, progress_bar
from kplane.cli.bench import app as bench_app
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.network import PerformanceModel, Scenario, Topology
    from kplane.whatif import Policy

app = typer.Typer(
    help="What-if optimisation with a performance model: QoS routing, link placement (RouteNet §VI).",
    no_args_is_help=True,
)

MODEL_HELP = (
    "Model that scores the candidates: bundled (RouteNet weights), queueing, sim, or a checkpoint PATH."
)


def load_scenario_arg(
    scenario: Path | None, topology: str | None, intensity: float | None, seed: int
) -> Scenario:
    """The scenario of ``--scenario FILE`` or of ``--topology NAME --traffic-intensity TI --seed S``."""
    if scenario is not None:
        if topology is not None or intensity is not None:
            raise InvalidParameterError("give either --scenario or --topology/--traffic-intensity, not both")
        from kplane.network.io import load_scenario

        return load_scenario(scenario)
    if topology is None or intensity is None:
        raise InvalidParameterError(
            "a scenario is needed: --scenario FILE, or --topology NAME with --traffic-intensity TI"
        )
    if not intensity >= 0:
        raise InvalidParameterError(f"--traffic-intensity must be >= 0 kbit/s, got {intensity}")
    if seed < 0:
        raise InvalidParameterError(f"--seed must be >= 0, got {seed}")
    from kplane.network.generators import routenet_scenario

    return routenet_scenario(topology, intensity, seed=seed)


def load_policy_arg(path: Path | None, topology: Topology, default: Policy) -> Policy:
    """``--policy FILE`` (JSON, see docs/whatif.md) or ``default``."""
    from kplane.errors import FormatError
    from kplane.whatif import Policy

    if path is None:
        return default
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    try:
        return Policy.from_dict(data, topology=topology)
    except InvalidParameterError as exc:
        raise FormatError(str(exc), file=path) from None


def check_positive(value: float, option: str) -> None:
    """Raise unless ``value`` > 0."""
    if not value > 0:
        raise InvalidParameterError(f"{option} must be > 0, got {value}")


def make_models(
    model: str, *, duration: float, sim_seed: int, jobs: int, threads: int | None = None
) -> tuple[PerformanceModel, PerformanceModel, PerformanceModel, str]:
    """(model under test, measuring simulator, reference simulator, model label).

    The measuring simulator uses ``sim_seed``; the reference (the "optimal" optimizer and the SP
    average, and ``--model sim``) uses ``sim_seed + 1``, so choices are measured on a simulation
    they were not selected on.
    """
    from kplane.whatif import make_simulator, resolve_model

    check_positive(duration, "--duration")
    if jobs < 1:
        raise InvalidParameterError(f"--jobs must be >= 1, got {jobs}")
    is_sim = model.strip().lower() == "sim"
    if threads is not None and threads < 1:
        raise InvalidParameterError(f"--threads must be >= 1, got {threads}")
    m = None if is_sim else resolve_model(model, num_threads=threads)
    measure = make_simulator(duration=duration, seed=sim_seed, n_jobs=jobs)
    reference = make_simulator(duration=duration, seed=sim_seed + 1, n_jobs=jobs)
    if m is None:
        m = reference
    label = model.strip().lower() if model.strip().lower() in ("bundled", "queueing", "sim") else "routenet"
    return m, measure, reference, label


@contextmanager
def summarised_warnings() -> Iterator[None]:
    """Collect kplane warnings (e.g. RouteNet inputs outside its training range, one per scenario)
    and print one line per kind with a count and the first message, instead of hundreds."""
    import warnings

    from kplane.cli._common import err_console
    from kplane.errors import KplaneWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KplaneWarning)
        yield
    kinds: dict[str, list[str]] = {}
    for w in caught:
        if issubclass(w.category, KplaneWarning):
            kinds.setdefault(w.category.__name__, []).append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for kind, msgs in kinds.items():
        more = f" (and {len(msgs) - 1} more like it)" if len(msgs) > 1 else ""
        err_console.print(f"[yellow]warning ({kind}):[/] {msgs[0]}{more}", highlight=False, soft_wrap=True)


@contextmanager
def progress_callback(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar driven by ``cb(done, total)``."""
    with progress_bar(transient=True) as bar:
        task = bar.add_task(description, total=None, rate="")

        def cb(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield cb


def parse_baselines(text: str) -> tuple[str, ...]:
    """``"sp_average,balanced,optimal"`` / ``"none"`` → tuple, validated."""
    from kplane.whatif import BASELINES

    if text.strip().lower() in ("", "none"):
        return ()
    out = tuple(b.strip() for b in text.split(",") if b.strip())
    bad = [b for b in out if b not in BASELINES]
    if bad:
        raise InvalidParameterError(f"unknown baseline(s) {bad}; valid: {', '.join(BASELINES)} or none")
    return out


def _fmt(x: float | None, digits: int = 4) -> str:
    return fmt_number(x, digits=digits, missing="–")


@app.command("routing")
def routing_cmd(
    scenario: Path | None = typer.Option(None, "--scenario", help="A kplane scenario JSON file."),
    topology: str | None = typer.Option(
        None, "--topology", "-t", help="Bundled topology (instead of --scenario)."
    ),
    intensity: float | None = typer.Option(
        None, "--traffic-intensity", "-i", help="RouteNet traffic intensity TI in kbit/s (with --topology)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Traffic-matrix seed (with --topology)."),
    candidates: int = typer.Option(
        450, "--candidates", "-n", help="Candidate routings (base SP + variants)."
    ),
    candidate_seed: int = typer.Option(0, "--candidate-seed", help="Seed of the perturbed variants."),
    model: str = typer.Option("bundled", "--model", "-m", help=MODEL_HELP),
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy JSON (constraints + objective); default the RouteNet §VI-A policy."
    ),
    baselines: str = typer.Option(
        "sp_average,balanced,optimal",
        "--baselines",
        help="Comma list of sp_average, balanced, optimal (simulates every candidate), or none.",
    ),
    duration: float = typer.Option(2000.0, "--duration", help="Simulated seconds per measurement."),
    sim_seed: int = typer.Option(0, "--sim-seed", help="Seed of the measuring simulations."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Simulations run in parallel."),
    threads: int | None = typer.Option(None, "--threads", help="Torch CPU threads of a RouteNet model."),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="Scenarios per predict call (default all)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Choose the routing that best meets a QoS policy; simulate it and the baselines."""
    from kplane.whatif import Policy, compare_routings, routing_candidates

    sc = load_scenario_arg(scenario, topology, intensity, seed)
    pol = load_policy_arg(policy, sc.topology, Policy.routenet_qos())
    chosen_baselines = parse_baselines(baselines)
    m, measure, reference, label = make_models(
        model, duration=duration, sim_seed=sim_seed, jobs=jobs, threads=threads
    )
    cands = routing_candidates(sc.topology, candidates, seed=candidate_seed)
    with summarised_warnings(), progress_callback(f"scoring {len(cands)} routings") as cb:
        rep = compare_routings(
            sc,
            cands,
            model=m,
            measure=measure,
            reference=reference,
            policy=pol,
            baselines=chosen_baselines,
            batch_size=batch_size,
            reference_batch_size=25 if jobs == 1 else None,
            progress=cb,
        )
    if json_out:
        out = rep.to_dict(paths=True)
        out["model"] = label
        emit_json(out)
        return
    _print_routing(rep, label, duration)


def _print_routing(rep: Any, label: str, duration: float) -> None:
    from rich.table import Table

    from kplane.whatif import summarise

    ch = rep.choice
    console.print(
        f"[bold]{rep.scenario.name}[/]: {ch.n_candidates} candidate routings ({ch.n_unique} distinct), "
        f"scored by [bold]{label}[/] in {ch.predict_seconds:.3f} s",
        highlight=False,
    )
    console.print(f"policy: {rep.policy.describe()}", highlight=False)
    console.print(
        f"chosen: candidate {ch.index} — rule [bold]{ch.selection.rule}[/]: {ch.selection.explanation}",
        highlight=False,
    )
    t = Table(title=f"Outcomes (simulated, {duration:g} s)")
    for col in (
        "optimizer",
        "candidate",
        "mean delay (s)",
        "jitter/delay (s)",
        "mean loss",
        "predicted delay",
    ):
        t.add_column(col, justify="right" if col != "optimizer" else "left")
    pred = summarise(ch.predicted)
    names = {
        "model": f"{label} (chosen)",
        "optimal": "optimal (simulator)",
        "balanced": "balanced utilisation",
        "sp_average": "SP variants (average)",
    }
    for key, o in rep.outcomes.items():
        s = o.summary
        t.add_row(
            names.get(key, key),
            "–" if o.index is None else str(o.index),
            _fmt(s["mean_delay"]),
            _fmt(s["jitter_over_delay"]),
            _fmt(s["loss_ratio"], 3),
            _fmt(pred["mean_delay"]) if key == "model" else "",
        )
    console.print(t)


@app.command("upgrade")
def upgrade_cmd(
    scenario: Path | None = typer.Option(
        None, "--scenario", help="A kplane scenario JSON file (current network)."
    ),
    topology: str | None = typer.Option(
        None, "--topology", "-t", help="Bundled topology (instead of --scenario)."
    ),
    intensity: float | None = typer.Option(
        None, "--traffic-intensity", "-i", help="TI in kbit/s (with --topology)."
    ),
    seed: int = typer.Option(0, "--seed", "-s", help="Traffic-matrix seed (with --topology)."),
    capacity: str = typer.Option("10kbps", "--capacity", help="Capacity of the new link (e.g. 10kbps)."),
    candidates: int = typer.Option(450, "--candidates", "-n", help="Candidate routings per new link."),
    candidate_seed: int = typer.Option(0, "--candidate-seed", help="Seed of the perturbed variants."),
    model: str = typer.Option("bundled", "--model", "-m", help=MODEL_HELP),
    policy: Path | None = typer.Option(None, "--policy", help="Policy JSON; default: minimise mean delay."),
    duration: float = typer.Option(2000.0, "--duration", help="Simulated seconds per measurement."),
    sim_seed: int = typer.Option(0, "--sim-seed", help="Seed of the measuring simulations."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Simulations run in parallel."),
    threads: int | None = typer.Option(None, "--threads", help="Torch CPU threads of a RouteNet model."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Choose one new link (and its routing) with a model; compare with upgrading the busiest link."""
    from kplane.utils import format_rate
    from kplane.whatif import Policy, compare_placements

    sc = load_scenario_arg(scenario, topology, intensity, seed)
    pol = load_policy_arg(policy, sc.topology, Policy.min_delay())
    m, measure, _, label = make_models(
        model, duration=duration, sim_seed=sim_seed, jobs=jobs, threads=threads
    )
    with summarised_warnings(), progress_callback("new links tried") as cb:
        rep = compare_placements(
            sc,
            model=m,
            measure=measure,
            capacity=capacity,
            policy=pol,
            n_routings=candidates,
            seed=candidate_seed,
            progress=cb,
        )
    if json_out:
        out = rep.to_dict(paths=True)
        out["model"] = label
        emit_json(out)
        return
    from rich.table import Table

    ch, up = rep.choice, rep.upgrade
    console.print(
        f"[bold]{sc.name}[/]: {len(ch.links)} new {format_rate(ch.link.capacity)} links × "
        f"{candidates} routings "
        f"({ch.n_evaluated} distinct scenarios) scored by [bold]{label}[/] in {ch.predict_seconds:.2f} s",
        highlight=False,
    )
    console.print(f"placement: {ch.selection.explanation}", highlight=False)
    console.print(f"baseline: {up.explanation}", highlight=False)
    t = Table(title=f"Simulated outcomes ({duration:g} s)")
    for col in ("configuration", "mean delay (s)", "jitter/delay (s)", "mean loss", "delay reduction"):
        t.add_column(col, justify="left" if col == "configuration" else "right")
    t.add_row(
        "original",
        _fmt(rep.original["mean_delay"]),
        _fmt(rep.original["jitter_over_delay"]),
        _fmt(rep.original["loss_ratio"], 3),
        "",
    )
    t.add_row(
        f"new link {ch.link.label()} ({label})",
        _fmt(rep.placement["mean_delay"]),
        _fmt(rep.placement["jitter_over_delay"]),
        _fmt(rep.placement["loss_ratio"], 3),
        f"{100 * rep.reduction('placement'):.1f}%",
    )
    t.add_row(
        f"upgrade {up.label()} → {format_rate(up.new_capacity)}",
        _fmt(rep.baseline["mean_delay"]),
        _fmt(rep.baseline["jitter_over_delay"]),
        _fmt(rep.baseline["loss_ratio"], 3),
        f"{100 * rep.reduction('baseline'):.1f}%",
    )
    console.print(t)
    console.print(
        f"placement vs baseline: mean delay {100 * rep.relative_to_baseline():.1f}% lower, "
        f"jitter/delay {100 * rep.relative_to_baseline('jitter_over_delay'):.1f}% lower",
        highlight=False,
    )


@bench_app.command("whatif")
def bench_whatif_cmd(
    model: list[str] = typer.Option(
        ["queueing"], "--model", "-m", help="Models to time (repeatable): queueing, bundled, sim or a PATH."
    ),
    candidates: int = typer.Option(450, "--candidates", "-n", help="Candidate routings to score."),
    intensity: float = typer.Option(14.0, "--traffic-intensity", "-i", help="TI in kbit/s."),
    topology: str = typer.Option("nsfnet", "--topology", "-t", help="Bundled topology."),
    repeats: int = typer.Option(3, "--repeats", help="Timed repetitions (the best is reported)."),
    duration: float = typer.Option(2000.0, "--duration", help="Simulated seconds (for --model sim)."),
    threads: int | None = typer.Option(
        None, "--threads", help="Torch threads for RouteNet (default: torch's)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Time scoring N candidate routings (one batched predict call) with each model."""
    import os
    import time

    from kplane.network.generators import routenet_scenario
    from kplane.whatif import candidate_scenarios, predict_batched, resolve_model, routing_candidates

    if repeats < 1:
        raise InvalidParameterError(f"--repeats must be >= 1, got {repeats}")
    sc = routenet_scenario(topology, intensity, seed=0)
    t0 = time.perf_counter()
    cands = routing_candidates(sc.topology, candidates, seed=0)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    scen = candidate_scenarios(sc, cands)
    build_s = time.perf_counter() - t0
    results = []
    for spec in model:
        m = resolve_model(spec, duration=duration, num_threads=threads)
        times = []
        with summarised_warnings():
            predict_batched(m, scen[:2])  # warm-up (JIT compilation, lazy imports)
            for _ in range(repeats):
                _, sec = predict_batched(m, scen)
                times.append(sec)
        results.append(
            {
                "model": spec,
                "threads": threads,
                "n_candidates": len(scen),
                "best_s": min(times),
                "median_s": sorted(times)[len(times) // 2],
                "per_candidate_ms": 1e3 * min(times) / len(scen),
            }
        )
    out = {
        "topology": topology,
        "traffic_intensity": intensity,
        "n_candidates": len(scen),
        "candidate_generation_s": gen_s,
        "scenario_build_s": build_s,
        "cpu_count": os.cpu_count(),
        "results": results,
    }
    if json_out:
        emit_json(out)
        return
    from rich.table import Table

    t = Table(
        title=f"Scoring {len(scen)} candidate routings on {topology} (TI {intensity:g}), one predict call"
    )
    for col in ("model", "best (s)", "median (s)", "per candidate (ms)"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for r in results:
        t.add_row(
            str(r["model"]), f"{r['best_s']:.3f}", f"{r['median_s']:.3f}", f"{r['per_candidate_ms']:.2f}"
        )
    console.print(t)
    console.print(
        f"candidate generation {gen_s:.2f} s, scenario construction {build_s:.2f} s ({os.cpu_count()} CPUs)",
        highlight=False,
    )
