"""Expand a dataset spec into independent simulation jobs with deterministic seeds.

One job is one sample: a topology instance, one of its routing variants, a traffic draw and a
simulation seed. Seeds form a tree rooted at ``spec.seed``; each node's children are
``SeedSequence(parent, spawn_key=(i,))`` (what :func:`kplane.utils.spawn_seeds` returns), so a seed
depends only on its position in the tree — never on how many samples, workers or shards there are::

    spec.seed ─┬─ entry e ─┬─ instance i ─┬─ 0 topology (graph, node count)
               │           │              ├─ 1 capacities and queue sizes
               │           │              ├─ 2 routing variants
               │           │              ├─ 3 traffic level draws (vectorised, one stream)
               │           │              ├─ 4 traffic matrices: child s = sample s
               │           │              └─ 5 simulations:      child s = sample s

Samples are numbered round-robin over the topology instances (sample 0 of every instance, then
sample 1, ...), so truncating a plan (``max_samples``) keeps a balanced subset. A shard is a fixed
run of ``spec.shard_size`` consecutive sample ids; it is the unit of storage and of resumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kplane.datasets._spec import DatasetSpec
from kplane.errors import InvalidParameterError

__all__ = ["Job", "Plan", "child_seed", "expand", "instance_seeds"]

TOPOLOGY, CAPACITY, ROUTING, LEVEL, TRAFFIC, SIMULATION = range(6)
"""Children of an instance seed (see the module docstring)."""


def child_seed(seed: int, index: int) -> int:
    """Seed of child ``index`` of ``seed``: equals ``spawn_seeds(seed, n)[index]`` for any ``n > index``."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@lru_cache(maxsize=4096)
def instance_seeds(seed: int, entry: int, instance: int) -> tuple[int, ...]:
    """The six seeds of one topology instance: topology, capacity, routing, level, traffic, simulation."""
    inst = child_seed(child_seed(seed, entry), instance)
    return tuple(child_seed(inst, k) for k in range(6))


@dataclass(frozen=True)
class Job:
    """One sample to simulate.

    Attributes
    ----------
    sample_id : int
        Position in the plan (0-based, global, stable).
    entry : int
        Index of the ``[[topologies]]`` entry.
    instance : int
        Topology instance within the entry (0 for bundled names and files).
    sample : int
        Sample index within the instance.
    routing_variant : int
        ``sample % spec.routing.variants``.
    traffic_level : float
        The drawn traffic level: TI in kbit/s (``intensity``/``intensity_levels``), the largest pair
        rate TI/(N−1) in bit/s (``max_pair_rate``) or the total rate in bit/s (``total_rate``).
    traffic_seed, sim_seed : int
        Seeds of the traffic matrix and of the simulation.
    """

    sample_id: int
    entry: int
    instance: int
    sample: int
    routing_variant: int
    traffic_level: float
    traffic_seed: int
    sim_seed: int


@dataclass(frozen=True)
class Plan:
    """The jobs of a spec (possibly truncated), grouped into shards.

    Attributes
    ----------
    spec : DatasetSpec
    n_samples : int
        Samples in this plan (``<= spec.n_samples``).
    shard_size : int
    """

    spec: DatasetSpec
    n_samples: int
    shard_size: int
    _order: tuple[tuple[int, int, int], ...]

    @property
    def n_shards(self) -> int:
        """Number of shards (the last may be shorter)."""
        return -(-self.n_samples // self.shard_size)

    def shard_range(self, shard: int) -> range:
        """Sample ids of ``shard``."""
        if not 0 <= shard < self.n_shards:
            raise IndexError(f"shard {shard} out of range 0..{self.n_shards - 1}")
        lo = shard * self.shard_size
        return range(lo, min(lo + self.shard_size, self.n_samples))

    def shard_of(self, sample_id: int) -> int:
        """Shard holding ``sample_id``."""
        return sample_id // self.shard_size

    def job(self, sample_id: int) -> Job:
        """The job of ``sample_id`` (seeds and traffic level derived on demand)."""
        if not 0 <= sample_id < self.n_samples:
            raise IndexError(f"sample {sample_id} out of range 0..{self.n_samples - 1}")
        entry, instance, s = self._order[sample_id]
        spec = self.spec
        seeds = instance_seeds(spec.seed, entry, instance)
        return Job(
            sample_id=sample_id,
            entry=entry,
            instance=instance,
            sample=s,
            routing_variant=s % spec.routing.variants,
            traffic_level=_level(spec, seeds[LEVEL], s),
            traffic_seed=child_seed(seeds[TRAFFIC], s),
            sim_seed=child_seed(seeds[SIMULATION], s),
        )

    def jobs(self, shard: int) -> list[Job]:
        """The jobs of ``shard`` in sample-id order."""
        return [self.job(i) for i in self.shard_range(shard)]


@lru_cache(maxsize=256)
def _level_draws(seed: int, lo: float, hi: float, n: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=n)


def _level(spec: DatasetSpec, seed: int, s: int) -> float:
    t = spec.traffic
    if t.intensity_levels is not None:
        return float(t.intensity_levels[(s // spec.routing.variants) % len(t.intensity_levels)])
    rng_range = t.intensity or t.max_pair_rate or t.total_rate
    assert rng_range is not None  # guaranteed by the spec parser
    lo, hi = rng_range
    # one stream per instance; its first draws do not depend on how many are taken
    n = 1 << max(6, int(s).bit_length())
    return float(_level_draws(seed, lo, hi, n)[s])


def expand(spec: DatasetSpec, max_samples: int | None = None) -> Plan:
    """Expand ``spec`` into a :class:`Plan` of jobs.

    Parameters
    ----------
    spec : DatasetSpec
    max_samples : int, optional
        Keep only the first ``max_samples`` samples (a balanced subset, see the module docstring).

    Raises
    ------
    InvalidParameterError
        If ``max_samples`` is not a positive whole number.
    """
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, int) or max_samples < 1
    ):
        raise InvalidParameterError(f"max_samples must be a whole number >= 1, got {max_samples!r}")
    units = [(e, i, spec.samples_of(t)) for e, t in enumerate(spec.topologies) for i in range(t.count)]
    order: list[tuple[int, int, int]] = []
    limit = spec.n_samples if max_samples is None else min(max_samples, spec.n_samples)
    s = 0
    while len(order) < limit:
        for e, i, n in units:
            if s < n:
                order.append((e, i, s))
                if len(order) == limit:
                    break
        s += 1
    return Plan(spec=spec, n_samples=len(order), shard_size=spec.shard_size, _order=tuple(order))
