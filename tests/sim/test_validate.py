"""Statistical agreement with the recorded OMNeT++ simulations (../shared/data/omnetpp).

Same graph, routing, traffic and simulated time as each recorded sample. The noise floor is the
disagreement between two kplane runs with different seeds; a faithful simulator is within about
that distance of the recorded one (target: delay MAPE at most twice the floor).
"""

from __future__ import annotations

import numpy as np
import pytest

from kplane.network import PathKPIs
from kplane.sim import compare_kpis, validate_samples


@pytest.fixture(scope="module")
def fifo_dataset(shared_data):
    io = pytest.importorskip("kplane.network.io")
    path = shared_data / "omnetpp" / "fifo-30node-train"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return io.DatanetDataset(path)


def check_report(report, delay_factor: float = 2.0) -> None:
    assert report.noise_delay_mape is not None
    assert report.delay_mape <= delay_factor * report.noise_delay_mape
    assert report.jitter_mape <= delay_factor * report.noise_jitter_mape
    assert report.loss_mae <= max(2.0 * report.noise_loss_mae, 1e-4)
    for row in report.samples:
        assert row["links"]["utilisation_mape"] < 0.02
        assert row["links"]["occupancy_mape"] < 0.02  # busy-time mean occupancy, 32-packet ports
        assert row["links"]["link_loss_mae"] < 1e-3


def test_agrees_with_omnetpp_up_to_the_noise_floor(fifo_dataset):
    # stable sample 1: light load, no loss; stable sample 12: nine lossy ports (1.3% of packets lost)
    report = validate_samples([fifo_dataset[1], fifo_dataset[12]], seed=0, noise_floor=True)
    check_report(report)
    assert report.delay_mape < 0.03
    assert report.samples[1]["loss_mae"] > 0  # losses are simulated, not just absent
    assert report.recorded_wall_s == pytest.approx(41.0 + 348.0)


@pytest.mark.slow
def test_agrees_with_every_recorded_sample(fifo_dataset):
    report = validate_samples(list(fifo_dataset), seed=0, noise_floor=True)
    check_report(report)
    assert report.delay_mape <= 0.02


def test_compare_kpis_definitions():
    ref = PathKPIs(pairs=[[0, 1], [1, 0], [0, 2]], mean_delay=[1.0, 2.0, np.nan], jitter=[1.0, 0.0, 1.0],
                   loss_ratio=[0.0, 0.5, 0.1])
    model = PathKPIs(pairs=[[0, 1], [1, 0], [0, 2]], mean_delay=[1.1, 1.0, 3.0], jitter=[2.0, 5.0, 1.0],
                     loss_ratio=[0.1, 0.5, 0.2])
    out = compare_kpis(model, ref)
    assert out["delay_mape"] == pytest.approx((0.1 + 0.5) / 2) and out["n_delay"] == 2
    assert out["jitter_mape"] == pytest.approx(0.5) and out["n_jitter"] == 2  # zero reference skipped
    assert out["loss_mae"] == pytest.approx(0.2 / 3)
    with pytest.raises(ValueError, match="same paths in the same order"):
        compare_kpis(model.select([1, 0, 2]), ref)
