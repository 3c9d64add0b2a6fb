"""Replay: evaluate any allocation (split ratios) on any scenario set.

Two traffic models:

- ``reroute="none"`` (the model the objectives use): in scenario ``q`` flow ``f`` delivers
  ``min(1, Σ_t x_t y[q, t]) d_f``, carried on its surviving tunnels in proportion to ``x``; reserved
  bandwidth is never exceeded, so no link overloads.
- ``reroute="proportional"`` (TeaVaR's and ARROW's evaluation): flow ``f`` sends its whole demand over
  its surviving tunnels in proportion to ``x`` (equally over the surviving tunnels when all of its
  allocated tunnels failed; nothing when none survives). A link carrying more than its capacity
  delivers the fraction ``c_e / load_e`` of it, and a tunnel delivers the fraction of its most
  overloaded link (a fluid bottleneck approximation).

Metrics (``docs/te.md``): per-flow loss ``ℓ[f, q] = 1 − delivered / d_f``; the scenario loss ``L_q``
(weighted mean over flows with demand, the objectives' convention); the bandwidth loss
``B_q = 1 − Σ_f delivered / Σ_f d_f`` (ARROW's scenario loss); availability at a loss target ``τ`` as
ARROW defines it — scenario availability ``Σ_q p_q [B_q <= τ]``, flow availability
``Σ_q p_q (1 if B_q <= τ else fraction of flows with ℓ = 0)``, bandwidth availability
``Σ_q p_q (1 if B_q <= τ else 1 − B_q)``; VaR/CVaR of ``L``; link utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te._objectives import (
    Mask,
    Objective,
    _check_beta,
    check_allocation,
    cvar,
    loss_weights,
    make_objective,
    sort_select,
    value_at_risk,
)
from kplane.te._scenarios import ScenarioSet

__all__ = ["REROUTE_MODES", "ReplayResult", "replay"]

REROUTE_MODES = ("none", "proportional")
AFFECTED_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """Losses, throughput and utilisation of one allocation over one scenario set.

    Attributes
    ----------
    flow_loss : ndarray of shape (n_flows, n_scenarios)
        ``ℓ[f, q]`` (0 for flows without demand).
    prob : ndarray of shape (n_scenarios,)
    weights : ndarray of shape (n_flows,)
        Flow weights of the scenario loss.
    delivered : ndarray of shape (n_scenarios,)
        Delivered traffic per scenario [bit/s].
    total_demand : float
        [bit/s].
    link_utilisation : ndarray of shape (n_links, n_scenarios)
        Carried load / capacity (may exceed 1 only with proportional rerouting).
    reserved_utilisation : ndarray of shape (n_links,)
        Reserved bandwidth ``Σ_t a[e,t] d_f x_t`` / capacity; > 1 means the allocation is infeasible.
    reroute : str
    """

    flow_loss: NDArray[np.float64]
    prob: NDArray[np.float64]
    weights: NDArray[np.float64]
    delivered: NDArray[np.float64]
    total_demand: float
    link_utilisation: NDArray[np.float64]
    reserved_utilisation: NDArray[np.float64]
    reroute: str

    @cached_property
    def scenario_loss(self) -> NDArray[np.float64]:
        """(n_scenarios,) ``L_q = Σ_f w_f ℓ[f, q]``."""
        return np.asarray(self.weights @ self.flow_loss)

    @cached_property
    def scenario_loss_max(self) -> NDArray[np.float64]:
        """(n_scenarios,) ``max_f ℓ[f, q]`` over flows with demand."""
        return np.asarray(self.flow_loss[self.weights > 0].max(axis=0))

    @cached_property
    def bandwidth_loss(self) -> NDArray[np.float64]:
        """(n_scenarios,) ``1 − delivered / total demand``."""
        return 1.0 - self.delivered / self.total_demand

    @property
    def expected_throughput(self) -> float:
        """``Σ_q p_q delivered_q`` [bit/s]."""
        return float(self.prob @ self.delivered)

    @property
    def feasible(self) -> bool:
        """Whether reserved bandwidth respects every capacity (1e-9 relative tolerance)."""
        return bool((self.reserved_utilisation <= 1.0 + 1e-9).all())

    def var(self, beta: float) -> float:
        """``VaR_β`` of the scenario loss ``L``."""
        return value_at_risk(self.scenario_loss, self.prob, beta)

    def cvar(self, beta: float) -> float:
        """``CVaR_β`` of the scenario loss ``L``."""
        return cvar(self.scenario_loss, self.prob, beta)

    def availability(self, loss_target: float = 0.0) -> dict[str, float]:
        """ARROW's scenario, flow and bandwidth availability at a loss target ``τ`` (see the module)."""
        if not 0.0 <= loss_target < 1.0:
            raise InvalidParameterError(f"loss target must lie in [0, 1), got {loss_target!r}")
        ok = self.bandwidth_loss <= loss_target + 1e-12
        act = self.weights > 0
        unaffected = (self.flow_loss[act] <= AFFECTED_TOL).mean(axis=0)
        return {
            "scenario": float(self.prob[ok].sum()),
            "flow": float((self.prob * np.where(ok, 1.0, unaffected)).sum()),
            "bandwidth": float((self.prob * np.where(ok, 1.0, 1.0 - self.bandwidth_loss)).sum()),
        }

    def objective(self, objective: Objective | str, **kwargs: Any) -> float:
        """The value of a Sort-and-Select objective on these losses."""
        obj = make_objective(objective, **kwargs) if isinstance(objective, str) else objective
        return obj.from_losses(self.flow_loss, self.prob, self.weights)

    def summary(self, *, beta: float = 0.99, loss_target: float = 0.0) -> dict[str, Any]:
        """Headline numbers (JSON-friendly)."""
        _check_beta(beta)
        healthy = self.link_utilisation[:, 0]
        return {
            "reroute": self.reroute,
            "n_scenarios": int(self.prob.shape[0]),
            "feasible": self.feasible,
            "max_reserved_utilisation": float(self.reserved_utilisation.max(initial=0.0)),
            "loss": {
                "nominal": float(self.scenario_loss[0]),
                "expected": float(self.prob @ self.scenario_loss),
                "worst": float(self.scenario_loss.max()),
                "var": self.var(beta),
                "cvar": self.cvar(beta),
                "cvar_max_form": cvar(self.scenario_loss_max, self.prob, beta),
                "beta": beta,
                "max_flow_quantile": float(
                    sort_select(self.flow_loss[self.weights > 0], self.prob, Mask.quantile(beta)).max()
                ),
            },
            "throughput": {
                "total_demand": self.total_demand,
                "healthy": float(self.delivered[0]),
                "expected": self.expected_throughput,
                "worst": float(self.delivered.min()),
            },
            "availability": {"loss_target": loss_target, **self.availability(loss_target)},
            "link_utilisation": {
                "healthy_max": float(healthy.max(initial=0.0)),
                "healthy_mean": float(healthy.mean()) if healthy.size else 0.0,
                "max_over_scenarios": float(self.link_utilisation.max(initial=0.0)),
            },
        }


def replay(
    instance: TEInstance,
    x: ArrayLike,
    scenarios: ScenarioSet | None = None,
    *,
    reroute: str = "none",
    weighting: str = "flow",
    chunk_cells: int = 20_000_000,
) -> ReplayResult:
    """Evaluate split ratios ``x`` on ``instance`` (or on another scenario set for the same tunnels).

    Parameters
    ----------
    instance : TEInstance
    x : array-like of shape (n_tunnels,)
        Split ratios, >= 0.
    scenarios : ScenarioSet, optional
        Defaults to the instance's scenarios.
    reroute : {"none", "proportional"}
        Traffic model (module docstring).
    weighting : {"flow", "demand"}
        Flow weights of the scenario loss.
    chunk_cells : int
        Scenarios are processed in chunks of about this many (scenario, tunnel) cells.

    Returns
    -------
    ReplayResult
    """
    if reroute not in REROUTE_MODES:
        raise InvalidParameterError(f"reroute must be one of {REROUTE_MODES}, got {reroute!r}")
    xv = check_allocation(instance, x)
    scen = instance.scenarios if scenarios is None else scenarios
    if scen.n_tunnels != instance.n_tunnels:
        raise InvalidParameterError(
            f"scenario set is for {scen.n_tunnels} tunnels, the instance has {instance.n_tunnels}"
        )
    tun, topo = instance.tunnels, instance.topology
    d = instance.demand
    d_t = instance.tunnel_demand
    member = sp.csr_matrix(
        (np.ones(tun.n_tunnels), (np.arange(tun.n_tunnels), tun.flow)), shape=(tun.n_tunnels, tun.n_flows)
    )
    inc = instance.incidence
    cap = topo.capacity
    nq = scen.n_scenarios
    loss = np.zeros((tun.n_flows, nq))
    delivered = np.zeros(nq)
    util = np.zeros((topo.n_links, nq))
    step = max(1, chunk_cells // max(1, tun.n_tunnels))
    for q0 in range(0, nq, step):
        y = scen.survival[q0 : q0 + step].astype(np.float64)  # (c, T)
        xy = y * xv
        sat = np.asarray(xy @ member)  # (c, F)
        if reroute == "none":
            frac = np.minimum(sat, 1.0)
            share = xy / np.maximum(sat, 1.0)[:, tun.flow]  # fraction of d_f on each tunnel
            traffic = share * d_t
            load = np.asarray(inc @ traffic.T)  # (E, c)
            got = frac * d
        else:
            alive = np.asarray(y @ member)  # surviving tunnels per flow
            fallback = (sat <= 0) & (alive > 0)
            weight = np.where(fallback[:, tun.flow], y, xy)
            norm = np.asarray(weight @ member)
            share = np.divide(
                weight, norm[:, tun.flow], out=np.zeros_like(weight), where=norm[:, tun.flow] > 0
            )
            traffic = share * d_t
            load = np.asarray(inc @ traffic.T)  # (E, c)
            over = np.maximum(load / cap[:, None], 1.0)  # (E, c)
            worst = (
                np.maximum.reduceat(over[tun.edge_ids], tun.offsets[:-1], axis=0)
                if tun.n_tunnels
                else over[:0]
            )
            carried = traffic / worst.T
            got = np.asarray(carried @ member)
        with np.errstate(divide="ignore", invalid="ignore"):
            fl = np.where(d > 0, 1.0 - got / np.where(d > 0, d, 1.0), 0.0)
        loss[:, q0 : q0 + step] = np.clip(fl, 0.0, 1.0).T
        delivered[q0 : q0 + step] = got.sum(axis=1)
        util[:, q0 : q0 + step] = load / cap[:, None]
    reserved = instance.link_load(xv) / cap
    return ReplayResult(
        flow_loss=loss,
        prob=scen.prob.copy(),
        weights=loss_weights(instance, weighting),
        delivered=delivered,
        total_demand=instance.total_demand,
        link_utilisation=util,
        reserved_utilisation=reserved,
        reroute=reroute,
    )
