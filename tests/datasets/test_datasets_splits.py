"""Train / validation / test splits: by sample (seeded), by whole topology, by spec label."""

from __future__ import annotations

from pathlib import Path

import pytest

from kplane.datasets import KplaneDataset, split_dataset
from kplane.errors import InvalidParameterError


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
