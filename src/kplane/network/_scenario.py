"""`Scenario` = Topology + Routing + Traffic, validated together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import FrozenState
from kplane.network._routing import Routing
from kplane.network._topology import Topology
from kplane.network._traffic import Traffic

__all__ = ["Scenario"]


@dataclass(frozen=True, eq=False)
class Scenario(FrozenState):
    """What a performance model is asked about: a topology, a routing and a traffic matrix.

    A constructed ``Scenario`` is valid (see :meth:`validate`); the paths of the scenario are the
    routing's paths, in the routing's order, and every per-path result (:class:`PathKPIs`) uses
    that order.

    Parameters
    ----------
    topology : Topology
    routing : Routing
        Must hold a path for every pair with positive traffic; may hold paths for pairs without
        traffic (their KPIs are then undefined).
    traffic : Traffic
        Its matrix size must equal the number of nodes.
    name : str
    metadata : mapping, optional
        Free-form, JSON-serialisable (e.g. traffic intensity, seed, source file).
    """

    topology: Topology
    routing: Routing
    traffic: Traffic
    name: str = "scenario"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        self.validate()

    def validate(self) -> None:
        """Check every index, unit and sign across the three parts.

        Raises
        ------
        InvalidScenarioError
            If the traffic matrix size differs from the node count, a path is not a valid walk in
            the topology, or a pair with positive traffic has no path.
        """
        topo, routing, traffic = self.topology, self.routing, self.traffic
        if not isinstance(topo, Topology) or not isinstance(routing, Routing):
            raise InvalidScenarioError("scenario needs a Topology and a Routing")
        if not isinstance(traffic, Traffic):
            raise InvalidScenarioError("scenario needs a Traffic")
        if traffic.n_nodes != topo.n_nodes:
            raise InvalidScenarioError(
                f"traffic matrix is {traffic.n_nodes}×{traffic.n_nodes} but topology "
                f"{topo.name!r} has {topo.n_nodes} nodes"
            )
        routing.check(topo)
        n = topo.n_nodes
        routed = np.zeros((n, n), dtype=bool)
        routed[routing.pairs[:, 0], routing.pairs[:, 1]] = True
        missing = (traffic.rate > 0) & ~routed
        if missing.any():
            s, d = (int(x) for x in np.argwhere(missing)[0])
            raise InvalidScenarioError(
                f"pair {topo.node_names[s]}→{topo.node_names[d]} ({s}→{d}) has traffic "
                f"{traffic.rate[s, d]:g} bit/s but no path in the routing"
            )

    # ------------------------------------------------------------------ derived quantities
    @property
    def n_paths(self) -> int:
        """Number of paths (= routing paths)."""
        return self.routing.n_paths

    def path_rate(self) -> NDArray[np.float64]:
        """Offered rate of each routing path in bit/s, shape (n_paths,)."""
        p = self.routing.pairs
        return self.traffic.rate[p[:, 0], p[:, 1]]

    def path_propagation_delay(self) -> NDArray[np.float64]:
        """Sum of the links' propagation delays along each routing path in s, shape (n_paths,)."""
        r = self.routing
        delays = self.topology.propagation_delay[r.link_ids]
        return np.bincount(r.path_index(), weights=delays, minlength=r.n_paths).astype(np.float64)

    def link_load(self) -> NDArray[np.float64]:
        """Offered load per link in bit/s (fluid, no loss), shape (n_links,)."""
        rates = np.repeat(self.path_rate(), self.routing.hops)
        load = np.bincount(self.routing.link_ids, weights=rates, minlength=self.topology.n_links)
        return load.astype(np.float64)

    def utilisation(self) -> NDArray[np.float64]:
        """Offered load / capacity per link (fluid, no loss), shape (n_links,)."""
        return self.link_load() / self.topology.capacity

    def replace(self, **changes: Any) -> Scenario:
        """A copy with ``topology``, ``routing``, ``traffic``, ``name`` or ``metadata`` replaced."""
        fields: dict[str, Any] = {
            "topology": self.topology,
            "routing": self.routing,
            "traffic": self.traffic,
            "name": self.name,
            "metadata": dict(self.metadata),
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown Scenario field(s): {sorted(unknown)}; valid: {sorted(fields)}")
        fields.update(changes)
        return Scenario(**fields)

    def __repr__(self) -> str:
        return (
            f"Scenario(name={self.name!r}, n_nodes={self.topology.n_nodes}, "
            f"n_links={self.topology.n_links}, n_paths={self.n_paths}, "
            f"total_rate={self.traffic.total_rate:.6g} bit/s)"
        )
