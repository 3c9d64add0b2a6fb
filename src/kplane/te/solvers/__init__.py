"""Exact risk-aware TE solvers on HiGHS (open source; no licence needed).

Every formulation states its model in its docstring; all build one sparse model with vectorised
blocks (:class:`ModelBuilder`), pick simplex or IPM by size, and map every HiGHS status to a
:class:`TEStatus`. Losses are shared per (flow, survival pattern) — see :mod:`kplane.te.solvers._base`.

- :func:`solve_ffc` — worst case ``max_q L_q`` (FFC; over a scenario set or k-failure sets)
- :func:`solve_teavar` — ``CVaR_β(L)`` (TeaVaR; mean and max forms)
- :func:`solve_expected` — ``Σ_q p_q L_q``
- :func:`solve_nominal` — ``L_0`` (max-flow TE)
- :func:`solve_quantile` — largest per-flow ``VaR_β`` (FloMore/PreTE static; MILP)
- :func:`solve` / :class:`ExactSolver` — by name.
"""

from kplane.te.solvers._base import FlowPatterns, TEModel, flow_patterns
from kplane.te.solvers._expected import build_expected_model, solve_expected
from kplane.te.solvers._ffc import build_ffc_model, solve_ffc
from kplane.te.solvers._highs import METHODS, HighsRun, ModelBuilder, status_from_highs
from kplane.te.solvers._nominal import build_nominal_model, solve_nominal
from kplane.te.solvers._quantile import build_quantile_model, solve_quantile
from kplane.te.solvers._result import TESolution, TEStatus
from kplane.te.solvers._solve import ExactSolver, solve
from kplane.te.solvers._teavar import build_teavar_model, solve_teavar

__all__ = [
    "METHODS",
    "ExactSolver",
    "FlowPatterns",
    "HighsRun",
    "ModelBuilder",
    "TEModel",
    "TESolution",
    "TEStatus",
    "build_expected_model",
    "build_ffc_model",
    "build_nominal_model",
    "build_quantile_model",
    "build_teavar_model",
    "flow_patterns",
    "solve",
    "solve_expected",
    "solve_ffc",
    "solve_nominal",
    "solve_quantile",
    "solve_teavar",
    "status_from_highs",
]
