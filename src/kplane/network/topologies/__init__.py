"""Topologies: bundled real graphs (via topohub), synthetic generators, capacity and queue rules.

- :func:`list_topologies`, :func:`load_topology` — ``nsfnet``, ``geant``, ``germany50``, ``abilene``,
  ``tatanld``, ... (:data:`BUNDLED_TOPOLOGIES`).
- :func:`waxman`, :func:`random_geometric`, :func:`barabasi_albert` — seeded, always connected.
- :func:`assign_capacities`, :func:`uniform_capacity`, :func:`apply_capacities`,
  :func:`assign_queue_sizes` — seeded capacity and buffer assignment (RouteNet: 10/40/100 kbit/s,
  32 packets).
"""

from kplane.network.topologies._bundled import (
    BUNDLED_TOPOLOGIES,
    FIBRE_SPEED,
    TopologyInfo,
    list_topologies,
    load_topology,
)
from kplane.network.topologies._capacity import (
    ROUTENET_CAPACITIES,
    CapacitySpec,
    apply_capacities,
    assign_capacities,
    assign_queue_sizes,
    undirected_edge_ids,
    uniform_capacity,
)
from kplane.network.topologies._synthetic import barabasi_albert, random_geometric, waxman

__all__ = [
    "BUNDLED_TOPOLOGIES",
    "FIBRE_SPEED",
    "ROUTENET_CAPACITIES",
    "CapacitySpec",
    "TopologyInfo",
    "apply_capacities",
    "assign_capacities",
    "assign_queue_sizes",
    "barabasi_albert",
    "list_topologies",
    "load_topology",
    "random_geometric",
    "undirected_edge_ids",
    "uniform_capacity",
    "waxman",
]
