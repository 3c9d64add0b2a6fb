"""A TE instance compiled to the flat tensors NeuroRisk works on.

NeuroRisk only ever touches the flows that carry demand and their tunnels ("active"); the compiled
graph renumbers them ``0..n-1`` and :meth:`InstanceGraph.expand` maps an allocation back to every
tunnel of the instance (inactive tunnels get split ratio 0).

The central index set is the list of *(edge, tunnel) pairs* ``p`` — one per hop of every active
tunnel, grouped by tunnel in hop order. Reservation latents ``θ_p`` and shares ``r_p`` live on pairs.

Shapes (``P`` pairs, ``T`` active tunnels, ``F`` active flows, ``E`` links, ``Q`` scenarios,
``H`` most hops of a tunnel, ``K`` most tunnels of a flow):

- ``pair_edge``, ``pair_tunnel``, ``pair_flow`` : (P,) long
- ``tunnel_pairs`` : (T, H) long, padded with ``P`` (a slot holding +inf)
- ``flow_tunnels`` : (F, K) long, padded with ``T`` (a slot holding 0)
- ``survival`` : (Q, T) 0/1; ``flow_survival`` : (F, K, Q) 0/1 (0 on padding)
- ``cap`` : (E,) [bit/s]; ``pair_cap`` : (P,) capacity of each pair's edge [bit/s]; ``demand`` : (T,)
  demand of each tunnel's flow [bit/s]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.te._instance import TEInstance
from kplane.te._objectives import Objective, loss_weights

__all__ = ["InstanceGraph", "compile_instance", "check_finite_instance"]


def check_finite_instance(instance: TEInstance) -> None:
    """Reject NaN/inf in the numbers NeuroRisk reads (capacities, demands, probabilities).

    ``TEInstance`` validates its inputs on construction; this guards instances whose arrays were
    altered afterwards and makes the error name the field.

    Raises
    ------
    InvalidScenarioError
        Naming the field, the index and the value.
    """
    checks = (
        ("link capacity", instance.topology.capacity, True),
        ("demand", instance.demand, False),
        ("scenario probability", instance.scenarios.prob, False),
    )
    for name, arr, positive in checks:
        a = np.asarray(arr, dtype=np.float64)
        bad = ~np.isfinite(a) | ((a <= 0) if positive else (a < 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            need = "> 0" if positive else ">= 0"
            raise InvalidScenarioError(f"{name} {i} must be finite and {need}, got {a[i]!r}")


@dataclass(eq=False)
class InstanceGraph:
    """Flat tensors of one instance (see the module docstring for the shapes)."""

    instance: TEInstance
    tunnel_ids: NDArray[np.int64]
    flow_ids: NDArray[np.int64]
    pair_edge: torch.Tensor
    pair_tunnel: torch.Tensor
    pair_flow: torch.Tensor
    tunnel_pairs: torch.Tensor
    flow_tunnels: torch.Tensor
    tunnel_flow: torch.Tensor
    cap: torch.Tensor
    pair_cap: torch.Tensor
    demand: torch.Tensor
    survival: torch.Tensor
    flow_survival: torch.Tensor
    prob: torch.Tensor
    flow_weight: torch.Tensor
    cap_norm: torch.Tensor
    demand_norm: torch.Tensor
    tunnel_fail_prob: torch.Tensor
    dtype: torch.dtype

    @property
    def n_pairs(self) -> int:
        """Number of (edge, tunnel) pairs."""
        return int(self.pair_edge.shape[0])

    @property
    def n_tunnels(self) -> int:
        """Number of active tunnels."""
        return int(self.tunnel_flow.shape[0])

    @property
    def n_flows(self) -> int:
        """Number of active flows."""
        return int(self.flow_tunnels.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of links of the topology."""
        return int(self.cap.shape[0])

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return int(self.prob.shape[0])

    def expand(self, x: NDArray[np.float64] | torch.Tensor) -> NDArray[np.float64]:
        """(n_tunnels of the instance,) split ratios from active-tunnel ratios (0 elsewhere)."""
        xa = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, np.float64)
        out = np.zeros(self.instance.n_tunnels, dtype=np.float64)
        out[self.tunnel_ids] = xa
        return out

    def full_losses(self, losses: torch.Tensor) -> torch.Tensor:
        """(n_flows of the instance, Q) flow losses from active-flow losses (0 for the others)."""
        out = losses.new_zeros((self.instance.n_flows, losses.shape[-1]))
        return out.index_copy(0, torch.as_tensor(self.flow_ids), losses)

    def nbytes_per_scenario(self, hidden: int) -> int:
        """Bytes of the largest per-scenario intermediate (pairs × hidden units)."""
        return self.n_pairs * hidden * torch.finfo(self.dtype).bits // 8


def compile_instance(
    instance: TEInstance, *, objective: Objective | None = None, dtype: torch.dtype = torch.float32
) -> InstanceGraph:
    """Compile ``instance`` to an :class:`InstanceGraph`.

    Parameters
    ----------
    instance : TEInstance
    objective : Objective, optional
        Fixes the flow weights ``w_f`` (flow or demand weighting); default equal weights.
    dtype : torch.dtype
        Floating type of the tensors (float32 for speed, float64 for exact replays).

    Raises
    ------
    InvalidScenarioError
        NaN or inf in capacities, demands or probabilities; no flow with demand.
    """
    check_finite_instance(instance)
    if not instance.active.any():
        raise InvalidScenarioError("every demand is zero: there is nothing to allocate")
    tun = instance.tunnels
    act_flow = instance.active
    flow_ids = np.flatnonzero(act_flow).astype(np.int64)
    tunnel_ids = np.flatnonzero(act_flow[tun.flow]).astype(np.int64)
    n_t = tunnel_ids.size
    # renumber flows
    flow_new = np.full(tun.n_flows, -1, dtype=np.int64)
    flow_new[flow_ids] = np.arange(flow_ids.size)
    t_flow = flow_new[tun.flow[tunnel_ids]]
    hops = tun.hops[tunnel_ids]
    starts = tun.offsets[tunnel_ids]
    n_p = int(hops.sum())
    pair_tunnel = np.repeat(np.arange(n_t), hops)
    p_off = np.concatenate([[0], np.cumsum(hops)])
    hop_pos = np.arange(n_p) - p_off[pair_tunnel]
    pair_edge = tun.edge_ids[starts[pair_tunnel] + hop_pos]
    hmax = int(hops.max())
    tunnel_pairs = np.full((n_t, hmax), n_p, dtype=np.int64)
    tunnel_pairs[pair_tunnel, hop_pos] = np.arange(n_p)
    # tunnels per flow (tunnels are grouped by flow, so ranks are consecutive)
    counts = np.bincount(t_flow, minlength=flow_ids.size)
    kmax = int(counts.max())
    f_off = np.concatenate([[0], np.cumsum(counts)])
    rank = np.arange(n_t) - f_off[t_flow]
    flow_tunnels = np.full((flow_ids.size, kmax), n_t, dtype=np.int64)
    flow_tunnels[t_flow, rank] = np.arange(n_t)

    surv = np.asarray(instance.scenarios.survival, dtype=bool)[:, tunnel_ids]
    surv_pad = np.concatenate([surv, np.zeros((surv.shape[0], 1), dtype=bool)], axis=1)
    surv_flow = np.ascontiguousarray(surv_pad.T[flow_tunnels])  # (F, K, Q)
    cap = np.asarray(instance.topology.capacity, dtype=np.float64)
    dem_f = instance.demand[flow_ids]
    dem_t = dem_f[t_flow]
    weighting = "flow" if objective is None else objective.weighting
    w_f = loss_weights(instance, weighting)[flow_ids]
    used = np.unique(pair_edge)
    cap_ref = float(cap[used].mean())
    dem_ref = float(dem_f.mean())
    # per-tunnel failure probability implied by the scenario set (the collapsed FauTE view)
    fail = 1.0 - (instance.scenarios.prob @ surv)
    td = torch.tensor

    def f(a: Any) -> torch.Tensor:
        return td(np.asarray(a, dtype=np.float64), dtype=dtype)

    def i(a: Any) -> torch.Tensor:
        return td(np.asarray(a, dtype=np.int64), dtype=torch.long)

    return InstanceGraph(
        instance=instance,
        tunnel_ids=tunnel_ids,
        flow_ids=flow_ids,
        pair_edge=i(pair_edge),
        pair_tunnel=i(pair_tunnel),
        pair_flow=i(t_flow[pair_tunnel]),
        tunnel_pairs=i(tunnel_pairs),
        flow_tunnels=i(flow_tunnels),
        tunnel_flow=i(t_flow),
        cap=f(cap),
        pair_cap=f(cap[pair_edge]),
        demand=f(dem_t),
        survival=f(surv),
        flow_survival=f(surv_flow),
        prob=f(instance.scenarios.prob),
        flow_weight=f(w_f),
        cap_norm=f(cap[pair_edge] / cap_ref),
        demand_norm=f(dem_t[pair_tunnel] / dem_ref),
        tunnel_fail_prob=f(np.clip(fail, 0.0, 1.0)),
        dtype=dtype,
    )


def to_dtype(graph: InstanceGraph, dtype: torch.dtype) -> InstanceGraph:
    """The same graph with floating tensors cast to ``dtype``."""
    if dtype == graph.dtype:
        return graph
    if not dtype.is_floating_point:
        raise InvalidParameterError(f"dtype must be a floating type, got {dtype}")
    fields = {k: getattr(graph, k) for k in graph.__dataclass_fields__}
    for k, v in fields.items():
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            fields[k] = v.to(dtype)
    fields["dtype"] = dtype
    return InstanceGraph(**fields)
