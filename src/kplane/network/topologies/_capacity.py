"""Link capacities and queue sizes as explicit, seeded functions of a topology.

RouteNet (JSAC 2020, §V-A) draws every link capacity from {10, 40, 100} kbit/s and gives every output
port a 32-packet queue. :func:`assign_capacities` reproduces that rule for any topology; a *capacity
spec* (:data:`CapacitySpec`) is the short form the loaders, the generators and the CLI accept:

- ``"routenet"`` — :func:`assign_capacities` with its defaults (10/40/100 kbit/s, equal probabilities,
  the same value in both directions of an edge);
- a number (bit/s) or a rate string (``"40kbps"``) — :func:`uniform_capacity`;
- a sequence of rates (``[10e3, "40kbps"]``) — :func:`assign_capacities` with those choices;
- ``"keep"`` — leave the capacities the topology already carries (e.g. a WAN topology read from a file
  with its own capacities). Real graphs that carry capacities keep them unless a spec says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.utils import as_generator, parse_rate
from kplane.utils._random import SeedLike

__all__ = [
    "ROUTENET_CAPACITIES",
    "CapacitySpec",
    "apply_capacities",
    "assign_capacities",
    "assign_queue_sizes",
    "undirected_edge_ids",
    "uniform_capacity",
]

ROUTENET_CAPACITIES: tuple[float, ...] = (10e3, 40e3, 100e3)
"""RouteNet's link capacities in bit/s (10, 40 and 100 kbit/s)."""

CapacitySpec = str | float | Sequence[float | str]
"""``"routenet"``, ``"keep"``, a rate (number in bit/s or string such as ``"40kbps"``) or a sequence of
rates to draw from (see the module docstring)."""


def undirected_edge_ids(topology: Topology) -> tuple[NDArray[np.int64], int]:
    """Group the directed links of ``topology`` into undirected edges.

    Links ``u→v`` and ``v→u`` belong to the same edge; edges are numbered in order of the first link
    (lowest link id) that belongs to them.

    Returns
    -------
    edge_of_link : ndarray of shape (n_links,)
        Edge id of every directed link.
    n_edges : int
        Number of undirected edges.
    """
    lo = np.minimum(topology.links[:, 0], topology.links[:, 1])
    hi = np.maximum(topology.links[:, 0], topology.links[:, 1])
    key = lo * topology.n_nodes + hi
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    # renumber edges by first appearance (np.unique numbers them by key)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse].astype(np.int64), int(first.shape[0])


def _rates(values: Sequence[float | str], name: str) -> NDArray[np.float64]:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray) or len(values) == 0:
        raise InvalidParameterError(f"{name} must be a non-empty sequence of rates, got {values!r}")
    return np.array([parse_rate(v) for v in values], dtype=np.float64)


def assign_capacities(
    topology: Topology,
    choices: Sequence[float | str] = ROUTENET_CAPACITIES,
    probs: ArrayLike | None = None,
    *,
    seed: SeedLike,
    symmetric: bool = True,
) -> Topology:
    """Draw every link capacity independently from ``choices`` (RouteNet's rule).

    Parameters
    ----------
    topology : Topology
    choices : sequence of float or str
        Candidate capacities in bit/s (or rate strings such as ``"40kbps"``); default 10, 40 and
        100 kbit/s as in RouteNet.
    probs : array-like of shape (len(choices),), optional
        Probability of each choice; default uniform.
    seed : int, Generator or None
        Source of randomness.
    symmetric : bool
        If True, one draw per undirected edge (see :func:`undirected_edge_ids`) so both directions
        get the same capacity; otherwise one draw per directed link. Draws are made in edge (or link)
        id order.

    Returns
    -------
    Topology
        A copy with ``capacity`` replaced.

    Examples
    --------
    >>> from kplane.network import Topology
    >>> t = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=1.0)
    >>> t = assign_capacities(t, seed=0)
    >>> bool(t.capacity[0] == t.capacity[1]), float(t.capacity[0]) in (10e3, 40e3, 100e3)
    (True, True)
    """
    values = _rates(choices, "choices")
    p = None
    if probs is not None:
        p = np.asarray(probs, dtype=np.float64).reshape(-1)
        if p.shape != values.shape or not np.all(np.isfinite(p)) or (p < 0).any() or abs(p.sum() - 1) > 1e-9:
            raise InvalidParameterError(
                f"probs must be {values.shape[0]} non-negative numbers summing to 1, "
                f"got {np.asarray(probs).tolist()!r}"
            )
    rng = as_generator(seed)
    if symmetric:
        edge_of_link, n_edges = undirected_edge_ids(topology)
        cap = rng.choice(values, size=n_edges, p=p)[edge_of_link]
    else:
        cap = rng.choice(values, size=topology.n_links, p=p)
    return topology.replace(capacity=cap)


def uniform_capacity(topology: Topology, capacity: float | str) -> Topology:
    """Give every link the same capacity (bit/s, or a rate string such as ``"40kbps"``)."""
    return topology.replace(capacity=np.full(topology.n_links, parse_rate(capacity)))


def apply_capacities(topology: Topology, spec: CapacitySpec, *, seed: SeedLike = None) -> Topology:
    """Apply a capacity spec (see the module docstring) to ``topology``.

    Raises
    ------
    InvalidParameterError
        If ``spec`` is not understood.
    """
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key == "keep":
            return topology
        if key == "routenet":
            return assign_capacities(topology, seed=seed)
        if "," in key:
            return assign_capacities(topology, [s for s in key.split(",") if s.strip()], seed=seed)
        try:
            return uniform_capacity(topology, spec)
        except InvalidParameterError:
            raise InvalidParameterError(
                f"capacities {spec!r} not understood; valid: 'routenet', 'keep', a rate such as "
                "'40kbps', or a comma-separated list of rates to draw from such as '10kbps,40kbps'"
            ) from None
    if isinstance(spec, int | float | np.integer | np.floating) and not isinstance(spec, bool):
        return uniform_capacity(topology, float(spec))
    if isinstance(spec, Sequence | np.ndarray):
        return assign_capacities(topology, list(spec), seed=seed)
    raise InvalidParameterError(
        f"capacities must be 'routenet', 'keep', a rate or a sequence of rates, got {spec!r}"
    )


def assign_queue_sizes(
    topology: Topology, queue_size: int | Sequence[int] = 32, *, seed: SeedLike = None
) -> Topology:
    """Set the output-port buffer of every link, in packets.

    Parameters
    ----------
    topology : Topology
    queue_size : int or sequence of int
        One size for every link (RouteNet: 32), or choices drawn uniformly and independently per
        directed link (queues belong to output ports, so the two directions are drawn separately).
    seed : int, Generator or None
        Used only when drawing from choices.

    Raises
    ------
    InvalidParameterError
        If a size is not a whole number >= 1.
    """
    values: Any = queue_size
    scalar = isinstance(values, int | np.integer) and not isinstance(values, bool)
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    if (
        arr.ndim != 1
        or arr.shape[0] == 0
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in arr)
    ):
        raise InvalidParameterError(
            f"queue_size must be a whole number of packets >= 1 or a non-empty list of them, "
            f"got {queue_size!r}"
        )
    sizes = arr.astype(np.int64)
    if scalar or sizes.shape[0] == 1:
        q = np.full(topology.n_links, sizes[0], dtype=np.int64)
    else:
        q = as_generator(seed).choice(sizes, size=topology.n_links)
    return topology.replace(queue_size=q)
