"""Resolve a model name (``bundled``, ``queueing``, ``sim`` or a checkpoint path) to a PerformanceModel."""

from __future__ import annotations

from pathlib import Path

from kplane.errors import InvalidParameterError, UnsupportedError
from kplane.network import PerformanceModel

__all__ = ["MODEL_CHOICES", "make_simulator", "resolve_model"]

MODEL_CHOICES = ("bundled", "queueing", "sim")
"""Model names :func:`resolve_model` accepts besides a path to a RouteNet checkpoint."""


def make_simulator(
    *, duration: float, warmup: float | None = None, seed: int = 0, n_jobs: int = 1
) -> PerformanceModel:
    """The packet-level simulator as a :class:`~kplane.network.PerformanceModel`.

    Parameters
    ----------
    duration : float
        Simulated seconds per scenario.
    warmup : float, optional
        Seconds excluded at the start (the simulator's default when None).
    seed : int
    n_jobs : int
        Scenarios simulated in parallel.
    """
    try:
        from kplane.sim import Simulator
    except ImportError as exc:  # pragma: no cover - depends on the installed simulator
        raise UnsupportedError(f"the packet-level simulator is not available: {exc}") from None
    return Simulator(duration=duration, warmup=warmup, seed=seed, n_jobs=n_jobs)


def resolve_model(
    spec: str | Path | PerformanceModel,
    *,
    duration: float = 2000.0,
    warmup: float | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    num_threads: int | None = None,
) -> PerformanceModel:
    """A performance model from a name, a checkpoint path, or a model (returned as is).

    Parameters
    ----------
    spec : str, Path or PerformanceModel
        ``"queueing"`` (M/M/1/b fixed point), ``"sim"`` (the simulator: ``duration``, ``warmup``,
        ``seed``, ``n_jobs`` apply), ``"bundled"`` (RouteNet weights shipped with kplane) or the path
        of a RouteNet checkpoint file.
    duration, warmup, seed, n_jobs
        Simulator settings for ``"sim"``.
    num_threads : int, optional
        Torch threads for RouteNet (``None``: torch's default).

    Raises
    ------
    InvalidParameterError
        If ``spec`` is neither a known name nor an existing file (the message lists the choices).
    NotFittedError
        If ``"bundled"`` is asked for and no RouteNet weights ship with this kplane.
    """
    if not isinstance(spec, str | Path):
        if callable(getattr(spec, "predict", None)):
            return spec
        raise InvalidParameterError(
            f"model must be a name, a checkpoint path or a PerformanceModel, got {spec!r}"
        )
    name = str(spec).strip()
    if name.lower() == "queueing":
        try:
            from kplane.queueing import MM1bModel
        except ImportError as exc:  # pragma: no cover - depends on the installed queueing model
            raise UnsupportedError(f"the queueing model is not available: {exc}") from None
        return MM1bModel()
    if name.lower() == "sim":
        return make_simulator(duration=duration, warmup=warmup, seed=seed, n_jobs=n_jobs)
    if name.lower() == "bundled":
        return _bundled_routenet(num_threads)
    path = Path(name).expanduser()
    if path.is_file():
        try:
            from kplane.routenet import RouteNetModel
        except ImportError as exc:  # pragma: no cover - depends on the installed RouteNet
            raise UnsupportedError(f"RouteNet is not available to load {path}: {exc}") from None
        return RouteNetModel.load(path, num_threads=num_threads)
    raise InvalidParameterError(
        f"unknown model {name!r}; valid: {', '.join(MODEL_CHOICES)} or the path of a RouteNet checkpoint file"
    )


def _bundled_routenet(num_threads: int | None) -> PerformanceModel:
    """The RouteNet weights shipped with kplane (a clear error while none ship)."""
    try:
        from kplane.routenet import RouteNetModel
    except ImportError as exc:  # pragma: no cover - depends on the installed RouteNet
        raise UnsupportedError(f"RouteNet is not available: {exc}") from None
    return RouteNetModel.load("bundled", num_threads=num_threads)
