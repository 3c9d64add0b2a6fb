r"""The unrolled optimizer: K Generate → Perceive → Update steps with one shared policy.

Starting from zero latents, each step

1. **Generate**: maps the latents to a feasible allocation (:mod:`._decision`);
2. **Perceive**: computes the physics features and risk weights of that allocation (:mod:`._physics`);
3. **Update** (eq. 15): for gated reservation

   .. math::

       θ_{e,t} \mathrel{+}= \sum_q w_q Φ_θ(φ_{e,t,q}),\qquad
       g_t \mathrel{+}= \sum_{e \in t} \sum_q w_q Φ_g(φ_{e,t,q});

   plain reservation uses ``Φ_θ`` only, the scaling spaces update one latent per tunnel.

The allocation of the final latents is the answer; training minimises its objective (terminal
risk) by backpropagating through all K steps. The policy never sees the topology, the scenario count
or the tunnel count, so any K and any instance can be used at inference.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint as grad_checkpoint

from kplane.errors import InvalidParameterError
from kplane.te._objectives import Objective
from kplane.te.neural._decision import Decision, clip_allocation, decide, initial_state
from kplane.te.neural._graph import InstanceGraph
from kplane.te.neural._physics import perceive
from kplane.te.neural._policy import UpdatePolicy

__all__ = ["LEARNED_METHODS", "METHOD_SPEC", "NeuroRiskNet"]

# method -> (decision space, feature set, n_in, n_risk, n_out)
METHOD_SPEC: dict[str, tuple[str, str, int, int, int]] = {
    "gr": ("gr", "gr", 8, 3, 2),
    "br": ("br", "br", 8, 3, 1),
    "gs": ("gs", "gs", 5, 3, 1),
    "ls": ("ls", "ls", 5, 3, 1),
    "collapsed": ("ls", "collapsed", 6, 3, 1),
    "gr9": ("gr", "gr9", 9, 3, 2),
}
"""Learned methods: gated/plain reservation, global/local scaling, scenario-collapsing baseline."""

LEARNED_METHODS = tuple(METHOD_SPEC)


class NeuroRiskNet(nn.Module):
    """The unrolled optimizer for one decision space.

    Parameters
    ----------
    method : {"gr", "br", "gs", "ls", "collapsed"}
        Decision space and feature set (see :data:`METHOD_SPEC`).
    hidden : int
        Hidden units of the policy MLP.
    """

    def __init__(self, method: str = "gr", hidden: int = 64) -> None:
        super().__init__()
        if method not in METHOD_SPEC:
            raise InvalidParameterError(f"method must be one of {LEARNED_METHODS}, got {method!r}")
        self.method = method
        self.space, self.feature_set, n_in, n_risk, n_out = METHOD_SPEC[method]
        self.policy = UpdatePolicy(n_in, n_risk, hidden, n_out)

    # ------------------------------------------------------------------ one step
    def generate(self, graph: InstanceGraph, state: dict[str, torch.Tensor]) -> Decision:
        """Latents → feasible allocation."""
        return decide(graph, self.space, state)

    def step(
        self,
        graph: InstanceGraph,
        objective: Objective,
        state: dict[str, torch.Tensor],
        *,
        chunk: int | None = None,
        survival: torch.Tensor | None = None,
        survival_units: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """One Generate → Perceive → Update step; returns the new latents."""
        decision = self.generate(graph, state)
        feats = perceive(graph, decision, objective, self.feature_set, survival=survival,
                         survival_units=survival_units)
        out = self.policy.aggregate(feats.to(self.policy.lin1.weight.dtype), chunk).to(graph.dtype)
        if self.space == "gr":
            gate_vote = torch.zeros_like(state["gate"]).index_add(0, graph.pair_tunnel, out[:, 1])
            return {"theta": state["theta"] + out[:, 0], "gate": state["gate"] + gate_vote}
        if self.space == "br":
            return {"theta": state["theta"] + out[:, 0]}
        return {"z": state["z"] + out[:, 0]}

    # ------------------------------------------------------------------ unrolled
    def forward(
        self,
        graph: InstanceGraph,
        objective: Objective,
        iterations: int = 7,
        *,
        chunk: int | None = None,
        checkpointing: bool = False,
        trace: list[torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Run ``iterations`` steps from zero latents; returns the final latents.

        Parameters
        ----------
        graph : InstanceGraph
        objective : Objective
            Risk weights come from its mask.
        iterations : int
            Unrolled steps K (>= 0; 0 returns the initial latents).
        chunk : int, optional
            Scenario chunk size (bounds memory).
        checkpointing : bool
            Recompute each step in the backward pass instead of storing it (less memory).
        trace : list, optional
            Receives the clipped allocation after every step (differentiable when gradients are on).
        """
        if int(iterations) != iterations or iterations < 0:
            raise InvalidParameterError(f"iterations must be an integer >= 0, got {iterations!r}")
        state = initial_state(graph, self.space)
        survival = graph.survival.T.contiguous()  # (T, Q), read by every step
        y_units = None  # training reads (U, Q) features: gather the survival of every unit once
        if torch.is_grad_enabled() and self.space in ("gr", "br") and self.feature_set != "collapsed":
            y_units = survival[graph.pair_tunnel]
        keys = sorted(state)
        for _ in range(int(iterations)):
            if checkpointing and torch.is_grad_enabled():

                def run(*vals: torch.Tensor) -> tuple[torch.Tensor, ...]:
                    new = self.step(
                        graph,
                        objective,
                        dict(zip(keys, vals, strict=True)),
                        chunk=chunk,
                        survival=survival,
                        survival_units=y_units,
                    )
                    return tuple(new[k] for k in keys)

                vals = grad_checkpoint(run, *(state[k] for k in keys), use_reentrant=False)
                state = dict(zip(keys, vals, strict=True))
            else:
                state = self.step(graph, objective, state, chunk=chunk, survival=survival,
                                  survival_units=y_units)
            if trace is not None:
                trace.append(clip_allocation(self.generate(graph, state).x))
        return state

    def allocate(
        self, graph: InstanceGraph, objective: Objective, iterations: int = 7, **kwargs: Any
    ) -> torch.Tensor:
        """Clipped split ratios (T,) of the active tunnels after ``iterations`` steps (differentiable)."""
        state = self(graph, objective, iterations, **kwargs)
        return clip_allocation(self.generate(graph, state).x)
