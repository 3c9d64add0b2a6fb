"""kplane: the open knowledge plane for networks.

Packet-level simulation, an analytic queueing baseline, RouteNet performance models and risk-aware
traffic engineering on open solvers. SI units everywhere (bits, seconds, bit/s).
"""

from kplane.network import (
    PathKPIs,
    PerformanceModel,
    Routing,
    Scenario,
    Topology,
    Traffic,
)

__version__ = "0.1.0"

__all__ = [
    "PathKPIs",
    "PerformanceModel",
    "Routing",
    "Scenario",
    "Topology",
    "Traffic",
    "__version__",
]
