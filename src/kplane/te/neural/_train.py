"""Unsupervised end-to-end training of an unrolled policy (no solver labels).

Loss: the objective of the final allocation (terminal risk), averaged over a batch of instances;
Adam (cosine-decayed learning rate by default); an epoch visits every training instance once in a
seeded order; early stopping on the mean validation objective with ``patience`` epochs; the best
policy is kept.

Checkpoints (``torch.save`` of plain containers, loaded with ``weights_only=True``) are written
atomically after every epoch::

    {"schema": "kplane.neurorisk-checkpoint", "schema_version": 1, "settings": {...},
     "method": str, "hidden": int, "objective": {...}, "epoch": int, "policy": state_dict,
     "optimizer": state_dict, "best_policy": state_dict, "best_val": float, "best_epoch": int,
     "bad_epochs": int, "history": [{"epoch", "train", "val", "time_s"}], "elapsed_s": float}

Resuming from a checkpoint continues exactly where the run stopped: the epoch order depends only on
``(seed, epoch)``, and the policy and Adam states are restored bit for bit.
"""

from __future__ import annotations

import io
import math
import pickle
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kplane.errors import FormatError, InvalidParameterError, SchemaVersionError
from kplane.te._objectives import Objective
from kplane.te.neural._graph import InstanceGraph
from kplane.te.neural._risk import TerminalObjective
from kplane.te.neural._unroll import NeuroRiskNet
from kplane.utils import atomic_write_bytes

__all__ = ["CHECKPOINT_SCHEMA", "CHECKPOINT_SCHEMA_VERSION", "TrainSettings", "load_checkpoint", "train_net"]

CHECKPOINT_SCHEMA = "kplane.neurorisk-checkpoint"
CHECKPOINT_SCHEMA_VERSION = 1

STEP_LOSSES = ("terminal", "linear")
"""Training loss over the unrolled steps: the final allocation's objective only (the paper), or the
mean of every step's objective weighted by the step index ``k`` (``linear``: later steps count more)."""

LR_SCHEDULES = ("cosine", "constant")
"""Learning rate per epoch: cosine decay to 10% of the initial rate over ``epochs``, or constant."""


def epoch_learning_rate(settings: TrainSettings, epoch: int) -> float:
    """Learning rate of (0-based) ``epoch`` — a function of the epoch only, so resuming is exact."""
    if settings.lr_schedule == "constant" or settings.epochs <= 1:
        return settings.learning_rate
    frac = epoch / (settings.epochs - 1)
    return settings.learning_rate * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac)))


@dataclass(frozen=True)
class TrainSettings:
    """Training hyper-parameters (see :class:`~kplane.te.neural.NeuroRiskOptimizer`)."""

    iterations: int = 7
    epochs: int = 30
    batch_size: int = 16
    learning_rate: float = 1e-3
    patience: int = 10
    grad_clip: float = 1.0
    lr_schedule: str = "cosine"
    step_loss: str = "terminal"
    chunk_size: int | None = None
    checkpointing: bool = False
    seed: int = 0

    def check(self) -> None:
        """Raise :class:`InvalidParameterError` for out-of-range values."""
        ints = {"iterations": 1, "epochs": 1, "batch_size": 1, "patience": 1}
        for name, lo in ints.items():
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < lo:
                raise InvalidParameterError(f"{name} must be an integer >= {lo}, got {v!r}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise InvalidParameterError(f"learning_rate must be finite and > 0, got {self.learning_rate!r}")
        if self.step_loss not in STEP_LOSSES:
            raise InvalidParameterError(f"step_loss must be one of {STEP_LOSSES}, got {self.step_loss!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise InvalidParameterError(
                f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}"
            )
        if self.chunk_size is not None and self.chunk_size < 1:
            raise InvalidParameterError(f"chunk_size must be >= 1 scenario, got {self.chunk_size!r}")
        if not (isinstance(self.seed, int | np.integer) and self.seed >= 0):
            raise InvalidParameterError(f"seed must be an integer >= 0, got {self.seed!r}")


Loss = Callable[[NeuroRiskNet, InstanceGraph], torch.Tensor]


def terminal_loss(
    objective: Objective,
    settings: TrainSettings,
    surrogate: Callable[[InstanceGraph, torch.Tensor], torch.Tensor] | None = None,
) -> Loss:
    """The training loss of one instance: the objective (or ``surrogate``) of the final allocation."""
    cache: dict[int, TerminalObjective] = {}

    def loss(net: NeuroRiskNet, graph: InstanceGraph) -> torch.Tensor:
        trace: list[torch.Tensor] | None = [] if settings.step_loss == "linear" else None
        x = net.allocate(
            graph,
            objective,
            settings.iterations,
            chunk=settings.chunk_size,
            checkpointing=settings.checkpointing,
            trace=trace,
        )
        key = id(graph)
        if surrogate is None and key not in cache:
            cache[key] = TerminalObjective(objective, graph)

        def value(xk: torch.Tensor) -> torch.Tensor:
            return surrogate(graph, xk) if surrogate is not None else cache[key](xk)

        if not trace:
            return value(x)
        weights = [k + 1.0 for k in range(len(trace))]
        total = torch.stack([w * value(xk) for w, xk in zip(weights, trace, strict=True)]).sum()
        return total / sum(weights)

    return loss


def evaluate_mean(
    net: NeuroRiskNet, graphs: Sequence[InstanceGraph], objective: Objective, settings: TrainSettings
) -> float:
    """Mean true objective of the final allocations over ``graphs`` (no gradient)."""
    if not graphs:
        return float("nan")
    loss = terminal_loss(objective, settings)
    with torch.no_grad():
        return float(np.mean([float(loss(net, g)) for g in graphs]))


def _state_copy(net: NeuroRiskNet) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a training checkpoint.

    Raises
    ------
    FormatError
        Not a NeuroRisk checkpoint (names what was found).
    SchemaVersionError
        Written with another schema version (names it).
    """
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
        raise FormatError(f"not a NeuroRisk checkpoint ({type(exc).__name__})", file=path) from None
    if not isinstance(data, dict) or data.get("schema") != CHECKPOINT_SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise FormatError(
            f"not a NeuroRisk checkpoint: schema is {got!r}, expected {CHECKPOINT_SCHEMA!r}",
            file=path,
            field="schema",
        )
    if data.get("schema_version") != CHECKPOINT_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"checkpoint schema version {data.get('schema_version')!r} is not supported; this kplane reads "
            f"version {CHECKPOINT_SCHEMA_VERSION}",
            file=path,
            field="schema_version",
        )
    return data


def _save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save({"schema": CHECKPOINT_SCHEMA, "schema_version": CHECKPOINT_SCHEMA_VERSION, **payload}, buf)
    atomic_write_bytes(path, buf.getvalue())


def train_net(
    net: NeuroRiskNet,
    train: Sequence[InstanceGraph],
    validation: Sequence[InstanceGraph],
    objective: Objective,
    settings: TrainSettings,
    *,
    meta: dict[str, Any],
    checkpoint: str | Path | None = None,
    resume: bool = False,
    surrogate: Callable[[InstanceGraph, torch.Tensor], torch.Tensor] | None = None,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``net`` in place; returns the run summary (history, best epoch, times).

    Parameters
    ----------
    net : NeuroRiskNet
        Initialised network (its parameters are overwritten when resuming).
    train, validation : sequence of InstanceGraph
        Compiled instances (validation may be empty: the training mean is then monitored).
    objective : Objective
        The objective whose terminal value is minimised (and monitored).
    settings : TrainSettings
    meta : dict
        Method, hidden size, objective spec: stored in checkpoints and compared on resume.
    checkpoint : path, optional
        Written after every epoch.
    resume : bool
        Continue from ``checkpoint`` when it exists.
    surrogate : callable, optional
        ``surrogate(graph, x) -> loss`` replacing the objective as training loss (baselines).
    callback : callable, optional
        Called with each epoch's history row.
    """
    settings.check()
    if not train:
        raise InvalidParameterError("training needs at least one instance")
    opt = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    loss_fn = terminal_loss(objective, settings, surrogate)
    history: list[dict[str, Any]] = []
    start_epoch, best_val, best_epoch, bad, elapsed = 0, math.inf, -1, 0, 0.0
    best_state = _state_copy(net)
    ckpt = None if checkpoint is None else Path(checkpoint)
    if resume and ckpt is not None and ckpt.is_file():
        data = load_checkpoint(ckpt)
        for key in ("method", "hidden", "objective"):
            if data.get(key) != meta.get(key):
                raise InvalidParameterError(
                    f"checkpoint {ckpt} was written for {key}={data.get(key)!r}, "
                    f"this run has {meta.get(key)!r}"
                )
        net.load_state_dict(data["policy"])
        opt.load_state_dict(data["optimizer"])
        best_state = data["best_policy"]
        best_val, best_epoch, bad = float(data["best_val"]), int(data["best_epoch"]), int(data["bad_epochs"])
        history = list(data["history"])
        start_epoch, elapsed = int(data["epoch"]), float(data["elapsed_s"])
    n = len(train)
    for epoch in range(start_epoch, settings.epochs):
        if bad >= settings.patience:
            break
        t0 = time.perf_counter()
        order = np.random.default_rng([settings.seed, epoch]).permutation(n)
        for group in opt.param_groups:
            group["lr"] = epoch_learning_rate(settings, epoch)
        net.train()
        total = 0.0
        for a in range(0, n, settings.batch_size):
            batch = order[a : a + settings.batch_size]
            opt.zero_grad(set_to_none=True)
            for i in batch:
                loss = loss_fn(net, train[int(i)]) / len(batch)
                loss.backward()
                total += float(loss.detach()) * len(batch)
            if settings.grad_clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip)
            opt.step()
        net.eval()
        train_mean = total / n
        val = evaluate_mean(net, validation, objective, settings) if validation else train_mean
        dt = time.perf_counter() - t0
        elapsed += dt
        row = {"epoch": epoch + 1, "train": train_mean, "val": val, "time_s": dt}
        history.append(row)
        if val < best_val - 1e-9:
            best_val, best_epoch, bad = val, epoch + 1, 0
            best_state = _state_copy(net)
        else:
            bad += 1
        if ckpt is not None:
            _save_checkpoint(
                ckpt,
                {
                    **meta,
                    "settings": asdict(settings),
                    "epoch": epoch + 1,
                    "policy": _state_copy(net),
                    "optimizer": opt.state_dict(),
                    "best_policy": best_state,
                    "best_val": best_val,
                    "best_epoch": best_epoch,
                    "bad_epochs": bad,
                    "history": history,
                    "elapsed_s": elapsed,
                },
            )
        if callback is not None:
            callback(row)
    net.load_state_dict(best_state)
    return {
        "history": history,
        "best_epoch": best_epoch,
        "best_val": best_val,
        "train_time_s": elapsed,
        "epochs_run": len(history),
        "stopped_early": bad >= settings.patience,
    }
