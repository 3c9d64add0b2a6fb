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
    keys = sorted(state)
    params = [state[k].detach().to(graph.dtype).clone().requires_grad_(True) for k in keys]
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    history: list[float] = []
    best, best_value, best_step = params, math.inf, 0
    for step in range(n_steps + 1):
        last = step == n_steps
        with torch.set_grad_enabled(not last):
            current = risk(clip_allocation(decide(graph, space, dict(zip(keys, params, strict=True))).x))
        v = float(current.detach())
        history.append(v)
        if step == 0 or (math.isfinite(v) and v < best_value):
            best_value, best_step = v, step
            best = [p.detach().clone() for p in params]
        if last:
            break
        grads = torch.autograd.grad(current, params)
        rate_t = rate * (0.1 + 0.45 * (1.0 + math.cos(math.pi * step / max(1, n_steps))))
        with torch.no_grad():
            for p, g, m1, m2 in zip(params, grads, first, second, strict=True):
                _adam_update(p, g, m1, m2, rate_t, step + 1)
    return FinetuneResult(dict(zip(keys, best, strict=True)), history[0], best_value, best_step, n_steps,
                          rate, history)


def _adam_update(
    p: torch.Tensor, g: torch.Tensor, m1: torch.Tensor, m2: torch.Tensor, lr: float, t: int,
    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
) -> None:
    """One Adam step on ``p`` in place (the arithmetic of ``torch.optim.Adam``'s defaults).

    Written out because constructing any ``torch.optim`` optimizer imports ``torch._dynamo`` (about 1 s
    on first use in a process), which would dominate a millisecond-scale inference call.
    """
    m1.mul_(beta1).add_(g, alpha=1.0 - beta1)
    m2.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
    denom = (m2.sqrt() / math.sqrt(1.0 - beta2**t)).add_(eps)
    p.addcdiv_(m1, denom, value=-lr / (1.0 - beta1**t))


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
