"""Fixtures for the datanet/GML reader tests: small synthetic samples and a tarball editor."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from kplane.network import PacketSizeDistribution, PathKPIs, Routing, Scenario, Topology, Traffic

SIM_TIME = 1000.0
RING = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]


def _small_sample(seed: int, n_nodes: int = 4) -> tuple[Scenario, PathKPIs]:
    """A 4-node ring with a chord, shortest-path routing, random traffic and consistent KPIs."""
    rng = np.random.default_rng(seed)
    edges = [e for e in RING if max(e) < n_nodes]
    links = edges + [(v, u) for u, v in edges]
    topo = Topology.from_edges([str(i) for i in range(n_nodes)], links,
                               capacity=rng.choice([10e3, 40e3, 100e3], size=len(links)),
                               queue_size=16, name="ring")
    g = nx.DiGraph(links)
    paths = {(s, d): nx.shortest_path(g, s, d) for s in range(n_nodes) for d in range(n_nodes) if s != d}
    routing = Routing.from_node_paths(topo, paths)
    rate = rng.uniform(100, 2000, size=(n_nodes, n_nodes))
    np.fill_diagonal(rate, 0.0)
    sizes = (PacketSizeDistribution.binomial(300, 1700), PacketSizeDistribution.deterministic(800.0))
    off_diagonal = 1 - np.eye(n_nodes, dtype=np.int64)
    traffic = Traffic(rate=rate, packet_sizes=sizes,
                      size_class=rng.integers(0, 2, size=(n_nodes, n_nodes)) * off_diagonal,
                      tos=rng.integers(0, 3, size=(n_nodes, n_nodes)) * off_diagonal)
    scenario = Scenario(topology=topo, routing=routing, traffic=traffic, name=f"ring-{seed}")
    p = routing.n_paths
    delay = rng.uniform(0.01, 0.5, p)
    pct = np.sort(delay[:, None] * rng.uniform(0.2, 2.0, size=(p, 5)), axis=1)
    offered = scenario.path_rate()
    mean_size = traffic.mean_packet_size()[routing.pairs[:, 0], routing.pairs[:, 1]]
    packets = np.round(offered / mean_size * SIM_TIME)
    dropped = np.round(packets * rng.uniform(0, 0.2, p) * (rng.random(p) < 0.5))
    kpis = PathKPIs(pairs=routing.pairs, mean_delay=delay, jitter=rng.uniform(0, 0.05, p),
                    loss_ratio=dropped / packets, mean_log_delay=np.log(delay) - rng.uniform(0.01, 0.3, p),
                    percentiles=pct, delivered=packets - dropped, dropped=dropped, offered_rate=offered,
                    metadata={"sim_time": SIM_TIME})
    return scenario, kpis


@pytest.fixture(scope="session")
def small_sample() -> Callable[..., tuple[Scenario, PathKPIs]]:
    """``small_sample(seed)`` → a consistent (Scenario, PathKPIs) on a 4-node graph."""
    return _small_sample


def _edit_tarball(tar_path: Path, member: str, edit: Callable[[list[str]], list[str] | None]) -> None:
    """Rewrite member ``member`` (basename) of a .tar.gz: ``edit(lines)`` returns new lines, or None
    to remove the member."""
    with tarfile.open(tar_path, "r:gz") as tar:
        items = [(info, tar.extractfile(info).read() if info.isfile() else None) for info in tar]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in items:
            if data is not None and info.name.rsplit("/", 1)[-1] == member:
                lines = edit(data.decode().rstrip("\n").split("\n"))
                if lines is None:
                    continue
                data = ("\n".join(lines) + "\n").encode()
                info.size = len(data)
            tar.addfile(info, None if data is None else io.BytesIO(data))
    tar_path.write_bytes(out.getvalue())


@pytest.fixture
def edit_tarball() -> Callable[[Path, str, Callable[[list[str]], list[str] | None]], None]:
    """``edit_tarball(path, "traffic.txt", lambda lines: new_lines)`` rewrites one member in place."""
    return _edit_tarball


def _member_lines(tar_path: Path, member: str) -> list[str]:
    with tarfile.open(tar_path, "r:gz") as tar:
        for info in tar:
            if info.isfile() and info.name.rsplit("/", 1)[-1] == member:
                return tar.extractfile(info).read().decode().rstrip("\n").split("\n")
    raise KeyError(member)


@pytest.fixture
def member_lines() -> Callable[[Path, str], list[str]]:
    """``member_lines(tarball, "traffic.txt")`` → the member's lines, read with plain tarfile."""
    return _member_lines


KPI_FIELDS = ("mean_delay", "jitter", "loss_ratio", "mean_log_delay", "percentiles", "delivered", "dropped",
              "offered_rate")


def _assert_same(a: tuple[Scenario, PathKPIs], b: tuple[Scenario, PathKPIs], rtol: float = 1e-12) -> None:
    """Same network, routing, traffic and per-path labels (floats to ``rtol``; names not compared)."""
    (sa, ka), (sb, kb) = a, b
    ta, tb = sa.topology, sb.topology
    assert ta.node_names == tb.node_names
    for name in ("links", "capacity", "queue_size", "propagation_delay"):
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    for name in ("pairs", "link_ids", "offsets"):
        np.testing.assert_array_equal(getattr(sa.routing, name), getattr(sb.routing, name), err_msg=name)
    np.testing.assert_array_equal(sa.traffic.rate, sb.traffic.rate)
    np.testing.assert_array_equal(sa.traffic.tos, sb.traffic.tos)
    n = ta.n_nodes
    for s in range(n):
        for d in range(n):
            if s == d:
                continue
            da = sa.traffic.packet_sizes[sa.traffic.size_class[s, d]]
            db = sb.traffic.packet_sizes[sb.traffic.size_class[s, d]]
            np.testing.assert_allclose(da.sizes, db.sizes, rtol=rtol)
            np.testing.assert_allclose(da.probs, db.probs, rtol=rtol)
    np.testing.assert_array_equal(ka.pairs, kb.pairs)
    for name in KPI_FIELDS:
        x, y = getattr(ka, name), getattr(kb, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=0, equal_nan=True, err_msg=name)


@pytest.fixture(scope="session")
def assert_same_sample() -> Callable[..., None]:
    """``assert_same_sample((scenario, kpis), (scenario, kpis), rtol=1e-12)``."""
    return _assert_same
