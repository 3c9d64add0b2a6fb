"""Policy terms: per-path metrics, aggregates over paths, constraints and objectives.

A term reduces one per-path metric of a candidate's :class:`~kplane.network.PathKPIs` to a number
with an aggregate over paths (optionally over a subset of source–destination pairs, which expresses
per-pair SLAs). :class:`Constraint` adds an upper bound and what to do when no candidate meets it;
:class:`Objective` is minimised. :class:`~kplane.whatif.Policy` orders them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PERCENTILE_LEVELS, PathKPIs

__all__ = ["METRICS", "Constraint", "Objective", "Term", "aggregate_metric", "check_pairs", "format_value"]

METRICS: dict[str, str] = {
    "mean_delay": "s",
    "jitter": "s^2",
    "loss_ratio": "1",
    "jitter_over_delay": "s",
    **{f"delay_p{lv}": "s" for lv in PERCENTILE_LEVELS},
}
"""Per-path metrics a policy can use, with their units.

``jitter_over_delay`` is the path's delay variance divided by its mean delay (RouteNet's
"jitter/delay"; with delays in seconds it is in seconds, numerically the paper's ratio since the
paper's time unit is read as 1 s). ``delay_pNN`` needs models that report delay percentiles.
"""

_AGGREGATE = re.compile(r"^(mean|max|median|p(\d{1,2}))$")
_ON_INFEASIBLE = ("minimise", "relax")


def _check_metric(metric: str, where: str) -> str:
    if metric not in METRICS:
        raise InvalidParameterError(
            f"{where} metric {metric!r} is not known; valid metrics: {', '.join(METRICS)}"
        )
    return metric


def _check_aggregate(aggregate: str, where: str) -> str:
    m = _AGGREGATE.match(str(aggregate))
    if m is None or (m.group(2) is not None and not 1 <= int(m.group(2)) <= 99):
        raise InvalidParameterError(
            f"{where} aggregate {aggregate!r} is not known; valid: 'mean', 'max', 'median' or a "
            "percentile over paths 'p1'..'p99' (e.g. 'p90')"
        )
    return str(aggregate)


def check_pairs(pairs: Any, where: str) -> tuple[tuple[Any, Any], ...] | None:
    if pairs is None:
        return None
    try:
        out = tuple((a, b) for a, b in pairs)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{where} pairs must be a list of (src, dst) node ids or names, got {pairs!r}"
        ) from None
    if not out:
        raise InvalidParameterError(f"{where} pairs is empty; leave it out to use every path")
    return out


def _path_values(kpis: PathKPIs, metric: str) -> NDArray[np.float64]:
    """Per-path values of ``metric``, shape (n_paths,)."""
    if metric == "jitter_over_delay":
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = kpis.jitter / kpis.mean_delay
        return np.where(kpis.mean_delay > 0, vals, np.nan)
    if metric.startswith("delay_p"):
        if kpis.percentiles is None:
            raise InvalidParameterError(
                f"metric {metric!r} needs delay percentiles, which this model does not report "
                f"(model: {kpis.metadata.get('model', 'unknown')}); use mean_delay or a model that "
                "reports percentiles (the simulator)"
            )
        return np.asarray(kpis.percentiles[:, PERCENTILE_LEVELS.index(int(metric[7:]))], dtype=float)
    return np.asarray(getattr(kpis, metric), dtype=float)


def _pair_mask(kpis: PathKPIs, pairs: Sequence[tuple[Any, Any]] | None) -> NDArray[np.bool_] | None:
    if pairs is None:
        return None
    index = {(int(s), int(d)): i for i, (s, d) in enumerate(kpis.pairs)}
    names = {n: i for i, n in enumerate(kpis.node_names)} if kpis.node_names is not None else {}
    mask = np.zeros(kpis.n_paths, dtype=bool)
    for s, d in pairs:
        try:
            key = (
                int(s) if not isinstance(s, str) else names[s],
                int(d) if not isinstance(d, str) else names[d],
            )
        except KeyError:
            raise InvalidParameterError(
                f"pair {s}→{d}: unknown node name (known: {', '.join(map(str, names)) or 'none'})"
            ) from None
        if key not in index:
            raise InvalidParameterError(f"pair {s}→{d} has no path in the candidate's routing")
        mask[index[key]] = True
    return mask


def aggregate_metric(
    kpis: PathKPIs, metric: str, aggregate: str = "mean", pairs: Sequence[tuple[Any, Any]] | None = None
) -> float:
    """Reduce one per-path metric of ``kpis`` to a number.

    Parameters
    ----------
    kpis : PathKPIs
    metric : str
        A key of :data:`METRICS`.
    aggregate : {"mean", "max", "median", "pNN"}
        Reduction over the selected paths; ``pNN`` is the NN-th percentile over paths.
    pairs : sequence of (src, dst), optional
        Restrict to these pairs (node ids, or names when ``kpis.node_names`` is set).

    Returns
    -------
    float
        NaN when no selected path has a defined value (paths with NaN are skipped).
    """
    vals = _path_values(kpis, _check_metric(metric, "policy"))
    mask = _pair_mask(kpis, pairs)
    if mask is not None:
        vals = vals[mask]
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return float("nan")
    agg = _check_aggregate(aggregate, "policy")
    if agg == "mean":
        return float(vals.mean())
    if agg == "max":
        return float(vals.max())
    if agg == "median":
        return float(np.median(vals))
    return float(np.percentile(vals, int(agg[1:])))


def format_value(x: float) -> str:
    """``x`` with 4 significant digits, or ``"undefined"`` for NaN."""
    return "undefined" if not np.isfinite(x) else f"{x:.4g}"


@dataclass(frozen=True)
class Term:
    metric: str
    aggregate: str = "mean"
    pairs: tuple[tuple[Any, Any], ...] | None = None

    def _validate(self, where: str) -> None:
        _check_metric(self.metric, where)
        _check_aggregate(self.aggregate, where)
        object.__setattr__(self, "pairs", check_pairs(self.pairs, where))

    @property
    def quantity(self) -> str:
        """``"mean loss_ratio"``, ``"max mean_delay over pairs 0→3"``: the term in words."""
        text = f"{self.aggregate} {self.metric}"
        if self.pairs is not None:
            text += " over pair" + ("s " if len(self.pairs) > 1 else " ")
            text += ", ".join(f"{s}→{d}" for s, d in self.pairs)
        return text

    def value(self, kpis: PathKPIs) -> float:
        """The term's value for one candidate."""
        return aggregate_metric(kpis, self.metric, self.aggregate, self.pairs)

    def _to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "aggregate": self.aggregate}
        if self.pairs is not None:
            out["pairs"] = [list(p) for p in self.pairs]
        return out


@dataclass(frozen=True)
class Constraint(Term):
    """An upper bound on an aggregated per-path metric: ``aggregate(metric over paths) < bound``.

    Parameters
    ----------
    metric : str
        A key of :data:`METRICS` (e.g. ``"loss_ratio"``, ``"jitter_over_delay"``, ``"delay_p90"``).
    aggregate : {"mean", "max", "median", "pNN"}
        Reduction over paths. ``"max"`` with ``pairs`` is a per-pair SLA: every listed pair meets it.
    pairs : sequence of (src, dst), optional
        Only these source–destination pairs (node ids or names).
    bound : float
        Strict upper bound in the metric's unit (see :data:`METRICS`).
    on_infeasible : {"minimise", "relax"}
        What to do when no remaining candidate meets the bound: pick the candidate that minimises
        this term (and stop), or drop the constraint and go on.

    Examples
    --------
    >>> Constraint("loss_ratio", bound=1e-3, on_infeasible="minimise").describe()
    'mean loss_ratio < 0.001'
    """

    bound: float = float("inf")
    on_infeasible: Literal["minimise", "relax"] = "relax"

    def __post_init__(self) -> None:
        self._validate("constraint")
        try:
            bound = float(self.bound)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"constraint bound must be a number, got {self.bound!r}") from None
        if not np.isfinite(bound):
            raise InvalidParameterError(
                f"constraint on {self.quantity} needs a finite bound, got {self.bound!r}"
            )
        object.__setattr__(self, "bound", bound)
        if self.on_infeasible not in _ON_INFEASIBLE:
            raise InvalidParameterError(
                f"constraint on_infeasible must be one of {', '.join(_ON_INFEASIBLE)}, "
                f"got {self.on_infeasible!r}"
            )

    def describe(self) -> str:
        """The constraint in words."""
        return f"{self.quantity} < {self.bound:g}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (see :meth:`Policy.from_dict`)."""
        return {**self._to_dict(), "bound": self.bound, "on_infeasible": self.on_infeasible}


@dataclass(frozen=True)
class Objective(Term):
    """The aggregated per-path metric to minimise (default: mean of the per-path mean delays)."""

    metric: str = "mean_delay"

    def __post_init__(self) -> None:
        self._validate("objective")

    def describe(self) -> str:
        """The objective in words."""
        return f"minimise {self.quantity}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (see :meth:`Policy.from_dict`)."""
        return self._to_dict()
