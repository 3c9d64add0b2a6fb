"""Small TE instances for the NeuroRisk tests."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.network import Topology
from kplane.te import ScenarioSet, TEInstance, TunnelSet, k_shortest_tunnels
from kplane.te.failures import FailureModel, cutoff_scenarios


def ring_instance(
    n: int = 5,
    *,
    k: int = 2,
    seed: int = 0,
    load: float = 1.0,
    p_fail: float = 0.05,
    cutoff: float = 1e-3,
    chords: int = 2,
) -> TEInstance:
    """A ring of ``n`` nodes plus ``chords`` random chords, both directions, k shortest tunnels."""
    rng = np.random.default_rng(seed)
    und = {tuple(sorted((i, (i + 1) % n))) for i in range(n)}
    target = min(n + chords, n * (n - 1) // 2)
    while len(und) < target:
        a, b = sorted(rng.choice(n, 2, replace=False).tolist())
        und.add((a, b))
    edges = sorted({(a, b) for a, b in und} | {(b, a) for a, b in und})
    cap = rng.uniform(5.0, 15.0, len(edges)) * 1e9
    topo = Topology.from_edges([f"n{i}" for i in range(n)], edges, cap, name=f"ring{n}")
    ts = k_shortest_tunnels(topo, k)
    dm = rng.uniform(0.5, 2.0, (n, n)) * 1e9 * load
    dm[rng.random((n, n)) < 0.2] = 0.0
    np.fill_diagonal(dm, 0.0)
    fm = FailureModel.per_link(topo, rng.uniform(0.2, 1.0, len(edges)) * p_fail, bidirectional=True)
    scen = cutoff_scenarios(fm, topo, ts, cutoff=cutoff, drop_disconnecting=False)
    return TEInstance.from_demand_matrix(topo, dm, ts, scen, name=f"ring{n}-s{seed}")


def triangle_instance() -> TEInstance:
    """Hand-checkable: links 0→1 (10), 1→2 (10), 0→2 (4) Gbit/s; flows 0→2 (6) and 0→1 (4) Gbit/s.

    Tunnels: t0 = [0→2], t1 = [0→1, 1→2] (flow 0→2), t2 = [0→1] (flow 0→1). Scenarios: healthy
    (p = 0.9) and link 0→2 down (p = 0.1).
    """
    topo = Topology.from_edges(
        ["a", "b", "c"], [(0, 1), (1, 2), (0, 2)], np.array([10.0, 10.0, 4.0]) * 1e9, name="triangle"
    )
    ts = TunnelSet.from_paths({(0, 2): [[2], [0, 1]], (0, 1): [[0]]})
    scen = ScenarioSet.from_failed_edges(topo, ts, [[], [2]], [0.9, 0.1])
    return TEInstance(topo, ts, np.array([4e9, 6e9]), scen, name="triangle")


@pytest.fixture(scope="module")
def ring() -> TEInstance:
    return ring_instance(5, k=2, seed=1)


@pytest.fixture(scope="module")
def triangle() -> TEInstance:
    return triangle_instance()
