"""Scoring candidates with any performance model, in batches, and summarising KPIs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, PerformanceModel, Scenario
from kplane.whatif._terms import aggregate_metric

__all__ = ["Progress", "SUMMARY_METRICS", "model_name", "predict_batched", "summarise"]

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called after each evaluated batch."""

SUMMARY_METRICS = ("mean_delay", "jitter", "jitter_over_delay", "loss_ratio")
"""Metrics of :func:`summarise`: each is the mean over paths (RouteNet Fig. 3 and Table II)."""


def model_name(model: object) -> str:
    """A short label for a model (its ``name`` attribute, else its class name)."""
    name = getattr(model, "name", None)
    return str(name) if isinstance(name, str) and name else type(model).__name__


def predict_batched(
    model: PerformanceModel,
    scenarios: Sequence[Scenario],
    *,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> tuple[list[PathKPIs], float]:
    """Call ``model.predict`` on ``scenarios`` in batches.

    Parameters
    ----------
    model : PerformanceModel
    scenarios : sequence of Scenario
    batch_size : int, optional
        Scenarios per ``predict`` call; ``None`` = all in one call (one batched forward pass for
        RouteNet).
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    kpis : list of PathKPIs
        One per scenario, in order.
    seconds : float
        Wall time spent inside ``predict``.

    Raises
    ------
    InvalidParameterError
        If ``model`` has no ``predict``, ``batch_size`` is not positive, or the model returns a
        different number of results than it was given scenarios.
    """
    if not callable(getattr(model, "predict", None)):
        raise InvalidParameterError(
            f"model {model_name(model)!r} is not a PerformanceModel: it has no predict(scenarios) method"
        )
    total = len(scenarios)
    step = total if batch_size is None else int(batch_size)
    if batch_size is not None and (isinstance(batch_size, bool) or step < 1):
        raise InvalidParameterError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    out: list[PathKPIs] = []
    seconds = 0.0
    for start in range(0, total, max(step, 1)):
        chunk = list(scenarios[start : start + step])
        t0 = time.perf_counter()
        res = list(model.predict(chunk))
        seconds += time.perf_counter() - t0
        if len(res) != len(chunk):
            raise InvalidParameterError(
                f"model {model_name(model)!r} returned {len(res)} results for {len(chunk)} scenarios"
            )
        out.extend(res)
        if progress is not None:
            progress(len(out), total)
    return out, seconds


def summarise(kpis: PathKPIs) -> dict[str, float]:
    """Network-level KPIs of one configuration: the mean over paths of each per-path metric.

    Returns
    -------
    dict
        ``mean_delay`` [s], ``jitter`` [s²], ``jitter_over_delay`` [s], ``loss_ratio`` — each the
        mean over the paths where it is defined (RouteNet's "average per-source/destination" values).
    """
    return {m: aggregate_metric(kpis, m, "mean") for m in SUMMARY_METRICS}


def mean_summary(summaries: Sequence[dict[str, float]]) -> dict[str, float]:
    """Element-wise mean of several :func:`summarise` results (NaN-skipping)."""
    out: dict[str, Any] = {}
    for m in SUMMARY_METRICS:
        vals = np.array([s[m] for s in summaries], dtype=float)
        out[m] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    return out
