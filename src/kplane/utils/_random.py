"""Randomness enters kplane only through explicit seeds or Generators (no global state)."""

from __future__ import annotations

import numpy as np

from kplane.errors import InvalidParameterError

__all__ = ["as_generator", "spawn_seeds"]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Normalise ``seed`` (int, SeedSequence, Generator or None) to a ``numpy.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer or a Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def spawn_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent, deterministic 63-bit seeds derived from ``seed``."""
    ss = np.random.SeedSequence(int(seed))
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in ss.spawn(n)]
