r"""Decision spaces: from latent variables to capacity-feasible split ratios.

**Gated reservation (GR, eq. 10–12).** Latents ``θ_p`` per (edge, tunnel) pair and a gate ``g_t``
per tunnel. Each edge shares its capacity among the tunnels that use it by a softmax:

.. math::

    r_{e,t} = \frac{\exp(θ_{e,t} + g_t)}{\sum_{t' \in T(e)} \exp(θ_{e,t'} + g_{t'})},\qquad
    b_t = \min_{e \in t} r_{e,t} c_e,\qquad x_{f,t} = b_t / d_f .

Since ``Σ_{t∈T(e)} r_{e,t} = 1`` and ``b_t <= r_{e,t} c_e`` on every edge of ``t``, the reserved load
``Σ_{t∈T(e)} x_t d_t <= c_e``: feasible by construction, for any latents.

**Plain reservation (BR, eq. 10–11)**: the same without the gate (``g ≡ 0``).

**Global scaling (GS)** and **local scaling (LS)**: a latent ``z_t`` per tunnel gives a raw split
``x̃_t = e^{z_t} / k_f`` (``k_f`` tunnels of the flow; ``z = 0`` splits evenly); the raw link loads
``ℓ̃_e = Σ_{t∈T(e)} x̃_t d_t`` are made feasible by dividing every split by the worst overload
``s = max(1, max_e ℓ̃_e / c_e)`` (GS) or each tunnel by the worst overload along it
``s_t = max(1, max_{e∈t} ℓ̃_e / c_e)`` (LS, feasible since ``Σ_t x̃_t d_t / s_t <= ℓ̃_e / (ℓ̃_e / c_e)``).

Split ratios above 1 change no loss (a tunnel that survives with ``x_t >= 1`` already serves the
whole flow), so :func:`clip_allocation` caps them at 1, which only frees capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from kplane.errors import InvalidParameterError
from kplane.te.neural._graph import InstanceGraph

__all__ = [
    "DECISION_SPACES",
    "Decision",
    "clip_allocation",
    "edge_softmax",
    "gated_reservation",
    "raw_split",
    "scaled_split",
    "tighten_reservation",
]

DECISION_SPACES = ("gr", "br", "gs", "ls")
"""Gated reservation, plain (bandwidth) reservation, global scaling, local scaling."""

Z_CLAMP = 30.0
"""Scaling latents are clamped to ``[-30, 30]`` before ``exp`` (no overflow)."""


@dataclass
class Decision:
    """The allocation produced by a decision space, with what the physics engine reads.

    Attributes
    ----------
    x : Tensor of shape (T,)
        Split ratios of the active tunnels (unclipped; see :func:`clip_allocation`).
    share : Tensor of shape (P,) or None
        Reservation share ``r_p`` (reservation spaces).
    reserved : Tensor of shape (P,) or None
        Reserved bandwidth ``r_p c_e`` [bit/s] (reservation spaces).
    bandwidth : Tensor of shape (T,)
        Tunnel bandwidth ``b_t = x_t d_t`` [bit/s].
    scale : Tensor of shape (T,) or None
        Factor ``1 / s_t`` applied to each tunnel (scaling spaces).
    """

    x: torch.Tensor
    bandwidth: torch.Tensor
    share: torch.Tensor | None = None
    reserved: torch.Tensor | None = None
    scale: torch.Tensor | None = None


def edge_softmax(logits: torch.Tensor, pair_edge: torch.Tensor, n_edges: int) -> torch.Tensor:
    """Softmax of ``logits`` (P,) within each edge's group of pairs → shares (P,) summing to 1 per edge."""
    with torch.no_grad():
        peak = torch.full((n_edges,), -torch.inf, dtype=logits.dtype, device=logits.device)
        peak.scatter_reduce_(0, pair_edge, logits, reduce="amax", include_self=True)
    e = torch.exp(logits - peak[pair_edge])
    den = torch.zeros(n_edges, dtype=logits.dtype, device=logits.device).index_add(0, pair_edge, e)
    return e / den[pair_edge]


def gated_reservation(graph: InstanceGraph, theta: torch.Tensor, gate: torch.Tensor | None) -> Decision:
    """Gated (``gate`` given) or plain (``gate=None``) reservation → :class:`Decision`.

    Parameters
    ----------
    graph : InstanceGraph
    theta : Tensor of shape (P,)
        Contention logits per (edge, tunnel) pair.
    gate : Tensor of shape (T,) or None
        Tunnel gates.
    """
    logits = theta if gate is None else theta + gate[graph.pair_tunnel]
    share = edge_softmax(logits, graph.pair_edge, graph.n_edges)
    reserved = share * graph.pair_cap
    padded = torch.cat([reserved, reserved.new_full((1,), torch.inf)])
    bandwidth = padded[graph.tunnel_pairs].min(dim=1).values
    return Decision(x=bandwidth / graph.demand, bandwidth=bandwidth, share=share, reserved=reserved)


def raw_split(graph: InstanceGraph, z: torch.Tensor) -> torch.Tensor:
    """``x̃_t = exp(z_t) / k_f`` (T,)."""
    k = (graph.flow_tunnels < graph.n_tunnels).sum(dim=1).to(z.dtype)
    return torch.exp(z.clamp(-Z_CLAMP, Z_CLAMP)) / k[graph.tunnel_flow]


def scaled_split(graph: InstanceGraph, z: torch.Tensor, *, local: bool) -> Decision:
    """Global (``local=False``) or local scaling of the raw split of latents ``z`` (T,)."""
    xr = raw_split(graph, z)
    bw = xr * graph.demand
    load = torch.zeros(graph.n_edges, dtype=z.dtype, device=z.device).index_add(
        0, graph.pair_edge, bw[graph.pair_tunnel]
    )
    over = load / graph.cap
    if local:
        padded = torch.cat([over[graph.pair_edge], over.new_zeros(1)])
        s = padded[graph.tunnel_pairs].max(dim=1).values.clamp(min=1.0)
    else:
        s = over.max().clamp(min=1.0).expand(graph.n_tunnels)
    x = xr / s
    return Decision(x=x, bandwidth=x * graph.demand, scale=1.0 / s)


def decide(graph: InstanceGraph, method: str, state: dict[str, torch.Tensor]) -> Decision:
    """The decision of ``method`` (one of :data:`DECISION_SPACES`) for latent ``state``."""
    if method == "gr":
        return gated_reservation(graph, state["theta"], state["gate"])
    if method == "br":
        return gated_reservation(graph, state["theta"], None)
    if method in ("gs", "ls"):
        return scaled_split(graph, state["z"], local=method == "ls")
    raise InvalidParameterError(f"decision space must be one of {DECISION_SPACES}, got {method!r}")


def initial_state(graph: InstanceGraph, method: str) -> dict[str, torch.Tensor]:
    """Zero latents: uniform shares per edge (GR/BR) or an even split per flow (GS/LS)."""
    dt = graph.dtype
    if method in ("gr", "br"):
        st = {"theta": torch.zeros(graph.n_pairs, dtype=dt)}
        if method == "gr":
            st["gate"] = torch.zeros(graph.n_tunnels, dtype=dt)
        return st
    if method in ("gs", "ls"):
        return {"z": torch.zeros(graph.n_tunnels, dtype=dt)}
    raise InvalidParameterError(f"decision space must be one of {DECISION_SPACES}, got {method!r}")


def tighten_reservation(graph: InstanceGraph, decision: Decision, rounds: int) -> torch.Tensor:
    """Hand capacity that is reserved but unused back to the tunnels that can use it (kplane extension).

    A tunnel uses only ``b_t`` of what it reserves on each of its edges; the rest, and any capacity of
    tunnels capped at ``x_t = 1``, is idle. Each round recomputes every edge's slack
    ``s_e = c_e − Σ_{t∈T(e)} min(b_t, d_t)``, adds it to the reservations of the edge's tunnels with
    ``x_t < 1`` in proportion to their shares, and takes the min along each tunnel again. Bandwidths
    never decrease (so no loss of any flow in any scenario increases) and every edge stays within
    capacity. Returns the tunnel bandwidths (T,).
    """
    if decision.share is None:
        raise InvalidParameterError("reservation tightening applies to the reservation spaces (gr, br)")
    pe, pt = graph.pair_edge, graph.pair_tunnel
    b = decision.bandwidth
    for _ in range(int(rounds)):
        b = torch.minimum(b, graph.demand)
        used = torch.zeros(graph.n_edges, dtype=b.dtype).index_add(0, pe, b[pt])
        slack = (graph.cap - used).clamp(min=0.0)
        weight = decision.share * (b < graph.demand).to(b.dtype)[pt]
        den = torch.zeros(graph.n_edges, dtype=b.dtype).index_add(0, pe, weight)[pe]
        extra = torch.where(den > 0, weight / den.clamp(min=torch.finfo(b.dtype).tiny) * slack[pe], 0.0)
        reserved = b[pt] + extra
        padded = torch.cat([reserved, reserved.new_full((1,), torch.inf)])
        b = padded[graph.tunnel_pairs].min(dim=1).values
    return b


def clip_allocation(x: torch.Tensor) -> torch.Tensor:
    """``min(x, 1)``: same losses, less reserved capacity."""
    return x.clamp(max=1.0)
