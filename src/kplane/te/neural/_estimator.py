"""`NeuroRiskOptimizer`: the learned risk-aware TE optimizer as an estimator.

``fit(instances)`` trains the update policy without labels; ``optimize(instance)`` returns split
ratios per tunnel; ``solve(instance)`` also times and replays them. ``save`` / ``load`` /
``bundled`` move policies in and out of JSON files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError, NotFittedError
from kplane.te._instance import TEInstance
from kplane.te._objectives import Objective, make_objective
from kplane.te.neural import _fused
from kplane.te.neural._baselines import collapsed_surrogate
from kplane.te.neural._bundled import bundled_policy_path
from kplane.te.neural._finetune import check_finetune, final_allocation, finetune_latents
from kplane.te.neural._graph import InstanceGraph, compile_instance, to_dtype
from kplane.te.neural._io import (
    check_method,
    objective_from_spec,
    objective_spec,
    policy_to_dict,
    read_policy,
    write_policy,
)
from kplane.te.neural._memory import plan_chunk
from kplane.te.neural._solution import NeuroRiskSolution
from kplane.te.neural._train import TrainSettings, train_net
from kplane.te.neural._unroll import NeuroRiskNet

__all__ = ["NeuroRiskOptimizer"]

FEASIBILITY_MARGIN = 1e-9
"""Final split ratios are scaled by ``1 − 1e-9`` so that floating-point rounding of ``x_t d_t`` sums can
never put a fully reserved link a few ulps over its capacity."""


class NeuroRiskOptimizer:
    """NeuroRisk: a physics-informed unrolled optimizer for Sort-and-Select risk objectives.

    Parameters
    ----------
    objective : str or Objective
        Training objective (``"teavar"``, ``"expected"``, ``"ffc"``, ``"quantile"``, ``"nominal"``).
    beta, form, flow_aggregate, weighting :
        Objective options (see :func:`kplane.te.make_objective`).
    method : {"gr", "br", "gs", "ls", "collapsed", "gr9"}
        Decision space: gated reservation (NeuroRisk), plain reservation, global / local scaling, the
        scenario-collapsing baseline (local scaling trained on a soft-penalty surrogate), or ``gr9``
        (gated reservation with a ninth feature, the edge's idle capacity; a kplane extension).
        ``"neurorisk"`` and ``"faute"`` are accepted aliases.
    hidden : int
        Hidden units of the policy MLP.
    iterations : int
        Unrolled steps K used in training (and by default at inference).
    epochs, batch_size, learning_rate, patience, grad_clip :
        Adam training with early stopping on the validation objective.
    lr_schedule : {"cosine", "constant"}
        Learning rate per epoch (cosine: decays to 10% of ``learning_rate`` over ``epochs``).
    step_loss : {"terminal", "linear"}
        Train on the final allocation's objective (the paper) or on every step's, weighted by ``k``.
    chunk_size : int, optional
        Scenarios per chunk (None: automatic).
    checkpointing : bool
        Gradient checkpointing of each unrolled step in training.
    validation_fraction : float
        Share of the training instances held out for early stopping when ``fit`` gets no validation set.
    seed : int
        Seeds the initialisation, the epoch order and the validation split.

    Examples
    --------
    >>> from kplane.te.neural import NeuroRiskOptimizer  # doctest: +SKIP
    >>> opt = NeuroRiskOptimizer(objective="teavar", epochs=5).fit(train_instances)  # doctest: +SKIP
    >>> x = opt.optimize(instance, iterations=3)  # doctest: +SKIP
    """

    net_: NeuroRiskNet
    objective_: Objective
    training_: dict[str, Any]
    source_: str

    def __init__(
        self,
        *,
        objective: str | Objective = "teavar",
        beta: float | None = None,
        form: str = "mean",
        flow_aggregate: str = "max",
        weighting: str = "flow",
        method: str = "gr",
        hidden: int = 64,
        iterations: int = 7,
        epochs: int = 30,
        batch_size: int = 16,
        learning_rate: float = 1e-3,
        patience: int = 10,
        grad_clip: float = 1.0,
        lr_schedule: str = "cosine",
        step_loss: str = "terminal",
        chunk_size: int | None = None,
        checkpointing: bool = False,
        validation_fraction: float = 0.2,
        seed: int = 0,
    ) -> None:
        self.objective = objective
        self.beta = beta
        self.form = form
        self.flow_aggregate = flow_aggregate
        self.weighting = weighting
        self.method = method
        self.hidden = hidden
        self.iterations = iterations
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.grad_clip = grad_clip
        self.lr_schedule = lr_schedule
        self.step_loss = step_loss
        self.chunk_size = chunk_size
        self.checkpointing = checkpointing
        self.validation_fraction = validation_fraction
        self.seed = seed

    _PARAMS = (
        "objective",
        "beta",
        "form",
        "flow_aggregate",
        "weighting",
        "method",
        "hidden",
        "iterations",
        "epochs",
        "batch_size",
        "learning_rate",
        "patience",
        "grad_clip",
        "lr_schedule",
        "step_loss",
        "chunk_size",
        "checkpointing",
        "validation_fraction",
        "seed",
    )

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters."""
        return {k: getattr(self, k) for k in self._PARAMS}

    # ------------------------------------------------------------------ helpers
    def _objective(self) -> Objective:
        return make_objective(
            self.objective,
            beta=self.beta,
            form=self.form,
            flow_aggregate=self.flow_aggregate,
            weighting=self.weighting,
        )

    def _settings(self) -> TrainSettings:
        s = TrainSettings(
            iterations=self.iterations,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            patience=self.patience,
            grad_clip=self.grad_clip,
            lr_schedule=self.lr_schedule,
            step_loss=self.step_loss,
            chunk_size=self.chunk_size,
            checkpointing=self.checkpointing,
            seed=self.seed,
        )
        s.check()
        return s

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(
                "NeuroRiskOptimizer is not fitted: call fit(instances), load(path) or bundled()"
            )

    @staticmethod
    def _check_instances(instances: Sequence[TEInstance], what: str) -> list[TEInstance]:
        out = list(instances)
        for i, inst in enumerate(out):
            if not isinstance(inst, TEInstance):
                raise InvalidParameterError(f"{what}[{i}] must be a TEInstance, got {type(inst).__name__}")
        return out

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        instances: Sequence[TEInstance],
        validation: Sequence[TEInstance] | None = None,
        *,
        checkpoint: str | Path | None = None,
        resume: bool = False,
        callback: Callable[[dict[str, Any]], None] | None = None,
    ) -> NeuroRiskOptimizer:
        """Train the policy on ``instances`` (no labels: the objective of the final allocation is minimised).

        Parameters
        ----------
        instances : sequence of TEInstance
            Training instances (any topologies, scenario sets and tunnel sets).
        validation : sequence of TEInstance, optional
            Early-stopping instances (default: a seeded ``validation_fraction`` of ``instances``).
        checkpoint : path, optional
            Resumable training checkpoint, rewritten after every epoch.
        resume : bool
            Continue from ``checkpoint`` if it exists.
        callback : callable, optional
            Receives each epoch's ``{"epoch", "train", "val", "time_s"}``.

        Returns
        -------
        NeuroRiskOptimizer
            ``self``, with ``net_``, ``objective_``, ``history_``, ``best_epoch_``, ``train_time_s_``.
        """
        method = check_method(self.method)
        objective = self._objective()
        settings = self._settings()
        if not 0 <= self.validation_fraction < 1:
            raise InvalidParameterError(
                f"validation_fraction must lie in [0, 1), got {self.validation_fraction!r}"
            )
        train = self._check_instances(instances, "instances")
        if not train:
            raise InvalidParameterError("fit needs at least one training instance")
        if validation is None:
            n_val = int(round(self.validation_fraction * len(train))) if len(train) > 1 else 0
            order = np.random.default_rng([self.seed, 7]).permutation(len(train))
            val = [train[i] for i in sorted(order[:n_val])]
            train = [train[i] for i in sorted(order[n_val:])]
        else:
            val = self._check_instances(validation, "validation")
        net = NeuroRiskNet(method, self.hidden)
        net.policy.reset_parameters(torch.Generator().manual_seed(int(self.seed)))
        gtr = [self._compile(i, objective, net, training=True) for i in train]
        gva = [self._compile(i, objective, net, training=False) for i in val]
        meta = {"method": method, "hidden": int(self.hidden), "objective": objective_spec(objective)}
        surrogate = collapsed_surrogate if method == "collapsed" else None
        summary = train_net(
            net,
            gtr,
            gva,
            objective,
            settings,
            meta=meta,
            checkpoint=checkpoint,
            resume=resume,
            surrogate=surrogate,
            callback=callback,
        )
        self.net_ = net
        self.objective_ = objective
        self.history_ = summary["history"]
        self.best_epoch_ = summary["best_epoch"]
        self.train_time_s_ = summary["train_time_s"]
        self.training_ = {
            "settings": {k: v for k, v in self.get_params().items() if k != "objective"},
            "n_train": len(gtr),
            "n_validation": len(gva),
            "best_epoch": summary["best_epoch"],
            "best_validation_objective": summary["best_val"],
            "epochs_run": summary["epochs_run"],
            "stopped_early": summary["stopped_early"],
            "train_time_s": summary["train_time_s"],
            "history": summary["history"],
        }
        return self

    def _compile(
        self, instance: TEInstance, objective: Objective, net: NeuroRiskNet, *, training: bool
    ) -> InstanceGraph:
        g = to_dtype(compile_instance(instance, objective=objective, dtype=torch.float64), torch.float32)
        units = g.n_pairs if net.space in ("gr", "br") else g.n_tunnels
        plan_chunk(
            g,
            net.policy.hidden,
            self.chunk_size,
            units=units,
            training=training,
            iterations=int(self.iterations),
            checkpointing=bool(self.checkpointing),
        )
        return g

    # ------------------------------------------------------------------ inference
    def solve(
        self,
        instance: TEInstance,
        objective: str | Objective | None = None,
        *,
        iterations: int | None = None,
        chunk_size: int | None = None,
        refine: int = 0,
        finetune_steps: int = 0,
        finetune_lr: float | None = None,
    ) -> NeuroRiskSolution:
        """Optimise ``instance``: split ratios, timed, replayed with the numpy objective.

        Parameters
        ----------
        instance : TEInstance
        objective : str or Objective, optional
            Objective whose mask sets the risk weights (default: the policy's training objective).
        iterations : int, optional
            Unrolled steps (default: as trained).
        chunk_size : int, optional
            Scenarios per chunk (default: the estimator's, automatic when None).
        refine : int
            Rounds of reservation tightening after the unrolled steps (reservation spaces only; a
            kplane extension, 0 = as in the paper): idle reserved capacity goes back to tunnels
            that can use it; no loss increases (:func:`~kplane.te.neural.tighten_reservation`).
        finetune_steps : int
            Gradient steps on the final latents against the instance's exact differentiable
            objective after the unrolled steps (a kplane extension, 0 = as in the paper; every
            learned method). The best latents seen are kept, so the objective never gets worse than
            the unrolled answer's (:func:`~kplane.te.neural.finetune_latents`). With ``refine``,
            fine-tuning runs first and the tightening is applied to both the fine-tuned and the
            unrolled latents, keeping the better: never worse than ``refine`` alone.
        finetune_lr : float, optional
            Initial Adam learning rate of the fine-tuning steps (default
            :data:`~kplane.te.neural.FINETUNE_LR`; cosine-decayed to a tenth).

        Raises
        ------
        NotFittedError
            Before ``fit`` / ``load``.
        InvalidScenarioError
            NaN or inf in the instance.
        InvalidParameterError
            Memory: the instance does not fit with the chosen chunk size (the message says which to use);
            ``refine`` / ``finetune_steps`` not an integer >= 0; ``finetune_lr`` not finite and > 0.
        """
        self._check_fitted()
        if not isinstance(instance, TEInstance):
            raise InvalidParameterError(f"instance must be a TEInstance, got {type(instance).__name__}")
        obj = self.objective_ if objective is None else make_objective(objective)
        k = int(self.iterations if iterations is None else iterations)
        if k < 0 or (iterations is not None and int(iterations) != iterations):
            raise InvalidParameterError(f"iterations must be an integer >= 0, got {iterations!r}")
        if isinstance(refine, bool) or not isinstance(refine, int | np.integer) or refine < 0:
            raise InvalidParameterError(f"refine must be an integer >= 0 rounds, got {refine!r}")
        n_ft, ft_lr = check_finetune(finetune_steps, finetune_lr)
        net: NeuroRiskNet = self.net_
        _fused.load(net.policy.lin1.weight.dtype)  # once per process, before the timer
        t0 = time.perf_counter()
        g64 = compile_instance(instance, objective=obj, dtype=torch.float64)
        g = to_dtype(g64, torch.float32)
        units = g.n_pairs if net.space in ("gr", "br") else g.n_tunnels
        chunk = plan_chunk(
            g, net.policy.hidden, self.chunk_size if chunk_size is None else chunk_size, units=units
        )
        with torch.no_grad():
            state = {key: v.double() for key, v in net(g, obj, k, chunk=chunk).items()}
        ft = None
        candidates = [state]
        if n_ft:
            ft = finetune_latents(g64, net.space, state, obj, steps=n_ft, lr=ft_lr)
            candidates = [ft.state, state] if refine else [ft.state]
        with torch.no_grad():
            xt = final_allocation(g64, net.space, candidates, refine=int(refine), objective=obj)
            x = g64.expand(xt) * (1.0 - FEASIBILITY_MARGIN)
        elapsed = time.perf_counter() - t0
        info: dict[str, Any] = {
            "n_pairs": g.n_pairs,
            "n_active_tunnels": g.n_tunnels,
            "n_scenarios": g.n_scenarios,
            "chunk_size": chunk,
            "refine": int(refine),
            "finetune_steps": n_ft,
            "threads": torch.get_num_threads(),
        }
        if ft is not None:
            info["finetune"] = ft.summary()
        return NeuroRiskSolution.replayed(x, obj, instance, time_s=elapsed, method=net.method, iterations=k,
                                          info=info)

    def optimize(
        self,
        instance: TEInstance,
        objective: str | Objective | None = None,
        *,
        iterations: int | None = None,
        chunk_size: int | None = None,
        refine: int = 0,
        finetune_steps: int = 0,
        finetune_lr: float | None = None,
    ) -> NDArray[np.float64]:
        """Split ratios (n_tunnels,) for ``instance`` (see :meth:`solve`)."""
        return self.solve(
            instance,
            objective,
            iterations=iterations,
            chunk_size=chunk_size,
            refine=refine,
            finetune_steps=finetune_steps,
            finetune_lr=finetune_lr,
        ).x

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path, *, card: dict[str, Any] | None = None) -> Path:
        """Write the policy as JSON (and ``card`` as ``<stem>.card.json`` beside it)."""
        self._check_fitted()
        doc = policy_to_dict(
            self.net_,
            objective=self.objective_,
            iterations=int(self.iterations),
            training=getattr(self, "training_", {}),
        )
        out = write_policy(path, doc)
        if card is not None:
            import json

            from kplane.utils import atomic_write_text

            atomic_write_text(out.with_name(out.stem + ".card.json"), json.dumps(card, indent=1) + "\n")
        return out

    @classmethod
    def load(cls, path: str | Path, **params: Any) -> NeuroRiskOptimizer:
        """An optimizer with the policy of file ``path`` (hyper-parameters from the file unless given).

        Raises
        ------
        SchemaVersionError
            The file has another policy schema version (the message names it).
        FormatError
            Not a policy file, or a malformed one.
        """
        net, doc = read_policy(path)
        obj = objective_from_spec(doc["objective"])
        base: dict[str, Any] = {
            "objective": obj.name,
            "beta": obj.beta,
            "form": obj.form,
            "flow_aggregate": obj.flow_aggregate,
            "weighting": obj.weighting,
            "method": net.method,
            "hidden": net.policy.hidden,
            "iterations": int(doc.get("iterations", 7)),
        }
        base.update(params)
        opt = cls(**base)
        opt.net_ = net
        opt.objective_ = obj
        opt.training_ = dict(doc.get("training", {}))
        opt.source_ = str(path)
        return opt

    @classmethod
    def bundled(cls, objective: str = "teavar", **params: Any) -> NeuroRiskOptimizer:
        """The shipped policy for ``objective`` (see :data:`BUNDLED_POLICIES`)."""
        return cls.load(bundled_policy_path(objective), **params)

    def __repr__(self) -> str:
        fitted = "fitted" if hasattr(self, "net_") else "not fitted"
        return f"NeuroRiskOptimizer(method={self.method!r}, objective={self.objective!r}, {fitted})"
