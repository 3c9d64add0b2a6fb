"""One entry point over the exact formulations, as a function and as an estimator."""

from __future__ import annotations

from typing import Any

from kplane.errors import InvalidParameterError, NotFittedError
from kplane.te._instance import TEInstance
from kplane.te._objectives import OBJECTIVES, make_objective
from kplane.te.solvers._expected import solve_expected
from kplane.te.solvers._ffc import solve_ffc
from kplane.te.solvers._nominal import solve_nominal
from kplane.te.solvers._quantile import solve_quantile
from kplane.te.solvers._result import TESolution
from kplane.te.solvers._teavar import solve_teavar

__all__ = ["ExactSolver", "solve"]


def solve(
    instance: TEInstance,
    objective: str = "teavar",
    *,
    beta: float | None = None,
    form: str = "mean",
    aggregate: str = "max",
    weighting: str = "flow",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-4,
    method: str = "auto",
    verbose: bool = False,
) -> TESolution:
    """Solve ``instance`` exactly for a named objective (HiGHS).

    Parameters
    ----------
    instance : TEInstance
    objective : {"ffc", "teavar", "quantile", "expected", "nominal"}
        Aliases: ``worst``/``robust`` (ffc), ``cvar`` (teavar), ``var``/``prete``/``flomore``
        (quantile), ``maxflow`` (nominal).
    beta : float, optional
        Level of ``teavar``/``quantile`` in (0, 1) (default 0.99); rejected for the others.
    form : {"mean", "max"}
        Scenario loss over flows, for ``ffc`` and ``teavar``.
    aggregate : {"max", "mean"}
        Per-flow quantiles combined by their maximum (default) or weighted mean (``quantile``).
    weighting : {"flow", "demand"}
        Flow weights of scenario losses.
    time_limit : float, optional
        Seconds; ``quantile`` defaults to 300.
    mip_rel_gap : float
        Relative MIP gap (``quantile``).
    method : {"auto", "simplex", "ipm", "pdlp"}
        LP algorithm.
    verbose : bool
        Print the HiGHS log.

    Returns
    -------
    TESolution

    Raises
    ------
    InvalidParameterError
        Unknown objective (lists the valid ones), ``beta`` outside (0, 1), bad options.
    InfeasibleError, SolverError
        When HiGHS finds no allocation.
    """
    key = make_objective(objective, beta=beta, form=form, weighting=weighting).name
    common: dict[str, Any] = {"weighting": weighting, "method": method, "verbose": verbose}
    if key == "ffc":
        return solve_ffc(instance, form=form, time_limit=time_limit, **common)
    if key == "teavar":
        return solve_teavar(
            instance, beta=0.99 if beta is None else beta, form=form, time_limit=time_limit, **common
        )
    if key == "expected":
        return solve_expected(instance, time_limit=time_limit, **common)
    if key == "nominal":
        return solve_nominal(instance, time_limit=time_limit, **common)
    if key == "quantile":
        return solve_quantile(
            instance,
            beta=0.99 if beta is None else beta,
            aggregate=aggregate,
            time_limit=300.0 if time_limit is None else time_limit,
            mip_rel_gap=mip_rel_gap,
            **common,
        )
    raise InvalidParameterError(
        f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}"
    )  # pragma: no cover


class ExactSolver:
    """Estimator-style wrapper of :func:`solve`.

    Parameters are those of :func:`solve` (keyword-only, stored untouched). ``fit(instance)`` solves
    and stores ``solution_`` (a :class:`TESolution`) and ``x_`` (split ratios).

    Examples
    --------
    >>> from kplane.te import build_instance  # doctest: +SKIP
    >>> solver = ExactSolver(objective="teavar", beta=0.99)  # doctest: +SKIP
    >>> sol = solver.fit(build_instance("abilene")).solution_  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        objective: str = "teavar",
        beta: float | None = None,
        form: str = "mean",
        aggregate: str = "max",
        weighting: str = "flow",
        time_limit: float | None = None,
        mip_rel_gap: float = 1e-4,
        method: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.objective = objective
        self.beta = beta
        self.form = form
        self.aggregate = aggregate
        self.weighting = weighting
        self.time_limit = time_limit
        self.mip_rel_gap = mip_rel_gap
        self.method = method
        self.verbose = verbose

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters."""
        return {
            k: getattr(self, k)
            for k in (
                "objective",
                "beta",
                "form",
                "aggregate",
                "weighting",
                "time_limit",
                "mip_rel_gap",
                "method",
                "verbose",
            )
        }

    def fit(self, instance: TEInstance) -> ExactSolver:
        """Solve ``instance``; returns ``self``."""
        self.solution_ = solve(instance, **self.get_params())
        self.x_ = self.solution_.x
        return self

    @property
    def objective_value_(self) -> float:
        """Objective value of the fitted allocation."""
        if not hasattr(self, "solution_"):
            raise NotFittedError("ExactSolver is not fitted yet: call fit(instance) first")
        return self.solution_.objective_value
