"""`kplane reproduce`: published results; this module holds RouteNet Fig. 3 and Table II."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli.whatif import MODEL_HELP, make_models, summarised_warnings
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

app = typer.Typer(
    help="Reproduce published results: RouteNet fig3 (QoS routing) and table2 (link placement), and more.",
    no_args_is_help=True,
)

QUICK_FIG3 = {"tms": 2, "candidates": 30, "duration": 1000.0}
QUICK_TABLE2 = {"scenarios": 2, "candidates": 10, "duration": 1000.0}

# options both drivers take
_MODEL = typer.Option("bundled", "--model", "-m", help=MODEL_HELP)
_DURATION = typer.Option(None, "--duration", help="Simulated seconds (default 2000).")
_TOPOLOGY = typer.Option("nsfnet", "--topology", "-t", help="Bundled topology (paper: NSFNET).")
_CAPACITIES = typer.Option(
    "10kbps,40kbps",
    "--capacities",
    help="Capacities drawn per link: rates such as '10kbps,40kbps' (paper) or 'routenet'.",
)
_CAPACITY_SEED = typer.Option(0, "--capacity-seed", help="Seed of the capacity draw.")
_THREADS = typer.Option(None, "--threads", help="Torch CPU threads of a RouteNet model.")


def parse_intensities(text: str) -> tuple[float, ...]:
    """``"11..16"`` (inclusive, step 1), ``"12,14,16"`` or ``"14"`` → intensities in kbit/s."""
    t = text.strip()
    try:
        if ".." in t:
            lo, hi = (float(x) for x in t.split("..", 1))
            if hi < lo:
                raise ValueError
            vals = tuple(float(lo + k) for k in range(int(hi - lo) + 1))
        else:
            vals = tuple(float(x) for x in t.split(",") if x.strip())
    except ValueError:
        raise InvalidParameterError(
            f"--ti {text!r} not understood; expected a range '11..16', a list '12,14,16' or a number"
        ) from None
    if not vals or any(not v >= 0 for v in vals):
        raise InvalidParameterError(f"--ti {text!r}: intensities must be >= 0 kbit/s")
    return vals


def _report(bar: Progress, task: TaskID) -> Callable[[int, int, str], None]:
    def cb(done: int, total: int, label: str) -> None:
        bar.update(task, completed=done, total=total, rate=label)

    return cb


@app.command("fig3")
def fig3_cmd(
    tms: int | None = typer.Option(None, "--tms", help="Traffic matrices per TI (paper: 100; default 10)."),
    ti: str = typer.Option("11..16", "--ti", help="Traffic intensities: '11..16', '12,14,16' or one number."),
    candidates: int | None = typer.Option(
        None, "--candidates", "-n", help="Candidate routings (paper: 450)."
    ),
    model: str = _MODEL,
    duration: float | None = _DURATION,
    topology: str = _TOPOLOGY,
    capacities: str = _CAPACITIES,
    capacity_seed: int = _CAPACITY_SEED,
    seed: int = typer.Option(0, "--seed", "-s", help="Root seed (traffic, candidates, simulations)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Simulations run in parallel."),
    threads: int | None = _THREADS,
    out: Path = typer.Option(Path("results/fig3"), "--out", "-o", help="Output folder (resumable)."),
    quick: bool = typer.Option(False, "--quick", help="Demo size: 2 TMs per TI, 30 candidates, 1000 s."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """RouteNet Fig. 3: model-based routing vs SP average, balanced utilisation and simulator-optimal."""
    from kplane.whatif import Fig3Config, fig3_summary, plot_fig3, reproduce_fig3

    q = QUICK_FIG3 if quick else {}
    n_tms = tms if tms is not None else int(q.get("tms", 10))
    n_cand = candidates if candidates is not None else int(q.get("candidates", 450))
    dur = duration if duration is not None else float(q.get("duration", 2000.0))
    if n_tms < 1 or n_cand < 1:
        raise InvalidParameterError("--tms and --candidates must be >= 1")
    intensities = parse_intensities(ti)
    m, measure, reference, label = make_models(model, duration=dur, sim_seed=seed, jobs=jobs, threads=threads)
    cfg = Fig3Config(
        topology=topology,
        capacities=capacities,
        capacity_seed=capacity_seed,
        intensities=intensities,
        n_tms=n_tms,
        n_candidates=n_cand,
        duration=dur,
        seed=seed,
        model=label,
    )
    with summarised_warnings(), progress_bar() as bar:
        task = bar.add_task("fig3 traffic matrices", total=len(cfg.intensities) * n_tms, rate="")
        rows = reproduce_fig3(
            cfg, model=m, measure=measure, reference=reference, out_dir=out, report=_report(bar, task)
        )
    plot_fig3(rows, out / "fig3.png", model_label=label)
    summary = fig3_summary(rows, label)
    _finish(
        out,
        "fig3",
        "fig3-summary.md",
        _fig3_markdown(summary, label),
        {"config": cfg.__dict__, "summary": summary},
        json_out=json_out,
    )


def _files(out: Path, stem: str) -> list[str]:
    return [str(p) for p in sorted(out.glob(f"{stem}*"))]


def _finish(out: Path, stem: str, md_name: str, md: str, payload: dict[str, Any], *, json_out: bool) -> None:
    """Write the markdown summary ``out/md_name``, then print it and the files named ``stem*``.

    With ``json_out``, print ``payload`` with a ``files`` entry (the files named ``stem*``) instead.
    """
    from kplane.utils import atomic_write_text

    atomic_write_text(out / md_name, md)
    if json_out:
        emit_json({**payload, "files": _files(out, stem)})
        return
    console.print(md, highlight=False, markup=False)
    console.print(f"wrote {', '.join(_files(out, stem))}", highlight=False)


def _fig3_markdown(summary: list[dict], label: str) -> str:
    lines = [
        "| TI | optimizer | TMs | mean delay [s] | median delay [s] | mean loss | loss < 0.1% | "
        "mean jitter/delay | gap to optimal |",
        "|" + "---|" * 9,
    ]
    for s in summary:
        gap = s.get("gap_to_optimal")
        lines.append(
            f"| {s['ti']:g} | {s['optimizer']} | {s['n']} | {s['mean_delay']:.4f} | "
            f"{s['median_delay']:.4f} | "
            f"{s['mean_loss']:.2e} | {100 * s['share_loss_ok']:.0f}% | {s['mean_jitter_over_delay']:.3f} | "
            f"{'' if gap is None else f'{100 * gap:+.2f}%'} |"
        )
    gaps = [s["gap_to_optimal"] for s in summary if s.get("gap_to_optimal") is not None]
    if gaps:
        lines.append("")
        lines.append(
            f"{label}-based choice vs simulator-optimal, mean delay gap averaged over all TIs: "
            f"{100 * sum(gaps) / len(gaps):+.2f}% (simulated)."
        )
    return "\n".join(lines) + "\n"


@app.command("table2")
def table2_cmd(
    scenarios: int | None = typer.Option(None, "--scenarios", help="High-load scenarios (paper: 8)."),
    ti: float = typer.Option(16.0, "--ti", help="Traffic intensity of the scenarios (paper: 16)."),
    capacity: str = typer.Option("10kbps", "--capacity", help="Capacity of the new link."),
    candidates: int | None = typer.Option(
        None, "--candidates", "-n", help="Routings per topology (paper: 450)."
    ),
    model: str = _MODEL,
    duration: float | None = _DURATION,
    max_tries: int = typer.Option(200, "--max-tries", help="Traffic matrices tried to find the scenarios."),
    topology: str = _TOPOLOGY,
    capacities: str = _CAPACITIES,
    capacity_seed: int = _CAPACITY_SEED,
    seed: int = typer.Option(0, "--seed", "-s", help="Root seed."),
    threads: int | None = _THREADS,
    out: Path = typer.Option(Path("results/table2"), "--out", "-o", help="Output folder (resumable)."),
    quick: bool = typer.Option(False, "--quick", help="Demo size: 2 scenarios, 10 routings, 1000 s."),
    json_out: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """RouteNet Table II: best new link (model) vs upgrading the most utilised link, simulated."""
    from kplane.utils import parse_rate
    from kplane.whatif import Table2Config, reproduce_table2, table2_markdown

    q = QUICK_TABLE2 if quick else {}
    n_sc = scenarios if scenarios is not None else int(q.get("scenarios", 8))
    n_r = candidates if candidates is not None else int(q.get("candidates", 450))
    dur = duration if duration is not None else float(q.get("duration", 2000.0))
    if n_sc < 1 or n_r < 1 or max_tries < 1:
        raise InvalidParameterError("--scenarios, --candidates and --max-tries must be >= 1")
    m, measure, _, label = make_models(model, duration=dur, sim_seed=seed, jobs=1, threads=threads)
    cfg = Table2Config(
        topology=topology,
        capacities=capacities,
        capacity_seed=capacity_seed,
        intensity=ti,
        n_scenarios=n_sc,
        max_tries=max_tries,
        n_routings=n_r,
        capacity=parse_rate(capacity),
        duration=dur,
        seed=seed,
        model=label,
    )
    with summarised_warnings(), progress_bar() as bar:
        task = bar.add_task("table2 scenarios", total=n_sc, rate="")
        rows = reproduce_table2(cfg, model=m, measure=measure, out_dir=out, report=_report(bar, task))
    _finish(
        out,
        "table2",
        "table2.md",
        table2_markdown(rows),
        {"config": json.loads(json.dumps(cfg.__dict__)), "rows": rows},
        json_out=json_out,
    )
