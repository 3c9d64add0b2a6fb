"""FFC: minimise the worst scenario loss over a scenario set (or over all k-failure sets)."""

from __future__ import annotations

import numpy as np

from kplane.te._instance import TEInstance
from kplane.te._objectives import make_objective
from kplane.te.solvers._base import TEModel, check_time_limit, finish
from kplane.te.solvers._result import TESolution

__all__ = ["build_ffc_model", "solve_ffc"]


def solve_ffc(
    instance: TEInstance,
    *,
    form: str = "mean",
    weighting: str = "flow",
    time_limit: float | None = None,
    method: str = "auto",
    verbose: bool = False,
) -> TESolution:
    r"""Worst-case (FFC-style) allocation: minimise ``max_q L_q`` over every scenario of the set.

    For FFC's k-failure guarantee, pass an instance whose scenarios come from
    :func:`kplane.te.failures.k_failure_scenarios`. Probabilities are ignored (zero-probability
    scenarios count too).

    Model (LP; patterns as in :mod:`kplane.te.solvers._base`):

    .. math::

        \min_{x, \ell, z}\ z \quad\text{s.t.}\quad
        \sum_{t \ni e} d_{f(t)} x_t \le c_e\ \forall e, \qquad
        \ell_{f,\sigma} + \sum_{t \in \sigma} x_t \ge 1\ \forall (f, \sigma), \\
        z \ge L_q = \sum_f w_f \ell_{f,\sigma(f,q)}\ \forall q \ \ (\text{mean form}), \qquad
        z \ge \ell_{f,\sigma}\ \forall (f, \sigma)\ \ (\text{max form}), \\
        0 \le x_t \le \min(1, \min_{e \in t} c_e / d_f), \quad 0 \le \ell \le 1, \quad 0 \le z \le 1.

    Parameters
    ----------
    instance : TEInstance
    form : {"mean", "max"}
        Scenario loss as the weighted mean (default) or the maximum over flows.
    weighting : {"flow", "demand"}
        Flow weights ``w_f`` of the mean form.
    time_limit : float, optional
        Seconds.
    method : {"auto", "simplex", "ipm", "pdlp"}
        LP algorithm (``auto``: simplex for small models, IPM for large).
    verbose : bool
        Show the HiGHS log.

    Returns
    -------
    TESolution
        ``objective_value = max_q L_q`` of the returned allocation.
    """
    tl = check_time_limit(time_limit)
    m = build_ffc_model(instance, form=form, weighting=weighting)
    run = m.b.run(time_limit=tl, method=method, verbose=verbose)
    return finish(m, run, extra_info={"time_limit": tl})


def build_ffc_model(instance: TEInstance, *, form: str = "mean", weighting: str = "flow") -> TEModel:
    """The model of :func:`solve_ffc`, built but not solved."""
    obj = make_objective("ffc", form=form, weighting=weighting)
    m = TEModel(instance, obj)
    b = m.b
    z = int(b.add_cols(1, cost=1.0, lb=0.0, ub=1.0)[0])
    if form == "mean":
        q = np.arange(instance.n_scenarios, dtype=np.int64)
        r, c, v = m.scenario_loss_terms(q)
        b.add_rows(
            q.size,
            np.concatenate([np.arange(q.size), r]),
            np.concatenate([np.full(q.size, z), c]),
            np.concatenate([np.ones(q.size), -v]),
            lb=0.0,
        )
    else:
        n = m.pat.n_patterns
        b.add_rows(
            n,
            np.concatenate([np.arange(n), np.arange(n)]),
            np.concatenate([np.full(n, z), m.ell]),
            np.concatenate([np.ones(n), -np.ones(n)]),
            lb=0.0,
        )
    return m
