"""`dataset_info` summaries and the datanet export (read back with the datanet reader)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kplane.datasets import KplaneDataset, dataset_info, export_datanet
from kplane.errors import InvalidParameterError


def test_info(tiny_dataset: Path) -> None:
    info = dataset_info(tiny_dataset)
    json.dumps(info)  # JSON-ready
    assert info["name"] == "tiny" and info["complete"] and info["n_samples"] == info["n_samples_spec"] == 12
    assert info["splits"] == {"train": 3, "validation": 6, "test": 3}
    assert info["topologies"]["abilene"] == {
        "samples": 3,
        "split": "train",
        "nodes": 12,
        "links": 30,
        "paths": 132,
    }
    ti = info["traffic"]["intensity"]
    assert 6.0 <= ti["min"] <= ti["mean"] <= ti["max"] <= 12.0 and ti["count"] == 12
    ds = KplaneDataset(tiny_dataset)
    delays = np.concatenate([ds[i].kpis.mean_delay for i in range(12)])
    assert info["labels"]["mean_delay"]["max"] == pytest.approx(np.nanmax(delays))
    assert info["labels"]["mean_delay"]["missing"] == int(np.isnan(delays).sum())
    totals = [ds[i].scenario.traffic.total_rate for i in range(12)]
    assert info["traffic"]["total_rate"]["min"] == pytest.approx(min(totals))
    assert 0 < info["labels"]["link_utilisation"]["max"] <= 1
    cost = info["cost"]
    assert cost["sim_wall_time_s"] > 0 and cost["n_events"] > 0 and len(cost["runs"]) == 1
    assert info["simulation"] == {"duration": 200.0, "warmup": 20.0}


def test_export_datanet_round_trip(tiny_dataset: Path, tmp_path: Path) -> None:
    from kplane.network.io import DatanetDataset

    out = tmp_path / "datanet"
    calls: list[tuple[int, int]] = []
    paths = export_datanet(
        tiny_dataset, out, samples_per_tarball=5, progress=lambda d, t: calls.append((d, t))
    )
    assert [p.name for p in paths] == [f"results_tiny_{k:05d}.tar.gz" for k in range(3)]
    assert calls[-1] == (12, 12)
    back = DatanetDataset(out)
    ours = KplaneDataset(tiny_dataset)
    assert len(back) == 12
    for i in (0, 6, 11):
        a, b = ours[i], back[i]
        assert b.metadata["sim_time"] == pytest.approx(180.0)
        assert np.array_equal(a.scenario.routing.pairs, b.scenario.routing.pairs)
        np.testing.assert_allclose(b.scenario.traffic.rate, a.scenario.traffic.rate, rtol=1e-6)
        np.testing.assert_allclose(b.scenario.topology.capacity, a.scenario.topology.capacity)
        np.testing.assert_allclose(b.kpis.mean_delay, a.kpis.mean_delay, rtol=1e-6)
        np.testing.assert_allclose(b.kpis.delivered, a.kpis.delivered, rtol=1e-6)
        np.testing.assert_allclose(b.kpis.loss_ratio, a.kpis.loss_ratio, rtol=1e-6, atol=1e-12)


def test_export_bad_arguments(tiny_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="samples_per_tarball"):
        export_datanet(tiny_dataset, tmp_path, samples_per_tarball=0)
