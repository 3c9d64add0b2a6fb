r"""The physics engine: per-(edge, tunnel, scenario) features of the current allocation (Table 1).

For pair ``p = (e, t)`` of flow ``f`` and scenario ``q`` the eight features are

========  ==================  =====================================================================
group     feature             value
========  ==================  =====================================================================
risk      survival            ``y[q, t]`` (1 if the tunnel survives ``q``)
risk      flow loss           ``ℓ[f, q]``
risk      scenario loss       ``L_q``
physics   split ratio         ``min(x_t, X_CAP)`` with ``x_t = b_t / d_f``
physics   bottleneck margin   ``(r_{e,t} c_e − b_t) / (r_{e,t} c_e)`` (0 on the bottleneck edge)
physics   capacity            ``c_e / c̄`` (``c̄`` = mean capacity of the links tunnels use)
physics   demand              ``d_f / d̄`` (``d̄`` = mean demand of the flows with demand)
saturation share              ``r_{e,t}``
========  ==================  =====================================================================

Only the risk features depend on the scenario. The engine therefore keeps them apart — risk parts
``(U, Q)`` (or ``(1, Q)`` when shared by all units) and static parts ``(U, S)`` — and
:meth:`Features.dense` assembles the full ``(U, Q, R + S)`` tensor in scenario chunks when asked.
The update policy consumes the factored form directly (:meth:`UpdatePolicy.aggregate`).

The scaling ablations (GS, LS) have one unit per tunnel and five features: the three risk features,
the split ratio and the scaling factor ``1/s_t`` applied to the tunnel. The scenario-collapsing
baseline (FauTE-like) sees the healthy scenario only, plus each tunnel's failure probability.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import torch

from kplane.errors import InvalidParameterError
from kplane.te._objectives import Objective
from kplane.te.neural._decision import Decision
from kplane.te.neural._graph import InstanceGraph
from kplane.te.neural._risk import flow_losses, risk_weights, scenario_losses

__all__ = [
    "FEATURE_NAMES",
    "SCALING_FEATURE_NAMES",
    "X_CAP",
    "Features",
    "perceive",
    "scenario_chunks",
]

FEATURE_NAMES = (
    "survival",
    "flow_loss",
    "scenario_loss",
    "split_ratio",
    "bottleneck_margin",
    "capacity",
    "demand",
    "share",
)
"""The eight reservation features in Table 1 order (risk, physics, saturation)."""

SCALING_FEATURE_NAMES = ("survival", "flow_loss", "scenario_loss", "split_ratio", "scale")
"""The five features of the scaling ablations (GS, LS)."""

COLLAPSED_FEATURE_NAMES = (
    "survival",
    "flow_loss",
    "scenario_loss",
    "split_ratio",
    "scale",
    "tunnel_failure_prob",
)
"""The features of the scenario-collapsing baseline (healthy scenario only)."""

X_CAP = 2.0
"""Split-ratio feature cap: ratios beyond 2 (over-reserved twice) carry no extra signal."""


def scenario_chunks(n: int, chunk: int | None) -> Iterator[slice]:
    """Slices ``0..n`` in chunks of ``chunk`` (one slice when ``chunk`` is None or >= n)."""
    if chunk is None or chunk >= n:
        yield slice(0, n)
        return
    if chunk < 1:
        raise InvalidParameterError(f"scenario chunk size must be >= 1, got {chunk}")
    for a in range(0, n, chunk):
        yield slice(a, min(a + chunk, n))


def _rows(source: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
    return source if rows is None else source[rows]


@dataclass
class Features:
    """Factored physics features of one Perceive step.

    The risk features and the risk weights are kept as small sources and row indices: risk
    feature ``i`` of unit ``u`` is ``risk_source[i][risk_rows[i][u]]`` (a flow's losses, a
    tunnel's survival), so that a (U, Q) array is built only when :attr:`risk` or :attr:`weights`
    is read — the compiled aggregation (:mod:`._fused`) reads the sources directly.

    Attributes
    ----------
    risk_source : tuple of Tensor
        Each of shape (R_i, Q): per tunnel, per flow, or (1, Q) when shared by all units.
    static : Tensor of shape (U, S)
        Scenario-independent features.
    weight_source : Tensor of shape (R_w, Q)
        Risk weights (per tunnel, per unit, or (1, Q) when shared).
    unit_tunnel : Tensor of shape (U,)
        Tunnel of each unit (pairs for reservation spaces, tunnels for scaling spaces).
    losses : Tensor of shape (F, Q)
        Flow losses of the allocation.
    scen_losses : Tensor of shape (Q,)
        Scenario losses.
    risk_rows : tuple of (Tensor of shape (U,) or None), optional
        Row of each unit in each risk source; None: the source is used as it is.
    weight_rows : Tensor of shape (U,), optional
        Row of each unit in ``weight_source``; None: used as it is.
    """

    risk_source: tuple[torch.Tensor, ...]
    static: torch.Tensor
    weight_source: torch.Tensor
    unit_tunnel: torch.Tensor
    losses: torch.Tensor
    scen_losses: torch.Tensor
    risk_rows: tuple[torch.Tensor | None, ...] | None = None
    weight_rows: torch.Tensor | None = None

    @cached_property
    def risk(self) -> tuple[torch.Tensor, ...]:
        """Risk features, each of shape (U, Q) or (1, Q)."""
        rows = self.risk_rows or (None,) * len(self.risk_source)
        return tuple(_rows(src, r) for src, r in zip(self.risk_source, rows, strict=True))

    @cached_property
    def weights(self) -> torch.Tensor:
        """Risk weights of each unit and scenario, (U, Q) or (1, Q)."""
        return _rows(self.weight_source, self.weight_rows)

    @property
    def n_units(self) -> int:
        return int(self.static.shape[0])

    @property
    def n_scenarios(self) -> int:
        return int(self.weight_source.shape[1])

    @property
    def n_features(self) -> int:
        return len(self.risk_source) + int(self.static.shape[1])

    def weight_sums(self) -> torch.Tensor:
        """``Σ_q w_{u,q}`` of every unit, (U,)."""
        return _rows(self.weight_source.sum(dim=1), self.weight_rows).expand(self.n_units)

    def to(self, dtype: torch.dtype) -> Features:
        """The features cast to ``dtype`` (self when already of that type)."""
        if self.static.dtype == dtype:
            return self
        return replace(
            self,
            risk_source=tuple(r.to(dtype) for r in self.risk_source),
            static=self.static.to(dtype),
            weight_source=self.weight_source.to(dtype),
        )

    def select_scenarios(self, cols: torch.Tensor) -> Features:
        """The features restricted to scenarios ``cols`` (losses kept whole)."""
        return replace(
            self,
            risk_source=tuple(r.index_select(1, cols) for r in self.risk_source),
            weight_source=self.weight_source.index_select(1, cols),
        )

    def dense(self, chunk: int | None = None) -> torch.Tensor:
        """(U, Q, R + S) features, assembled scenario chunk by scenario chunk."""
        u, q = self.n_units, self.n_scenarios
        parts = []
        for sl in scenario_chunks(q, chunk):
            n = sl.stop - sl.start
            cols = [r[:, sl].expand(u, n).unsqueeze(-1) for r in self.risk]
            cols.append(self.static.unsqueeze(1).expand(u, n, self.static.shape[1]))
            parts.append(torch.cat(cols, dim=-1))
        return torch.cat(parts, dim=1)


def perceive(
    graph: InstanceGraph,
    decision: Decision,
    objective: Objective,
    method: str,
    *,
    survival: torch.Tensor | None = None,
    survival_units: torch.Tensor | None = None,
) -> Features:
    """Compute the features of ``decision`` (the Perceive step).

    Parameters
    ----------
    graph : InstanceGraph
    decision : Decision
    objective : Objective
        Fixes the scenario-loss form and the risk weights.
    method : {"gr", "br", "gs", "ls", "collapsed"}
    survival : Tensor of shape (T, Q), optional
        ``graph.survival.T`` made contiguous once (it does not change between steps).
    survival_units : Tensor of shape (U, Q), optional
        ``y`` of every unit, gathered once (training reads the (U, Q) risk features every step).
    """
    x = decision.x
    losses = flow_losses(graph, x)
    form = objective.form if objective.level == "scenario" else "mean"
    scen = scenario_losses(graph, losses, form)
    weights = risk_weights(objective, graph, losses, scen)
    xf = x.clamp(max=X_CAP)
    if method in ("gr", "br", "gr9"):
        unit_tunnel = graph.pair_tunnel
        assert decision.reserved is not None and decision.share is not None
        b = decision.bandwidth[unit_tunnel]
        margin = (decision.reserved - b) / decision.reserved.clamp(min=torch.finfo(x.dtype).tiny)
        cols = [xf[unit_tunnel], margin, graph.cap_norm, graph.demand_norm, decision.share]
        if method == "gr9":
            used = torch.zeros(graph.n_edges, dtype=x.dtype).index_add(
                0, graph.pair_edge, decision.bandwidth.clamp(max=graph.demand)[unit_tunnel]
            )
            cols.append((1.0 - used / graph.cap)[graph.pair_edge])
        static = torch.stack(cols, 0).T  # (U, S) view of a feature-major array: stacking is cheaper
    elif method in ("gs", "ls", "collapsed"):
        unit_tunnel = torch.arange(graph.n_tunnels)
        assert decision.scale is not None
        cols = [xf, decision.scale]
        if method == "collapsed":
            cols.append(graph.tunnel_fail_prob)
        static = torch.stack(cols, 1)
    else:
        raise InvalidParameterError(f"unknown feature set {method!r}")
    unit_flow = graph.pair_flow if method in ("gr", "br", "gr9") else graph.tunnel_flow
    if method == "collapsed":
        risk = (torch.ones(1, 1, dtype=x.dtype), losses[:, :1], scen[:1].unsqueeze(0))
        return Features(risk, static, torch.ones(1, 1, dtype=x.dtype), unit_tunnel, losses, scen,
                        risk_rows=(None, unit_flow, None))
    per_tunnel = None if method in ("gs", "ls") else unit_tunnel  # units are pairs, or tunnels
    w_rows = per_tunnel if weights.shape[0] != 1 else None
    y, y_rows = (graph.survival.T if survival is None else survival), per_tunnel
    if survival_units is not None:
        y, y_rows = survival_units, None
    return Features((y, losses, scen.unsqueeze(0)), static, weights, unit_tunnel, losses, scen,
                    risk_rows=(y_rows, unit_flow, None), weight_rows=w_rows)
