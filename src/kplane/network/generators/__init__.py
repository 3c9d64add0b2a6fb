"""Generators of traffic matrices, routings and whole scenarios.

- Traffic: :func:`routenet_traffic` (RouteNet eq. 8), :func:`gravity_traffic`, :func:`uniform_traffic`.
- Routing: :func:`shortest_path_routing`, :func:`perturbed_weights` / :func:`perturbed_routings`
  (RouteNet §VI-A candidates), :func:`k_shortest_paths`, :func:`routing_from_choice`.
- Scenarios: :func:`routenet_scenario`.
"""

from kplane.network.generators._routing import (
    k_shortest_paths,
    perturbed_routings,
    perturbed_weights,
    routing_from_choice,
    shortest_path_routing,
)
from kplane.network.generators._scenario import routenet_scenario
from kplane.network.generators._traffic import KBIT, gravity_traffic, routenet_traffic, uniform_traffic

__all__ = [
    "KBIT",
    "gravity_traffic",
    "k_shortest_paths",
    "perturbed_routings",
    "perturbed_weights",
    "routenet_scenario",
    "routenet_traffic",
    "routing_from_choice",
    "shortest_path_routing",
    "uniform_traffic",
]
