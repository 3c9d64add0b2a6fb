"""`Simulator`: the PerformanceModel interface, seeds, parallel processes, progress."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network import PacketSizeDistribution, PathKPIs, PerformanceModel, Routing, Scenario
from kplane.sim import Simulator, simulate


@pytest.fixture
def scenarios(make_tandem):
    sizes = PacketSizeDistribution.binomial(300, 1700)
    return [make_tandem(1e4, r, 3e3, sizes, 32) for r in (2e3, 4e3, 6e3)]


def test_is_a_performance_model_and_matches_simulate(scenarios):
    sim = Simulator(duration=500.0, seed=3)
    assert isinstance(sim, PerformanceModel)
    kpis = sim.predict(scenarios)
    assert len(kpis) == 3 and all(isinstance(k, PathKPIs) for k in kpis)
    ref = simulate(scenarios[1], duration=500.0, seed=3)
    np.testing.assert_array_equal(kpis[1].mean_delay, ref.kpis.mean_delay)
    # more traffic on the shared link, more delay for the b->c path
    assert kpis[0].mean_delay[1] < kpis[2].mean_delay[1]


def test_per_scenario_seeds_and_progress(scenarios):
    seen: list[tuple[float, int]] = []
    res = Simulator(duration=300.0, seed=[1, 2, 3]).run(scenarios, progress=lambda d, n: seen.append((d, n)))
    assert res[2].seed == 3
    assert seen[-1] == (3.0, 3) and all(n == 3 for _, n in seen)
    with pytest.raises(InvalidParameterError, match="seed lists 2 seeds for 3 scenarios"):
        Simulator(duration=10.0, seed=[1, 2]).run(scenarios)


def test_parallel_processes_give_the_serial_results(scenarios):
    serial = Simulator(duration=400.0, seed=9).run(scenarios[:2])
    parallel = Simulator(duration=400.0, seed=9, n_jobs=2).run(scenarios[:2])
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.kpis.mean_delay, b.kpis.mean_delay)
        np.testing.assert_array_equal(a.kpis.percentiles, b.kpis.percentiles)
        np.testing.assert_array_equal(a.links.utilisation, b.links.utilisation)
        assert a.kpis.node_names == b.kpis.node_names and a.n_events == b.n_events


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration": 10.0, "warmup": 20.0}, "must be longer than the warm-up"),
        ({"duration": 10.0, "n_jobs": 0}, "n_jobs must be a positive integer or -1, got 0"),
        ({"duration": 10.0, "seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_settings_fail_before_simulating(scenarios, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        Simulator(**kwargs).run(scenarios)


def test_a_bad_scenario_in_the_batch_fails_first(scenarios):
    with pytest.raises(InvalidParameterError, match="expected a kplane.network.Scenario"):
        Simulator(duration=10.0).run([*scenarios, "nope"])  # type: ignore[list-item]
    with pytest.raises(InvalidScenarioError):
        Scenario(scenarios[0].topology, Routing.from_link_paths({(0, 2): [0, 1]}), scenarios[0].traffic)
