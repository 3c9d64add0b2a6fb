"""`kplane scenario`: Build, show and convert scenarios (kplane.scenario JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.network import Routing, Scenario, Topology

app = typer.Typer(help="Build, show and convert scenarios (kplane.scenario JSON).", no_args_is_help=True)


def parse_routing_spec(spec: str, topology: Topology, seed: int) -> tuple[Routing, dict[str, Any]]:
    """Resolve ``"sp"`` or ``"perturbed:K"`` to a routing and its metadata.

    ``perturbed:K`` is variant ``K`` of RouteNet's perturbed shortest-path family drawn with
    ``seed`` (21 draws of +0.05 per variant; ``K = 0`` is plain shortest paths).
    """
    from kplane.network.generators import perturbed_weights, shortest_path_routing

    text = spec.strip().lower()
    if text in ("sp", "shortest-path"):
        return shortest_path_routing(topology), {"routing": "sp"}
    if text.startswith("perturbed:"):
        try:
            k = int(text.split(":", 1)[1])
        except ValueError:
            k = -1
        if k < 0:
            raise InvalidParameterError(f"routing {spec!r}: K in 'perturbed:K' must be an integer >= 0")
        weights = perturbed_weights(topology, k + 1, seed=seed)[k]
        return shortest_path_routing(topology, weights), {"routing": f"perturbed:{k}", "routing_seed": seed}
    raise InvalidParameterError(f"routing {spec!r} not understood; valid: 'sp', 'perturbed:K' (K >= 0)")


@app.command("new")
def new_cmd(
    topology: str = typer.Option(
        ..., "--topology", "-t", help="Bundled topology name (kplane topology list)."
    ),
    intensity: float = typer.Option(
        ..., "--traffic-intensity", "-i", help="RouteNet traffic intensity TI in kbit/s (eq. 8), >= 0."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Scenario JSON file to write."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed of the traffic matrix (and capacity draw)."),
    routing: str = typer.Option("sp", "--routing", help="'sp' or 'perturbed:K' (RouteNet §VI-A variant K)."),
    capacities: str | None = typer.Option(
        None,
        "--capacities",
        help="Re-draw capacities: 'routenet', a rate (40kbps) or rates to draw from (10kbps,40kbps). "
        "Default: the bundled topology's (RouteNet rule, seed 0).",
    ),
    queue_size: int = typer.Option(32, "--queue-size", help="Packets per output port."),
    name: str | None = typer.Option(
        None, "--name", help="Scenario name (default <topology>-ti<TI>-s<seed>)."
    ),
) -> None:
    """Build a RouteNet-style scenario (eq. 8 traffic, shortest-path or perturbed routing) and save it."""
    from kplane.network.generators import routenet_scenario
    from kplane.network.io import save_scenario
    from kplane.network.topologies import load_topology

    if seed < 0:
        raise InvalidParameterError(f"--seed must be >= 0, got {seed}")
    if not intensity >= 0:
        raise InvalidParameterError(f"--traffic-intensity must be >= 0 kbit/s, got {intensity}")
    topo = load_topology(topology, queue_size=queue_size)
    rt, rmeta = parse_routing_spec(routing, topo, seed)  # hop-count weights: capacities do not matter
    sc = routenet_scenario(topo, intensity, seed=seed, routing=rt, capacities=capacities, name=name)
    meta = dict(sc.metadata) | rmeta
    if capacities is not None:
        meta["capacities"] = capacities
    sc = sc.replace(metadata=meta)
    save_scenario(sc, output)
    console.print(
        f"wrote [bold]{output}[/]: {sc.topology.name}, {sc.topology.n_nodes} nodes, "
        f"{sc.topology.n_links} links, {sc.n_paths} paths, TI {intensity:g}, routing {rmeta['routing']}",
        highlight=False,
        soft_wrap=True,
    )


def scenario_summary(sc: Scenario) -> dict[str, Any]:
    """Sizes, traffic, utilisation and hop statistics of ``sc`` (plain Python, JSON-ready)."""
    import numpy as np

    util = sc.utilisation()
    hops = sc.routing.hops
    rate = sc.path_rate()
    top = np.argsort(-util, kind="stable")[:5]
    return {
        "name": sc.name,
        "topology": sc.topology.name,
        "n_nodes": sc.topology.n_nodes,
        "n_links": sc.topology.n_links,
        "n_paths": sc.n_paths,
        "n_flows": int((sc.traffic.rate > 0).sum()),
        "total_traffic_bps": sc.traffic.total_rate,
        "path_rate_bps": {"min": float(rate.min()), "mean": float(rate.mean()), "max": float(rate.max())}
        if rate.size
        else None,
        "utilisation": {
            "mean": float(util.mean()),
            "max": float(util.max()),
            "n_overloaded": int((util >= 1).sum()),
        },
        "hops": {"min": int(hops.min()), "mean": float(hops.mean()), "max": int(hops.max())}
        if hops.size
        else None,
        "mean_packet_size_bits": float(np.mean(sc.traffic.mean_packet_size())),
        "busiest_links": [
            {
                "id": int(i),
                "link": sc.topology.describe_link(int(i)),
                "utilisation": float(util[i]),
                "capacity": float(sc.topology.capacity[i]),
            }
            for i in top
        ],
        "metadata": dict(sc.metadata),
    }


@app.command("show")
def show_cmd(
    file: Path = typer.Argument(..., help="A kplane scenario JSON file."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Summarise a scenario: sizes, total traffic, link utilisation, path hops."""
    from rich.table import Table

    from kplane.network.io import load_scenario
    from kplane.utils import format_rate

    sc = load_scenario(file)
    info = scenario_summary(sc)
    if json_out:
        emit_json(info)
        return
    t = Table(title=f"Scenario {sc.name}", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("topology", f"{info['topology']}: {info['n_nodes']} nodes, {info['n_links']} links")
    t.add_row("paths", f"{info['n_paths']} ({info['n_flows']} with traffic)")
    t.add_row("total traffic", format_rate(info["total_traffic_bps"]))
    if info["path_rate_bps"]:
        r = info["path_rate_bps"]
        t.add_row(
            "rate per path",
            f"min {format_rate(r['min'])}, mean {format_rate(r['mean'])}, max {format_rate(r['max'])}",
        )
    u = info["utilisation"]
    t.add_row("utilisation", f"mean {u['mean']:.3f}, max {u['max']:.3f} ({u['n_overloaded']} links >= 1)")
    if info["hops"]:
        h = info["hops"]
        t.add_row("hops", f"min {h['min']}, mean {h['mean']:.2f}, max {h['max']}")
    t.add_row("mean packet size", f"{info['mean_packet_size_bits']:g} bits")
    for k, v in info["metadata"].items():
        t.add_row(f"meta: {k}", str(v))
    console.print(t)
    busy = Table(title="Busiest links (fluid utilisation)")
    busy.add_column("link")
    busy.add_column("capacity", justify="right")
    busy.add_column("utilisation", justify="right")
    for b in info["busiest_links"]:
        busy.add_row(b["link"], format_rate(b["capacity"]), f"{b['utilisation']:.3f}")
    console.print(busy)
