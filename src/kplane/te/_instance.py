"""The TE instance: a topology, demands per flow, candidate tunnels and failure scenarios.

Notation (``docs/te.md``): flows ``f`` (ordered node pairs) with demand ``d_f`` [bit/s]; tunnels ``t``
(simple paths, each serving one flow); directed links ``e`` with capacity ``c_e`` [bit/s]; scenarios
``q`` with probability ``p_q`` and tunnel survival ``y[q, t]`` (1 if every link of ``t`` is up in ``q``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network._checks import frozen_array
from kplane.network._topology import Topology
from kplane.te._scenarios import ScenarioSet
from kplane.te._tunnelset import TunnelSet

__all__ = ["TEInstance"]


@dataclass(frozen=True, eq=False)
class TEInstance:
    """A risk-aware TE problem: topology, per-flow demands, tunnels and scenarios.

    Validated on construction: demands finite and >= 0, tunnels are simple paths of the topology
    joining their flow's ends, the scenario set matches the tunnels, and every flow with positive
    demand has at least one tunnel.

    Parameters
    ----------
    topology : Topology
        Directed links with capacities [bit/s].
    tunnels : TunnelSet
        Flows (ordered pairs) and their candidate tunnels.
    demand : array-like of shape (n_flows,)
        Demand of each flow of ``tunnels`` [bit/s].
    scenarios : ScenarioSet, optional
        Failure scenarios (healthy first). Default: the healthy scenario only.
    name : str
        A label.
    metadata : mapping, optional
        How the instance was built (sources, failure model, seeds, units).
    """

    topology: Topology
    tunnels: TunnelSet
    demand: NDArray[np.float64]
    scenarios: ScenarioSet = None  # type: ignore[assignment]
    name: str = "te-instance"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        topo, tun = self.topology, self.tunnels
        tun.check(topo)
        d = np.asarray(self.demand, dtype=np.float64).reshape(-1)
        if d.shape != (tun.n_flows,):
            raise InvalidScenarioError(f"demand must have shape (n_flows,) = ({tun.n_flows},), got {d.shape}")
        bad = ~np.isfinite(d) | (d < 0)
        if bad.any():
            f = int(np.flatnonzero(bad)[0])
            raise InvalidScenarioError(
                f"demand of flow {f} ({self.flow_name(f)}) must be finite and >= 0 bit/s, got {float(d[f])!r}"
            )
        lonely = (d > 0) & (tun.n_tunnels_per_flow == 0)
        if lonely.any():
            f = int(np.flatnonzero(lonely)[0])
            raise InvalidScenarioError(
                f"pair {self.flow_name(f)} has demand {d[f]:.6g} bit/s but no tunnel "
                f"({int(lonely.sum())} such pair(s)); add tunnels or drop its demand"
            )
        object.__setattr__(self, "demand", frozen_array(d, np.float64, "demand"))
        scen = self.scenarios if self.scenarios is not None else ScenarioSet.healthy(tun.n_tunnels)
        if scen.n_tunnels != tun.n_tunnels:
            raise InvalidScenarioError(
                f"scenario set is for {scen.n_tunnels} tunnels, the instance has {tun.n_tunnels}"
            )
        if scen.n_links is not None and scen.n_links != topo.n_links:
            raise InvalidScenarioError(
                f"scenario set refers to {scen.n_links} links, the topology has {topo.n_links}"
            )
        object.__setattr__(self, "scenarios", scen)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_demand_matrix(
        cls,
        topology: Topology,
        demand_matrix: ArrayLike,
        tunnels: TunnelSet,
        scenarios: ScenarioSet | None = None,
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> TEInstance:
        """Build from an ``n × n`` demand matrix [bit/s] and a tunnel set.

        Raises
        ------
        InvalidScenarioError
            If a pair with positive demand is not a flow of ``tunnels`` (or has no tunnel), or a
            demand is negative.
        """
        dm = np.asarray(demand_matrix, dtype=np.float64)
        n = topology.n_nodes
        if dm.shape != (n, n):
            raise InvalidScenarioError(f"demand matrix must have shape ({n}, {n}), got {dm.shape}")
        if not np.isfinite(dm).all() or (dm < 0).any():
            i, j = np.argwhere(~np.isfinite(dm) | (dm < 0))[0]
            raise InvalidScenarioError(
                f"demand {topology.node_names[i]}→{topology.node_names[j]} must be finite and >= 0 bit/s, "
                f"got {float(dm[i, j])!r}"
            )
        dm = dm.copy()
        np.fill_diagonal(dm, 0.0)
        covered = np.zeros((n, n), dtype=bool)
        covered[tunnels.pairs[:, 0], tunnels.pairs[:, 1]] = True
        missing = (dm > 0) & ~covered
        if missing.any():
            i, j = np.argwhere(missing)[0]
            raise InvalidScenarioError(
                f"pair {topology.node_names[i]}→{topology.node_names[j]} has demand {dm[i, j]:.6g} bit/s but "
                f"no tunnel ({int(missing.sum())} such pair(s))"
            )
        d = dm[tunnels.pairs[:, 0], tunnels.pairs[:, 1]]
        scen = scenarios if scenarios is not None else ScenarioSet.healthy(tunnels.n_tunnels)
        return cls(topology, tunnels, d, scen, name=name or topology.name, metadata=metadata or {})

    def replace(self, **changes: Any) -> TEInstance:
        """A copy with some fields replaced (validated again)."""
        fields: dict[str, Any] = {
            "topology": self.topology,
            "tunnels": self.tunnels,
            "demand": self.demand,
            "scenarios": self.scenarios,
            "name": self.name,
            "metadata": dict(self.metadata),
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise InvalidParameterError(
                f"unknown TEInstance field(s) {sorted(unknown)}; valid: {sorted(fields)}"
            )
        fields.update(changes)
        return TEInstance(**fields)

    def with_scenarios(self, scenarios: ScenarioSet) -> TEInstance:
        """The same instance with another scenario set."""
        return self.replace(scenarios=scenarios)

    def scaled(self, factor: float) -> TEInstance:
        """The same instance with every demand multiplied by ``factor`` (>= 0)."""
        if not (np.isfinite(factor) and factor >= 0):
            raise InvalidParameterError(f"demand scale factor must be finite and >= 0, got {factor!r}")
        meta = dict(self.metadata)
        meta["demand_scale"] = float(meta.get("demand_scale", 1.0)) * float(factor)
        return self.replace(demand=self.demand * float(factor), metadata=meta)

    # ------------------------------------------------------------------ queries
    @property
    def n_flows(self) -> int:
        """Number of flows (ordered pairs, including zero-demand ones)."""
        return self.tunnels.n_flows

    @property
    def n_tunnels(self) -> int:
        """Number of tunnels."""
        return self.tunnels.n_tunnels

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return self.scenarios.n_scenarios

    @property
    def total_demand(self) -> float:
        """Sum of all demands [bit/s]."""
        return float(self.demand.sum())

    @cached_property
    def active(self) -> NDArray[np.bool_]:
        """(n_flows,) flows with positive demand (the flows losses are averaged over)."""
        return self.demand > 0

    @cached_property
    def tunnel_demand(self) -> NDArray[np.float64]:
        """(n_tunnels,) demand of each tunnel's flow [bit/s]."""
        return self.demand[self.tunnels.flow]

    @cached_property
    def incidence(self) -> sp.csr_matrix:
        """(n_links, n_tunnels) 0/1 sparse matrix: entry ``(e, t)`` is 1 if tunnel ``t`` uses link ``e``."""
        return self.tunnels.incidence(self.topology.n_links)

    def flow_name(self, f: int) -> str:
        """``"a→b"`` for flow ``f``."""
        s, d = self.tunnels.pairs[f]
        return f"{self.topology.node_names[s]}→{self.topology.node_names[d]}"

    def demand_matrix(self) -> NDArray[np.float64]:
        """``(n_nodes, n_nodes)`` demand matrix [bit/s]."""
        n = self.topology.n_nodes
        m = np.zeros((n, n))
        m[self.tunnels.pairs[:, 0], self.tunnels.pairs[:, 1]] = self.demand
        return m

    def link_load(self, x: ArrayLike) -> NDArray[np.float64]:
        """(n_links,) reserved bandwidth ``Σ_t a[e, t] d_f x_t`` [bit/s] of an allocation ``x``."""
        xv = np.asarray(x, dtype=np.float64).reshape(-1)
        if xv.shape != (self.n_tunnels,):
            raise InvalidParameterError(f"allocation x must have shape ({self.n_tunnels},), got {xv.shape}")
        return np.asarray(self.incidence @ (xv * self.tunnel_demand)).reshape(-1)

    def describe(self) -> dict[str, Any]:
        """Sizes and totals (JSON-friendly)."""
        return {
            "name": self.name,
            "n_nodes": self.topology.n_nodes,
            "n_links": self.topology.n_links,
            "n_flows": self.n_flows,
            "n_active_flows": int(self.active.sum()),
            "n_tunnels": self.n_tunnels,
            "n_scenarios": self.n_scenarios,
            "total_demand_bps": self.total_demand,
            "total_capacity_bps": float(self.topology.capacity.sum()),
            "uncovered": self.scenarios.uncovered,
            "uncovered_mass": self.scenarios.uncovered_mass,
        }

    def __repr__(self) -> str:
        return (
            f"TEInstance(name={self.name!r}, n_nodes={self.topology.n_nodes}, "
            f"n_links={self.topology.n_links}, "
            f"n_flows={self.n_flows}, n_tunnels={self.n_tunnels}, n_scenarios={self.n_scenarios})"
        )


def _as_int_tuple(values: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)
