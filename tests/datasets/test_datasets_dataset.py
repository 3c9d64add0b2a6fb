"""Datasets over kplane and datanet data: samples, subsets, RouteNet datasets, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kplane.datasets import (
    DatasetSample,
    KplaneDataset,
    RouteNetDataset,
    Subset,
    make_loader,
    split_dataset,
)
from kplane.errors import FormatError, InvalidParameterError, UnsupportedError
from kplane.network import PathKPIs, Scenario


def test_samples_unpack(tiny_dataset: Path) -> None:
    ds = KplaneDataset(tiny_dataset)
    s = ds[3]
    assert isinstance(s, DatasetSample) and isinstance(s, tuple) and len(s) == 2
    scenario, kpis = s
    assert isinstance(scenario, Scenario) and isinstance(kpis, PathKPIs)
    assert s.scenario is scenario and s.kpis is kpis
    assert set(s.link_stats) >= {"utilisation", "loss_ratio", "mean_occupancy", "arrivals", "drops"}
    assert all(v.shape == (scenario.topology.n_links,) for v in s.link_stats.values())
    assert (
        s.metadata["sample_id"] == 3 and s.metadata["topology"] == "polska" and s.metadata["split"] == "test"
    )
    assert s.metadata["sim_time"] == pytest.approx(180.0)
    assert ds[-1].metadata["sample_id"] == 11
    with pytest.raises(IndexError):
        ds[12]
    with pytest.raises(InvalidParameterError, match="integer"):
        ds["a"]


def test_transform_and_subsets(tiny_dataset: Path) -> None:
    ds = KplaneDataset(tiny_dataset, transform=lambda s: s.metadata["sample_id"])
    assert ds[7] == 7
    sub = ds[2:9:3]
    assert isinstance(sub, Subset) and len(sub) == 3 and list(sub) == [2, 5, 8]
    assert list(sub[[2, 0]]) == [8, 2] and sub[-1] == 8
    mask = np.zeros(12, dtype=bool)
    mask[[1, 10]] = True
    assert list(ds[mask]) == [1, 10]
    assert list(ds.shuffle(seed=3)) == list(ds.shuffle(seed=3)) != list(range(12))
    assert sorted(ds.shuffle(seed=3)) == list(range(12))
    assert sub.topologies() == [ds.topologies()[i] for i in (2, 5, 8)]


def test_routenet_dataset_over_kplane(tiny_dataset: Path) -> None:
    ds = RouteNetDataset(tiny_dataset)
    assert ds.format == "kplane" and len(ds) == 12
    assert ds.topologies() == KplaneDataset(tiny_dataset).topologies()
    assert ds[2].metadata["sample_id"] == 2
    assert len(split_dataset(ds, by="label").test) == 3


def test_routenet_dataset_over_datanet(shared_data: Path) -> None:
    root = shared_data / "omnetpp" / "fifo-30node-train"
    if not root.is_dir():
        pytest.skip("fifo-30node-train not present")
    ds = RouteNetDataset(root)
    assert ds.format == "datanet" and len(ds) == 50
    s = ds[0]
    assert isinstance(s, DatasetSample) and s.scenario.topology.n_nodes == 30
    assert s.kpis.n_paths == 870 and "utilisation" in s.link_stats
    assert s.metadata["topology"] in {"graph-30-0-2", "graph-30-1-2"}
    sp = split_dataset(ds, by="topology", fractions=(0.5, 0.5, 0.0), seed=0)
    assert len(sp.test) == 0 and len(sp.train) + len(sp.validation) == 50
    assert not set(sp.train.topologies()) & set(sp.validation.topologies())
    batch = next(iter(make_loader(ds[:2], batch_size=2)))
    assert batch.path_offsets.tolist() == [0, 870, 1740]
    with pytest.raises(UnsupportedError, match="no split labels"):
        split_dataset(ds, by="label")


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="neither a kplane dataset"):
        RouteNetDataset(tmp_path)
    with pytest.raises(FormatError, match="manifest.json missing"):
        KplaneDataset(tmp_path)
