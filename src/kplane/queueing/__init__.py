"""kplane.queueing — the analytic M/M/1/b fixed-point baseline of the RouteNet paper (§IV, eq. 7).

- :class:`MM1bModel` — a :class:`~kplane.network.PerformanceModel`: per-path mean delay, jitter
  (delay variance) and loss from independent M/M/1/b links; ``solve`` also returns per-link loads,
  blocking and sojourn moments.
- :func:`mm1k_blocking`, :func:`mm1k_sojourn` — the single-queue closed forms it uses.
"""

from kplane.queueing._mm1k import mm1k_blocking, mm1k_sojourn
from kplane.queueing._model import MM1bModel, MM1bSolution

__all__ = ["MM1bModel", "MM1bSolution", "mm1k_blocking", "mm1k_sojourn"]
