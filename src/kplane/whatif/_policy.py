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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, Topology
from kplane.whatif._terms import Constraint, Objective, Term, check_pairs
from kplane.whatif._terms import format_value as _fmt

__all__ = ["Policy", "Selection"]


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
            raw = check_pairs(item.get("pairs"), where)
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
        terms: list[Term] = [*self.constraints, self.objective]
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
