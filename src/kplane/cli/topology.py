"""`kplane topology`: Bundled and synthetic topologies."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json

if TYPE_CHECKING:
    from kplane.network import Topology

app = typer.Typer(help="Bundled and synthetic topologies.", no_args_is_help=True)


@app.command("list")
def list_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the bundled real topologies with their sizes."""
    from rich.table import Table

    from kplane.network.topologies import list_topologies

    infos = list_topologies()
    if json_out:
        emit_json([vars(i) for i in infos])
        return
    table = Table(title="Bundled topologies (kplane topology show NAME)")
    table.add_column("name", style="bold cyan")
    table.add_column("nodes", justify="right")
    table.add_column("links", justify="right")
    table.add_column("directed", justify="right")
    table.add_column("source")
    table.add_column("description", overflow="fold")
    for i in infos:
        table.add_row(i.name, str(i.n_nodes), str(i.n_edges), str(i.n_links), i.key, i.description)
    console.print(table)


def _load(name: str, seed: int | None, capacities: str | None) -> Topology:
    """A bundled name, or a kplane scenario JSON file (its topology)."""
    from kplane.network.topologies import apply_capacities, load_topology

    path = Path(name)
    if path.suffix.lower() == ".json":
        from kplane.network.io import load_scenario

        topo = load_scenario(path).topology
        return topo if capacities is None else apply_capacities(topo, capacities, seed=seed or 0)
    return load_topology(name, seed=seed, capacities=capacities or "routenet")


def topology_summary(topo: Topology) -> dict[str, Any]:
    """Sizes, degree statistics, diameter and capacities of ``topo`` (plain Python, JSON-ready)."""
    import networkx as nx
    import numpy as np

    from kplane.network.topologies import undirected_edge_ids

    g = topo.to_networkx()
    out_deg = np.bincount(topo.links[:, 0], minlength=topo.n_nodes)
    in_deg = np.bincount(topo.links[:, 1], minlength=topo.n_nodes)
    _, n_edges = undirected_edge_ids(topo)
    connected = nx.is_strongly_connected(g)
    caps, counts = np.unique(topo.capacity, return_counts=True)
    return {
        "name": topo.name,
        "source": topo.metadata.get("source"),
        "n_nodes": topo.n_nodes,
        "n_edges": n_edges,
        "n_links": topo.n_links,
        "out_degree": {"min": int(out_deg.min()), "mean": float(out_deg.mean()), "max": int(out_deg.max())},
        "strongly_connected": bool(connected),
        "diameter_hops": int(nx.diameter(g)) if connected else None,
        "capacity_bps": {
            "min": float(topo.capacity.min()),
            "max": float(topo.capacity.max()),
            "counts": {f"{c:g}": int(k) for c, k in zip(caps, counts, strict=True)},
        },
        "queue_size": {"min": int(topo.queue_size.min()), "max": int(topo.queue_size.max())},
        "nodes": [
            {
                "id": i,
                "name": nm,
                "out_degree": int(out_deg[i]),
                "in_degree": int(in_deg[i]),
                **({"pos": topo.positions[i].tolist()} if topo.positions is not None else {}),
            }
            for i, nm in enumerate(topo.node_names)
        ],
        "links": [
            {
                "id": i,
                "src": int(u),
                "dst": int(v),
                "src_name": topo.node_names[u],
                "dst_name": topo.node_names[v],
                "capacity": float(topo.capacity[i]),
                "queue_size": int(topo.queue_size[i]),
                "propagation_delay": float(topo.propagation_delay[i]),
            }
            for i, (u, v) in enumerate(topo.links)
        ],
    }


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="A bundled topology name or a kplane scenario JSON file."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the capacity draw (default 0)."),
    capacities: str | None = typer.Option(
        None, "--capacities", help="'routenet' (default), a rate such as 40kbps, or rates to draw from."
    ),
    summary: bool = typer.Option(False, "--summary", help="Only the summary, no node/link tables."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Show a topology: nodes, links with capacities, degree statistics and diameter."""
    from rich.table import Table

    from kplane.utils import format_rate

    topo = _load(name, seed, capacities)
    info = topology_summary(topo)
    if json_out:
        emit_json(info)
        return
    head = Table(title=f"Topology {topo.name}", show_header=False)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("source", str(info["source"] or "-"))
    head.add_row("nodes", str(info["n_nodes"]))
    head.add_row("links", f"{info['n_edges']} undirected, {info['n_links']} directed")
    d = info["out_degree"]
    head.add_row("out-degree", f"min {d['min']}, mean {d['mean']:.2f}, max {d['max']}")
    head.add_row(
        "diameter", f"{info['diameter_hops']} hops" if info["strongly_connected"] else "∞ (not connected)"
    )
    caps = ", ".join(f"{format_rate(float(c))} × {k}" for c, k in info["capacity_bps"]["counts"].items())
    head.add_row("capacities", caps)
    q = info["queue_size"]
    head.add_row(
        "queue size", f"{q['min']} packets" if q["min"] == q["max"] else f"{q['min']}–{q['max']} packets"
    )
    console.print(head)
    if summary:
        return
    nodes = Table(title="Nodes")
    for col in ("id", "name", "out", "in", "position"):
        nodes.add_column(col, justify="right" if col in ("id", "out", "in") else "left")
    for nd in info["nodes"]:
        pos = f"({nd['pos'][0]:.2f}, {nd['pos'][1]:.2f})" if "pos" in nd else "-"
        nodes.add_row(str(nd["id"]), nd["name"], str(nd["out_degree"]), str(nd["in_degree"]), pos)
    console.print(nodes)
    links = Table(title="Links")
    for col in ("id", "src", "dst", "capacity", "queue", "prop. delay"):
        links.add_column(col, justify="right" if col in ("id", "queue") else "left")
    for ln in info["links"]:
        links.add_row(
            str(ln["id"]),
            ln["src_name"],
            ln["dst_name"],
            format_rate(ln["capacity"]),
            str(ln["queue_size"]),
            f"{ln['propagation_delay'] * 1e3:.3g} ms",
        )
    console.print(links)
