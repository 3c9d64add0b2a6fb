"""Small shared utilities: atomic file writes, seeding, unit parsing."""

from kplane.utils._atomic import atomic_write, atomic_write_bytes, atomic_write_text
from kplane.utils._random import as_generator, spawn_seeds
from kplane.utils._units import format_rate, parse_rate

__all__ = [
    "as_generator",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "format_rate",
    "parse_rate",
    "spawn_seeds",
]
