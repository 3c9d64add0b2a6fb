"""Train / validation / test splits of a dataset: by sample, by whole topology, or by spec label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from kplane.datasets._dataset import Subset, _Base
from kplane.errors import InvalidParameterError

__all__ = ["DatasetSplits", "split_dataset"]


class DatasetSplits(NamedTuple):
    """Train / validation / test views."""

    train: Subset
    validation: Subset
    test: Subset


_SPLIT_NAMES = ("train", "validation", "test")


def split_dataset(
    dataset: _Base,
    *,
    by: str = "sample",
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> DatasetSplits:
    """Split a dataset into train / validation / test views.

    Parameters
    ----------
    dataset : KplaneDataset, RouteNetDataset or Subset
    by : {"sample", "topology", "label"}
        ``sample``: a seeded random partition of the samples in ``fractions``. ``topology``: whole
        topologies go to one split (no topology is in two), assigned in seeded random order to the
        split furthest below its target share of samples. ``label``: the split label each sample
        carries from its spec entry (kplane datasets only; ``fractions`` and ``seed`` unused).
    fractions : (float, float, float)
        Target shares of train, validation and test, >= 0, summing to 1.
    seed : int

    Raises
    ------
    InvalidParameterError
        Bad ``by`` or ``fractions``, or fewer topologies than splits that need one.
    """
    if by not in ("sample", "topology", "label"):
        raise InvalidParameterError(f"by={by!r} is not valid; valid: sample, topology, label")
    fr = np.asarray(list(fractions), dtype=np.float64)
    if fr.shape != (3,) or not np.isfinite(fr).all() or (fr < 0).any() or abs(fr.sum() - 1) > 1e-6:
        raise InvalidParameterError(
            f"fractions must be three numbers >= 0 summing to 1, got {list(fractions)!r}"
        )
    n = len(dataset)
    rng = np.random.default_rng(seed)
    if by == "label":
        labels = np.asarray(dataset.split_labels())
        return DatasetSplits(*(Subset(dataset, np.flatnonzero(labels == s)) for s in _SPLIT_NAMES))
    if by == "sample":
        perm = rng.permutation(n)
        cuts = np.round(np.cumsum(fr)[:2] * n).astype(np.int64)
        parts = np.split(perm, cuts)
        return DatasetSplits(*(Subset(dataset, np.sort(p)) for p in parts))
    names = np.asarray(dataset.topologies())
    uniq, inverse, counts = np.unique(names, return_inverse=True, return_counts=True)
    needed = int((fr > 0).sum())
    if uniq.shape[0] < needed:
        raise InvalidParameterError(
            f"splitting by topology needs at least {needed} topologies, the dataset has {uniq.shape[0]}: "
            f"{', '.join(uniq.tolist())}"
        )
    order = rng.permutation(uniq.shape[0])
    assign = np.full(uniq.shape[0], -1)
    got = np.zeros(3)
    target = fr * n
    for j, g in enumerate(order):
        left = uniq.shape[0] - j
        empty = [s for s in range(3) if fr[s] > 0 and got[s] == 0]
        if empty and left <= len(empty):
            s = empty[0]  # make sure every split with a positive share gets a topology
        else:
            deficit = np.where(fr > 0, target - got, -np.inf)
            s = int(np.argmax(deficit))
        assign[g] = s
        got[s] += counts[g]
    sample_split = assign[inverse]
    return DatasetSplits(*(Subset(dataset, np.flatnonzero(sample_split == s)) for s in range(3)))
