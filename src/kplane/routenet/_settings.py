"""Training settings and the result of a training run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kplane.errors import InvalidParameterError
from kplane.routenet._features import FeatureScaler
from kplane.routenet._heads import WEIGHTINGS
from kplane.routenet._model import RouteNetMultiHead

__all__ = ["TrainResult", "TrainSettings"]


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (all keyword; defaults follow the paper where it gives one).

    Parameters
    ----------
    epochs : int
        Passes over the training data (an upper bound when early stopping triggers).
    max_steps : int, optional
        Stop after this many optimiser steps in total.
    batch_size : int
        Samples per mini-batch (paper: 16).
    lr : float
        Adam's initial learning rate (paper: 1e-3).
    lr_decay, lr_decay_steps : float, int
        ``lr = lr0 · lr_decay ** (step // lr_decay_steps)`` (public code: 0.9 every 50,000 steps).
    l2, l2_last : float
        L2 coefficients on the readout's hidden and last kernels, see
        :meth:`~kplane.routenet.RouteNet.l2_penalty`. The public code uses 0.1 and 0.01 against a data
        loss summed over a batch's paths, weighted by packet counts and divided by 1e6 — about 23×
        the per-packet mean NLL used here for NSFNET batches of 16 at 16,000 s per sample — so the
        same balance is 0.1 / 23 ≈ 4e-3 and 4e-4.
    weighting : {"relative", "packets", "uniform"}
        Per-path weights of the NLL (see :mod:`kplane.routenet._heads`): ``"packets"`` is the paper's;
        ``"relative"`` (the default) weighs the delay heads the same and makes the loss head's error
        relative — on unseen data it cut the drops error from 0.47 to 0.15 (``docs/routenet.md``).
    eval_every : int
        Validate every this many steps; 0 = at the end of every epoch.
    patience : int
        Stop after this many validations without improvement of the validation loss.
    log_every : int
        Steps per CSV log row.
    checkpoint_every : int
        Steps between training-state saves (and at every validation and at the end).
    seed : int
        Seeds weights, data order and dropout.
    """

    epochs: int = 100
    max_steps: int | None = None
    batch_size: int = 16
    lr: float = 1e-3
    lr_decay: float = 0.9
    lr_decay_steps: int = 50_000
    l2: float = 4e-3
    l2_last: float = 4e-4
    weighting: str = "relative"
    eval_every: int = 0
    patience: int = 10
    log_every: int = 50
    checkpoint_every: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "lr_decay_steps", "log_every", "checkpoint_every", "patience"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise InvalidParameterError(f"{name} must be an integer >= 1, got {v!r}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 0):
            raise InvalidParameterError(f"max_steps must be an integer >= 0 or None, got {self.max_steps!r}")
        if not isinstance(self.eval_every, int) or self.eval_every < 0:
            raise InvalidParameterError(f"eval_every must be an integer >= 0, got {self.eval_every!r}")
        for name in ("lr", "lr_decay"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"{name} must be a number > 0, got {v!r}")
        for name in ("l2", "l2_last"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise InvalidParameterError(f"{name} must be a number >= 0, got {v!r}")
        if self.weighting not in WEIGHTINGS:
            raise InvalidParameterError(
                f"weighting must be one of {list(WEIGHTINGS)}, got {self.weighting!r}"
            )
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidParameterError(f"seed must be a non-negative integer, got {self.seed!r}")


@dataclass
class TrainResult:
    """What :func:`train_network` returns."""

    net: RouteNetMultiHead
    scaler: FeatureScaler
    steps: int
    epochs: float
    stopped: str  # "epochs", "max_steps", "early_stopping"
    wall_time_s: float
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
