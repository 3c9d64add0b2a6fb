"""Small scenarios, analytic labels and tiny model settings for the RouteNet tests."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np
import pytest

from kplane.network import PathKPIs, Routing, Scenario, Topology, Traffic

SMALL = {"path_dim": 8, "link_dim": 8, "iterations": 2, "readout_units": 16}
"""RouteNet hyper-parameters small enough for fast tests."""


def toy_scenario(
    n: int = 6,
    seed: int = 0,
    *,
    intensity: float = 1.0,
    capacities: tuple[float, ...] = (10e3, 40e3, 100e3),
    density: float = 0.5,
    name: str | None = None,
) -> Scenario:
    """A connected random graph, hop-count shortest paths for all pairs, RouteNet-like traffic."""
    rng = np.random.default_rng(seed)
    while True:
        g = nx.gnp_random_graph(n, density, seed=int(rng.integers(1 << 30)))
        if nx.is_connected(g):
            break
    d = g.to_directed()
    edges = sorted(d.edges())
    topo = Topology.from_edges(
        [f"n{i}" for i in range(n)], edges, capacity=rng.choice(capacities, len(edges))
    )
    paths = dict(nx.all_pairs_shortest_path(d))
    routing = Routing.from_node_paths(
        topo, {(s, t): paths[s][t] for s in range(n) for t in range(n) if s != t}
    )
    rate = rng.uniform(0.1, 1.0, (n, n)) * intensity * 10e3 / (n - 1)
    np.fill_diagonal(rate, 0.0)
    return Scenario(topo, routing, Traffic(rate=rate), name=name or f"toy{n}-{seed}")


def analytic_kpis(sc: Scenario, sim_time: float = 1000.0) -> PathKPIs:
    """Deterministic labels: per-link M/M/1-like delay and M/M/1/b blocking, summed along paths."""
    topo, r = sc.topology, sc.routing
    rho = sc.utilisation()
    b = topo.queue_size + 1
    tx = sc.traffic.packet_sizes[0].mean / topo.capacity
    rr = np.minimum(rho, 0.95)
    with np.errstate(divide="ignore", invalid="ignore"):
        pb = np.where(np.isclose(rho, 1.0), 1.0 / (b + 1), (1 - rho) * rho**b / (1 - rho ** (b + 1)))
    delay = tx / (1 - rr)
    pid = r.path_index()
    md = np.bincount(pid, weights=delay[r.link_ids], minlength=r.n_paths)
    jit = np.bincount(pid, weights=(delay**2)[r.link_ids], minlength=r.n_paths)
    surv = np.exp(np.bincount(pid, weights=np.log1p(-np.minimum(pb, 0.999))[r.link_ids], minlength=r.n_paths))
    loss = 1.0 - surv
    pkts = sc.path_rate() / sc.traffic.packet_sizes[0].mean * sim_time
    return PathKPIs(
        pairs=r.pairs,
        mean_delay=md,
        jitter=jit,
        loss_ratio=loss,
        mean_log_delay=np.log(md) - 0.5 * jit / md**2,
        delivered=pkts * (1 - loss),
        dropped=pkts * loss,
    )


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """``make_scenario(n=6, seed=0, **kw)`` → a small random :class:`Scenario`."""
    return toy_scenario


@pytest.fixture
def labelled() -> Callable[..., list[tuple[Scenario, PathKPIs]]]:
    """``labelled(k, n=6, seed0=0, **kw)`` → ``k`` (scenario, analytic KPIs) samples."""

    def make(k: int, n: int = 6, seed0: int = 0, **kw: object) -> list[tuple[Scenario, PathKPIs]]:
        out = []
        for i in range(k):
            sc = toy_scenario(n, seed0 + i, **kw)  # type: ignore[arg-type]
            out.append((sc, analytic_kpis(sc)))
        return out

    return make


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny graphs run fastest on one thread (and tests run in parallel processes)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
