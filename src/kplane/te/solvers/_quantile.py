"""Per-flow β-quantile (FloMore/PreTE, static allocation) as a MILP."""

from __future__ import annotations

import numpy as np

from kplane.te._instance import TEInstance
from kplane.te._objectives import QUANTILE_TOL, make_objective
from kplane.te.solvers._base import TEModel, check_time_limit, finish
from kplane.te.solvers._result import TESolution

__all__ = ["build_quantile_model", "solve_quantile"]


def solve_quantile(
    instance: TEInstance,
    *,
    beta: float = 0.99,
    aggregate: str = "max",
    weighting: str = "flow",
    time_limit: float | None = 300.0,
    mip_rel_gap: float = 1e-4,
    method: str = "auto",
    verbose: bool = False,
    per_scenario: bool = False,
) -> TESolution:
    r"""Allocation minimising the largest (or mean) per-flow β-quantile of the flow loss.

    ``VaR_β(ℓ_f) = min{a : P(ℓ_f <= a) >= β}``. Binaries ``z_{f,σ}`` choose which survival patterns
    (hence which scenarios, all scenarios sharing a pattern at once — which loses nothing) must be
    covered by ``α``; big-M is 1 because losses lie in [0, 1]:

    .. math::

        \min\ \alpha \quad\text{s.t.}\quad
        \sum_{t \ni e} d_{f(t)} x_t \le c_e, \qquad \ell_{f,\sigma} + \sum_{t \in \sigma} x_t \ge 1, \\
        \sum_\sigma P_{f,\sigma} z_{f,\sigma} \ge \beta\ \ \forall f, \qquad
        \alpha \ge \ell_{f,\sigma} - (1 - z_{f,\sigma})\ \ \forall (f, \sigma): P_{f,\sigma} > 0, \\
        z \in \{0, 1\}, \quad 0 \le \alpha, \ell \le 1, \quad 0 \le x_t \le \min(1, \min_{e \in t} c_e / d_f).

    With ``aggregate="mean"`` each flow has its own ``α_f`` and the objective is ``Σ_f w_f α_f``.
    Static allocation (one ``x`` for all scenarios), as in NeuroRisk; FloMore's adaptive form is not
    modelled.

    Parameters
    ----------
    instance : TEInstance
    beta : float
        Quantile level in (0, 1) (default 0.99).
    aggregate : {"max", "mean"}
    weighting : {"flow", "demand"}
        Flow weights of the mean aggregate.
    time_limit : float, optional
        Seconds (default 300). On the limit the best allocation found is returned with status
        ``time_limit`` and its MIP gap.
    mip_rel_gap : float
        Relative gap at which branch-and-cut stops (default 1e-4).
    method : str
        Ignored for MILPs (branch-and-cut).
    verbose : bool
    per_scenario : bool
        Use one binary per (flow, scenario) instead of per (flow, pattern): the textbook
        formulation, kept as a reference (same optimum, many more binaries).

    Returns
    -------
    TESolution
        ``objective_value`` = the objective of the returned allocation, ``mip_gap``, ``bound``.
    """
    tl = check_time_limit(time_limit)
    m = build_quantile_model(
        instance, beta=beta, aggregate=aggregate, weighting=weighting, per_scenario=per_scenario
    )
    run = m.b.run(time_limit=tl, method=method, mip_rel_gap=mip_rel_gap, verbose=verbose)
    return finish(
        m, run, extra_info={"time_limit": tl, "mip_rel_gap": mip_rel_gap, "per_scenario": per_scenario}
    )


def build_quantile_model(
    instance: TEInstance,
    *,
    beta: float = 0.99,
    aggregate: str = "max",
    weighting: str = "flow",
    per_scenario: bool = False,
) -> TEModel:
    """The model of :func:`solve_quantile`, built but not solved."""
    obj = make_objective("quantile", beta=beta, flow_aggregate=aggregate, weighting=weighting)
    b_ = float(obj.beta)  # type: ignore[arg-type]
    m = TEModel(instance, obj)
    pat = m.pat
    b = m.b
    nf = pat.flows.size
    if per_scenario:
        # reference formulation: one binary per (flow, scenario with p > 0)
        prob = instance.scenarios.prob
        qs = np.flatnonzero(prob > 0)
        local = np.full(instance.n_scenarios, -1, dtype=np.int64)
        local[qs] = np.arange(qs.size)
        pq = np.tile(pat.base, (qs.size, 1))  # (Q+, F_a) pattern of each (scenario, flow)
        sel = local[pat.aff_q] >= 0
        pq[local[pat.aff_q[sel]], pat.aff_f[sel]] = pat.aff_pat[sel]
        row_flow = np.tile(np.arange(nf), qs.size)
        ell_of = pq.ravel()
        mass = np.repeat(prob[qs], nf)
    else:
        live = np.flatnonzero(pat.pat_mass > 0)
        row_flow, ell_of, mass = pat.pat_flow[live], live, pat.pat_mass[live]
    z = b.add_cols(row_flow.size, lb=0.0, ub=1.0, integer=True)
    b.add_rows(nf, row_flow, z, mass, lb=b_ - QUANTILE_TOL)
    if aggregate == "max":
        alpha = np.full(nf, int(b.add_cols(1, cost=1.0, lb=0.0, ub=1.0)[0]))
    else:
        alpha = b.add_cols(nf, cost=m.wf() / m.wf().sum(), lb=0.0, ub=1.0)
    k = row_flow.size
    b.add_rows(
        k,
        np.repeat(np.arange(k), 3),
        np.column_stack([alpha[row_flow], m.ell[ell_of], z]).ravel(),
        np.tile([1.0, -1.0, -1.0], k),
        lb=-1.0,
    )
    return m
