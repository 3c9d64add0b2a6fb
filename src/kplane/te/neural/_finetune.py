r"""Inference-time refinement: gradient steps on the final latents against the exact objective.

After the K unrolled steps, the latents ``s`` (θ and gates for gated reservation, θ for plain
reservation, ``z`` for the scaling spaces) still parametrise a feasible allocation
``x(s)`` (:mod:`._decision`). Fine-tuning runs ``S`` deterministic Adam steps on

.. math::

    \min_s \; R\big(\min(x(s), 1)\big),

where ``R`` is the instance's differentiable Sort-and-Select objective — the same
:class:`~kplane.te.neural.TerminalObjective` (:class:`kplane.te.TorchObjective`) that training
minimises. Every iterate comes out of the decision space, so it is capacity-feasible by construction;
the latents of the best objective seen (the unrolled latents included, as step 0) are returned, so the
result is never worse than the unrolled allocation. The learning rate decays with a cosine from
``lr`` to ``lr / 10`` over the ``S`` steps (no randomness: the same input gives the same output).

This is a kplane extension, not part of the NeuroRisk paper: the pure learned answer is the one with
``steps = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from kplane.errors import InvalidParameterError
from kplane.te._objectives import Objective
from kplane.te.neural._decision import clip_allocation, decide, tighten_reservation
from kplane.te.neural._graph import InstanceGraph
from kplane.te.neural._risk import TerminalObjective

__all__ = ["FINETUNE_LR", "FinetuneResult", "check_finetune", "final_allocation", "finetune_latents"]

FINETUNE_LR = 0.1
"""Default Adam learning rate of the fine-tuning steps (in latent units: log-shares / log-splits)."""


@dataclass(frozen=True)
class FinetuneResult:
    """Latents after fine-tuning, and what happened.

    Attributes
    ----------
    state : dict of str to Tensor
        The best latents seen (same keys and shapes as the input state).
    start_value : float
        Objective of the unrolled (input) latents.
    best_value : float
        Objective of ``state`` (``<= start_value``).
    best_step : int
        Step at which ``state`` was reached (0 = the input latents were best).
    steps : int
        Gradient steps run.
    lr : float
        Initial learning rate.
    history : list of float
        Objective of the latents before each step, and after the last one (``steps + 1`` values).
    """

    state: dict[str, torch.Tensor]
    start_value: float
    best_value: float
    best_step: int
    steps: int
    lr: float
    history: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly record (without the latents and the history)."""
        return {
            "steps": self.steps,
            "lr": self.lr,
            "best_step": self.best_step,
            "start_objective_value": self.start_value,
            "best_objective_value": self.best_value,
        }


def check_finetune(steps: Any, lr: Any, *, what: str = "finetune") -> tuple[int, float]:
    """Validate fine-tuning parameters → ``(steps, lr)``.

    Parameters
    ----------
    steps : int
        Gradient steps, an integer >= 0.
    lr : float or None
        Learning rate, finite and > 0 (None: :data:`FINETUNE_LR`).
    what : str
        Name used in error messages (``"finetune"`` → ``finetune_steps`` / ``finetune_lr``).

    Raises
    ------
    InvalidParameterError
        Naming the parameter, the value and what is expected.
    """
    ok_int = isinstance(steps, int | np.integer) and not isinstance(steps, bool)
    if not ok_int or steps < 0:
        raise InvalidParameterError(f"{what}_steps must be an integer >= 0, got {steps!r}")
    rate = FINETUNE_LR if lr is None else lr
    try:
        rate_f = float(rate)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{what}_lr must be a finite number > 0, got {lr!r}") from None
    if isinstance(rate, bool) or not (math.isfinite(rate_f) and rate_f > 0):
        raise InvalidParameterError(f"{what}_lr must be a finite number > 0, got {lr!r}")
    return int(steps), rate_f


def finetune_latents(
    graph: InstanceGraph,
    space: str,
    state: dict[str, torch.Tensor],
    objective: Objective,
    *,
    steps: int,
    lr: float | None = None,
) -> FinetuneResult:
    """Run ``steps`` Adam steps on the latents ``state`` of decision space ``space``.

    Parameters
    ----------
    graph : InstanceGraph
        The compiled instance (float64 recommended: the objective is then evaluated exactly as the
        replay does).
    space : {"gr", "br", "gs", "ls"}
        Decision space of the latents.
    state : dict of str to Tensor
        Latents: ``theta`` (P,) and ``gate`` (T,) for ``gr``, ``theta`` for ``br``, ``z`` (T,) for the
        scaling spaces. Not modified.
    objective : Objective
        The objective to minimise (lower is better).
    steps : int
        Number of gradient steps (0 returns the input latents and their objective).
    lr : float, optional
        Initial Adam learning rate (default :data:`FINETUNE_LR`), cosine-decayed to a tenth.

    Returns
    -------
    FinetuneResult
        The best latents seen and a summary.

    Raises
    ------
    InvalidParameterError
        Bad ``steps`` / ``lr``, or an unknown decision space.
    """
    n_steps, rate = check_finetune(steps, lr)
    risk = TerminalObjective(objective, graph)
    params = {k: v.detach().to(graph.dtype).clone().requires_grad_(True) for k, v in state.items()}
    keys = sorted(params)

    def value() -> torch.Tensor:
        return risk(clip_allocation(decide(graph, space, params).x))

    best = {k: v.detach().clone() for k, v in params.items()}
    history: list[float] = []
    if n_steps == 0:
        with torch.no_grad():
            v0 = float(value())
        return FinetuneResult(best, v0, v0, 0, 0, rate, [v0])
    opt = torch.optim.Adam([params[k] for k in keys], lr=rate)
    best_value, best_step = math.inf, 0
    with torch.enable_grad():
        for step in range(n_steps + 1):
            with torch.no_grad() if step == n_steps else torch.enable_grad():
                current = value()
            v = float(current.detach())
            history.append(v)
            if math.isfinite(v) and v < best_value:
                best_value, best_step = v, step
                best = {k: params[k].detach().clone() for k in keys}
            if step == n_steps:
                break
            for group in opt.param_groups:
                group["lr"] = rate * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * step / max(1, n_steps))))
            opt.zero_grad(set_to_none=True)
            current.backward()
            opt.step()
    return FinetuneResult(best, history[0], best_value, best_step, n_steps, rate, history)


def final_allocation(
    graph: InstanceGraph,
    space: str,
    candidates: list[dict[str, torch.Tensor]],
    *,
    refine: int = 0,
    objective: Objective | None = None,
) -> torch.Tensor:
    """Clipped split ratios (T,) of the best latents in ``candidates``, optionally tightened.

    Each candidate's allocation gets ``refine`` rounds of reservation tightening
    (:func:`~kplane.te.neural.tighten_reservation`, reservation spaces only); with more than one
    candidate the one of lowest ``objective`` wins (the first on ties).

    Parameters
    ----------
    graph : InstanceGraph
    space : {"gr", "br", "gs", "ls"}
    candidates : list of dict of str to Tensor
        Latents, at least one.
    refine : int
        Rounds of reservation tightening (0: none).
    objective : Objective, optional
        Needed when there is more than one candidate.
    """
    if not candidates:
        raise InvalidParameterError("final_allocation needs at least one candidate state")
    if len(candidates) > 1 and objective is None:
        raise InvalidParameterError("final_allocation needs an objective to choose between candidates")
    risk = TerminalObjective(objective, graph) if len(candidates) > 1 and objective is not None else None
    best, best_value = None, math.inf
    for state in candidates:
        decision = decide(graph, space, state)
        xt = decision.x
        if refine and decision.share is not None:
            xt = tighten_reservation(graph, decision, refine) / graph.demand
        xt = clip_allocation(xt)
        if risk is None:
            return xt
        v = float(risk(xt))
        if best is None or v < best_value:
            best, best_value = xt, v
    assert best is not None  # at least one candidate
    return best
