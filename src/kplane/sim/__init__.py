"""kplane.sim — the packet-level discrete-event simulator (ground truth).

- :func:`simulate` — one scenario → :class:`SimResult` (per-path :class:`~kplane.network.PathKPIs`,
  per-link :class:`LinkStats`, timings).
- :class:`Simulator` — a :class:`~kplane.network.PerformanceModel` over many scenarios, in
  parallel processes, with a progress callback.
- :func:`validate_samples`, :func:`compare_kpis`, :func:`compare_links` — agreement with
  recorded simulations (datanet samples) and the seed-to-seed noise floor.

The model
---------
Per source–destination path, Poisson arrivals at the path's mean packet rate and packet sizes from
the pair's size distribution; every directed link is an output port with a FIFO drop-tail queue
and transmission time ``size / capacity``, then the link's propagation delay.

**Queue size convention.** A link's ``queue_size`` ``K`` is the number of packets its port can
hold *including the packet being transmitted*: a packet that finds ``K`` packets at the port is
dropped. This is the convention of the recorded OMNeT++ datasets (their ports never hold more
than 32 packets with 32-packet queues, and their mean occupancies match this model, not one with
``K + 1`` places) and of the M/M/1/b baseline (:mod:`kplane.queueing`).

Implementation: a numba kernel over flat arrays (:mod:`kplane.sim._kernel`), a binary-heap clock
with a sequence tie-breaker (:mod:`kplane.sim._clock`), FIFO ports by Lindley's recursion
(:mod:`kplane.sim._fifo`), an explicit xoshiro256+ generator (:mod:`kplane.sim._rng`). Memory is
allocated once per scenario and does not grow with simulated time. See ``docs/simulator.md``.
"""

from kplane.sim._result import LinkStats, SimResult
from kplane.sim._simulate import simulate
from kplane.sim._simulator import Simulator
from kplane.sim._validate import ValidationReport, compare_kpis, compare_links, validate_samples

__all__ = ["LinkStats", "SimResult", "Simulator", "ValidationReport", "compare_kpis", "compare_links",
           "simulate", "validate_samples"]
