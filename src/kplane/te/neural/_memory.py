"""Memory planning: pick or check the scenario chunk size so one unrolled step fits in memory.

The largest intermediate of a step is the hidden layer of the policy over (unit, scenario) pairs:
``U × Q_chunk × hidden`` floats, about three such tensors alive at once (pre-activation, activation,
einsum operand). Training keeps every step's activations for the backward pass unless gradient
checkpointing recomputes them, so it multiplies the footprint by K.
"""

from __future__ import annotations

import os
from typing import Any

from kplane.errors import InvalidParameterError
from kplane.te.neural._graph import InstanceGraph

__all__ = ["DEFAULT_BUDGET_BYTES", "available_memory", "plan_chunk", "step_bytes"]

DEFAULT_BUDGET_BYTES = 1 << 30
"""Automatic chunking keeps one step's intermediates under 1 GiB (and under half the free memory)."""

_LIVE_TENSORS = 3


def available_memory() -> int:
    """Bytes of memory currently available (``MemAvailable``), or 8 GiB when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def step_bytes(
    graph: InstanceGraph,
    hidden: int,
    chunk: int,
    *,
    units: int,
    training: bool = False,
    iterations: int = 1,
    checkpointing: bool = False,
) -> int:
    """Estimated bytes of the policy intermediates with ``chunk`` scenarios per chunk."""
    item = 4 if graph.dtype.itemsize <= 4 else 8
    per = units * hidden * item * _LIVE_TENSORS
    if training:
        # the backward pass needs every chunk of a step (of every step without checkpointing)
        return per * graph.n_scenarios * (1 if checkpointing else max(1, iterations)) + per * chunk
    return per * chunk


def plan_chunk(
    graph: InstanceGraph,
    hidden: int,
    chunk: int | None,
    *,
    units: int,
    training: bool = False,
    iterations: int = 1,
    checkpointing: bool = False,
    budget: int | None = None,
) -> int | None:
    """The chunk size to use (None = all scenarios at once), or a clear error when nothing fits.

    Parameters
    ----------
    chunk : int or None
        Requested scenarios per chunk; None picks the largest that fits the budget.
    units : int
        Units the policy runs on (pairs or tunnels).
    budget : int, optional
        Bytes allowed (default: :data:`DEFAULT_BUDGET_BYTES` for automatic chunking, the available
        memory for a requested chunk).

    Raises
    ------
    InvalidParameterError
        When the requested chunk (or even one scenario per chunk) exceeds the memory available; the
        message gives the estimate and the chunk size to use.
    """
    q = graph.n_scenarios
    avail = available_memory()
    gib = float(1 << 30)
    kw: dict[str, Any] = {
        "units": units,
        "training": training,
        "iterations": iterations,
        "checkpointing": checkpointing,
    }
    if chunk is not None:
        if int(chunk) != chunk or chunk < 1:
            raise InvalidParameterError(f"chunk size must be an integer >= 1 scenario, got {chunk!r}")
        limit = avail if budget is None else budget
        need = step_bytes(graph, hidden, min(int(chunk), q), **kw)
        if need > limit:
            fit = _largest(graph, hidden, limit, **kw)
            hint = (
                f"use a chunk size of at most {fit} scenarios"
                if fit
                else "no chunk size fits: free memory"
                + ("" if checkpointing or not training else " or enable gradient checkpointing")
            )
            raise InvalidParameterError(
                f"instance {graph.instance.name!r} ({graph.n_pairs} (edge, tunnel) pairs, {q} scenarios) "
                f"needs "
                f"about {need / gib:.2f} GiB per step with chunk size {chunk}, but {limit / gib:.2f} GiB are "
                f"available; {hint}"
            )
        return None if chunk >= q else int(chunk)
    if budget is not None:
        limit = budget
    else:  # chunking cannot shrink what training keeps for the backward pass: allow half the free memory
        limit = avail // 2 if training else min(DEFAULT_BUDGET_BYTES, avail // 2)
    if step_bytes(graph, hidden, q, **kw) <= limit:
        return None
    fit = _largest(graph, hidden, limit, **kw)
    if fit == 0:
        need = step_bytes(graph, hidden, 1, **kw)
        raise InvalidParameterError(
            f"instance {graph.instance.name!r} ({graph.n_pairs} (edge, tunnel) pairs, {q} scenarios) "
            f"needs about "
            f"{need / gib:.2f} GiB per step even with chunk size 1, over the {limit / gib:.2f} GiB allowed"
            + ("; enable gradient checkpointing" if training and not checkpointing else "")
        )
    return fit


def _largest(graph: InstanceGraph, hidden: int, limit: int, **kw: Any) -> int:
    lo, hi = 0, graph.n_scenarios
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if step_bytes(graph, hidden, mid, **kw) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo
