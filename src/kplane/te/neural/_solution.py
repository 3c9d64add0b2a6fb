"""`NeuroRiskSolution`: an allocation from a learned or baseline optimizer, timed and replayed."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from kplane.te._instance import TEInstance
    from kplane.te._objectives import Objective

__all__ = ["NeuroRiskSolution"]


@dataclass(frozen=True, eq=False)
class NeuroRiskSolution:
    """An allocation from a learned (or baseline) optimizer, timed and replayed.

    Attributes
    ----------
    x : ndarray of shape (n_tunnels,)
        Split ratios (capacity-feasible).
    objective, objective_label : str
    objective_value : float
        Replay of ``x`` (numpy objective; lower is better).
    throughput : float
        ``total demand × (1 − objective_value)`` [bit/s].
    time_s : float
        Wall time of compiling the instance and running the optimizer [s].
    method : str
    iterations : int
    info : mapping
        Sizes, chunking, threads.
    """

    x: NDArray[np.float64]
    objective: str
    objective_label: str
    objective_value: float
    throughput: float
    time_s: float
    method: str
    iterations: int
    info: Any = field(default_factory=dict)

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=np.float64, copy=True)
        x.setflags(write=False)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    @classmethod
    def replayed(
        cls,
        x: NDArray[np.float64],
        objective: Objective,
        instance: TEInstance,
        *,
        time_s: float,
        method: str,
        iterations: int,
        info: Any = None,
    ) -> NeuroRiskSolution:
        """Wrap split ratios ``x`` with their replayed objective value and throughput on ``instance``."""
        value = objective.evaluate(instance, x)
        return cls(x=x, objective=objective.name, objective_label=objective.describe(), objective_value=value,
                   throughput=instance.total_demand * (1.0 - value), time_s=time_s, method=method,
                   iterations=iterations, info=info or {})

    def to_dict(self, *, include_x: bool = False) -> dict[str, Any]:
        """JSON-friendly summary (``kplane te optimize --json``)."""
        out = {
            "method": self.method,
            "objective": self.objective,
            "objective_label": self.objective_label,
            "objective_value": self.objective_value,
            "throughput": self.throughput,
            "time_s": self.time_s,
            "iterations": self.iterations,
            "info": dict(self.info),
        }
        if include_x:
            out["x"] = self.x.tolist()
        return out
