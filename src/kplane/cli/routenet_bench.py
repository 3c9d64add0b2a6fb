"""`kplane bench routenet`: RouteNet's training and inference speed, and its speed-up over the simulator."""

from __future__ import annotations

from pathlib import Path

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli.bench import app as bench_app

__all__ = ["bench_routenet"]


@bench_app.command("routenet")
def bench_routenet(
    threads: int = typer.Option(2, "--threads", help="Torch CPU threads."),
    nodes: int = typer.Option(200, "--nodes", help="Nodes of the inference network (all pairs routed)."),
    repeats: int = typer.Option(5, "--repeats", help="Timed repetitions (the best is reported)."),
    train_steps: int = typer.Option(20, "--train-steps", help="Timed training steps."),
    sim_time: float = typer.Option(
        16_000.0, "--sim-time",
        help="Simulated seconds of the large network for the simulator comparison (0 = skip).",
    ),
    datanet: Path | None = typer.Option(
        None, "--datanet", help="A datanet dataset whose recorded simulator wall times to compare with."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the numbers as JSON."),
) -> None:
    """RouteNet speed: training samples/s, inference time on a large network, speed-up vs the simulator."""
    from kplane.routenet._bench import run_benchmark

    with progress_bar(transient=True) as bar:
        task = bar.add_task("benchmarking", total=None, rate="")

        def tick(msg: str) -> None:
            bar.update(task, rate=msg)

        res = run_benchmark(threads=threads, nodes=nodes, repeats=repeats, train_steps=train_steps,
                            sim_time=sim_time, datanet=None if datanet is None else str(datanet),
                            progress=tick)
    if json_out:
        emit_json(res)
        return
    from rich.table import Table

    t = Table(title=f"RouteNet speed ({res['threads']} torch threads, {res['cpus']} CPUs, load average "
                    f"{res['load_average_1min']:.1f}, torch {res['torch_version']})")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for key, label, fmt in (
        ("train_samples_per_s_nsfnet", "training, NSFNET batches of 16 (samples/s)", "{:.1f}"),
        ("train_samples_per_cpu_s_nsfnet", "  per CPU-second of the process", "{:.1f}"),
        ("train_samples_per_s_geant", "training, GEANT batches of 16 (samples/s)", "{:.1f}"),
        ("train_samples_per_cpu_s_geant", "  per CPU-second of the process", "{:.1f}"),
        ("infer_paths", "inference network paths", "{:,}"),
        ("infer_mean_hops", "  mean hops per path", "{:.2f}"),
        ("infer_s", "inference time, one scenario, predict() (s)", "{:.3f}"),
        ("infer_forward_s", "  of which the network's forward pass (s)", "{:.3f}"),
        ("infer_batch450_nsfnet_s", "inference, 450 NSFNET routings in one call (s)", "{:.3f}"),
        ("sim_wall_s", "simulator on the same network, --sim-time seconds (s)", "{:.3g}"),
        ("speedup_vs_sim", "speed-up vs the simulator (--sim-time seconds)", "{:,.0f}×"),
        ("sim_packets_per_path_median", "  packets on the median path", "{:,.0f}"),
        ("sim_same_precision_wall_s", "simulator, NSFNET's packets per path (s)", "{:.3g}"),
        ("speedup_vs_sim_same_precision", "speed-up vs the simulator, NSFNET's precision", "{:,.0f}×"),
        ("sim_nsfnet_16000s_wall_s", "simulator, one NSFNET sample of 16,000 s (s)", "{:.2f}"),
        ("infer_nsfnet_s", "RouteNet, one NSFNET sample (s)", "{:.4f}"),
        ("speedup_vs_sim_nsfnet", "speed-up vs the simulator on NSFNET", "{:,.0f}×"),
        ("recorded_sim_wall_s_median", "recorded simulator wall time per sample (s)", "{:.1f}"),
        ("recorded_infer_s_median", "RouteNet on the same samples (s)", "{:.4f}"),
        ("speedup_vs_recorded_sim_median", "speed-up vs the recorded simulator", "{:,.0f}×"),
    ):
        if res.get(key) is not None:
            t.add_row(label, fmt.format(res[key]))
    console.print(t)
    if res.get("sim_note"):
        console.print(res["sim_note"])
