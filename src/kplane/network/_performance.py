"""The `PerformanceModel` interface shared by simulator, queueing model and RouteNet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from kplane.network._kpis import PathKPIs
from kplane.network._scenario import Scenario

__all__ = ["PerformanceModel"]


@runtime_checkable
class PerformanceModel(Protocol):
    """Anything that predicts per-path KPIs for a batch of scenarios.

    Implemented by :class:`kplane.sim.Simulator` (ground truth),
    :class:`kplane.queueing.MM1bModel` (analytic) and :class:`kplane.routenet.RouteNetModel`
    (learned). Optimizers and evaluation take any of them.
    """

    def predict(self, scenarios: Sequence[Scenario]) -> list[PathKPIs]:
        """Return one :class:`PathKPIs` per scenario, paths in each scenario's routing order."""
        ...
