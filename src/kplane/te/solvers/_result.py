"""Solver outcomes: named statuses and the frozen :class:`TESolution`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TESolution", "TEStatus"]


class TEStatus(StrEnum):
    """What a solver run ended with (every HiGHS model status maps to one of these)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    SOLUTION_LIMIT = "solution_limit"
    OBJECTIVE_BOUND = "objective_bound"
    INTERRUPTED = "interrupted"
    MEMORY_LIMIT = "memory_limit"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    UNBOUNDED_OR_INFEASIBLE = "unbounded_or_infeasible"
    ERROR = "error"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class TESolution:
    """An allocation and how it was obtained.

    Attributes
    ----------
    x : ndarray of shape (n_tunnels,)
        Split ratio of every tunnel (fraction of its flow's demand reserved on it; 0 for flows
        without demand). Capacity-feasible.
    objective : str
        Objective name (``"teavar"``, ...); ``objective_label`` has its parameters.
    objective_value : float
        The objective of ``x`` in loss units (lower is better), evaluated by replay of ``x``.
    throughput : float
        ``total demand × (1 − objective_value)`` [bit/s].
    status : TEStatus
    mip_gap : float or None
        Relative MIP gap (MILPs), else None.
    time_s : float
        Wall time: model building plus solving [s].
    solver_objective : float
        The solver's objective value (equals ``objective_value`` up to solver tolerances at optimality).
    bound : float or None
        Best proven lower bound (MILP dual bound; the optimum for LPs).
    info : mapping
        Model size (rows, columns, non-zeros, loss patterns), method, iteration counts, times.
    """

    x: NDArray[np.float64]
    objective: str
    objective_label: str
    objective_value: float
    throughput: float
    status: TEStatus
    mip_gap: float | None
    time_s: float
    solver_objective: float
    bound: float | None = None
    beta: float | None = None
    form: str = "mean"
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=np.float64, copy=True)
        x.setflags(write=False)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    @property
    def optimal(self) -> bool:
        """Whether the solver proved optimality (within its gap)."""
        return self.status is TEStatus.OPTIMAL

    def to_dict(self, *, include_x: bool = False) -> dict[str, Any]:
        """JSON-friendly summary (the ``kplane te solve --json`` shape)."""
        out: dict[str, Any] = {
            "objective": self.objective,
            "objective_label": self.objective_label,
            "beta": self.beta,
            "form": self.form,
            "objective_value": self.objective_value,
            "throughput": self.throughput,
            "status": self.status.value,
            "mip_gap": self.mip_gap,
            "time_s": self.time_s,
            "solver_objective": self.solver_objective,
            "bound": self.bound,
            "solver": dict(self.info),
        }
        if include_x:
            out["x"] = self.x.tolist()
        return out

    def __repr__(self) -> str:
        return (
            f"TESolution({self.objective_label}, value={self.objective_value:.6g}, "
            f"status={self.status.value}, "
            f"time_s={self.time_s:.3g})"
        )
