"""`PathKPIs`: the one per-path result type of simulator, queueing model and RouteNet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import FrozenState, frozen_array

__all__ = ["PAPER_SAMPLE_TIME", "PERCENTILE_LEVELS", "PathKPIs"]

PERCENTILE_LEVELS: tuple[int, ...] = (10, 20, 50, 80, 90)
"""Delay percentiles reported per path (as in the public RouteNet datasets)."""

PAPER_SAMPLE_TIME: float = 16_000.0
"""Simulated seconds per sample of the public RouteNet datasets; kplane's default label duration."""

_OPTIONAL = ("mean_log_delay", "delivered", "dropped", "mean_delay_ci", "offered_rate")


@dataclass(frozen=True, eq=False)
class PathKPIs(FrozenState):
    """Per-path performance: mean delay [s], jitter (delay variance) [s²], loss ratio.

    Missing values (no packet delivered, labels masked in a dataset) are NaN. Entries are in the
    order of ``pairs`` (the scenario's routing order).

    Parameters
    ----------
    pairs : array-like of shape (n_paths, 2)
        ``(src, dst)`` node indices.
    mean_delay : array-like of shape (n_paths,)
        Mean end-to-end delay of delivered packets, seconds.
    jitter : array-like of shape (n_paths,)
        Variance of the end-to-end delay, s².
    loss_ratio : array-like of shape (n_paths,)
        Dropped / offered packets, in [0, 1].
    mean_log_delay : array-like of shape (n_paths,), optional
        Mean of ln(delay / 1 s).
    percentiles : array-like of shape (n_paths, 5), optional
        Delay percentiles at :data:`PERCENTILE_LEVELS`, seconds.
    delivered, dropped : array-like of shape (n_paths,), optional
        Packet counts over the measurement window.
    mean_delay_ci : array-like of shape (n_paths,), optional
        Half-width of a 95% confidence interval of ``mean_delay``, seconds.
    offered_rate : array-like of shape (n_paths,), optional
        Offered traffic of the path, bit/s.
    node_names : sequence of str, optional
        Names used for ``src``/``dst`` in :meth:`to_dict`.
    metadata : mapping, optional
        Extra JSON-serialisable information (model name, wall time, ...).
    """

    pairs: NDArray[np.int64]
    mean_delay: NDArray[np.float64]
    jitter: NDArray[np.float64]
    loss_ratio: NDArray[np.float64]
    mean_log_delay: NDArray[np.float64] | None = None
    percentiles: NDArray[np.float64] | None = None
    delivered: NDArray[np.float64] | None = None
    dropped: NDArray[np.float64] | None = None
    mean_delay_ci: NDArray[np.float64] | None = None
    offered_rate: NDArray[np.float64] | None = None
    node_names: tuple[str, ...] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pairs = frozen_array(np.asarray(self.pairs).reshape(-1, 2), np.int64, "pairs")
        n = pairs.shape[0]
        object.__setattr__(self, "pairs", pairs)
        for name in ("mean_delay", "jitter", "loss_ratio", *_OPTIONAL):
            val = getattr(self, name)
            if val is None:
                continue
            arr = frozen_array(np.asarray(val, dtype=np.float64).reshape(-1), np.float64, name)
            if arr.shape != (n,):
                raise InvalidScenarioError(f"{name} must have shape ({n},), got {arr.shape}")
            if (arr[np.isfinite(arr)] < 0).any() and name != "mean_log_delay":
                raise InvalidScenarioError(f"{name} must be >= 0 (NaN for missing)")
            if np.isinf(arr).any():
                raise InvalidScenarioError(f"{name} must not be infinite (use NaN for missing)")
            object.__setattr__(self, name, arr)
        lr = self.loss_ratio
        if (lr[np.isfinite(lr)] > 1 + 1e-12).any():
            raise InvalidScenarioError("loss_ratio must be in [0, 1]")
        if self.percentiles is not None:
            pct = frozen_array(self.percentiles, np.float64, "percentiles")
            if pct.shape != (n, len(PERCENTILE_LEVELS)):
                raise InvalidScenarioError(
                    f"percentiles must have shape ({n}, {len(PERCENTILE_LEVELS)}), got {pct.shape}"
                )
            object.__setattr__(self, "percentiles", pct)
        if self.node_names is not None:
            object.__setattr__(self, "node_names", tuple(str(x) for x in self.node_names))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.pairs.shape[0])

    def _name(self, i: int) -> str | int:
        return self.node_names[i] if self.node_names is not None else int(i)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by every ``--json`` per-path output.

        ``{"schema": "kplane.pathkpis", "version": 1, "units": {...}, "paths": [{"src", "dst",
        "mean_delay" (s), "jitter" (s²), "loss_ratio", ...optional fields}], "metadata": {...}}``;
        NaN becomes ``null``.
        """

        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else float(x)

        rows = []
        for i, (s, d) in enumerate(self.pairs):
            row: dict[str, Any] = {
                "src": self._name(s),
                "dst": self._name(d),
                "mean_delay": num(self.mean_delay[i]),
                "jitter": num(self.jitter[i]),
                "loss_ratio": num(self.loss_ratio[i]),
            }
            for name in _OPTIONAL:
                arr = getattr(self, name)
                if arr is not None:
                    row[name] = num(arr[i])
            if self.percentiles is not None:
                row["percentiles"] = {
                    f"p{lv}": num(v) for lv, v in zip(PERCENTILE_LEVELS, self.percentiles[i], strict=True)
                }
            rows.append(row)
        return {
            "schema": "kplane.pathkpis",
            "version": 1,
            "units": {"mean_delay": "s", "jitter": "s^2", "loss_ratio": "1", "offered_rate": "bit/s"},
            "paths": rows,
            "metadata": _jsonable(dict(self.metadata)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], node_names: Sequence[str] | None = None) -> PathKPIs:
        """Inverse of :meth:`to_dict` (``src``/``dst`` may be names, given ``node_names``)."""
        rows = data["paths"]
        index = {n: i for i, n in enumerate(node_names)} if node_names is not None else None

        def node(v: Any) -> int:
            if isinstance(v, int):
                return v
            if index is None or v not in index:
                raise InvalidScenarioError(f"unknown node {v!r} in PathKPIs")
            return index[v]

        def col(name: str) -> NDArray[np.float64] | None:
            if not rows and name in ("mean_delay", "jitter", "loss_ratio"):
                return np.zeros(0)
            if not rows or name not in rows[0]:
                return None
            return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=float)

        pct = None
        if rows and "percentiles" in rows[0]:
            pct = np.array(
                [[np.nan if r["percentiles"][f"p{lv}"] is None else r["percentiles"][f"p{lv}"]
                  for lv in PERCENTILE_LEVELS] for r in rows],
                dtype=float,
            )
        kw = {name: col(name) for name in _OPTIONAL}
        return cls(
            pairs=np.array([[node(r["src"]), node(r["dst"])] for r in rows], dtype=np.int64).reshape(-1, 2),
            mean_delay=col("mean_delay"),  # type: ignore[arg-type]
            jitter=col("jitter"),  # type: ignore[arg-type]
            loss_ratio=col("loss_ratio"),  # type: ignore[arg-type]
            percentiles=pct,
            node_names=tuple(node_names) if node_names is not None else None,
            metadata=dict(data.get("metadata", {})),
            **kw,
        )

    def select(self, index: ArrayLike) -> PathKPIs:
        """The KPIs of a subset of paths (boolean mask or integer index)."""
        idx = np.asarray(index)
        kw: dict[str, Any] = {}
        for name in ("mean_delay", "jitter", "loss_ratio", *_OPTIONAL, "percentiles"):
            arr = getattr(self, name)
            kw[name] = None if arr is None else arr[idx]
        return PathKPIs(pairs=self.pairs[idx], node_names=self.node_names,
                        metadata=dict(self.metadata), **kw)

    def __repr__(self) -> str:
        return f"PathKPIs(n_paths={self.n_paths})"


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays inside ``obj`` to plain Python for ``json.dumps``."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
