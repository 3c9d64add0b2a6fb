"""Differentiable Sort-and-Select objectives in torch (same conventions as :mod:`kplane.te._objectives`).

Rank weights depend only on probabilities and on the sort order, so they carry no gradient; the
gradient of an objective flows into the sorted values (the usual subgradient of a sorted sum). Losses
``ℓ = relu(1 − Σ_t x y)`` are differentiable almost everywhere in the split ratios ``x``.

Shapes: ``x`` is ``(..., n_tunnels)`` (any leading batch dimensions), ``survival`` is
``(n_scenarios, n_tunnels)``, flow losses are ``(..., n_flows, n_scenarios)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te._objectives import Mask, Objective, loss_weights

__all__ = ["TorchObjective", "flow_losses_torch", "sort_select_torch"]


def _torch() -> Any:
    import torch

    return torch


def sort_select_torch(values: Any, prob: Any, mask: Mask) -> Any:
    """Differentiable Sort-and-Select over the last axis of ``values`` (descending sort).

    Parameters
    ----------
    values : Tensor of shape (..., n_scenarios)
    prob : Tensor of shape (n_scenarios,) or broadcastable to ``values``
    mask : Mask

    Returns
    -------
    Tensor of shape (...)
    """
    torch = _torch()
    if isinstance(prob, np.ndarray):
        prob = np.array(prob)  # a writable copy (kplane arrays are read-only)
    p = torch.as_tensor(prob, dtype=values.dtype, device=values.device).expand_as(values)
    sv, order = torch.sort(values, dim=-1, descending=True, stable=True)
    with torch.no_grad():
        sp = torch.gather(p, -1, order)
        cum = torch.cumsum(sp, dim=-1)
        prev = cum - sp
        rank = torch.arange(values.shape[-1], device=values.device).expand_as(values)
        w = mask.weights(torch, sp, cum, prev, rank, order).to(values.dtype)
    return (w * sv).sum(dim=-1)


def flow_losses_torch(x: Any, survival: Any, tunnel_flow: Any, n_flows: int) -> Any:
    """``ℓ[..., f, q] = relu(1 − Σ_{t ∈ f} x[..., t] y[q, t])``.

    Parameters
    ----------
    x : Tensor of shape (..., n_tunnels)
    survival : Tensor of shape (n_scenarios, n_tunnels)
        0/1 (float or bool).
    tunnel_flow : LongTensor of shape (n_tunnels,)
    n_flows : int

    Returns
    -------
    Tensor of shape (..., n_flows, n_scenarios)
    """
    torch = _torch()
    y = survival.to(x.dtype)
    contrib = x.unsqueeze(-2) * y  # (..., Q, T)
    out = torch.zeros(*contrib.shape[:-1], n_flows, dtype=x.dtype, device=x.device)
    out = out.index_add(-1, tunnel_flow, contrib)  # (..., Q, F)
    return torch.relu(1.0 - out).transpose(-1, -2)


class TorchObjective:
    """An :class:`Objective` bound to an instance, evaluated differentiably in torch.

    Parameters
    ----------
    objective : Objective
    instance : TEInstance
    device, dtype :
        Where the constant tensors (survival, probabilities, weights) live.

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> risk = TorchObjective(make_objective("teavar", beta=0.9), instance)  # doctest: +SKIP
    >>> x = torch.zeros(instance.n_tunnels, requires_grad=True); risk(x).backward()  # doctest: +SKIP
    """

    def __init__(
        self, objective: Objective, instance: TEInstance, *, device: Any = None, dtype: Any = None
    ) -> None:
        torch = _torch()
        self.objective = objective
        dtype = dtype or torch.float64
        self.survival = torch.as_tensor(np.array(instance.scenarios.survival), device=device).to(dtype)
        self.prob = torch.as_tensor(np.array(instance.scenarios.prob), dtype=dtype, device=device)
        self.weights = torch.as_tensor(
            loss_weights(instance, objective.weighting), dtype=dtype, device=device
        )
        self.tunnel_flow = torch.as_tensor(np.array(instance.tunnels.flow), dtype=torch.long, device=device)
        self.n_flows = instance.n_flows
        self.active = self.weights > 0

    def flow_losses(self, x: Any) -> Any:
        """(..., n_flows, n_scenarios) flow losses of ``x`` (zero for flows without demand)."""
        lo = flow_losses_torch(x, self.survival, self.tunnel_flow, self.n_flows)
        return lo * self.active.unsqueeze(-1).to(lo.dtype)

    def from_losses(self, losses: Any) -> Any:
        """Objective value (shape ``(...)``) from flow losses ``(..., n_flows, n_scenarios)``."""
        obj = self.objective
        torch = _torch()
        if obj.level == "scenario":
            if obj.form == "mean":
                scen = torch.einsum("f,...fq->...q", self.weights, losses)
            else:
                scen = losses[..., self.active, :].max(dim=-2).values
            return sort_select_torch(scen, self.prob, obj.mask)
        per_flow = sort_select_torch(losses[..., self.active, :], self.prob, obj.mask)
        if obj.flow_aggregate == "max":
            return per_flow.max(dim=-1).values
        w = self.weights[self.active]
        return (per_flow * w).sum(dim=-1) / w.sum()

    def __call__(self, x: Any) -> Any:
        """Objective value of split ratios ``x`` (shape ``(..., n_tunnels)``) → shape ``(...)``."""
        if x.shape[-1] != self.survival.shape[1]:
            raise InvalidParameterError(
                f"x must end in n_tunnels = {self.survival.shape[1]}, got {tuple(x.shape)}"
            )
        return self.from_losses(self.flow_losses(x))
