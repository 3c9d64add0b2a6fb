"""kplane.routenet._evaluate: Table I metrics and Fig. 2 plots for any PerformanceModel."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, Routing, Scenario, Topology, Traffic
from kplane.routenet import evaluate_models, plot_evaluation


def _scenario(seed: int) -> Scenario:
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2), (1, 0), (2, 1)], capacity=[1e4] * 4)
    routing = Routing.from_node_paths(
        topo, {(0, 1): [0, 1], (0, 2): [0, 1, 2], (2, 0): [2, 1, 0], (1, 2): [1, 2]}
    )
    rate = np.zeros((3, 3))
    rate[0, 1], rate[0, 2], rate[2, 0], rate[1, 2] = 1e3, 2e3 + seed, 1.5e3, 5e2
    return Scenario(topo, routing, Traffic(rate=rate), name=f"s{seed}")


def _labels(sc: Scenario, seed: int) -> PathKPIs:
    rng = np.random.default_rng(seed)
    p = sc.n_paths
    loss = np.array([0.0, 0.02, 0.1, 0.0])
    sent = np.full(p, 1000.0)
    return PathKPIs(pairs=sc.routing.pairs, mean_delay=rng.uniform(0.1, 1.0, p),
                    jitter=rng.uniform(0.01, 0.1, p), loss_ratio=loss, delivered=sent * (1 - loss),
                    dropped=sent * loss)


class Scaled:
    """A model that predicts the labels times a factor (delay, jitter, loss)."""

    def __init__(self, labels: dict[str, PathKPIs], factor: float) -> None:
        self.labels, self.factor = labels, factor

    def predict(self, scenarios):
        out = []
        for sc in scenarios:
            t = self.labels[sc.name]
            out.append(PathKPIs(pairs=t.pairs, mean_delay=t.mean_delay * self.factor,
                                jitter=t.jitter * self.factor, loss_ratio=t.loss_ratio * self.factor))
        return out


@pytest.fixture()
def data():
    items = []
    for k in range(5):
        sc = _scenario(k)
        items.append((sc, _labels(sc, k)))
    return items


def test_metrics_of_known_errors(data) -> None:
    labels = {sc.name: kp for sc, kp in data}
    ev = evaluate_models({"over": Scaled(labels, 1.1), "exact": Scaled(labels, 1.0)}, data, chunk=2)
    m = ev.metrics()
    assert m["samples"] == 5 and m["paths"] == 20
    over, exact = m["over"], m["exact"]
    assert over["delay_mre"] == pytest.approx(0.1) and over["jitter_mre"] == pytest.approx(0.1)
    assert over["delay_bias"] == pytest.approx(0.1) and over["delay_mape"] == pytest.approx(10.0)
    assert over["drops_mre"] == pytest.approx(0.1) and over["drops_paths"] == 10  # 2 lossy paths × 5
    assert exact["delay_mre"] == 0.0 and exact["delay_r2"] == pytest.approx(1.0)
    assert exact["loss_corr"] == pytest.approx(1.0) and over["loss_corr"] == pytest.approx(1.0)
    assert over["delay_r2"] < 1.0
    under = evaluate_models({"under": Scaled(labels, 0.8)}, data, limit=2).metrics()
    assert under["samples"] == 2 and under["under"]["delay_bias"] == pytest.approx(-0.2)


def test_plots_are_written(data, tmp_path) -> None:
    labels = {sc.name: kp for sc, kp in data}
    ev = evaluate_models({"over": Scaled(labels, 1.1)}, data)
    paths = plot_evaluation(ev, tmp_path / "out")
    assert [p.name for p in paths] == ["relative_error_cdf.png", "scatter.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)
    assert not [p for p in (tmp_path / "out").iterdir() if p.suffix != ".png"]  # no temporary left behind


def test_bad_input(data) -> None:
    labels = {sc.name: kp for sc, kp in data}
    with pytest.raises(InvalidParameterError, match="at least one model"):
        evaluate_models({}, data)
    with pytest.raises(InvalidParameterError, match="no labelled samples"):
        evaluate_models({"m": Scaled(labels, 1.0)}, [])
    ev = evaluate_models({"m": Scaled(labels, 1.0)}, data)
    with pytest.raises(InvalidParameterError, match="kpi must be one of"):
        ev.relative_errors("m", "throughput")
    with pytest.raises(InvalidParameterError, match="no model 'x'"):
        ev.relative_errors("x", "delay")


def test_other_paths_are_refused(data) -> None:
    class Wrong:
        def predict(self, scenarios):
            return [PathKPIs(pairs=np.array([[0, 1]]), mean_delay=np.ones(1), jitter=np.ones(1),
                             loss_ratio=np.zeros(1)) for _ in scenarios]

    with pytest.raises(InvalidParameterError, match="other paths than the labels"):
        evaluate_models({"wrong": Wrong()}, data)


def _simulated_samples(sim_seed_recorded: int):
    from kplane.datasets import DatasetSample
    from kplane.sim import simulate

    out = []
    for k in range(2):
        sc = _scenario(k)
        kpis = simulate(sc, duration=400.0, warmup=20.0, seed=5 + k).kpis
        meta = {"duration": 400.0, "warmup": 20.0, "sim_seed": sim_seed_recorded + k}
        out.append(DatasetSample(sc, kpis, metadata=meta))
    return out


def test_noise_floor_resimulates_with_the_recorded_settings() -> None:
    from kplane.routenet import noise_floor

    # recorded seed 4 (+k): offset 1 gives the labels' own seeds 5 (+k) — the same run, zero error
    same = noise_floor(_simulated_samples(4), limit=5).metrics()["simulator"]
    assert same["delay_mre"] == 0.0 and same["jitter_mre"] == 0.0
    ev = noise_floor(_simulated_samples(5), limit=5)
    m = ev.metrics()
    assert ev.n_samples == 2 and m["paths"] == 8
    assert 0.0 < m["simulator"]["delay_mre"] < 0.3


def test_noise_floor_rejects_bad_input(data) -> None:
    from kplane.routenet import noise_floor

    with pytest.raises(InvalidParameterError, match="records no simulated time"):
        noise_floor(data, limit=1)
    with pytest.raises(InvalidParameterError, match="seed_offset"):
        noise_floor(_simulated_samples(0), limit=1, seed_offset=0)
    with pytest.raises(InvalidParameterError, match="limit"):
        noise_floor(_simulated_samples(0), limit=0)
