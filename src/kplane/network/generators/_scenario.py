"""One-call RouteNet-style scenarios: a topology, shortest-path routing and an eq. 8 traffic matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network._routing import Routing
from kplane.network._scenario import Scenario
from kplane.network._topology import Topology
from kplane.network._traffic import PacketSizeDistribution
from kplane.network.generators._routing import shortest_path_routing
from kplane.network.generators._traffic import routenet_traffic
from kplane.network.topologies import CapacitySpec, apply_capacities, load_topology
from kplane.utils import spawn_seeds

__all__ = ["routenet_scenario"]


def routenet_scenario(
    topology: Topology | str,
    intensity: float,
    *,
    seed: int,
    routing: Routing | None = None,
    capacities: CapacitySpec | None = None,
    packet_sizes: PacketSizeDistribution | Sequence[PacketSizeDistribution] | None = None,
    name: str | None = None,
) -> Scenario:
    """A scenario as in RouteNet's data generation (JSAC 2020, §V-A).

    Parameters
    ----------
    topology : Topology or str
        A topology, or a bundled name (loaded with :func:`~kplane.network.topologies.load_topology`
        and its default capacities: RouteNet's rule with seed 0).
    intensity : float
        Traffic intensity TI in kbit/s (eq. 8), >= 0.
    seed : int
        Seeds the traffic matrix and, if ``capacities`` is given, the capacity draw (two independent
        streams derived with :func:`~kplane.utils.spawn_seeds`).
    routing : Routing, optional
        Default: :func:`shortest_path_routing` (hop count) over all ordered pairs.
    capacities : capacity spec, optional
        Re-assign capacities (e.g. ``"routenet"`` for a fresh 10/40/100 kbit/s draw); default keeps
        the topology's.
    packet_sizes : optional
        Default binomial 300/1700 bits.
    name : str, optional
        Default ``"<topology>-ti<TI>-s<seed>"``.

    Returns
    -------
    Scenario
        With metadata ``generator="routenet"``, ``intensity`` (kbit/s), ``seed``, ``topology``.

    Examples
    --------
    >>> sc = routenet_scenario("nsfnet", 12, seed=1)
    >>> sc.n_paths, sc.name
    (182, 'nsfnet-ti12-s1')
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")
    topo = load_topology(topology) if isinstance(topology, str) else topology
    if not isinstance(topo, Topology):
        raise InvalidParameterError(f"topology must be a Topology or a bundled name, got {topology!r}")
    cap_seed, tm_seed = spawn_seeds(int(seed), 2)
    if capacities is not None:
        topo = apply_capacities(topo, capacities, seed=cap_seed)
    traffic = routenet_traffic(topo, intensity, seed=tm_seed, packet_sizes=packet_sizes)
    if routing is None:
        routing = shortest_path_routing(topo)
    meta = {"generator": "routenet", "intensity": float(intensity), "seed": int(seed), "topology": topo.name}
    return Scenario(
        topology=topo,
        routing=routing,
        traffic=traffic,
        name=name or f"{topo.name}-ti{float(intensity):g}-s{int(seed)}",
        metadata=meta,
    )
