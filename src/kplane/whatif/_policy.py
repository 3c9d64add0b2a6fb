"""Selection policies as data: ordered constraints, one objective, the RouteNet fallbacks.

A :class:`Policy` turns the per-path KPIs of a set of candidate configurations into one choice.
Each term (:class:`Constraint` or :class:`Objective`) reduces one per-path metric to a number per
candidate with an aggregate over paths (optionally over a subset of source–destination pairs, which
expresses per-pair SLAs). Constraints are upper bounds, checked in priority order; the objective is
minimised among the candidates that survive them.

Selection (RouteNet §VI-A, generalised to any number of constraints)::

    S ← all candidates
    for each constraint C in priority order:
        if some candidate in S meets C:  S ← those candidates
        elif C.on_infeasible == "minimise":
            return the candidate of S with the smallest value of C          (rule "minimised")
        else:  # "relax"
            C is dropped; S is kept                                          (rule "relaxed")
    return the candidate of S with the smallest objective   (rule "all_met", or "relaxed" if any C was)

The paper's policy is :meth:`Policy.routenet_qos`: mean loss ratio < 1e-3 (``minimise`` when
infeasible: "the optimizer selects the routing that minimizes the mean packet loss regardless of the
other metrics"), mean jitter/delay < 0.2 (``relax``: "the routing scheme with lower mean delay among
those that still satisfy the loss constraint"), then minimise the mean delay. Ties are broken by
the objective, then by the lower candidate index. Undefined values (NaN: e.g. a subset of paths
with nothing delivered) never meet a bound and rank last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PERCENTILE_LEVELS, PathKPIs, Topology

__all__ = ["METRICS", "Constraint", "Objective", "Policy", "Selection", "aggregate_metric"]

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
Pair = tuple[int, int]


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


def _check_pairs(pairs: Any, where: str) -> tuple[tuple[Any, Any], ...] | None:
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


def _fmt(x: float) -> str:
    return "undefined" if not np.isfinite(x) else f"{x:.4g}"


@dataclass(frozen=True)
class _Term:
    metric: str
    aggregate: str = "mean"
    pairs: tuple[tuple[Any, Any], ...] | None = None

    def _validate(self, where: str) -> None:
        _check_metric(self.metric, where)
        _check_aggregate(self.aggregate, where)
        object.__setattr__(self, "pairs", _check_pairs(self.pairs, where))

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
class Constraint(_Term):
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
class Objective(_Term):
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


@dataclass(frozen=True)
class Selection:
    """The outcome of :meth:`Policy.select`.

    Attributes
    ----------
    index : int
        The chosen candidate.
    rule : {"all_met", "minimised", "relaxed"}
        ``all_met``: every constraint was met by some candidate and the objective decided;
        ``minimised``: a constraint no candidate met was minimised (its ``on_infeasible``);
        ``relaxed``: one or more constraints were dropped and the objective decided.
    decided_by : str
        The term that made the choice, in words.
    explanation : str
        Why this candidate, in words, with the numbers.
    columns : tuple of str
        Names of the columns of ``values``: each constraint, then the objective.
    values : ndarray of shape (n_candidates, n_constraints + 1)
        Every candidate's term values.
    satisfied : ndarray of bool, shape (n_candidates, n_constraints)
        Whether each candidate meets each bound.
    relaxed : tuple of int
        Indices of constraints that were relaxed.
    """

    index: int
    rule: str
    decided_by: str
    explanation: str
    columns: tuple[str, ...]
    values: NDArray[np.float64]
    satisfied: NDArray[np.bool_]
    relaxed: tuple[int, ...] = ()

    @property
    def n_candidates(self) -> int:
        """Number of candidates considered."""
        return int(self.values.shape[0])

    def n_meeting_all(self) -> int:
        """How many candidates meet every constraint."""
        return int(self.satisfied.all(axis=1).sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON summary (the chosen candidate's term values, not the whole table)."""
        return {
            "index": self.index,
            "rule": self.rule,
            "decided_by": self.decided_by,
            "explanation": self.explanation,
            "values": {c: float(v) for c, v in zip(self.columns, self.values[self.index], strict=True)},
            "n_candidates": self.n_candidates,
            "n_meeting_all_constraints": self.n_meeting_all(),
            "relaxed": [self.columns[i] for i in self.relaxed],
        }


def _argmin(primary: NDArray[np.float64], secondary: NDArray[np.float64], idx: NDArray[np.int64]) -> int:
    """Index (from ``idx``) with the smallest primary, then secondary, then index; NaN last."""
    p = np.where(np.isfinite(primary[idx]), primary[idx], np.inf)
    s = np.where(np.isfinite(secondary[idx]), secondary[idx], np.inf)
    order = np.lexsort((idx, s, p))
    return int(idx[order[0]])


@dataclass(frozen=True)
class Policy:
    """Constraints in priority order and an objective to minimise; see the module docstring.

    Parameters
    ----------
    constraints : sequence of Constraint
        Highest priority first.
    objective : Objective
        Minimised among the candidates that meet (or survive) the constraints.
    name : str
        A label for reports.

    Examples
    --------
    >>> p = Policy.routenet_qos()
    >>> [c.describe() for c in p.constraints], p.objective.describe()
    (['mean loss_ratio < 0.001', 'mean jitter_over_delay < 0.2'], 'minimise mean mean_delay')
    """

    constraints: tuple[Constraint, ...] = ()
    objective: Objective = field(default_factory=Objective)
    name: str = "policy"

    def __post_init__(self) -> None:
        cons = tuple(self.constraints)
        if not all(isinstance(c, Constraint) for c in cons):
            raise InvalidParameterError("policy constraints must be Constraint objects")
        if not isinstance(self.objective, Objective):
            raise InvalidParameterError("policy objective must be an Objective")
        object.__setattr__(self, "constraints", cons)

    # ------------------------------------------------------------------ presets
    @classmethod
    def routenet_qos(cls, *, max_loss: float = 1e-3, max_jitter_over_delay: float = 0.2) -> Policy:
        """RouteNet §VI-A: mean loss < ``max_loss``, mean jitter/delay < 0.2, minimise mean delay."""
        return cls(
            constraints=(
                Constraint("loss_ratio", bound=max_loss, on_infeasible="minimise"),
                Constraint("jitter_over_delay", bound=max_jitter_over_delay, on_infeasible="relax"),
            ),
            objective=Objective("mean_delay"),
            name="routenet-qos",
        )

    @classmethod
    def min_delay(cls) -> Policy:
        """No constraint; minimise the mean per-path delay (RouteNet §VI-B)."""
        return cls(objective=Objective("mean_delay"), name="min-delay")

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """``{"name", "constraints": [{metric, aggregate, bound, on_infeasible, pairs?}], "objective"}``."""
        return {
            "name": self.name,
            "constraints": [c.to_dict() for c in self.constraints],
            "objective": self.objective.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, topology: Topology | None = None) -> Policy:
        """Build from the :meth:`to_dict` form; node names in ``pairs`` resolve against ``topology``.

        Raises
        ------
        InvalidParameterError
            On an unknown key, metric, aggregate or rule, a missing bound, or an unknown node.
        """
        if not isinstance(data, Mapping):
            raise InvalidParameterError(f"a policy must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {"name", "constraints", "objective"}
        if unknown:
            raise InvalidParameterError(
                f"unknown policy key(s) {sorted(unknown)}; valid: name, constraints, objective"
            )

        def pairs(item: Mapping[str, Any], where: str) -> tuple[tuple[Any, Any], ...] | None:
            raw = _check_pairs(item.get("pairs"), where)
            if raw is None or topology is None:
                return raw
            return tuple(
                tuple(topology.node_id(v) if isinstance(v, str) else int(v) for v in p)  # type: ignore[misc]
                for p in raw
            )

        cons = []
        for i, item in enumerate(data.get("constraints", [])):
            where = f"constraints[{i}]"
            if not isinstance(item, Mapping):
                raise InvalidParameterError(f"{where} must be an object, got {item!r}")
            bad = set(item) - {"metric", "aggregate", "pairs", "bound", "on_infeasible"}
            if bad or "metric" not in item or "bound" not in item:
                raise InvalidParameterError(
                    f"{where} needs 'metric' and 'bound' (optional: aggregate, pairs, on_infeasible); "
                    f"got keys {sorted(item)}"
                )
            cons.append(
                Constraint(
                    metric=item["metric"],
                    aggregate=item.get("aggregate", "mean"),
                    pairs=pairs(item, where),
                    bound=item["bound"],
                    on_infeasible=item.get("on_infeasible", "relax"),
                )
            )
        obj = data.get("objective", {"metric": "mean_delay"})
        if not isinstance(obj, Mapping) or set(obj) - {"metric", "aggregate", "pairs"}:
            raise InvalidParameterError(
                f"objective must be an object with 'metric' (optional: aggregate, pairs), got {obj!r}"
            )
        return cls(
            constraints=tuple(cons),
            objective=Objective(
                metric=obj.get("metric", "mean_delay"),
                aggregate=obj.get("aggregate", "mean"),
                pairs=pairs(obj, "objective"),
            ),
            name=str(data.get("name", "policy")),
        )

    # ------------------------------------------------------------------ evaluation
    @property
    def columns(self) -> tuple[str, ...]:
        """Column names of :meth:`evaluate`: each constraint's quantity, then the objective's."""
        return (*[c.quantity for c in self.constraints], self.objective.quantity)

    def evaluate(self, kpis: Sequence[PathKPIs]) -> NDArray[np.float64]:
        """Term values of each candidate, shape (n_candidates, n_constraints + 1)."""
        terms: list[_Term] = [*self.constraints, self.objective]
        out = np.empty((len(kpis), len(terms)), dtype=float)
        for i, k in enumerate(kpis):
            for j, t in enumerate(terms):
                out[i, j] = t.value(k)
        return out

    def select(self, kpis: Sequence[PathKPIs] | NDArray[np.float64]) -> Selection:
        """Choose one candidate; never returns an empty answer.

        Parameters
        ----------
        kpis : sequence of PathKPIs, or ndarray of shape (n_candidates, n_constraints + 1)
            The candidates' predicted KPIs, or their :meth:`evaluate` values.

        Raises
        ------
        InvalidParameterError
            If there are no candidates, or the value table has the wrong shape.
        """
        if isinstance(kpis, np.ndarray):
            values = np.asarray(kpis, dtype=float)
        else:
            values = self.evaluate(kpis)
        k = len(self.constraints)
        if values.ndim != 2 or values.shape[1] != k + 1:
            raise InvalidParameterError(
                f"policy values must have shape (n_candidates, {k + 1}), got {values.shape}"
            )
        n = values.shape[0]
        if n == 0:
            raise InvalidParameterError("no candidates to choose from: the candidate list is empty")
        bounds = np.array([c.bound for c in self.constraints], dtype=float)
        with np.errstate(invalid="ignore"):
            satisfied = values[:, :k] < bounds  # NaN compares False: never meets a bound
        obj = values[:, k]
        cols = self.columns
        alive = np.arange(n)
        relaxed: list[int] = []
        notes: list[str] = []
        for j, con in enumerate(self.constraints):
            meets = alive[satisfied[alive, j]]
            if meets.size:
                alive = meets
                continue
            col = values[alive, j]
            best = float(np.nanmin(col)) if np.isfinite(col).any() else float("nan")
            scope = "candidate" if len(alive) == n else "remaining candidate"
            if con.on_infeasible == "minimise":
                idx = _argmin(values[:, j], obj, alive)
                explanation = (
                    f"no {scope} meets {con.describe()} (best {_fmt(best)}); chose candidate {idx} "
                    f"of {n}, the one with the lowest {con.quantity} ({_fmt(values[idx, j])}), "
                    "regardless of the lower-priority targets"
                )
                return Selection(
                    idx,
                    "minimised",
                    con.describe(),
                    "; ".join([*notes, explanation]),
                    cols,
                    values,
                    satisfied,
                    tuple(relaxed),
                )
            relaxed.append(j)
            notes.append(f"no {scope} meets {con.describe()} (best {_fmt(best)}), so it was relaxed")
        idx = _argmin(obj, obj, alive)
        met = [c.describe() for j, c in enumerate(self.constraints) if j not in relaxed]
        among = (
            f"among the {len(alive)} of {n} candidates meeting {' and '.join(met)}"
            if met
            else f"among all {n} candidates"
        )
        explanation = (
            f"chose candidate {idx}: the lowest {self.objective.quantity} ({_fmt(obj[idx])}) {among}"
        )
        rule = "relaxed" if relaxed else "all_met"
        return Selection(
            idx,
            rule,
            self.objective.describe(),
            "; ".join([*notes, explanation]),
            cols,
            values,
            satisfied,
            tuple(relaxed),
        )

    def describe(self) -> str:
        """The policy in words, in priority order."""
        parts = [
            f"{i + 1}) {c.describe()} (if infeasible: {c.on_infeasible})"
            for i, c in enumerate(self.constraints)
        ]
        parts.append(f"{len(parts) + 1}) {self.objective.describe()}")
        return "; ".join(parts)
