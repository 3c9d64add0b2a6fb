"""Shared pieces of the TE formulations: allocation columns, capacity rows and loss patterns.

**Loss patterns.** ``ℓ[f, q] = max(0, 1 − Σ_t x_t y[q, t])`` depends on ``q`` only through which of
flow ``f``'s tunnels survive — a bitmask over at most ``k`` tunnels. The models therefore carry one
loss column ``ℓ_{f,σ}`` per flow and *survival pattern* ``σ`` that occurs in the scenario set
(at most ``2^k`` per flow, usually a handful) instead of one per (flow, scenario), with one row
``ℓ_{f,σ} + Σ_{t∈σ} x_t >= 1``. Scenario ``q`` uses pattern ``σ(f, q)``; flows whose tunnels all
survive ``q`` use their *base* (all-up) pattern, so a scenario loss is written as

    L_q = H + Σ_{f affected in q} w_f (ℓ_{f,σ(f,q)} − ℓ_{f,base}),    H = Σ_f w_f ℓ_{f,base},

with one row per scenario whose length is the number of flows the scenario affects. The pattern
model is exact: every (flow, scenario) loss of the per-scenario model is one of its pattern columns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InfeasibleError, InvalidParameterError, SolverError, UnsupportedError
from kplane.te._instance import TEInstance
from kplane.te._objectives import Objective, loss_weights
from kplane.te.solvers._highs import HighsRun, ModelBuilder
from kplane.te.solvers._result import TESolution, TEStatus

__all__ = ["FlowPatterns", "TEModel", "finish", "flow_patterns"]

MAX_TUNNELS_PER_FLOW = 16
CAPACITY_REPAIR_TOL = 1e-6


@dataclass
class FlowPatterns:
    """Survival patterns of the active flows over a scenario set.

    Attributes
    ----------
    flows : (n_active,) indices of the flows with demand.
    pat_flow : (n_patterns,) position (in ``flows``) of each pattern's flow.
    pat_code : (n_patterns,) bitmask of surviving tunnels (bit j = j-th tunnel of the flow).
    pat_mass : (n_patterns,) probability mass of the scenarios in which the pattern occurs.
    base : (n_active,) pattern index of each flow's all-up pattern.
    aff_q, aff_f, aff_pat : affected (scenario, flow position, pattern) triplets (pattern != base).
    """

    flows: NDArray[np.int64]
    pat_flow: NDArray[np.int64]
    pat_code: NDArray[np.int64]
    pat_mass: NDArray[np.float64]
    base: NDArray[np.int64]
    aff_q: NDArray[np.int64]
    aff_f: NDArray[np.int64]
    aff_pat: NDArray[np.int64]

    @property
    def n_patterns(self) -> int:
        return int(self.pat_flow.shape[0])


def flow_patterns(
    instance: TEInstance, *, base_only: bool = False, chunk_cells: int = 20_000_000
) -> FlowPatterns:
    """Compute the survival patterns of every flow with demand (see the module docstring)."""
    tun = instance.tunnels
    flows = np.flatnonzero(instance.active).astype(np.int64)
    nt = tun.n_tunnels_per_flow[flows]
    kmax = int(nt.max()) if flows.size else 0
    if kmax > MAX_TUNNELS_PER_FLOW:
        raise UnsupportedError(
            f"the exact solvers handle at most {MAX_TUNNELS_PER_FLOW} tunnels per flow, "
            f"this instance has {kmax}"
        )
    full = (np.int64(1) << nt) - 1
    width = 1 << kmax
    if base_only:
        idx = np.arange(flows.size, dtype=np.int64)
        return FlowPatterns(flows, idx, full, np.ones(flows.size), idx, *(np.zeros(0, np.int64),) * 3)
    scen = instance.scenarios
    act_t = np.flatnonzero(instance.active[tun.flow])
    starts = np.concatenate([[0], np.cumsum(nt)[:-1]]).astype(np.int64)
    bitw = (np.int64(1) << tun.rank[act_t]).astype(np.int64)
    dtype = np.uint8 if kmax <= 8 else np.uint16
    counts = np.zeros(flows.size * width, dtype=np.int64)
    mass = np.zeros(flows.size * width)
    fpos = np.arange(flows.size, dtype=np.int64)
    step = max(1, chunk_cells // max(1, act_t.size))
    codes_chunks: list[NDArray[Any]] = []
    for q0 in range(0, scen.n_scenarios, step):
        y = scen.survival[q0 : q0 + step][:, act_t]
        codes: NDArray[Any] = np.add.reduceat(y * bitw, starts, axis=1).astype(dtype)  # (c, F_a)
        flat = (fpos * width)[None, :] + codes
        counts += np.bincount(flat.ravel(), minlength=counts.size)
        mass += np.bincount(
            flat.ravel(), weights=np.repeat(scen.prob[q0 : q0 + step], flows.size), minlength=mass.size
        )
        codes_chunks.append(codes)
    present = np.flatnonzero(counts)
    index = np.full(counts.size, -1, dtype=np.int64)
    index[present] = np.arange(present.size)
    pat_flow = present // width
    pat_code = present % width
    base = index[fpos * width + full]
    aq: list[NDArray[np.int64]] = []
    af: list[NDArray[np.int64]] = []
    ap: list[NDArray[np.int64]] = []
    q0 = 0
    for codes in codes_chunks:
        q, f = np.nonzero(codes != full[None, :].astype(codes.dtype))
        aq.append(q + q0)
        af.append(f)
        ap.append(index[f * width + codes[q, f]])
        q0 += codes.shape[0]
    cat = np.concatenate
    return FlowPatterns(
        flows,
        pat_flow.astype(np.int64),
        pat_code.astype(np.int64),
        mass[present],
        base,
        cat(aq).astype(np.int64),
        cat(af).astype(np.int64),
        cat(ap).astype(np.int64),
    )


class TEModel:
    """Allocation columns ``x``, capacity rows and pattern loss columns ``ℓ`` on a :class:`ModelBuilder`.

    Capacity rows are scaled by the link capacity: ``Σ_{t∋e} (d_f / c_e) x_t <= 1``. Split ratios are
    bounded by ``x_t <= min(1, min_{e∈t} c_e / d_f)`` (a ratio above 1 never lowers a loss).
    """

    def __init__(self, instance: TEInstance, objective: Objective, *, base_only: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.instance = instance
        self.objective = objective
        self.w = loss_weights(instance, objective.weighting)
        b = self.b = ModelBuilder()
        tun, topo = instance.tunnels, instance.topology
        self.act_t = np.flatnonzero(instance.active[tun.flow])
        d_t = instance.tunnel_demand[self.act_t]
        a = instance.incidence[:, self.act_t].tocoo()  # (E, T_a)
        cap = topo.capacity
        bott = np.full(self.act_t.size, np.inf)
        np.minimum.at(bott, a.col, cap[a.row])
        self.x = b.add_cols(self.act_t.size, lb=0.0, ub=np.minimum(1.0, bott / d_t))
        used = np.unique(a.row)
        load_max = np.bincount(
            a.row, weights=d_t[a.col] * np.minimum(1.0, bott / d_t)[a.col], minlength=topo.n_links
        )
        binding = used[load_max[used] > cap[used] * (1 + 1e-12)]
        keep = np.isin(a.row, binding)
        row_of = np.full(topo.n_links, -1, dtype=np.int64)
        row_of[binding] = np.arange(binding.size)
        b.add_rows(
            binding.size,
            row_of[a.row[keep]],
            self.x[a.col[keep]],
            d_t[a.col[keep]] / cap[a.row[keep]],
            ub=1.0,
        )
        self.pat = pat = flow_patterns(instance, base_only=base_only)
        lb = np.where(pat.pat_code == 0, 1.0, 0.0)
        self.ell = b.add_cols(pat.n_patterns, lb=lb, ub=1.0)
        # ℓ_p + Σ_{t∈σ} x_t >= 1 for patterns with a surviving tunnel
        nt = tun.n_tunnels_per_flow[pat.flows]
        first_x = np.concatenate(
            [[0], np.cumsum(nt)[:-1]]
        )  # position in act_t of each active flow's 1st tunnel
        live = np.flatnonzero(pat.pat_code != 0)
        reps = nt[pat.pat_flow[live]]
        p_rep = np.repeat(live, reps)
        j = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        on = ((pat.pat_code[p_rep] >> j) & 1).astype(bool)
        row_local = np.full(pat.n_patterns, -1, dtype=np.int64)
        row_local[live] = np.arange(live.size)
        rr = np.concatenate([row_local[live], row_local[p_rep[on]]])
        cc = np.concatenate([self.ell[live], self.x[first_x[pat.pat_flow[p_rep[on]]] + j[on]]])
        b.add_rows(live.size, rr, cc, 1.0, lb=1.0)
        self._h: int | None = None

    # ------------------------------------------------------------------ scenario losses
    def wf(self) -> NDArray[np.float64]:
        """(n_active,) weights of the active flows."""
        return self.w[self.pat.flows]

    def h_col(self) -> int:
        """Column ``H = Σ_f w_f ℓ_{f,base}`` (created on first use)."""
        if self._h is None:
            b = self.b
            h = int(b.add_cols(1, lb=-np.inf, ub=np.inf)[0])
            n = self.pat.flows.size
            b.add_rows(
                1,
                np.zeros(n + 1, np.int64),
                np.concatenate([[h], self.ell[self.pat.base]]),
                np.concatenate([[1.0], -self.wf()]),
                lb=0.0,
                ub=0.0,
            )
            self._h = h
        return self._h

    def scenario_loss_terms(
        self, scen_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Triplets ``(row, col, val)`` of ``L_q`` for scenarios ``scen_ids`` (row i = ``scen_ids[i]``)."""
        pat = self.pat
        h = self.h_col()
        local = np.full(self.instance.n_scenarios, -1, dtype=np.int64)
        local[scen_ids] = np.arange(scen_ids.size)
        sel = local[pat.aff_q] >= 0
        q, f, p = local[pat.aff_q[sel]], pat.aff_f[sel], pat.aff_pat[sel]
        wf = self.wf()[f]
        rows = np.concatenate([np.arange(scen_ids.size), q, q])
        cols = np.concatenate([np.full(scen_ids.size, h), self.ell[p], self.ell[pat.base[f]]])
        vals = np.concatenate([np.ones(scen_ids.size), wf, -wf])
        return rows, cols, vals

    def allocation(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Full (n_tunnels,) split ratios from a solution vector, clipped and made capacity-feasible."""
        inst = self.instance
        x = np.zeros(inst.n_tunnels)
        x[self.act_t] = np.clip(values[self.x], 0.0, 1.0)
        ratio = inst.link_load(x) / inst.topology.capacity
        worst = float(ratio.max()) if ratio.size else 0.0
        if worst > 1.0 + CAPACITY_REPAIR_TOL:
            raise SolverError(
                f"solver allocation overloads a link by {100 * (worst - 1):.3g}% (beyond tolerance)"
            )
        if worst > 1.0:  # within solver tolerance: scale each tunnel by its worst link's overload
            tun = inst.tunnels
            over = np.maximum(ratio, 1.0)
            x = x / np.maximum.reduceat(over[tun.edge_ids], tun.offsets[:-1])
        return x


def finish(model: TEModel, run: HighsRun, *, extra_info: dict | None = None) -> TESolution:
    """Turn a HiGHS run into a :class:`TESolution` (or raise a named error)."""
    obj = model.objective
    if run.status in (TEStatus.INFEASIBLE,):
        raise InfeasibleError(f"the {obj.describe()} model is infeasible (HiGHS: {run.highs_status})")
    if run.status in (TEStatus.UNBOUNDED, TEStatus.UNBOUNDED_OR_INFEASIBLE):
        raise SolverError(
            f"the {obj.describe()} model is {run.status.value} (HiGHS: {run.highs_status})",
            status=run.status.value,
        )
    if run.col_value is None or run.status in (TEStatus.ERROR, TEStatus.UNKNOWN, TEStatus.MEMORY_LIMIT):
        raise SolverError(
            f"HiGHS stopped with status {run.status.value!r} ({run.highs_status}) "
            "without a feasible allocation",
            status=run.status.value,
            time_limit=extra_info.get("time_limit") if extra_info else None,
        )
    x = model.allocation(run.col_value)
    inst = model.instance
    value = obj.evaluate(inst, x)
    info = {
        **run.info,
        "n_patterns": model.pat.n_patterns,
        "n_scenarios": inst.n_scenarios,
        "n_tunnels": inst.n_tunnels,
        "n_active_flows": int(model.pat.flows.size),
        **(extra_info or {}),
    }
    info["build_time_s"] = max(0.0, time.perf_counter() - model.t0 - run.solve_time_s)
    return TESolution(
        x=x,
        objective=obj.name,
        objective_label=obj.describe(),
        objective_value=value,
        throughput=inst.total_demand * (1.0 - value),
        status=run.status,
        mip_gap=run.mip_gap,
        time_s=time.perf_counter() - model.t0,
        solver_objective=run.objective,
        bound=run.bound,
        beta=obj.beta,
        form=obj.form,
        info=info,
    )


def check_time_limit(time_limit: float | None) -> float | None:
    """Validate a time limit in seconds."""
    if time_limit is None:
        return None
    if not (isinstance(time_limit, int | float) and time_limit > 0):
        raise InvalidParameterError(f"time_limit must be > 0 seconds, got {time_limit!r}")
    return float(time_limit)
