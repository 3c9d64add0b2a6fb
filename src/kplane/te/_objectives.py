"""The Sort-and-Select family of risk objectives (numpy evaluation).

Conventions (``docs/te.md``):

- flow loss ``ℓ[f, q] = max(0, 1 − Σ_t x[t] y[q, t])`` over flow ``f``'s tunnels;
- scenario loss ``L[q] = Σ_f w_f ℓ[f, q]`` over flows with positive demand, ``w_f = 1/|F+|``
  (``weighting="flow"``, the default) or ``d_f / Σ d`` (``"demand"``); the *max form* uses
  ``L[q] = max_f ℓ[f, q]`` instead (TeaVaR's original);
- Sort-and-Select: sort values in descending order, then sum them with *rank weights* computed from
  the probability mass in sorted order — a mask over ranks weighted by probability mass.

With ``U_i`` the mass of ranks ``0..i`` and ``U_{i−1}`` that of ranks before ``i``:

============  ========================================================  ===============================
name          rank weight ``w_i``                                       value
============  ========================================================  ===============================
worst         ``1`` on rank 0                                           ``max_q L_q`` (FFC)
tail(β)       ``max(0, min(U_i, 1−β) − U_{i−1}) / (1−β)``                ``CVaR_β(L)`` (TeaVaR)
quantile(β)   ``1`` on the rank with ``U_{i−1} ≤ 1−β < U_i``             ``VaR_β`` = β-quantile
expected      ``p`` of the rank                                         ``Σ_q p_q L_q``
nominal       ``1`` on the healthy scenario                             ``L_0``
============  ========================================================  ===============================

Scenario-level objectives apply the mask to ``L``; the flow-level quantile (FloMore/PreTE) applies it
to each active flow's ``ℓ[f, ·]`` and takes the largest (or the ``w``-weighted mean) per-flow value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te._scenarios import ScenarioSet

__all__ = [
    "LOSS_WEIGHTINGS",
    "OBJECTIVES",
    "QUANTILE_TOL",
    "Mask",
    "Objective",
    "cvar",
    "flow_losses",
    "loss_weights",
    "make_objective",
    "scenario_losses",
    "sort_select",
    "value_at_risk",
]

OBJECTIVES = ("ffc", "teavar", "quantile", "expected", "nominal")
"""Named objectives (``kplane te solve --objective``)."""

_ALIASES = {
    "worst": "ffc",
    "robust": "ffc",
    "cvar": "teavar",
    "tail": "teavar",
    "var": "quantile",
    "prete": "quantile",
    "flomore": "quantile",
    "mean": "expected",
    "maxflow": "nominal",
}

LOSS_WEIGHTINGS = ("flow", "demand")
"""How flow losses are averaged into a scenario loss: equal weights or demand weights."""

QUANTILE_TOL = 1e-9
"""Mass tolerance of the quantile's coverage test (also used by the quantile MILP)."""

MaskFn = Callable[..., Any]


@dataclass(frozen=True)
class Mask:
    """A rank mask: ``weights(xp, sorted_prob, cum, prev, rank, index) -> rank weights``.

    ``xp`` is ``numpy`` or ``torch``; ``cum``/``prev`` are the inclusive/exclusive cumulative
    masses in sorted (descending) order; ``rank`` the rank position (0, 1, ...) and ``index`` the
    original scenario index (0 = healthy) of each rank, all of the same shape.
    """

    name: str
    fn: MaskFn
    beta: float | None = None

    def weights(self, xp: Any, sorted_prob: Any, cum: Any, prev: Any, rank: Any, index: Any) -> Any:
        return self.fn(xp, sorted_prob, cum, prev, rank, index)

    # ------------------------------------------------------------------ named masks
    @staticmethod
    def worst() -> Mask:
        """Weight 1 on the largest value (probability ignored)."""
        return Mask("worst", lambda xp, p, cum, prev, rank, index: (rank == 0) * 1.0)

    @staticmethod
    def tail(beta: float) -> Mask:
        """CVaR_β: uniform weight ``1/(1−β)`` on the worst ``1 − β`` of probability mass."""
        b = _check_beta(beta)

        def fn(xp: Any, p: Any, cum: Any, prev: Any, rank: Any, index: Any) -> Any:
            return xp.clip(xp.clip(cum, None, 1.0 - b) - prev, 0.0, None) / (1.0 - b)

        return Mask("tail", fn, b)

    @staticmethod
    def quantile(beta: float) -> Mask:
        """VaR_β: weight 1 on the rank where the mass from the top first exceeds ``1 − β``."""
        b = _check_beta(beta)
        c = 1.0 - b + QUANTILE_TOL
        return Mask("quantile", lambda xp, p, cum, prev, rank, index: ((prev <= c) & (cum > c)) * 1.0, b)

    @staticmethod
    def expected() -> Mask:
        """The probability of each rank (sorting is irrelevant)."""
        return Mask("expected", lambda xp, p, cum, prev, rank, index: p * 1.0)

    @staticmethod
    def nominal() -> Mask:
        """Weight 1 on the healthy scenario (original index 0)."""
        return Mask("nominal", lambda xp, p, cum, prev, rank, index: (index == 0) * 1.0)

    @staticmethod
    def from_mass_density(cdf: Callable[[Any], Any], name: str = "custom") -> Mask:
        """A user mask from a cumulative weight function ``G(u)`` over mass position ``u ∈ [0, 1]``
        counted from the worst: ``w_i = G(U_i) − G(U_{i−1})`` (e.g. ``G(u) = min(u, a) / a`` is CVaR)."""
        return Mask(name, lambda xp, p, cum, prev, rank, index: cdf(cum) - cdf(prev))


def _check_beta(beta: float | None) -> float:
    if beta is None or not (isinstance(beta, int | float) and 0.0 < float(beta) < 1.0):
        raise InvalidParameterError(f"beta must lie strictly between 0 and 1, got {beta!r}")
    return float(beta)


def sort_select(values: ArrayLike, prob: ArrayLike, mask: Mask) -> NDArray[np.float64]:
    """Sort ``values`` (last axis) in descending order and sum them with ``mask``'s rank weights.

    Parameters
    ----------
    values : array-like of shape (..., n_scenarios)
    prob : array-like of shape (n_scenarios,) or (..., n_scenarios)
    mask : Mask

    Returns
    -------
    ndarray of shape (...)
    """
    v = np.asarray(values, dtype=np.float64)
    p = np.broadcast_to(np.asarray(prob, dtype=np.float64), v.shape)
    order = np.argsort(-v, axis=-1, kind="stable")
    sv = np.take_along_axis(v, order, axis=-1)
    sp_ = np.take_along_axis(p, order, axis=-1)
    cum = np.cumsum(sp_, axis=-1)
    prev = cum - sp_
    rank = np.broadcast_to(np.arange(v.shape[-1]), v.shape)
    w = mask.weights(np, sp_, cum, prev, rank, order)
    return np.asarray((np.asarray(w, dtype=np.float64) * sv).sum(axis=-1))


def cvar(values: ArrayLike, prob: ArrayLike, beta: float) -> float:
    """``CVaR_β`` of a discrete distribution: mean of the worst ``1 − β`` of probability mass."""
    return float(sort_select(values, prob, Mask.tail(beta)))


def value_at_risk(values: ArrayLike, prob: ArrayLike, beta: float) -> float:
    """``VaR_β = min{l : P(value <= l) >= β}`` of a discrete distribution."""
    return float(sort_select(values, prob, Mask.quantile(beta)))


# ---------------------------------------------------------------------------------------------- losses
def _membership(instance: TEInstance) -> sp.csr_matrix:
    tun = instance.tunnels
    return sp.csr_matrix(
        (np.ones(tun.n_tunnels), (np.arange(tun.n_tunnels), tun.flow)), shape=(tun.n_tunnels, tun.n_flows)
    )


def flow_losses(
    instance: TEInstance, x: ArrayLike, scenarios: ScenarioSet | None = None
) -> NDArray[np.float64]:
    """``ℓ[f, q] = max(0, 1 − Σ_t x[t] y[q, t])`` for every flow and scenario.

    Flows without demand get loss 0 (they are excluded from every objective).

    Returns
    -------
    ndarray of shape (n_flows, n_scenarios)
    """
    xv = check_allocation(instance, x)
    scen = instance.scenarios if scenarios is None else scenarios
    if scen.n_tunnels != instance.n_tunnels:
        raise InvalidParameterError(
            f"scenario set is for {scen.n_tunnels} tunnels, the instance has {instance.n_tunnels}"
        )
    sat = np.asarray(_membership(instance).T @ (scen.survival * xv).T)  # (F, Q)
    loss = np.clip(1.0 - sat, 0.0, None)
    loss[~instance.active] = 0.0
    return loss


def check_allocation(instance: TEInstance, x: ArrayLike) -> NDArray[np.float64]:
    """``x`` as a float array of shape (n_tunnels,), finite and >= 0 (else InvalidParameterError)."""
    xv = np.asarray(x, dtype=np.float64).reshape(-1)
    if xv.shape != (instance.n_tunnels,):
        raise InvalidParameterError(
            f"allocation must have one split ratio per tunnel ({instance.n_tunnels}), got {xv.shape[0]}"
        )
    bad = ~np.isfinite(xv) | (xv < 0)
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(
            f"split ratio of tunnel {t} must be finite and >= 0, got {float(xv[t])!r}"
        )
    return xv


def loss_weights(instance: TEInstance, weighting: str = "flow") -> NDArray[np.float64]:
    """(n_flows,) weights ``w_f`` of flow losses in a scenario loss (0 for flows without demand)."""
    if weighting not in LOSS_WEIGHTINGS:
        raise InvalidParameterError(f"weighting must be one of {LOSS_WEIGHTINGS}, got {weighting!r}")
    act = instance.active
    if not act.any():
        raise InvalidParameterError("every demand is zero: there is no loss to optimise")
    if weighting == "flow":
        return act / act.sum()
    return instance.demand / instance.demand.sum()


def scenario_losses(losses: ArrayLike, weights: ArrayLike, *, form: str = "mean") -> NDArray[np.float64]:
    """(n_scenarios,) ``L[q] = Σ_f w_f ℓ[f, q]`` (``form="mean"``) or ``max_{f: w_f > 0} ℓ[f, q]``."""
    lo = np.asarray(losses, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if form == "mean":
        return np.asarray(w @ lo)
    if form == "max":
        return np.asarray(lo[w > 0].max(axis=0))
    raise InvalidParameterError(f"form must be 'mean' or 'max', got {form!r}")


# ---------------------------------------------------------------------------------------------- objective
@dataclass(frozen=True)
class Objective:
    """A Sort-and-Select objective (lower is better; values in loss units, in [0, 1]).

    Parameters
    ----------
    name : str
        ``"ffc"``, ``"teavar"``, ``"quantile"``, ``"expected"``, ``"nominal"`` or a custom name.
    mask : Mask
    level : {"scenario", "flow"}
        Mask over scenario losses ``L`` or over each flow's losses ``ℓ[f, ·]``.
    form : {"mean", "max"}
        Scenario loss over flows (scenario level).
    flow_aggregate : {"max", "mean"}
        Flow level: the largest or the ``w``-weighted mean per-flow value.
    weighting : {"flow", "demand"}
        ``w_f``: equal over flows with demand, or proportional to demand.
    """

    name: str
    mask: Mask
    level: str = "scenario"
    form: str = "mean"
    flow_aggregate: str = "max"
    weighting: str = "flow"

    def __post_init__(self) -> None:
        for attr, valid in (
            ("level", ("scenario", "flow")),
            ("form", ("mean", "max")),
            ("flow_aggregate", ("max", "mean")),
            ("weighting", LOSS_WEIGHTINGS),
        ):
            if getattr(self, attr) not in valid:
                raise InvalidParameterError(f"{attr} must be one of {valid}, got {getattr(self, attr)!r}")

    @property
    def beta(self) -> float | None:
        """β of the mask (tail/quantile), else None."""
        return self.mask.beta

    def from_losses(self, losses: ArrayLike, prob: ArrayLike, weights: ArrayLike) -> float:
        """Objective value from flow losses ``(n_flows, n_scenarios)``, probabilities and flow weights."""
        lo = np.asarray(losses, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64)
        if self.level == "scenario":
            return float(sort_select(scenario_losses(lo, w, form=self.form), prob, self.mask))
        per_flow = sort_select(lo[w > 0], prob, self.mask)
        if self.flow_aggregate == "max":
            return float(per_flow.max())
        return float((w[w > 0] * per_flow).sum() / w[w > 0].sum())

    def evaluate(self, instance: TEInstance, x: ArrayLike, scenarios: ScenarioSet | None = None) -> float:
        """The objective value of allocation ``x`` on ``instance`` (or on another scenario set)."""
        scen = instance.scenarios if scenarios is None else scenarios
        return self.from_losses(
            flow_losses(instance, x, scen), scen.prob, loss_weights(instance, self.weighting)
        )

    def describe(self) -> str:
        """``"teavar(beta=0.99, form=mean)"``-style label."""
        bits = [f"beta={self.beta:g}"] if self.beta is not None else []
        if self.level == "scenario" and self.name not in ("expected", "nominal"):
            bits.append(f"form={self.form}")
        if self.level == "flow":
            bits.append(f"aggregate={self.flow_aggregate}")
        if self.weighting != "flow":
            bits.append(f"weighting={self.weighting}")
        return f"{self.name}({', '.join(bits)})"


def make_objective(
    name: str | Objective,
    *,
    beta: float | None = None,
    form: str = "mean",
    flow_aggregate: str = "max",
    weighting: str = "flow",
) -> Objective:
    """A named objective (see :data:`OBJECTIVES`; aliases ``worst``, ``cvar``, ``var``, ``prete``, ...).

    ``beta`` defaults to 0.99 for ``teavar`` and ``quantile`` and is rejected for the others.

    Raises
    ------
    InvalidParameterError
        Unknown name (lists the valid ones) or ``beta`` outside (0, 1).
    """
    if isinstance(name, Objective):
        return name
    key = _ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
    if key not in OBJECTIVES:
        raise InvalidParameterError(
            f"unknown objective {name!r}; valid: {', '.join(OBJECTIVES)} "
            f"(aliases: {', '.join(sorted(_ALIASES))})"
        )
    if form != "mean" and key not in ("ffc", "teavar"):
        raise InvalidParameterError(f"form={form!r} applies to 'ffc' and 'teavar' only, not {key!r}")
    if key in ("teavar", "quantile"):
        b = 0.99 if beta is None else beta
        mask = Mask.tail(b) if key == "teavar" else Mask.quantile(b)
        level = "scenario" if key == "teavar" else "flow"
        return Objective(
            key, mask, level=level, form=form, flow_aggregate=flow_aggregate, weighting=weighting
        )
    if beta is not None:
        raise InvalidParameterError(f"objective {key!r} takes no beta (got {beta!r})")
    mask = {"ffc": Mask.worst, "expected": Mask.expected, "nominal": Mask.nominal}[key]()
    return Objective(key, mask, form=form if key == "ffc" else "mean", weighting=weighting)
