"""Small scenarios with known closed forms, built through the domain API."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kplane.network import PacketSizeDistribution, Routing, Scenario, Topology, Traffic


def exponential_sizes(mean: float, n: int = 2000) -> PacketSizeDistribution:
    """An exponential size distribution as ``n`` equally likely atoms (each the conditional mean of
    its probability slice): the mean is exact and E[S²] is short by ≈ mean²/n (0.025% at n = 2000),
    far below the statistical tolerance of the oracle tests."""
    q = np.linspace(0.0, 1.0, n + 1)
    a = -mean * np.log1p(-q[:-1])
    b = np.append(-mean * np.log1p(-q[1:-1]), np.inf)
    ea, eb = np.exp(-a / mean), np.exp(-b / mean)
    bt = np.zeros(n)
    bt[:-1] = b[:-1] * eb[:-1]  # b·e^(-b/mean) -> 0 for the last, unbounded slice
    sizes = mean + (a * ea - bt) / (ea - eb)
    return PacketSizeDistribution(sizes, np.full(n, 1.0 / n))


def single_link(capacity: float, rate: float, sizes: PacketSizeDistribution, queue_size: int) -> Scenario:
    """One flow a→b over one link of ``capacity`` bit/s carrying ``rate`` bit/s."""
    topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=capacity, queue_size=queue_size)
    traffic = Traffic(rate=[[0.0, rate], [0.0, 0.0]], packet_sizes=(sizes,))
    return Scenario(topo, Routing.from_link_paths({(0, 1): [0]}), traffic, name="single-link")


def tandem(capacity: float, rate_ac: float, rate_bc: float, sizes: PacketSizeDistribution,
           queue_size: int, propagation_delay: float = 0.0) -> Scenario:
    """a→b→c: flow a→c over both links, flow b→c over the second only."""
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2)], capacity=capacity,
                               queue_size=queue_size, propagation_delay=propagation_delay)
    rate = np.zeros((3, 3))
    rate[0, 2], rate[1, 2] = rate_ac, rate_bc
    routing = Routing.from_link_paths({(0, 2): [0, 1], (1, 2): [1]})
    return Scenario(topo, routing, Traffic(rate=rate, packet_sizes=(sizes,)), name="tandem")


@pytest.fixture
def make_single_link() -> Callable[..., Scenario]:
    return single_link


@pytest.fixture
def make_tandem() -> Callable[..., Scenario]:
    return tandem


@pytest.fixture
def exp_sizes() -> Callable[..., PacketSizeDistribution]:
    return exponential_sizes
