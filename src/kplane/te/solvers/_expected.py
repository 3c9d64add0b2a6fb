"""Expected loss: minimise ``Σ_q p_q L_q`` (maximise expected throughput)."""

from __future__ import annotations

from kplane.te._instance import TEInstance
from kplane.te._objectives import make_objective
from kplane.te.solvers._base import TEModel, check_time_limit, finish
from kplane.te.solvers._result import TESolution

__all__ = ["build_expected_model", "solve_expected"]


def solve_expected(
    instance: TEInstance,
    *,
    weighting: str = "flow",
    time_limit: float | None = None,
    method: str = "auto",
    verbose: bool = False,
) -> TESolution:
    r"""Allocation minimising the expected scenario loss.

    Model (LP; ``P_{f,σ}`` = probability mass of the scenarios in which flow ``f`` sees pattern ``σ``):

    .. math::

        \min_{x, \ell}\ \sum_{f,\sigma} w_f P_{f,\sigma}\, \ell_{f,\sigma} \quad\text{s.t.}\quad
        \sum_{t \ni e} d_{f(t)} x_t \le c_e, \qquad \ell_{f,\sigma} + \sum_{t \in \sigma} x_t \ge 1, \\
        0 \le \ell \le 1, \quad 0 \le x_t \le \min(1, \min_{e \in t} c_e / d_f),

    which equals ``Σ_q p_q Σ_f w_f ℓ_{f,q}``. With ``weighting="demand"`` this maximises expected
    throughput.

    Returns
    -------
    TESolution
        ``objective_value = Σ_q p_q L_q`` of the returned allocation.
    """
    tl = check_time_limit(time_limit)
    m = build_expected_model(instance, weighting=weighting)
    run = m.b.run(time_limit=tl, method=method, verbose=verbose)
    return finish(m, run, extra_info={"time_limit": tl})


def build_expected_model(instance: TEInstance, *, weighting: str = "flow") -> TEModel:
    """The model of :func:`solve_expected`, built but not solved."""
    m = TEModel(instance, make_objective("expected", weighting=weighting))
    m.b.set_cost(m.ell, m.wf()[m.pat.pat_flow] * m.pat.pat_mass)
    return m
