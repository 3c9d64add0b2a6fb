"""The network domain: immutable, validated value objects in SI units.

- :class:`Topology` — nodes, directed links with capacity [bit/s], queue size [packets] and
  propagation delay [s].
- :class:`Routing` — one path (ordered link ids) per source–destination pair.
- :class:`Traffic` — mean rate per pair [bit/s], arrival process, packet-size distributions [bits].
- :class:`Scenario` — the three together, validated.
- :class:`PathKPIs` — per-path mean delay [s], jitter [s²], loss ratio (+ optional statistics).
- :class:`PerformanceModel` — ``predict(scenarios) -> list[PathKPIs]``.
"""

from kplane.network._kpis import PAPER_SAMPLE_TIME, PERCENTILE_LEVELS, PathKPIs
from kplane.network._performance import PerformanceModel
from kplane.network._routing import Routing
from kplane.network._scenario import Scenario
from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.network._traffic import ARRIVAL_PROCESSES, PacketSizeDistribution, Traffic

__all__ = [
    "ARRIVAL_PROCESSES",
    "DEFAULT_QUEUE_SIZE",
    "PAPER_SAMPLE_TIME",
    "PERCENTILE_LEVELS",
    "PacketSizeDistribution",
    "PathKPIs",
    "PerformanceModel",
    "Routing",
    "Scenario",
    "Topology",
    "Traffic",
]
