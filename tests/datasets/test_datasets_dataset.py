"""Datasets over kplane and datanet data: samples, subsets, splits, and batches with exact offsets."""

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


def test_split_by_sample(tiny_dataset: Path) -> None:
    ds = KplaneDataset(tiny_dataset)
    sp = split_dataset(ds, by="sample", fractions=(0.5, 0.25, 0.25), seed=1)
    idx = [set(s.indices.tolist()) for s in sp]
    assert [len(i) for i in idx] == [6, 3, 3]
    assert set().union(*idx) == set(range(12)) and sum(len(i) for i in idx) == 12
    again = split_dataset(ds, by="sample", fractions=(0.5, 0.25, 0.25), seed=1)
    assert [s.indices.tolist() for s in again] == [s.indices.tolist() for s in sp]
    other = split_dataset(ds, by="sample", fractions=(0.5, 0.25, 0.25), seed=2)
    assert [s.indices.tolist() for s in other] != [s.indices.tolist() for s in sp]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_split_by_topology(tiny_dataset: Path, seed: int) -> None:
    ds = KplaneDataset(tiny_dataset)
    sp = split_dataset(ds, by="topology", fractions=(0.5, 0.25, 0.25), seed=seed)
    topos = [set(s.topologies()) for s in sp]
    assert all(topos), "every split with a positive share gets a topology"
    assert not (topos[0] & topos[1] or topos[0] & topos[2] or topos[1] & topos[2])
    assert sum(len(s) for s in sp) == 12
    assert set().union(*topos) == set(ds.topologies())


def test_split_by_label(tiny_dataset: Path) -> None:
    sp = split_dataset(KplaneDataset(tiny_dataset), by="label")
    assert set(sp.train.topologies()) == {"abilene"}
    assert len(sp.validation) == 6 and all(t.startswith("waxman-") for t in sp.validation.topologies())
    assert set(sp.test.topologies()) == {"polska"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "colour"}, "by='colour' is not valid"),
        ({"fractions": (0.5, 0.5)}, "three numbers"),
        ({"fractions": (0.9, 0.2, -0.1)}, "three numbers"),
    ],
)
def test_bad_split_arguments(tiny_dataset: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        split_dataset(KplaneDataset(tiny_dataset), **kwargs)


def test_loader_batches_with_exact_offsets(tiny_dataset: Path) -> None:
    ds = KplaneDataset(tiny_dataset)
    loader = make_loader(ds[[0, 1, 3]], batch_size=3)
    (batch,) = list(loader)
    samples = [ds[i] for i in (0, 1, 3)]
    n_links = [s.scenario.topology.n_links for s in samples]
    n_paths = [s.scenario.n_paths for s in samples]
    assert batch.n_samples == 3
    assert batch.link_offsets.tolist() == [0, n_links[0], n_links[0] + n_links[1], sum(n_links)]
    assert batch.path_offsets.tolist() == [0, n_paths[0], n_paths[0] + n_paths[1], sum(n_paths)]
    for k, s in enumerate(samples):
        p0, l0 = batch.path_offsets[k].item(), batch.link_offsets[k].item()
        for i in (0, s.scenario.n_paths - 1):
            links = batch.path_links[p0 + i]
            got = links[links >= 0].tolist()
            assert got == (s.scenario.routing.path(i) + l0).tolist()
        assert np.allclose(batch.link_capacity[l0 : l0 + n_links[k]].numpy(), s.scenario.topology.capacity)
        want = s.kpis.mean_delay
        got_delay = batch.mean_delay[p0 : p0 + n_paths[k]].numpy()
        assert np.array_equal(got_delay, want, equal_nan=True)


def test_loader_shuffles_reproducibly(tiny_dataset: Path) -> None:
    ds = KplaneDataset(tiny_dataset)

    def order(seed: int) -> list[int]:
        return [int(b.path_offsets[-1]) for b in make_loader(ds, batch_size=4, shuffle=True, seed=seed)]

    assert order(5) == order(5)
    with pytest.raises(InvalidParameterError, match="batch_size"):
        make_loader(ds, batch_size=0)


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


def test_collate_samples_accepts_datanet_samples(tiny_dataset: Path) -> None:
    from kplane.datasets import collate_samples
    from kplane.network.io import DatanetSample

    s = KplaneDataset(tiny_dataset)[0]
    batch = collate_samples([DatanetSample(s.scenario, s.kpis, {}), s])
    assert batch.n_samples == 2 and batch.path_offsets.tolist() == [
        0,
        s.scenario.n_paths,
        2 * s.scenario.n_paths,
    ]
