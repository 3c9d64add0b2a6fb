"""A vectorised sparse model builder and one place that runs HiGHS and names its statuses.

Columns and rows are added in blocks given as numpy arrays (coordinate triplets for the matrix), so
no Python loop runs per variable; :meth:`ModelBuilder.run` assembles one column-wise CSC matrix and
passes it to HiGHS with ``passModel``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.te.solvers._result import TEStatus

__all__ = ["METHODS", "HighsRun", "ModelBuilder", "status_from_highs"]

METHODS = ("auto", "simplex", "ipm", "pdlp")
"""LP algorithms: ``auto`` picks dual simplex for models up to :data:`IPM_NONZEROS` non-zeros, else IPM."""

IPM_NONZEROS = 2_000_000

_STATUS = {
    "kOptimal": TEStatus.OPTIMAL,
    "kModelEmpty": TEStatus.OPTIMAL,
    "kTimeLimit": TEStatus.TIME_LIMIT,
    "kIterationLimit": TEStatus.ITERATION_LIMIT,
    "kSolutionLimit": TEStatus.SOLUTION_LIMIT,
    "kObjectiveBound": TEStatus.OBJECTIVE_BOUND,
    "kObjectiveTarget": TEStatus.OBJECTIVE_BOUND,
    "kInterrupt": TEStatus.INTERRUPTED,
    "kHighsInterrupt": TEStatus.INTERRUPTED,
    "kMemoryLimit": TEStatus.MEMORY_LIMIT,
    "kInfeasible": TEStatus.INFEASIBLE,
    "kUnbounded": TEStatus.UNBOUNDED,
    "kUnboundedOrInfeasible": TEStatus.UNBOUNDED_OR_INFEASIBLE,
    "kNotset": TEStatus.ERROR,
    "kLoadError": TEStatus.ERROR,
    "kModelError": TEStatus.ERROR,
    "kPresolveError": TEStatus.ERROR,
    "kSolveError": TEStatus.ERROR,
    "kPostsolveError": TEStatus.ERROR,
    "kUnknown": TEStatus.UNKNOWN,
}


def status_from_highs(status: Any) -> TEStatus:
    """Map a ``highspy.HighsModelStatus`` (or its name) to a :class:`TEStatus`."""
    name = status if isinstance(status, str) else str(status).split(".")[-1]
    return _STATUS.get(name, TEStatus.UNKNOWN)


@dataclass
class HighsRun:
    """Raw outcome of one HiGHS run."""

    status: TEStatus
    highs_status: str
    col_value: NDArray[np.float64] | None
    row_dual: NDArray[np.float64] | None
    col_dual: NDArray[np.float64] | None
    objective: float
    bound: float | None
    mip_gap: float | None
    primal_feasible: bool
    solve_time_s: float
    info: dict[str, Any] = field(default_factory=dict)


class ModelBuilder:
    """Accumulate a (MI)LP ``min c·v  s.t.  row_lb <= A v <= row_ub,  lb <= v <= ub`` block by block."""

    def __init__(self) -> None:
        self.n_cols = 0
        self.n_rows = 0
        self._cost: list[NDArray[np.float64]] = []
        self._lb: list[NDArray[np.float64]] = []
        self._ub: list[NDArray[np.float64]] = []
        self._int: list[NDArray[np.bool_]] = []
        self._r: list[NDArray[np.int64]] = []
        self._c: list[NDArray[np.int64]] = []
        self._v: list[NDArray[np.float64]] = []
        self._rlb: list[NDArray[np.float64]] = []
        self._rub: list[NDArray[np.float64]] = []
        self.offset = 0.0
        self._cost_set: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []

    def add_cols(
        self,
        n: int,
        *,
        cost: ArrayLike = 0.0,
        lb: ArrayLike = 0.0,
        ub: ArrayLike = np.inf,
        integer: bool = False,
    ) -> NDArray[np.int64]:
        """Add ``n`` columns; returns their indices."""
        n = int(n)
        idx = np.arange(self.n_cols, self.n_cols + n, dtype=np.int64)
        self._cost.append(np.broadcast_to(np.asarray(cost, float), (n,)).copy())
        self._lb.append(np.broadcast_to(np.asarray(lb, float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, float), (n,)).copy())
        self._int.append(np.full(n, bool(integer)))
        self.n_cols += n
        return idx

    def set_cost(self, cols: ArrayLike, cost: ArrayLike) -> None:
        """Set the objective coefficients of existing columns ``cols``."""
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        self._cost_set.append((c, np.broadcast_to(np.asarray(cost, float), c.shape).copy()))

    def add_rows(
        self,
        n: int,
        rows: ArrayLike,
        cols: ArrayLike,
        vals: ArrayLike,
        *,
        lb: ArrayLike = -np.inf,
        ub: ArrayLike = np.inf,
    ) -> NDArray[np.int64]:
        """Add ``n`` rows with entries ``(rows[k], cols[k], vals[k])`` (``rows`` local: 0..n-1)."""
        n = int(n)
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        v = np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape).copy()
        if r.size and (r.min() < 0 or r.max() >= n or c.min() < 0 or c.max() >= self.n_cols):
            raise InvalidParameterError("row block refers to a row or column that does not exist")
        self._r.append(r + self.n_rows)
        self._c.append(c)
        self._v.append(v)
        self._rlb.append(np.broadcast_to(np.asarray(lb, float), (n,)).copy())
        self._rub.append(np.broadcast_to(np.asarray(ub, float), (n,)).copy())
        idx = np.arange(self.n_rows, self.n_rows + n, dtype=np.int64)
        self.n_rows += n
        return idx

    @property
    def n_nonzeros(self) -> int:
        """Matrix entries so far."""
        return int(sum(r.size for r in self._r))

    @property
    def is_mip(self) -> bool:
        """Whether any column is integer."""
        return bool(any(i.any() for i in self._int))

    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix (duplicates summed)."""
        r = np.concatenate(self._r) if self._r else np.zeros(0, np.int64)
        c = np.concatenate(self._c) if self._c else np.zeros(0, np.int64)
        v = np.concatenate(self._v) if self._v else np.zeros(0)
        return sp.csc_matrix((v, (r, c)), shape=(self.n_rows, self.n_cols))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """Cost, bounds and row bounds as flat arrays."""
        cat = np.concatenate
        cost = cat(self._cost)
        for cols, vals in self._cost_set:
            cost[cols] = vals
        return {
            "cost": cost,
            "lb": cat(self._lb),
            "ub": cat(self._ub),
            "integer": cat(self._int),
            "row_lb": cat(self._rlb) if self._rlb else np.zeros(0),
            "row_ub": cat(self._rub) if self._rub else np.zeros(0),
        }

    def run(
        self,
        *,
        time_limit: float | None = None,
        method: str = "auto",
        mip_rel_gap: float = 1e-4,
        threads: int | None = None,
        verbose: bool = False,
        crossover: bool = True,
    ) -> HighsRun:
        """Solve with HiGHS and return the raw outcome (never raises on a solver status).

        IPM runs with crossover unless ``crossover=False`` (without it HiGHS' IPM may stop with an
        objective a fraction of a percent from the optimum on large models).
        """
        import highspy

        if method not in METHODS:
            raise InvalidParameterError(f"method must be one of {METHODS}, got {method!r}")
        a = self.arrays()
        mat = self.matrix()
        mat.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_cols
        lp.num_row_ = self.n_rows
        lp.col_cost_ = a["cost"]
        lp.col_lower_ = a["lb"]
        lp.col_upper_ = a["ub"]
        lp.row_lower_ = a["row_lb"]
        lp.row_upper_ = a["row_ub"]
        lp.offset_ = float(self.offset)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = self.n_cols
        lp.a_matrix_.num_row_ = self.n_rows
        lp.a_matrix_.start_ = mat.indptr.astype(np.int32)
        lp.a_matrix_.index_ = mat.indices.astype(np.int32)
        lp.a_matrix_.value_ = mat.data
        mip = self.is_mip
        if mip:
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in a["integer"]
            ]
        h = highspy.Highs()
        h.setOptionValue("output_flag", bool(verbose))
        chosen = method
        if not mip:
            if method == "auto":
                chosen = "simplex" if mat.nnz <= IPM_NONZEROS else "ipm"
            h.setOptionValue("solver", chosen)
            if chosen == "ipm" and not crossover:
                h.setOptionValue("run_crossover", "off")
        else:
            chosen = "branch-and-cut"
            h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        if time_limit is not None:
            if not time_limit > 0:
                raise InvalidParameterError(f"time_limit must be > 0 seconds, got {time_limit!r}")
            h.setOptionValue("time_limit", float(time_limit))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.passModel(lp)
        t0 = time.perf_counter()
        h.run()
        solve_time = time.perf_counter() - t0
        ms = h.getModelStatus()
        status = status_from_highs(ms)
        info = h.getInfo()
        feasible = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        sol = h.getSolution()
        col = np.asarray(sol.col_value, dtype=np.float64) if feasible else None
        row_dual = np.asarray(sol.row_dual, dtype=np.float64) if (feasible and not mip) else None
        col_dual = np.asarray(sol.col_dual, dtype=np.float64) if (feasible and not mip) else None
        bound = (
            float(info.mip_dual_bound)
            if mip
            else (float(info.objective_function_value) if feasible else None)
        )
        gap = float(info.mip_gap) if mip else None
        if gap is not None and not np.isfinite(gap):
            gap = None
        return HighsRun(
            status=status,
            highs_status=h.modelStatusToString(ms),
            col_value=col,
            row_dual=row_dual,
            col_dual=col_dual,
            objective=float(info.objective_function_value),
            bound=bound,
            mip_gap=gap,
            primal_feasible=feasible,
            solve_time_s=solve_time,
            info={
                "method": chosen,
                "n_rows": self.n_rows,
                "n_cols": self.n_cols,
                "n_nonzeros": int(mat.nnz),
                "n_integer": int(a["integer"].sum()),
                "simplex_iterations": int(info.simplex_iteration_count),
                "ipm_iterations": int(info.ipm_iteration_count),
                "mip_nodes": int(info.mip_node_count) if mip else None,
                "solve_time_s": solve_time,
                "highs_status": h.modelStatusToString(ms),
            },
        )
