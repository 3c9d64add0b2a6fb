"""A ``torch`` DataLoader that batches dataset samples into one disconnected graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    import torch.utils.data

__all__ = ["collate_samples", "make_loader"]


def collate_samples(items: Sequence[Any]) -> Any:
    """Collate samples (anything that unpacks as ``scenario, kpis``) into one :class:`GraphBatch`."""
    from kplane.datasets._collate import collate

    pairs = []
    for it in items:
        if isinstance(it, tuple) and len(it) == 2:
            pairs.append(it)
        else:
            scenario, kpis = it  # e.g. a DatanetSample
            pairs.append((scenario, kpis))
    return collate(pairs)


def make_loader(
    dataset: Any,
    *,
    batch_size: int = 16,
    shuffle: bool = False,
    seed: int | None = None,
    num_workers: int = 0,
    drop_last: bool = False,
    collate_fn: Callable[[Sequence[Any]], Any] | None = None,
) -> torch.utils.data.DataLoader:
    """A ``torch`` DataLoader that batches samples into one disconnected graph (:func:`collate`).

    Parameters
    ----------
    dataset : map-style dataset of DatasetSample (or ``(scenario, kpis)`` pairs)
    batch_size : int
        Samples per batch (RouteNet: 16).
    shuffle : bool
        Reshuffle every epoch; ``seed`` makes the order reproducible.
    seed : int, optional
    num_workers : int
        Loader processes (0 = in this process).
    drop_last : bool
    collate_fn : callable, optional
        Default :func:`collate_samples`.
    """
    import torch

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidParameterError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    gen = None
    if seed is not None:
        gen = torch.Generator()
        gen.manual_seed(int(seed))
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=gen,
        num_workers=num_workers,
        drop_last=drop_last,
        collate_fn=collate_fn or collate_samples,
    )
