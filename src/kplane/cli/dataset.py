"""`kplane dataset`: Generate, inspect, verify and export RouteNet training datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kplane.cli._common import console, emit_json, err_console, progress_bar
from kplane.cli.bench import app as bench_app

app = typer.Typer(
    help="Generate, inspect, verify and export RouteNet training datasets.", no_args_is_help=True
)


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


@app.command("generate")
def generate_cmd(
    spec: str = typer.Argument(
        ..., help="A spec file (.toml/.yaml) or a shipped spec's name (kplane dataset specs)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset directory (created; resumed if it exists)."),
    workers: int = typer.Option(None, "--workers", "-w", help="Parallel workers (default: all CPUs)."),
    backend: str = typer.Option("local", "--backend", help="local (process pool) or ray."),
    max_samples: int = typer.Option(
        None, "--max-samples", help="Generate only the first N samples of the plan."
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Ray cluster address (default $RAY_ADDRESS, else a local Ray instance)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the generation report as JSON."),
) -> None:
    """Generate a dataset from SPEC into OUT; re-running the same command resumes an interrupted run."""
    from kplane.datasets import expand, generate, load_spec

    loaded = load_spec(spec)
    total = expand(loaded, max_samples).n_samples
    with progress_bar() as bar:
        task = bar.add_task(f"[bold]{loaded.name}[/]", total=total, rate="")

        def on_progress(p: Any) -> None:
            eta = "" if p.eta_s == float("inf") else f", ETA {_fmt_time(p.eta_s)}"
            rate = (
                f"{p.samples_per_s:.2f} samples/s{eta}"
                if p.done > p.kept
                else (f"{p.kept} kept" if p.kept else "")
            )
            bar.update(task, completed=p.done, rate=rate)

        report = generate(
            loaded,
            out,
            backend=backend,
            workers=workers,
            max_samples=max_samples,
            ray_address=ray_address,
            progress=on_progress,
        )
    if json_out:
        emit_json(report.to_dict())
        return
    state = (
        "complete" if report.complete else f"{report.n_samples} of {loaded.n_samples} samples (partial plan)"
    )
    console.print(
        f"{out}: {state}; {report.n_generated} samples simulated in {_fmt_time(report.wall_time_s)} "
        f"({report.samples_per_s:.2f} samples/s, {report.workers} worker(s), {report.backend}); "
        f"{report.shards_written} shard(s) written, {report.shards_kept} kept; "
        f"storage + bookkeeping {100 * report.overhead_share:.1f}% of the time"
    )


@app.command("info")
def info_cmd(
    root: Path = typer.Argument(..., help="A kplane dataset directory."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Counts, topologies, traffic and delay ranges, and the generation cost of a dataset."""
    from rich.table import Table

    from kplane.datasets import dataset_info

    info = dataset_info(root)
    if json_out:
        emit_json(info)
        return

    def rng(d: dict[str, Any], scale: float = 1.0, unit: str = "") -> str:
        if d["min"] is None:
            return "-"
        return f"{d['min'] * scale:.4g} … {d['max'] * scale:.4g} {unit} (mean {d['mean'] * scale:.4g})"

    state = "complete" if info["complete"] else "INCOMPLETE"
    console.print(f"[bold]{info['name']}[/] — {info['description']}")
    console.print(
        f"{info['n_samples']} of {info['n_samples_spec']} samples ({state}), {info['n_shards']} shards, "
        f"{info['bytes'] / 1e6:.1f} MB; splits: " + ", ".join(f"{k} {v}" for k, v in info["splits"].items())
    )
    table = Table(title="Topologies")
    for col in ("topology", "split", "samples", "nodes", "links", "paths"):
        table.add_column(col, justify="left" if col in ("topology", "split") else "right")
    for name, d in info["topologies"].items():
        table.add_row(name, d["split"], str(d["samples"]), str(d["nodes"]), str(d["links"]), str(d["paths"]))
    console.print(table)
    t, lab, sim, cost = info["traffic"], info["labels"], info["simulation"], info["cost"]
    console.print(
        f"traffic ({t['model']}): TI {rng(t['intensity'], unit='kbit/s')}; total "
        f"{rng(t['total_rate'], 1e-3, 'kbit/s')}; per path {rng(t['path_rate'], unit='bit/s')}"
    )
    console.print(f"mean delay {rng(lab['mean_delay'], 1e3, 'ms')}; jitter {rng(lab['jitter'], 1e6, 'ms²')}")
    share = lab["paths_with_loss"]["share"]
    console.print(
        f"loss ratio {rng(lab['loss_ratio'])}; paths with loss {100 * (share or 0):.1f}%; link "
        f"utilisation {rng(lab['link_utilisation'])}"
    )
    console.print(
        f"simulation: {sim.get('duration')} s per sample, warm-up {sim.get('warmup')} s; cost: "
        f"{_fmt_time(cost['sim_wall_time_s'])} of simulator time "
        f"({_fmt_time(cost['sim_wall_time_per_sample_s'])} per sample), {len(cost['runs'])} run(s)"
    )


@app.command("verify")
def verify_cmd(
    root: Path = typer.Argument(..., help="A kplane dataset directory."),
    labels: bool = typer.Option(True, "--labels/--no-labels", help="Also check the sanity of every label."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check hashes, schema and label sanity of every shard; exit 1 if anything is wrong."""
    from kplane.datasets import verify_dataset

    report = verify_dataset(root, labels=labels)
    if json_out:
        emit_json(report.to_dict())
    else:
        for p in report.problems:
            err_console.print(f"[bold red]problem:[/] {p}", highlight=False)
        for n in report.notes:
            console.print(f"note: {n}", highlight=False)
        status = "[bold green]OK[/]" if report.ok else f"[bold red]{len(report.bad_shards)} bad shard(s)[/]"
        console.print(f"{root}: {report.n_shards} shards, {report.n_samples} samples: {status}")
        if not report.ok:
            console.print("run `kplane dataset generate` with the same spec and directory to regenerate them")
    if not report.ok:
        raise typer.Exit(1)


@app.command("export-datanet")
def export_cmd(
    root: Path = typer.Argument(..., help="A kplane dataset directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Datanet dataset directory to write."),
    per_tarball: int = typer.Option(100, "--samples-per-tarball", help="Samples per .tar.gz."),
) -> None:
    """Write a dataset in the datanet format (RouteNet / GNNet challenge tools)."""
    from kplane.datasets import KplaneDataset, export_datanet

    n = len(KplaneDataset(root))
    with progress_bar() as bar:
        task = bar.add_task("export", total=n, rate="")
        paths = export_datanet(
            root,
            out,
            samples_per_tarball=per_tarball,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    console.print(f"{out}: {n} samples in {len(paths)} tarball(s)")


@app.command("specs")
def specs_cmd(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the shipped dataset specs (use a name as SPEC, or `show-spec NAME` to copy one)."""
    from rich.table import Table

    from kplane.datasets import list_specs, load_spec

    rows = []
    for name in list_specs():
        s = load_spec(name)
        rows.append(
            {
                "name": name,
                "samples": s.n_samples,
                "topologies": [t.describe() for t in s.topologies],
                "duration_s": s.simulation.duration,
                "description": s.description,
            }
        )
    if json_out:
        emit_json(rows)
        return
    table = Table(title="Shipped dataset specs (kplane dataset generate NAME -o DIR)")
    for col in ("name", "samples", "simulated s", "description"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["name"]), str(r["samples"]), f"{r['duration_s']:g}", str(r["description"]))
    console.print(table)


@app.command("show-spec")
def show_spec_cmd(name: str = typer.Argument(..., help="A shipped spec's name.")) -> None:
    """Print a shipped spec's TOML (redirect it to a file to make your own)."""
    import sys

    from kplane.datasets import spec_text

    sys.stdout.write(spec_text(name))


@bench_app.command("datasets")
def bench_datasets_cmd(
    spec: str = typer.Option("routenet-small", "--spec", help="Spec to generate from."),
    samples: int = typer.Option(200, "--samples", help="Samples per measurement."),
    workers: str = typer.Option("1,2", "--workers", help="Comma-separated worker counts to compare."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Dataset generation throughput (samples/s) per worker count, and storage/bookkeeping overhead."""
    from kplane.datasets._bench import bench_generation
    from kplane.errors import InvalidParameterError

    try:
        counts = [int(x) for x in workers.split(",") if x.strip()]
    except ValueError:
        raise InvalidParameterError(
            f"--workers must be comma-separated whole numbers, got {workers!r}"
        ) from None
    with console.status("generating…"):
        result = bench_generation(spec, samples=samples, workers=counts)
    if json_out:
        emit_json(result)
        return
    from rich.table import Table

    load = result["load_average"]
    where = f"{result['cpus']} CPUs" + (f", load average {load:.1f}" if load is not None else "")
    table = Table(title=f"dataset generation: {result['spec']}, {samples} samples ({where})")
    cols = (
        "workers",
        "wall s",
        "samples/s",
        "speed-up",
        "CPU s",
        "CPU eff.",
        "simulate s",
        "build s",
        "storage s",
        "overhead",
    )
    for col in cols:
        table.add_column(col, justify="right")
    for r in result["runs"]:
        table.add_row(
            str(r["workers"]),
            f"{r['wall_time_s']:.2f}",
            f"{r['samples_per_s']:.2f}",
            f"{r['speedup']:.2f}×",
            f"{r['cpu_s']:.2f}",
            f"{r['cpu_efficiency']:.2f}",
            f"{r['sim_s']:.2f}",
            f"{r['build_s']:.2f}",
            f"{r['overhead_s']:.3f}",
            f"{100 * r['overhead_share']:.2f}%",
        )
    console.print(table)
