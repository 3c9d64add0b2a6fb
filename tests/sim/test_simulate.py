"""`simulate` against closed forms (oracle tests), plus determinism, warm-up, memory and errors.

Tolerances come from the run itself: mean delays must fall within 3 batch-means 95% half-widths
of the closed form; other statistics have relative tolerances a few times their observed
seed-to-seed spread at these run lengths.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network import PacketSizeDistribution, Routing, Scenario, Topology, Traffic
from kplane.sim import SimResult, simulate

LONG = 1e6  # simulated seconds of the oracle runs (~1e6 packets each, well under a second)


def mm1k(rho: float, k: int) -> tuple[float, float, float]:
    """Blocking, mean number in system, P(empty) of M/M/1/K (textbook sums)."""
    pi = rho ** np.arange(k + 1)
    pi /= pi.sum()
    return float(pi[k]), float(np.arange(k + 1) @ pi), float(pi[0])


@pytest.mark.parametrize(("rho", "k"), [(0.5, 5), (0.9, 10), (1.3, 8)])
def test_mm1k_delay_blocking_and_port_statistics(make_single_link, exp_sizes, rho, k):
    # capacity 1000 bit/s, mean size 1000 bits: mu = 1 packet/s, lambda = rho
    res = simulate(make_single_link(1000.0, 1000.0 * rho, exp_sizes(1000.0), k), duration=LONG, seed=1)
    pb, n_mean, p0 = mm1k(rho, k)
    w = n_mean / (rho * (1.0 - pb))  # Little's law on accepted packets
    kp = res.kpis
    assert abs(kp.mean_delay[0] - w) <= 3 * kp.mean_delay_ci[0]
    assert kp.loss_ratio[0] == pytest.approx(pb, rel=0.05)
    links = res.links
    assert links.loss_ratio[0] == pytest.approx(pb, rel=0.05)
    assert links.utilisation[0] == pytest.approx(1.0 - p0, abs=0.005)
    assert links.mean_occupancy[0] == pytest.approx(n_mean, rel=0.02)
    assert links.mean_busy_occupancy[0] == pytest.approx(n_mean / (1.0 - p0), rel=0.02)
    assert links.max_occupancy[0] == k  # the port holds K packets, the one in transmission included
    assert np.isnan(links.loss_ratio[1]) and links.utilisation[1] == 0.0


def test_md1_mean_wait_jitter_and_atom_percentiles(make_single_link):
    rho, d = 0.7, 1.0
    res = simulate(make_single_link(1000.0, 700.0, PacketSizeDistribution.deterministic(1000.0), 1000),
                   duration=LONG, seed=2)
    kp = res.kpis
    w = d + rho * d / (2 * (1 - rho))  # M/D/1: Wq = rho D / (2 (1 - rho))
    var = rho * d**3 / (3 * (1 - rho)) + (rho * d**2) ** 2 / (4 * (1 - rho) ** 2)  # Takacs, Var(S) = 0
    assert abs(kp.mean_delay[0] - w) <= 3 * kp.mean_delay_ci[0]
    assert kp.jitter[0] == pytest.approx(var, rel=0.06)
    # 30% of packets find the port empty: p10 and p20 sit on the atom at D (1% histogram resolution)
    assert kp.percentiles[0, 0] == pytest.approx(d, rel=0.01)
    assert kp.percentiles[0, 1] == pytest.approx(d, rel=0.01)
    assert kp.loss_ratio[0] == 0.0
    assert np.all(np.diff(kp.percentiles[0]) >= 0)


def test_mg1_pollaczek_khinchine_with_the_routenet_size_mix(make_single_link):
    sizes = PacketSizeDistribution.binomial(300, 1700)
    c, rho = 1000.0, 0.8
    res = simulate(make_single_link(c, 800.0, sizes, 2000), duration=LONG, seed=3)
    es2 = sizes.second_moment / c**2
    es3 = float(sizes.sizes**3 @ sizes.probs) / c**3
    lam = rho
    w = 1.0 + lam * es2 / (2 * (1 - rho))
    var = lam * es3 / (3 * (1 - rho)) + (lam * es2) ** 2 / (4 * (1 - rho) ** 2) + (es2 - 1.0)
    kp = res.kpis
    assert abs(kp.mean_delay[0] - w) <= 3 * kp.mean_delay_ci[0]
    assert kp.jitter[0] == pytest.approx(var, rel=0.15)


def test_jackson_tandem(make_tandem, exp_sizes):
    # independent sizes per hop + exponential sizes = a Jackson network: M/M/1 queues whose
    # sojourn times along a path are independent (Reich), so means and variances add up.
    l1, l2 = 0.4, 0.3
    res = simulate(make_tandem(1000.0, 1000.0 * l1, 1000.0 * l2, exp_sizes(1000.0), 2000),
                   duration=LONG, seed=4, independent_sizes=True)
    kp = res.kpis
    s1, s2 = 1 / (1 - l1), 1 / (1 - l1 - l2)
    assert abs(kp.mean_delay[0] - (s1 + s2)) <= 3 * kp.mean_delay_ci[0]
    assert abs(kp.mean_delay[1] - s2) <= 3 * kp.mean_delay_ci[1]
    assert kp.jitter[0] == pytest.approx(s1**2 + s2**2, rel=0.06)
    assert kp.jitter[1] == pytest.approx(s2**2, rel=0.06)
    # the sojourn at the second port is exponential with mean s2: percentiles and E[ln d]
    q = np.array([0.1, 0.2, 0.5, 0.8, 0.9])
    np.testing.assert_allclose(kp.percentiles[1], -np.log1p(-q) * s2, rtol=0.03)
    assert kp.mean_log_delay[1] == pytest.approx(np.log(s2) - np.euler_gamma, abs=0.02)
    assert res.links.utilisation == pytest.approx([l1, l1 + l2], abs=0.005)


def test_real_packets_keep_their_size_along_the_path(make_tandem, exp_sizes):
    # without the independence assumption the tandem is not a Jackson network: a packet that was
    # long on link 1 is long on link 2 too, and the 2-hop delay moves away from the Jackson value
    sc = make_tandem(1000.0, 400.0, 300.0, exp_sizes(1000.0), 2000)
    res = simulate(sc, duration=LONG, seed=4)
    jackson = 1 / 0.6 + 1 / 0.3
    assert abs(res.kpis.mean_delay[0] - jackson) > 3 * res.kpis.mean_delay_ci[0]


def test_propagation_delay_adds_exactly_without_cross_traffic(make_tandem):
    sizes = PacketSizeDistribution.binomial(300, 1700)
    base = simulate(make_tandem(1000.0, 600.0, 0.0, sizes, 32), duration=2e4, seed=5)
    delayed = simulate(make_tandem(1000.0, 600.0, 0.0, sizes, 32, propagation_delay=0.25),
                       duration=2e4, seed=5)
    assert delayed.kpis.mean_delay[0] == pytest.approx(base.kpis.mean_delay[0] + 0.5, abs=1e-9)
    assert delayed.kpis.jitter[0] == pytest.approx(base.kpis.jitter[0], rel=1e-9)
    assert delayed.kpis.delivered[0] == base.kpis.delivered[0]


def test_same_seed_same_result_in_any_chunking(make_tandem):
    sc = make_tandem(1000.0, 500.0, 400.0, PacketSizeDistribution.binomial(300, 1700), 8)
    a = simulate(sc, duration=5e3, seed=7)
    ticks: list[float] = []
    b = simulate(sc, duration=5e3, seed=7, progress=ticks.append)  # 50 kernel calls instead of one
    c = simulate(sc, duration=5e3, seed=8)
    names = ("mean_delay", "jitter", "loss_ratio", "percentiles", "delivered", "dropped", "mean_delay_ci")
    for name in names:
        np.testing.assert_array_equal(getattr(a.kpis, name), getattr(b.kpis, name))
    np.testing.assert_array_equal(a.links.mean_occupancy, b.links.mean_occupancy)
    assert (a.n_events, a.n_packets) == (b.n_events, b.n_packets)
    assert not np.array_equal(a.kpis.mean_delay, c.kpis.mean_delay)
    assert ticks[-1] == 1.0 and len(ticks) == 50 and np.all(np.diff(ticks) >= 0)


def test_warmup_is_excluded_and_counts_are_consistent(make_single_link):
    sizes = PacketSizeDistribution.deterministic(1000.0)
    res = simulate(make_single_link(1000.0, 500.0, sizes, 32), duration=1e5, warmup=5e4, seed=1)
    offered = res.kpis.delivered[0] + res.kpis.dropped[0]
    # 0.5 packets/s over the 5e4 s window: Poisson count, 5 standard deviations
    assert abs(offered - 2.5e4) < 5 * np.sqrt(2.5e4)
    assert res.links.arrivals[0] == pytest.approx(offered, abs=3)
    assert res.warmup == 5e4 and res.duration == 1e5
    assert res.n_packets > offered  # packets of the warm-up were generated but not measured
    assert isinstance(res, SimResult) and res.wall_time_s > 0


def test_paths_without_traffic_have_missing_kpis():
    topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=1e4)
    sc = Scenario(topo, Routing.from_link_paths({(0, 1): [0], (1, 0): [1]}),
                  Traffic(rate=[[0.0, 2e3], [0.0, 0.0]]))
    kp = simulate(sc, duration=2e3, seed=0).kpis
    assert np.isfinite(kp.mean_delay[0]) and np.isnan(kp.mean_delay[1])
    assert np.isnan(kp.loss_ratio[1]) and kp.delivered[1] == 0
    empty = sc.replace(traffic=Traffic(rate=np.zeros((2, 2))))
    res = simulate(empty, duration=10.0)
    assert res.n_packets == 0 and np.isnan(res.kpis.mean_delay).all()


def test_memory_does_not_grow_with_simulated_time(make_tandem):
    sc = make_tandem(1e4, 4e3, 4e3, PacketSizeDistribution.binomial(300, 1700), 32)
    simulate(sc, duration=10.0)  # load the kernel first

    def peak(duration: float) -> int:
        tracemalloc.start()
        simulate(sc, duration=duration, seed=1)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    short, long = peak(1e3), peak(5e4)  # 50x more packets
    assert long < 1.1 * short + 100_000


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration": 100.0, "warmup": 100.0}, r"duration \(100 s\) must be longer than the warm-up"),
        ({"duration": 10.0, "warmup": 50.0}, "must be longer than the warm-up"),
        ({"duration": 0.0}, "duration must be a finite number of seconds > 0, got 0.0"),
        ({"duration": float("nan")}, "duration must be a finite number"),
        ({"duration": "long"}, "duration must be a number of seconds"),
        ({"duration": 10.0, "warmup": -1.0}, "warmup must be a finite number of seconds >= 0"),
        ({"duration": 10.0, "seed": -3}, "seed must be a non-negative integer, got -3"),
        ({"duration": 10.0, "n_batches": 1}, "n_batches must be an integer >= 2"),
        ({"duration": 10.0, "percentile_resolution": 0.0}, "percentile_resolution must be"),
    ],
)
def test_bad_parameters_are_clear_errors(make_single_link, kwargs, match):
    sc = make_single_link(1e3, 500.0, PacketSizeDistribution.deterministic(100.0), 4)
    with pytest.raises(InvalidParameterError, match=match):
        simulate(sc, **kwargs)


def test_not_a_scenario_is_a_clear_error():
    with pytest.raises(InvalidParameterError, match="expected a kplane.network.Scenario, got dict"):
        simulate({"topology": 1}, duration=10.0)  # type: ignore[arg-type]


def test_bad_scenarios_are_rejected_by_the_domain():
    topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=1e3)
    with pytest.raises(InvalidScenarioError, match="has traffic 500 bit/s but no path"):
        Scenario(topo, Routing.from_link_paths({(0, 1): [0]}), Traffic(rate=[[0.0, 0.0], [500.0, 0.0]]))
    with pytest.raises(InvalidScenarioError, match=r"capacity of link 0 \(a→b\) must be > 0 bit/s"):
        Topology.from_edges(["a", "b"], [(0, 1)], capacity=0.0)


def test_errors_come_before_the_kernel_is_compiled_or_imported():
    code = (
        "import sys\n"
        "from kplane.network import Routing, Scenario, Topology, Traffic\n"
        "from kplane.sim import simulate\n"
        "t = Topology.from_edges(['a', 'b'], [(0, 1), (1, 0)], capacity=1e3)\n"
        "sc = Scenario(t, Routing.from_link_paths({(0, 1): [0]}), Traffic(rate=[[0, 1.0], [0, 0]]))\n"
        "try:\n"
        "    simulate(sc, duration=5.0, warmup=5.0)\n"
        "except ValueError as e:\n"
        "    print('error:', e)\n"
        "print('numba' in sys.modules, 'kplane.sim._kernel' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "error: duration (5 s) must be longer than the warm-up (5 s)" in out
    assert out.strip().endswith("False False")
