r"""Losses, Sort-and-Select risk weights and the differentiable terminal objective.

Losses follow :mod:`kplane.te._objectives`: ``ℓ[f, q] = max(0, 1 − Σ_{t∈f} x_t y[q, t])`` and the
scenario loss ``L_q = Σ_f w_f ℓ[f, q]`` (mean form) or ``max_f ℓ[f, q]`` (max form).

**Risk weights.** A Sort-and-Select objective is ``Σ_i ω_i v_{(i)}`` over values sorted in descending
order with rank weights ``ω`` (probability mass times the mask). Mapping each rank weight back to the
scenario that holds the rank gives the scenario's *risk weight* ``w_q`` — the sensitivity of the
objective to ``v_q`` — with which NeuroRisk aggregates per-scenario updates:

- scenario-level objectives (expected, CVaR/TeaVaR, FFC, nominal): ``w_q`` from the scenario losses
  ``L``; e.g. ``p_q / (1 − β)`` on the tail for CVaR, ``p_q`` for the expectation, 1 on the worst
  scenario for FFC;
- flow-level objectives (quantile/PreTE): ``w_{f,q}`` from each flow's own losses ``ℓ[f, ·]`` (1 on
  the scenario at the flow's β-quantile), used for every tunnel of flow ``f``.

The weights are computed without gradient (they depend on the ranking only).
"""

from __future__ import annotations

import torch

from kplane.te._objectives import Mask, Objective
from kplane.te._objectives_torch import TorchObjective
from kplane.te.neural._graph import InstanceGraph

__all__ = ["TerminalObjective", "flow_losses", "rank_weights", "risk_weights", "scenario_losses"]


def flow_losses(graph: InstanceGraph, x: torch.Tensor) -> torch.Tensor:
    """(F, Q) losses ``relu(1 − Σ_{t∈f} x_t y[q, t])`` of the active flows for split ratios ``x`` (T,)."""
    padded = torch.cat([x, x.new_zeros(1)])[graph.flow_tunnels]  # (F, K)
    surv = graph.flow_survival  # (F, K, Q)
    served = surv[:, 0] * padded[:, :1]  # (F, Q): one multiply-add per tunnel rank
    for k in range(1, surv.shape[1]):
        served.addcmul_(surv[:, k], padded[:, k : k + 1])
    return torch.relu(1.0 - served)


def scenario_losses(graph: InstanceGraph, losses: torch.Tensor, form: str = "mean") -> torch.Tensor:
    """(Q,) scenario losses from flow losses (F, Q): weighted mean (``"mean"``) or max (``"max"``)."""
    if form == "max":
        return losses.max(dim=0).values
    return graph.flow_weight @ losses


def rank_weights(values: torch.Tensor, prob: torch.Tensor, mask: Mask) -> torch.Tensor:
    """Sort-and-Select rank weights of ``values`` (..., Q) mapped back to scenario order (..., Q)."""
    with torch.no_grad():
        p = prob.to(values.dtype).expand_as(values)
        order = torch.sort(values, dim=-1, descending=True, stable=True).indices
        sp = torch.gather(p, -1, order)
        cum = torch.cumsum(sp, dim=-1)
        prev = cum - sp
        rank = torch.arange(values.shape[-1], device=values.device).expand_as(values)
        w = (
            torch.as_tensor(mask.weights(torch, sp, cum, prev, rank, order))
            .to(values.dtype)
            .expand_as(values)
        )
        return torch.zeros_like(values).scatter(-1, order, w)


def risk_weights(
    objective: Objective, graph: InstanceGraph, losses: torch.Tensor, scen_losses: torch.Tensor
) -> torch.Tensor:
    """Risk weights: (1, Q) for scenario-level objectives, (T, Q) per tunnel for flow-level ones."""
    if objective.level == "scenario":
        return rank_weights(scen_losses, graph.prob, objective.mask).unsqueeze(0)
    per_flow = rank_weights(losses, graph.prob, objective.mask)
    return per_flow[graph.tunnel_flow]


class TerminalObjective:
    """The differentiable objective of an allocation on a compiled instance.

    Wraps :class:`kplane.te._objectives_torch.TorchObjective` (the same Sort-and-Select semantics as
    the numpy objectives and the exact solvers) over the active flows of ``graph``.

    Parameters
    ----------
    objective : Objective
    graph : InstanceGraph
    """

    def __init__(self, objective: Objective, graph: InstanceGraph) -> None:
        self.objective = objective
        self.graph = graph
        self._torch = TorchObjective(objective, graph.instance, dtype=graph.dtype)

    def from_losses(self, losses: torch.Tensor) -> torch.Tensor:
        """Objective value (0-dim) from active-flow losses (F, Q)."""
        return self._torch.from_losses(self.graph.full_losses(losses))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Objective value (0-dim) of active-tunnel split ratios ``x`` (T,)."""
        return self.from_losses(flow_losses(self.graph, x))

    def __repr__(self) -> str:
        return f"TerminalObjective({self.objective.describe()}, {self.graph.instance.name!r})"
