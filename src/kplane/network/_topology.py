"""`Topology`: nodes and directed links with capacities, queue sizes and propagation delays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import FrozenState, frozen_array, require_nonnegative, require_positive

__all__ = ["Topology", "DEFAULT_QUEUE_SIZE"]

DEFAULT_QUEUE_SIZE = 32
"""Packets per output port when none is given (RouteNet's 32-packet FIFO queues)."""


def _per_link(values: ArrayLike, m: int, field: str) -> NDArray[Any]:
    """``values`` broadcast to one entry per link; raise naming ``field`` if the shape does not fit."""
    arr = np.asarray(values)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] not in (1, m)):
        raise InvalidScenarioError(
            f"{field} must be a single value or one per link, shape ({m},), got shape {arr.shape}"
        )
    return np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (m,))


@dataclass(frozen=True, eq=False)
class Topology(FrozenState):
    """A network: named nodes and directed links (output ports).

    Immutable and validated on construction. Units are SI.

    Parameters
    ----------
    node_names : sequence of str
        Unique node names; node ``i`` is ``node_names[i]``.
    links : array-like of shape (n_links, 2)
        ``(src, dst)`` node indices of each directed link. At most one link per ordered pair.
    capacity : array-like of shape (n_links,)
        Link capacity in bit/s, > 0.
    queue_size : array-like of shape (n_links,), optional
        Capacity of the link's output port in packets, counting the packet being transmitted
        (as the recorded OMNeT++ datasets do; see ``docs/simulator.md``), >= 1. Defaults to
        :data:`DEFAULT_QUEUE_SIZE`.
    propagation_delay : array-like of shape (n_links,), optional
        One-way propagation delay in seconds, >= 0. Defaults to 0.
    positions : array-like of shape (n_nodes, 2), optional
        Node coordinates (longitude, latitude for real topologies).
    name : str
        A label (e.g. ``"nsfnet"``).
    metadata : mapping, optional
        Free-form, JSON-serialisable extra information (source, scheduling attributes, ...).

    Examples
    --------
    >>> topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=10e3)
    >>> topo.n_nodes, topo.n_links, float(topo.capacity[0])
    (2, 2, 10000.0)
    """

    node_names: tuple[str, ...]
    links: NDArray[np.int64]
    capacity: NDArray[np.float64]
    queue_size: NDArray[np.int64] = field(default=None)  # type: ignore[arg-type]
    propagation_delay: NDArray[np.float64] = field(default=None)  # type: ignore[arg-type]
    positions: NDArray[np.float64] | None = None
    name: str = "topology"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.node_names)
        if len(names) == 0:
            raise InvalidScenarioError("topology has no nodes: node_names is empty")
        if len(set(names)) != len(names):
            seen: set[str] = set()
            dup = next(n for n in names if n in seen or seen.add(n))  # type: ignore[func-returns-value]
            raise InvalidScenarioError(f"node_names must be unique, {dup!r} appears twice")
        object.__setattr__(self, "node_names", names)
        n = len(names)

        links = frozen_array(self.links if len(self.links) else np.zeros((0, 2)), np.int64, "links")
        if links.ndim != 2 or links.shape[1] != 2:
            raise InvalidScenarioError(f"links must have shape (n_links, 2), got {links.shape}")
        if links.shape[0] == 0:
            raise InvalidScenarioError(f"topology {self.name!r} has no links")
        bad = (links < 0) | (links >= n)
        if bad.any():
            i = int(np.flatnonzero(bad.any(axis=1))[0])
            raise InvalidScenarioError(
                f"link {i} ({links[i, 0]}→{links[i, 1]}) refers to a node outside 0..{n - 1}"
            )
        loops = links[:, 0] == links[:, 1]
        if loops.any():
            i = int(np.flatnonzero(loops)[0])
            raise InvalidScenarioError(f"link {i} is a self-loop at node {names[links[i, 0]]!r}")
        keys = links[:, 0] * n + links[:, 1]
        uniq, counts = np.unique(keys, return_counts=True)
        if (counts > 1).any():
            k = int(uniq[counts > 1][0])
            raise InvalidScenarioError(
                f"more than one link {names[k // n]!r}→{names[k % n]!r}; "
                "kplane models one output port per ordered node pair"
            )
        object.__setattr__(self, "links", links)
        m = links.shape[0]

        def describe(i: int) -> str:
            return f"link {i} ({names[links[i, 0]]}→{names[links[i, 1]]})"

        cap = frozen_array(_per_link(self.capacity, m, "capacity"), np.float64, "capacity")
        require_positive(cap, "capacity", "bit/s", describe)
        object.__setattr__(self, "capacity", cap)

        q = DEFAULT_QUEUE_SIZE if self.queue_size is None else self.queue_size
        q_arr = _per_link(q, m, "queue_size")
        try:
            q_float = q_arr.astype(float)
        except (TypeError, ValueError):
            raise InvalidScenarioError(
                f"queue_size must be whole numbers of packets, got {q_arr!r}"
            ) from None
        if not np.all(np.isfinite(q_float)) or np.any(q_float != np.round(q_float)):
            raise InvalidScenarioError(f"queue_size must be whole numbers of packets, got {q_arr!r}")
        qs = frozen_array(q_arr, np.int64, "queue_size")
        if (qs < 1).any():
            i = int(np.flatnonzero(qs < 1)[0])
            raise InvalidScenarioError(f"queue_size of {describe(i)} must be >= 1 packet, got {qs[i]}")
        object.__setattr__(self, "queue_size", qs)

        pd = 0.0 if self.propagation_delay is None else self.propagation_delay
        pda = frozen_array(_per_link(pd, m, "propagation_delay"), np.float64, "propagation_delay")
        require_nonnegative(pda, "propagation_delay", "s", describe)
        object.__setattr__(self, "propagation_delay", pda)

        if self.positions is not None:
            pos = frozen_array(self.positions, np.float64, "positions")
            if pos.shape != (n, 2):
                raise InvalidScenarioError(f"positions must have shape ({n}, 2), got {pos.shape}")
            object.__setattr__(self, "positions", pos)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_edges(
        cls,
        node_names: Sequence[str],
        edges: Iterable[tuple[int, int]],
        capacity: ArrayLike,
        *,
        queue_size: ArrayLike | None = None,
        propagation_delay: ArrayLike | None = None,
        positions: ArrayLike | None = None,
        name: str = "topology",
        metadata: Mapping[str, Any] | None = None,
    ) -> Topology:
        """Build from a list of directed ``(src, dst)`` index pairs."""
        return cls(
            node_names=tuple(node_names),
            links=np.asarray(list(edges)),
            capacity=np.asarray(capacity),
            queue_size=None if queue_size is None else np.asarray(queue_size),  # type: ignore[arg-type]
            propagation_delay=None  # type: ignore[arg-type]
            if propagation_delay is None
            else np.asarray(propagation_delay),
            positions=None if positions is None else np.asarray(positions),
            name=name,
            metadata=metadata or {},
        )

    @classmethod
    def from_networkx(
        cls,
        graph: nx.Graph,
        *,
        capacity: str | float = "capacity",
        queue_size: str | int | None = "queue_size",
        propagation_delay: str | float | None = "propagation_delay",
        name: str | None = None,
    ) -> Topology:
        """Build from a networkx graph.

        An undirected graph becomes two directed links per edge. Attribute arguments are either an
        edge-attribute name (read per edge; missing values fall back to the default) or a constant.
        Node positions are taken from a ``pos`` node attribute ``(x, y)`` when every node has one.

        Raises
        ------
        InvalidScenarioError
            If a capacity is missing or not positive.
        """
        nodes = list(graph.nodes)
        index = {v: i for i, v in enumerate(nodes)}
        directed = graph.to_directed() if not graph.is_directed() else graph
        edges: list[tuple[int, int]] = []
        caps: list[float] = []
        queues: list[int] = []
        delays: list[float] = []
        seen: set[tuple[int, int]] = set()
        for u, v, data in directed.edges(data=True):
            key = (index[u], index[v])
            if key in seen or key[0] == key[1]:
                continue
            seen.add(key)
            edges.append(key)
            if isinstance(capacity, str):
                if capacity not in data:
                    raise InvalidScenarioError(
                        f"edge {u!r}→{v!r} has no {capacity!r} attribute (link capacity, bit/s)"
                    )
                caps.append(float(data[capacity]))
            else:
                caps.append(float(capacity))
            if isinstance(queue_size, str):
                queues.append(int(data.get(queue_size, DEFAULT_QUEUE_SIZE)))
            else:
                queues.append(DEFAULT_QUEUE_SIZE if queue_size is None else int(queue_size))
            if isinstance(propagation_delay, str):
                delays.append(float(data.get(propagation_delay, 0.0)))
            else:
                delays.append(0.0 if propagation_delay is None else float(propagation_delay))
        pos = [graph.nodes[v].get("pos") for v in nodes]
        positions = np.asarray(pos, dtype=float) if all(p is not None for p in pos) else None
        return cls.from_edges(
            [str(v) for v in nodes],
            edges,
            caps,
            queue_size=queues,
            propagation_delay=delays,
            positions=positions,
            name=name or str(graph.graph.get("name", "topology")),
        )

    def replace(self, **changes: Any) -> Topology:
        """Return a copy with some fields replaced (validated again)."""
        fields: dict[str, Any] = {
            "node_names": self.node_names,
            "links": self.links,
            "capacity": self.capacity,
            "queue_size": self.queue_size,
            "propagation_delay": self.propagation_delay,
            "positions": self.positions,
            "name": self.name,
            "metadata": dict(self.metadata),
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown Topology field(s): {sorted(unknown)}; valid: {sorted(fields)}")
        fields.update(changes)
        return Topology(**fields)

    # ------------------------------------------------------------------ queries
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_names)

    @property
    def n_links(self) -> int:
        """Number of directed links."""
        return int(self.links.shape[0])

    @cached_property
    def _link_ids(self) -> dict[tuple[int, int], int]:
        return {(int(u), int(v)): i for i, (u, v) in enumerate(self.links)}

    @cached_property
    def _node_ids(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.node_names)}

    def link_id(self, src: int, dst: int) -> int:
        """Index of the directed link ``src → dst``.

        Raises
        ------
        InvalidScenarioError
            If there is no such link.
        """
        try:
            return self._link_ids[(int(src), int(dst))]
        except KeyError:
            raise InvalidScenarioError(
                f"no link {self._name(src)}→{self._name(dst)} in topology {self.name!r}"
            ) from None

    def has_link(self, src: int, dst: int) -> bool:
        """Whether the directed link ``src → dst`` exists."""
        return (int(src), int(dst)) in self._link_ids

    def node_id(self, name: str) -> int:
        """Index of the node called ``name``."""
        try:
            return self._node_ids[str(name)]
        except KeyError:
            raise InvalidScenarioError(f"no node named {name!r} in topology {self.name!r}") from None

    def _name(self, i: int) -> str:
        return self.node_names[i] if 0 <= int(i) < self.n_nodes else f"<node {i}>"

    def describe_link(self, i: int) -> str:
        """``"link i (a→b)"``, for messages."""
        u, v = self.links[i]
        return f"link {i} ({self.node_names[u]}→{self.node_names[v]})"

    def to_networkx(self) -> nx.DiGraph:
        """A ``DiGraph`` with node ``name``/``pos`` and link attributes (``id``, capacity, ...)."""
        g = nx.DiGraph(name=self.name)
        for i, nm in enumerate(self.node_names):
            attrs: dict[str, Any] = {"name": nm}
            if self.positions is not None:
                attrs["pos"] = tuple(float(x) for x in self.positions[i])
            g.add_node(i, **attrs)
        for i, (u, v) in enumerate(self.links):
            g.add_edge(
                int(u),
                int(v),
                id=i,
                capacity=float(self.capacity[i]),
                queue_size=int(self.queue_size[i]),
                propagation_delay=float(self.propagation_delay[i]),
            )
        return g

    def is_strongly_connected(self) -> bool:
        """Whether every node can reach every other node."""
        return bool(nx.is_strongly_connected(self.to_networkx()))

    def __repr__(self) -> str:
        return f"Topology(name={self.name!r}, n_nodes={self.n_nodes}, n_links={self.n_links})"
