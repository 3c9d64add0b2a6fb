"""Traffic generators: RouteNet eq. 8 ranges and units, gravity model, uniform traffic."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import PacketSizeDistribution
from kplane.network.generators import KBIT, gravity_traffic, routenet_traffic, uniform_traffic
from kplane.network.topologies import load_topology


@pytest.mark.parametrize(("n", "ti"), [(14, 11.0), (14, 16.0), (24, 12.5), (50, 8.0)])
def test_routenet_eq8_ranges(n: int, ti: float) -> None:
    t = routenet_traffic(n, ti, seed=n)
    off = ~np.eye(n, dtype=bool)
    scale = ti / (n - 1) * 1000.0  # kbit/s → bit/s
    assert (np.diag(t.rate) == 0).all()
    assert (t.rate[off] >= 0.1 * scale).all() and (t.rate[off] <= 1.0 * scale).all()
    # the draws fill the range: U(0.1, 1) has mean 0.55
    assert t.rate[off].min() < 0.2 * scale and t.rate[off].max() > 0.9 * scale
    assert t.rate[off].mean() / scale == pytest.approx(0.55, abs=0.06)


def test_routenet_exact_formula() -> None:
    t = routenet_traffic(5, 12.0, seed=3)
    u = np.random.default_rng(3).uniform(0.1, 1.0, size=(5, 5))
    expected = u * 12.0 / 4 * KBIT
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(t.rate, expected)


def test_routenet_seeding_and_topology_argument() -> None:
    topo = load_topology("nsfnet")
    a = routenet_traffic(topo, 12, seed=1)
    b = routenet_traffic(14, 12, seed=1)
    c = routenet_traffic(14, 12, seed=2)
    np.testing.assert_array_equal(a.rate, b.rate)
    assert not np.array_equal(a.rate, c.rate)


def test_routenet_packet_sizes() -> None:
    t = routenet_traffic(4, 10, seed=0)
    assert len(t.packet_sizes) == 1
    np.testing.assert_array_equal(t.packet_sizes[0].sizes, [300.0, 1700.0])
    np.testing.assert_array_equal(t.packet_sizes[0].probs, [0.5, 0.5])
    d = routenet_traffic(4, 10, seed=0, packet_sizes=PacketSizeDistribution.deterministic(1000))
    assert d.packet_sizes[0].mean == 1000.0 and t.arrival == "poisson"


def test_routenet_zero_intensity_gives_no_traffic() -> None:
    assert routenet_traffic(4, 0.0, seed=0).total_rate == 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((14, -1.0), {}, r"intensity \(traffic intensity TI\) must be finite and >= 0 kbit/s, got -1.0"),
        ((14, float("nan")), {}, "must be finite and >= 0"),
        ((14, "high"), {}, "must be a number"),
        ((1, 10.0), {}, "number of nodes >= 2"),
        ((14, 10.0), {"low": 0.9, "high": 0.1}, "low must be <= high"),
    ],
)
def test_routenet_errors(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        routenet_traffic(*args, seed=0, **kwargs)


def test_uniform_traffic() -> None:
    t = uniform_traffic(3, "2kbps")
    np.testing.assert_array_equal(t.rate, [[0, 2e3, 2e3], [2e3, 0, 2e3], [2e3, 2e3, 0]])
    with pytest.raises(InvalidParameterError, match="rate must be > 0"):
        uniform_traffic(3, -1)


def test_gravity_capacity_weights() -> None:
    topo = load_topology("nsfnet")
    t = gravity_traffic(topo, "1Mbps")
    assert t.total_rate == pytest.approx(1e6)
    out_cap = np.bincount(topo.links[:, 0], weights=topo.capacity, minlength=14)
    in_cap = np.bincount(topo.links[:, 1], weights=topo.capacity, minlength=14)
    # rate(s, d) / rate(s, d') = in_cap[d] / in_cap[d'] for a fixed source
    np.testing.assert_allclose(t.rate[0, 1] / t.rate[0, 2], in_cap[1] / in_cap[2])
    np.testing.assert_allclose(t.rate[1, 0] / t.rate[2, 0], out_cap[1] / out_cap[2])
    assert (np.diag(t.rate) == 0).all()


def test_gravity_other_weights() -> None:
    topo = load_topology("polska")
    deg = gravity_traffic(topo, 1e3, weights="degree")
    d = np.bincount(topo.links[:, 0], minlength=12)
    np.testing.assert_allclose(deg.rate[0, 1] / deg.rate[0, 2], d[1] / d[2])
    e1 = gravity_traffic(topo, 1e3, weights="exponential", seed=5)
    e2 = gravity_traffic(topo, 1e3, weights="exponential", seed=5)
    np.testing.assert_array_equal(e1.rate, e2.rate)
    assert e1.total_rate == pytest.approx(1e3)
    w = np.arange(1, 13, dtype=float)
    ex = gravity_traffic(topo, 1e3, weights=(w, np.ones(12)))
    np.testing.assert_allclose(ex.rate[3, 0] / ex.rate[1, 0], 4 / 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "population"}, "weights 'population' not understood; valid: 'capacity'"),
        ({"weights": "exponential"}, "give a seed"),
        ({"weights": np.ones(3)}, r"must be 12 finite values >= 0 \(one per node\)"),
        ({"weights": -np.ones(12)}, "finite values >= 0"),
        ({"weights": np.eye(12)[0]}, "no traffic between distinct nodes"),
    ],
)
def test_gravity_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        gravity_traffic(load_topology("polska"), 1e3, **kwargs)
