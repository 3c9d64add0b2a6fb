"""The DataLoader helper: batches with exact offsets, reproducible shuffling, datanet samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kplane.datasets import KplaneDataset, make_loader
from kplane.errors import InvalidParameterError


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
