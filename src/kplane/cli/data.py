"""`kplane data`: Inspect public datanet (RouteNet/GNNet challenge) datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kplane.cli._common import console, emit_json, progress_bar

app = typer.Typer(help="Inspect public datanet (RouteNet/GNNet challenge) datasets.", no_args_is_help=True)


def _fmt(x: Any, unit: str = "", digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return f"{x}{unit}"
    return f"{x:.{digits}g}{unit}"


def _range(r: dict[str, Any] | None, unit: str = "") -> str:
    if not r or r.get("min") is None:
        return "-"
    return f"{_fmt(r['min'], unit)} … {_fmt(r['max'], unit)} (mean {_fmt(r['mean'], unit)})"


@app.command("inspect")
def inspect_cmd(
    path: Path = typer.Argument(..., help="Dataset folder (graphs/, routings/, *.tar.gz) or one bundle."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Summarise a datanet dataset: samples, topologies, traffic, labels, simulator wall time."""
    from rich.table import Table

    from kplane.network.io import summarize_datanet
    from kplane.utils import format_rate

    with progress_bar(transient=True) as bar:
        task = bar.add_task("reading samples", total=None, rate="")

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = summarize_datanet(path, progress=tick)
    if json_out:
        emit_json(summary)
        return

    s = summary["samples"]
    table = Table(title=f"datanet dataset {summary['path']}", show_header=False)
    table.add_column("what", style="bold cyan")
    table.add_column("value", overflow="fold")
    table.add_row("samples", f"{s['total']} ({s['stable']} stable, {s['unstable']} unstable) in "
                             f"{summary['n_bundles']} bundle(s)")
    table.add_row("routing", ", ".join(f"{k}: {v} samples" for k, v in summary["routing_formats"].items())
                  + f"; {summary['n_routing_files']} routing files")
    table.add_row("scheduling", ", ".join(f"{k} ({v} samples)" for k, v in
                                          summary["scheduling_policies"].items()) or "-")
    table.add_row("ToS classes", ", ".join(map(str, summary["tos"])) or "-")
    table.add_row("packet sizes", "; ".join(
        "/".join(_fmt(x) for x in d["sizes"]) + " bits (p " + "/".join(_fmt(p, digits=3) for p in d["probs"])
        + ")" for d in summary["packet_sizes"]) or "-")
    tr = summary["traffic"]
    for label, key in (("rate per pair", "pair_rate_bps"), ("total rate", "total_rate_bps")):
        r = tr[key]
        table.add_row(label, "-" if r["min"] is None else
                      f"{format_rate(r['min'])} … {format_rate(r['max'])} (mean {format_rate(r['mean'])})")
    cap = summary["capacity_bps"]
    values = cap["values"]
    table.add_row("link capacity", "-" if cap["min"] is None else (
        ", ".join(format_rate(v) for v in values) if values else
        f"{format_rate(cap['min'])} … {format_rate(cap['max'])}"))
    table.add_row("queue size", ", ".join(f"{q} packets" for q in summary["queue_size_packets"]) or "-")
    table.add_row("simulated time", _range(summary["sim_time_s"], " s"))
    w = summary["wall_time_s"]
    table.add_row("simulator wall time", "not recorded" if w is None else
                  f"min {_fmt(w['min'])} s, median {_fmt(w['median'])} s, max {_fmt(w['max'])} s, "
                  f"total {w['total'] / 3600:.3g} h ({w['n']} samples)")
    lab = summary["labels"]
    table.add_row("paths", f"{lab['n_paths']} ({lab['masked_paths']} without a delay label)")
    table.add_row("mean delay", _range(lab["mean_delay_s"], " s"))
    table.add_row("jitter (delay variance)", _range(lab["jitter_s2"], " s²"))
    frac = lab["lossy_path_fraction"]
    table.add_row("loss ratio", _range(lab["loss_ratio"]) +
                  ("" if frac is None else f"; {100 * frac:.3g}% of paths lose packets"))
    if summary["link_utilisation"] is not None:
        table.add_row("link utilisation", _range(summary["link_utilisation"]))
    console.print(table)

    topo = Table(title="topologies")
    for col in ("example graph", "nodes", "links", "samples", "graph files"):
        topo.add_column(col, justify="left" if col == "example graph" else "right")
    for t in summary["topologies"]:
        topo.add_row(t["name"], str(t["n_nodes"]), str(t["n_links"]), str(t["n_samples"]),
                     str(t["graph_files"]))
    console.print(topo)
