r"""Baselines without learning, and the scenario-collapsing surrogate loss.

- :func:`shortest_path_split` — every flow asks for its whole demand on its first (shortest) tunnel;
- :func:`ecmp_split` — every flow splits its demand evenly over its tunnels of fewest hops;

both made feasible by *local scaling* (each tunnel divided by the worst overload along it, see
:mod:`kplane.te.neural._decision`).

:func:`collapsed_surrogate` is the training loss of the scenario-collapsing baseline (in the spirit of
FauTE): scenarios are collapsed into per-tunnel failure probabilities
``π_t = Σ_q p_q (1 − y[q, t])`` and risk becomes a soft penalty on the nominal loss,

.. math::

    \mathcal{L}(x) = \sum_f w_f \,\mathrm{relu}\big(1 − \sum_{t∈f} x_t\big)
                   + λ \sum_f w_f \sum_{t∈f} π_t \min(x_t, 1),

which sees neither the correlation between failures nor the tail of the loss distribution. Its
decision space is local scaling (the stronger of the two scaling spaces).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te.neural._graph import InstanceGraph

__all__ = [
    "BASELINE_METHODS",
    "baseline_allocation",
    "collapsed_surrogate",
    "ecmp_split",
    "local_scaling",
    "shortest_path_split",
]

BASELINE_METHODS = ("sp", "ecmp")
"""Non-learned methods."""


def local_scaling(instance: TEInstance, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Divide each tunnel's split by the worst overload ``max(1, load_e / c_e)`` along it (feasible)."""
    over = instance.link_load(x) / instance.topology.capacity
    tun = instance.tunnels
    worst = np.maximum.reduceat(over[tun.edge_ids], tun.offsets[:-1]) if tun.n_tunnels else np.zeros(0)
    return x / np.maximum(worst, 1.0)


def shortest_path_split(instance: TEInstance) -> NDArray[np.float64]:
    """(n_tunnels,) whole demand on each active flow's first tunnel, locally scaled."""
    tun = instance.tunnels
    x = np.zeros(tun.n_tunnels)
    first = tun.flow_offsets[:-1][instance.active]
    x[first] = 1.0
    return local_scaling(instance, x)


def ecmp_split(instance: TEInstance) -> NDArray[np.float64]:
    """(n_tunnels,) even split over each active flow's fewest-hop tunnels, locally scaled."""
    tun = instance.tunnels
    hops = tun.hops.astype(np.float64)
    fewest = np.full(tun.n_flows, np.inf)
    np.minimum.at(fewest, tun.flow, hops)
    on = (hops == fewest[tun.flow]) & instance.active[tun.flow]
    count = np.bincount(tun.flow[on], minlength=tun.n_flows)
    x = np.where(on, 1.0 / np.maximum(count[tun.flow], 1), 0.0)
    return local_scaling(instance, x)


def baseline_allocation(instance: TEInstance, method: str) -> NDArray[np.float64]:
    """The allocation of a non-learned method (:data:`BASELINE_METHODS`)."""
    if method == "sp":
        return shortest_path_split(instance)
    if method == "ecmp":
        return ecmp_split(instance)
    raise InvalidParameterError(f"unknown baseline {method!r}; valid: {', '.join(BASELINE_METHODS)}")


def collapsed_surrogate(graph: InstanceGraph, x: torch.Tensor, penalty: float = 1.0) -> torch.Tensor:
    """The scenario-collapsing surrogate loss of split ratios ``x`` (T,) (see the module docstring)."""
    padded = torch.cat([x, x.new_zeros(1)])[graph.flow_tunnels]  # (F, K)
    nominal = graph.flow_weight @ torch.relu(1.0 - padded.sum(dim=1))
    risk = torch.zeros(graph.n_flows, dtype=x.dtype).index_add(
        0, graph.tunnel_flow, graph.tunnel_fail_prob * x.clamp(max=1.0)
    )
    return nominal + penalty * (graph.flow_weight @ risk)
