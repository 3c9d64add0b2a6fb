"""TeaVaR: minimise the conditional value at risk CVaR_β of the scenario loss."""

from __future__ import annotations

import numpy as np

from kplane.te._instance import TEInstance
from kplane.te._objectives import make_objective
from kplane.te.solvers._base import TEModel, check_time_limit, finish
from kplane.te.solvers._result import TESolution

__all__ = ["build_teavar_model", "solve_teavar"]


def solve_teavar(
    instance: TEInstance,
    *,
    beta: float = 0.99,
    form: str = "mean",
    weighting: str = "flow",
    time_limit: float | None = None,
    method: str = "auto",
    verbose: bool = False,
) -> TESolution:
    r"""TeaVaR allocation: minimise ``CVaR_β`` of the scenario loss (Rockafellar–Uryasev LP).

    Model (LP; scenarios with ``p_q = 0`` carry no CVaR weight and are left out):

    .. math::

        \min_{x, \ell, \alpha, s}\ \alpha + \frac{1}{1-\beta} \sum_q p_q s_q \quad\text{s.t.}\quad
        \sum_{t \ni e} d_{f(t)} x_t \le c_e, \qquad \ell_{f,\sigma} + \sum_{t \in \sigma} x_t \ge 1, \\
        s_q \ge L_q - \alpha,\ \ L_q = \sum_f w_f \ell_{f,\sigma(f,q)}\ \ (\text{mean form}); \qquad
        s_q \ge \ell_{f,\sigma(f,q)} - \alpha\ \forall f\ \ (\text{max form, TeaVaR's original}), \\
        s_q \ge 0, \quad 0 \le \alpha \le 1, \quad 0 \le \ell \le 1, \quad
        0 \le x_t \le \min(1, \min_{e \in t} c_e / d_f).

    At the optimum ``α`` is ``VaR_β`` and the objective equals the Sort-and-Select ``CVaR_β`` of the
    allocation's losses. The max form uses one column ``M >= ℓ_{f,base}`` for the flows a
    scenario does not affect.

    Parameters
    ----------
    instance : TEInstance
    beta : float
        CVaR level in (0, 1) (default 0.99).
    form : {"mean", "max"}
    weighting : {"flow", "demand"}
    time_limit : float, optional
    method : {"auto", "simplex", "ipm", "pdlp"}
    verbose : bool

    Returns
    -------
    TESolution
        ``objective_value = CVaR_β(L)`` of the returned allocation.
    """
    tl = check_time_limit(time_limit)
    m = build_teavar_model(instance, beta=beta, form=form, weighting=weighting)
    run = m.b.run(time_limit=tl, method=method, verbose=verbose)
    return finish(m, run, extra_info={"time_limit": tl})


def build_teavar_model(
    instance: TEInstance, *, beta: float = 0.99, form: str = "mean", weighting: str = "flow"
) -> TEModel:
    """The model of :func:`solve_teavar`, built but not solved."""
    obj = make_objective("teavar", beta=beta, form=form, weighting=weighting)
    b_ = float(obj.beta)  # type: ignore[arg-type]
    m = TEModel(instance, obj)
    b = m.b
    alpha = int(b.add_cols(1, cost=1.0, lb=0.0, ub=1.0)[0])
    qs = np.flatnonzero(instance.scenarios.prob > 0).astype(np.int64)
    s = b.add_cols(qs.size, cost=instance.scenarios.prob[qs] / (1.0 - b_), lb=0.0)
    n = qs.size
    if form == "mean":
        r, c, v = m.scenario_loss_terms(qs)
        b.add_rows(
            n,
            np.concatenate([np.arange(n), np.arange(n), r]),
            np.concatenate([s, np.full(n, alpha), c]),
            np.concatenate([np.ones(2 * n), -v]),
            lb=0.0,
        )
    else:
        pat = m.pat
        mcol = int(b.add_cols(1, lb=0.0, ub=1.0)[0])
        nf = pat.flows.size
        b.add_rows(
            nf,
            np.concatenate([np.arange(nf), np.arange(nf)]),
            np.concatenate([np.full(nf, mcol), m.ell[pat.base]]),
            np.concatenate([np.ones(nf), -np.ones(nf)]),
            lb=0.0,
        )
        b.add_rows(
            n,
            np.repeat(np.arange(n), 3),
            np.column_stack([s, np.full(n, alpha), np.full(n, mcol)]).ravel(),
            np.tile([1.0, 1.0, -1.0], n),
            lb=0.0,
        )
        local = np.full(instance.n_scenarios, -1, dtype=np.int64)
        local[qs] = np.arange(n)
        sel = local[pat.aff_q] >= 0
        # one row per distinct (scenario, affected pattern)
        key = np.unique(local[pat.aff_q[sel]] * pat.n_patterns + pat.aff_pat[sel])
        qq, pp = key // pat.n_patterns, key % pat.n_patterns
        k = key.size
        b.add_rows(
            k,
            np.repeat(np.arange(k), 3),
            np.column_stack([s[qq], np.full(k, alpha), m.ell[pp]]).ravel(),
            np.tile([1.0, 1.0, -1.0], k),
            lb=0.0,
        )
    return m
