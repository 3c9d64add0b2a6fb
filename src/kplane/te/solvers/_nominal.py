"""Nominal (failure-free) TE: the max-flow LP on the healthy network."""

from __future__ import annotations

from kplane.te._instance import TEInstance
from kplane.te._objectives import make_objective
from kplane.te.solvers._base import TEModel, check_time_limit, finish
from kplane.te.solvers._result import TESolution

__all__ = ["build_nominal_model", "solve_nominal"]


def solve_nominal(
    instance: TEInstance,
    *,
    weighting: str = "flow",
    time_limit: float | None = None,
    method: str = "auto",
    verbose: bool = False,
) -> TESolution:
    r"""Allocation minimising the healthy-scenario loss ``L_0`` (scenarios are ignored).

    Model (LP):

    .. math::

        \min_{x, \ell}\ \sum_f w_f \ell_f \quad\text{s.t.}\quad
        \sum_{t \ni e} d_{f(t)} x_t \le c_e, \qquad \ell_f + \sum_{t \in f} x_t \ge 1, \qquad
        0 \le \ell_f \le 1, \quad 0 \le x_t \le \min(1, \min_{e \in t} c_e / d_f).

    With ``weighting="demand"`` this is the classic max-flow TE: maximise ``Σ_f d_f min(1, Σ_t x_t)``.

    Returns
    -------
    TESolution
        ``objective_value = L_0`` of the returned allocation.
    """
    tl = check_time_limit(time_limit)
    m = build_nominal_model(instance, weighting=weighting)
    run = m.b.run(time_limit=tl, method=method, verbose=verbose)
    return finish(m, run, extra_info={"time_limit": tl})


def build_nominal_model(instance: TEInstance, *, weighting: str = "flow") -> TEModel:
    """The model of :func:`solve_nominal`, built but not solved."""
    m = TEModel(instance, make_objective("nominal", weighting=weighting), base_only=True)
    m.b.set_cost(m.ell, m.wf())
    return m
