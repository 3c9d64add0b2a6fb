"""Candidate configurations: shortest-path routing variants and new-link placements (RouteNet §VI).

- :func:`routing_candidates` — the base shortest-path routing (all weights 1) followed by perturbed
  variants (0.05 added to the weight of 21 randomly chosen links, with repetition), §VI-A.
- :func:`link_candidates` — every new bidirectional link of a given capacity between two nodes that
  share no link, each as a new :class:`~kplane.network.Topology` (existing link ids unchanged, the
  new links appended), §VI-B.
- :func:`candidate_scenarios`, :func:`unique_routings` — scenarios for a list of routings, and the
  distinct routings of a list (variants often coincide; evaluating each distinct one once is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import Routing, Scenario, Topology
from kplane.utils import parse_rate

__all__ = [
    "LinkCandidate",
    "add_link",
    "candidate_scenarios",
    "link_candidates",
    "routing_candidates",
    "unique_routings",
]


def routing_candidates(
    topology: Topology,
    n_candidates: int = 450,
    *,
    n_links: int = 21,
    delta: float = 0.05,
    seed: int = 0,
) -> list[Routing]:
    """The base shortest-path routing and ``n_candidates - 1`` perturbed variants.

    Parameters
    ----------
    topology : Topology
    n_candidates : int
        Total number of routings, >= 1 (RouteNet: 450).
    n_links : int
        Links whose weight is perturbed in each variant, drawn with repetition (RouteNet: 21).
    delta : float
        Weight added per draw (RouteNet: 0.05, on unit weights).
    seed : int
        Seeds the variants; the same seed on the same topology gives the same list.

    Returns
    -------
    list of Routing
        ``n_candidates`` routings; element 0 is the hop-count shortest-path routing. Variants may
        coincide (see :func:`unique_routings`).
    """
    from kplane.network.generators import perturbed_routings

    n = _positive_int(n_candidates, "n_candidates")
    return list(perturbed_routings(topology, n, n_links=n_links, delta=delta, seed=seed))


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _routing_key(r: Routing) -> bytes:
    return r.pairs.tobytes() + b"|" + r.offsets.tobytes() + b"|" + r.link_ids.tobytes()


def unique_routings(routings: Sequence[Routing]) -> tuple[list[Routing], NDArray[np.int64]]:
    """The distinct routings of ``routings`` (first occurrences, in order) and the inverse map.

    Returns
    -------
    unique : list of Routing
    inverse : ndarray of shape (len(routings),)
        ``routings[i]`` equals ``unique[inverse[i]]`` (same pairs, same paths).
    """
    seen: dict[bytes, int] = {}
    unique: list[Routing] = []
    inverse = np.empty(len(routings), dtype=np.int64)
    for i, r in enumerate(routings):
        key = _routing_key(r)
        if key not in seen:
            seen[key] = len(unique)
            unique.append(r)
        inverse[i] = seen[key]
    return unique, inverse


def candidate_scenarios(
    scenario: Scenario, routings: Sequence[Routing], *, topology: Topology | None = None
) -> list[Scenario]:
    """``scenario`` with each routing (and optionally another topology over the same nodes).

    Raises
    ------
    InvalidScenarioError
        If a routing does not fit the topology or misses a pair with traffic.
    """
    topo = scenario.topology if topology is None else topology
    return [
        scenario.replace(topology=topo, routing=r, name=f"{scenario.name}/candidate-{i}")
        for i, r in enumerate(routings)
    ]


@dataclass(frozen=True, eq=False)
class LinkCandidate:
    """A topology with one new bidirectional link.

    Attributes
    ----------
    u, v : int
        The new link's end nodes (``u < v``).
    capacity : float
        Its capacity in bit/s (both directions).
    link_ids : tuple of int
        Ids of the new directed links ``u→v`` and ``v→u`` in ``topology``.
    topology : Topology
        The original topology with the two links appended.
    """

    u: int
    v: int
    capacity: float
    link_ids: tuple[int, int]
    topology: Topology

    def label(self) -> str:
        """``"a–b"`` with node names."""
        names = self.topology.node_names
        return f"{names[self.u]}–{names[self.v]}"


def add_link(
    topology: Topology,
    u: int,
    v: int,
    capacity: float | str,
    *,
    queue_size: int | None = None,
    propagation_delay: float = 0.0,
) -> Topology:
    """``topology`` with the directed links ``u→v`` and ``v→u`` appended (ids ``n_links``, ``n_links + 1``).

    Parameters
    ----------
    topology : Topology
    u, v : int
        Distinct node ids with no link between them in either direction.
    capacity : float or str
        Bit/s, or a rate such as ``"10kbps"``.
    queue_size : int, optional
        Packets; default the most common queue size of ``topology``.
    propagation_delay : float
        Seconds, >= 0.

    Raises
    ------
    InvalidParameterError
        If a node id is out of range, ``u == v`` or a link between them already exists.
    """
    n = topology.n_nodes
    u, v = int(u), int(v)
    if not (0 <= u < n and 0 <= v < n) or u == v:
        raise InvalidParameterError(f"new link needs two distinct nodes in 0..{n - 1}, got {u} and {v}")
    if topology.has_link(u, v) or topology.has_link(v, u):
        raise InvalidParameterError(
            f"nodes {topology.node_names[u]} and {topology.node_names[v]} are already adjacent"
        )
    cap = parse_rate(capacity)
    if queue_size is None:
        values, counts = np.unique(topology.queue_size, return_counts=True)
        queue_size = int(values[np.argmax(counts)])
    meta = dict(topology.metadata)
    added = list(meta.get("added_links", []))
    added.append({"u": u, "v": v, "capacity": cap})
    meta["added_links"] = added
    if isinstance(meta.get("length_km"), list):  # per undirected edge: the new edge's length is unknown
        meta["length_km"] = [*meta["length_km"], None]
    return topology.replace(
        links=np.vstack([topology.links, [[u, v], [v, u]]]),
        capacity=np.concatenate([topology.capacity, [cap, cap]]),
        queue_size=np.concatenate([topology.queue_size, [queue_size, queue_size]]),
        propagation_delay=np.concatenate([topology.propagation_delay, [propagation_delay] * 2]),
        metadata=meta,
    )


def link_candidates(
    topology: Topology, capacity: float | str, *, queue_size: int | None = None
) -> list[LinkCandidate]:
    """Every new bidirectional link of ``capacity`` between two nodes with no link in either direction.

    Parameters
    ----------
    topology : Topology
    capacity : float or str
        Bit/s, or a rate such as ``"10kbps"`` (RouteNet §VI-B: 10 kbit/s).
    queue_size : int, optional
        Packets per port of the new link; default the topology's most common queue size.

    Returns
    -------
    list of LinkCandidate
        In order of ``(u, v)`` with ``u < v``; NSFNET (14 nodes, 21 edges) gives 70.
    """
    cap = parse_rate(capacity)
    out = []
    m = topology.n_links
    for u in range(topology.n_nodes):
        for v in range(u + 1, topology.n_nodes):
            if topology.has_link(u, v) or topology.has_link(v, u):
                continue
            topo = add_link(topology, u, v, cap, queue_size=queue_size)
            out.append(LinkCandidate(u, v, cap, (m, m + 1), topo))
    return out
