"""Turn undirected edges into a :class:`Topology` (two directed links per edge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.network.topologies._capacity import CapacitySpec, apply_capacities, assign_queue_sizes
from kplane.utils import as_generator
from kplane.utils._random import SeedLike

__all__ = ["topology_from_undirected"]


def topology_from_undirected(
    edges: Sequence[tuple[int, int]],
    *,
    node_names: Sequence[str],
    positions: NDArray[np.float64] | None,
    name: str,
    metadata: Mapping[str, Any],
    capacities: CapacitySpec,
    queue_size: int | Sequence[int] = DEFAULT_QUEUE_SIZE,
    propagation_delay: NDArray[np.float64] | None = None,
    seed: SeedLike = None,
) -> Topology:
    """Build a topology from undirected edges between node indices ``0..n-1``.

    Edge ``k = (u, v)`` becomes directed links ``2k`` (``u→v``) and ``2k + 1`` (``v→u``).
    ``propagation_delay`` has one entry per edge (seconds).
    Capacities are applied first, then queue sizes, both from the same random stream ``seed``.
    """
    links = [link for u, v in edges for link in ((int(u), int(v)), (int(v), int(u)))]
    delay = None if propagation_delay is None else np.repeat(np.asarray(propagation_delay, float), 2)
    topo = Topology.from_edges(
        node_names,
        links,
        capacity=np.ones(len(links)),
        propagation_delay=delay,
        positions=positions,
        name=name,
        metadata=metadata,
    )
    rng = as_generator(seed)
    topo = apply_capacities(topo, capacities, seed=rng)
    return assign_queue_sizes(topo, queue_size, seed=rng)
