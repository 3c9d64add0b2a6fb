"""Budget-constrained network upgrade (RouteNet §VI-B): where to add one link, and the classic baseline.

- :class:`LinkPlacementOptimizer` — for every new bidirectional link of a given capacity between two
  non-adjacent nodes, recompute the routing candidates on the new topology, score link × routing
  with a performance model (one ``predict`` call per new link), and select by a policy (default:
  minimise the mean delay, as in the paper).
- :func:`most_utilised_link_upgrade` — the operators' rule: raise the capacity of the most utilised
  link (fluid utilisation of the current routing; both directions) to the next capacity step
  (10 → 40 → 100 kbit/s by default), keeping the routing.
- :func:`compare_placements` — both, each outcome measured by a simulator against the original.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, PerformanceModel, Scenario
from kplane.network.topologies import ROUTENET_CAPACITIES
from kplane.utils import format_rate, parse_rate
from kplane.whatif._candidates import (
    LinkCandidate,
    candidate_scenarios,
    link_candidates,
    routing_candidates,
    unique_routings,
)
from kplane.whatif._evaluate import Progress, model_name, predict_batched, summarise
from kplane.whatif._policy import Policy, Selection
from kplane.whatif._routing import routing_to_dict

__all__ = [
    "CAPACITY_STEPS",
    "LinkPlacementOptimizer",
    "LinkUpgrade",
    "PlacementChoice",
    "PlacementReport",
    "compare_placements",
    "most_utilised_link_upgrade",
]

CAPACITY_STEPS: tuple[float, ...] = ROUTENET_CAPACITIES
"""Capacity ladder of the upgrade baseline in bit/s: 10 → 40 → 100 kbit/s."""


@dataclass(frozen=True, eq=False)
class PlacementChoice:
    """What :meth:`LinkPlacementOptimizer.optimize` chose.

    Attributes
    ----------
    link : LinkCandidate
        The new link (end nodes, capacity, new topology).
    routing_index : int
        Position of the chosen routing among that topology's candidates.
    scenario : Scenario
        New topology, chosen routing, original traffic.
    predicted : PathKPIs
        The model's KPIs for ``scenario``.
    selection : Selection
        The policy's decision over all link × routing candidates (row ``i·n_routings + j``).
    per_link_best : ndarray of shape (n_links_tried,)
        Best objective value found for each new link (NaN-free ranking aid for reports).
    links : list of LinkCandidate
        Every new link tried, in row order of ``selection``.
    model : str
    n_evaluated : int
        Scenarios scored (distinct routings per new link, summed).
    predict_seconds : float
    """

    link: LinkCandidate
    routing_index: int
    scenario: Scenario
    predicted: PathKPIs
    selection: Selection
    per_link_best: NDArray[np.float64]
    links: list[LinkCandidate]
    model: str
    n_evaluated: int
    predict_seconds: float


class LinkPlacementOptimizer:
    """Choose one new link and a routing for it with a performance model (RouteNet §VI-B).

    Parameters
    ----------
    model : PerformanceModel
    capacity : float or str
        Capacity of the new link in bit/s (or ``"10kbps"``); the paper adds one 10 kbit/s link.
    policy : Policy, optional
        Default :meth:`Policy.min_delay`.
    n_routings : int
        Routing candidates per new topology (:func:`routing_candidates`; the paper: 450).
    seed : int
        Seed of the routing candidates (the same for every new link).
    batch_size : int, optional
        Scenarios per ``predict`` call; ``None``: one call per new link.
    """

    def __init__(
        self,
        *,
        model: PerformanceModel,
        capacity: float | str = 10e3,
        policy: Policy | None = None,
        n_routings: int = 450,
        seed: int = 0,
        batch_size: int | None = None,
    ) -> None:
        self.model = model
        self.capacity = capacity
        self.policy = policy
        self.n_routings = n_routings
        self.seed = seed
        self.batch_size = batch_size

    def optimize(self, scenario: Scenario, *, progress: Progress | None = None) -> PlacementChoice:
        """Score every new link × routing and select one by the policy.

        Raises
        ------
        InvalidParameterError
            If every node pair is already adjacent (no link can be added).
        """
        policy = self.policy if self.policy is not None else Policy.min_delay()
        links = link_candidates(scenario.topology, self.capacity)
        if not links:
            raise InvalidParameterError(
                f"topology {scenario.topology.name!r} is a full mesh: there is no pair of non-adjacent "
                "nodes to link"
            )
        blocks: list[NDArray[np.float64]] = []
        n_eval, seconds = 0, 0.0
        for k, cand in enumerate(links):
            routings = routing_candidates(cand.topology, self.n_routings, seed=self.seed)
            unique, inverse = unique_routings(routings)
            scen = candidate_scenarios(scenario, unique, topology=cand.topology)
            kpis, sec = predict_batched(self.model, scen, batch_size=self.batch_size)
            blocks.append(policy.evaluate(kpis)[inverse])
            n_eval += len(unique)
            seconds += sec
            if progress is not None:
                progress(k + 1, len(links))
        values = np.vstack(blocks)
        sel = policy.select(values)
        n_r = blocks[0].shape[0]
        k, j = divmod(sel.index, n_r)
        link = links[k]
        # Candidates are a deterministic function of (topology, n_routings, seed): rebuild the winner's.
        routing = routing_candidates(link.topology, self.n_routings, seed=self.seed)[j]
        chosen = scenario.replace(
            topology=link.topology, routing=routing, name=f"{scenario.name}+{link.label()}"
        )
        predicted, sec = predict_batched(self.model, [chosen])
        obj = values[:, -1].reshape(len(links), n_r)
        with np.errstate(invalid="ignore"):
            best = np.array([np.nanmin(r) if np.isfinite(r).any() else np.nan for r in obj])
        explanation = (
            f"new link {link.label()} ({format_rate(link.capacity)}), routing {j}: {sel.explanation}"
        )
        sel = Selection(
            sel.index,
            sel.rule,
            sel.decided_by,
            explanation,
            sel.columns,
            sel.values,
            sel.satisfied,
            sel.relaxed,
        )
        return PlacementChoice(
            link=link,
            routing_index=j,
            scenario=chosen,
            predicted=predicted[0],
            selection=sel,
            per_link_best=best,
            links=links,
            model=model_name(self.model),
            n_evaluated=n_eval,
            predict_seconds=seconds + sec,
        )


@dataclass(frozen=True, eq=False)
class LinkUpgrade:
    """The most-utilised-link baseline's decision.

    Attributes
    ----------
    link_ids : tuple of int
        The upgraded directed link(s): the most utilised one and its reverse, if present.
    old_capacity, new_capacity : float
        Bit/s of the most utilised link before and after.
    utilisation : float
        Its fluid utilisation (offered load / capacity) under the current routing.
    scenario : Scenario
        Same routing and traffic, upgraded capacity.
    explanation : str
    """

    link_ids: tuple[int, ...]
    old_capacity: float
    new_capacity: float
    utilisation: float
    scenario: Scenario
    explanation: str

    def label(self) -> str:
        """``"a–b"`` with node names."""
        topo = self.scenario.topology
        u, v = topo.links[self.link_ids[0]]
        return f"{topo.node_names[u]}–{topo.node_names[v]}"


def most_utilised_link_upgrade(
    scenario: Scenario, *, steps: Sequence[float | str] = CAPACITY_STEPS
) -> LinkUpgrade:
    """Upgrade the most utilised link to the next capacity step, keeping the routing.

    The links are ranked by fluid utilisation (offered load / capacity, no loss) under the
    scenario's routing; the first one whose capacity is below the largest step is raised to the
    smallest step above its capacity, in both directions (a physical link).

    Parameters
    ----------
    scenario : Scenario
    steps : sequence of float or str
        Capacity ladder in bit/s (default 10, 40, 100 kbit/s).

    Raises
    ------
    InvalidParameterError
        If ``steps`` is empty or every used link is already at the top step.
    """
    ladder = np.array(sorted(parse_rate(s) for s in steps), dtype=float)
    if ladder.size == 0:
        raise InvalidParameterError("steps must hold at least one capacity")
    topo = scenario.topology
    util = scenario.utilisation()
    for i in np.argsort(-util, kind="stable"):
        i = int(i)
        higher = ladder[ladder > topo.capacity[i] * (1 + 1e-9)]
        if higher.size == 0:
            continue
        u, v = (int(x) for x in topo.links[i])
        ids = (i, topo.link_id(v, u)) if topo.has_link(v, u) else (i,)
        cap = topo.capacity.copy()
        new = float(higher[0])
        cap[list(ids)] = np.maximum(cap[list(ids)], new)
        new_topo = topo.replace(capacity=cap)
        skipped = int(np.sum(util > util[i]))
        why = (
            f"{topo.describe_link(i)} has the highest fluid utilisation ({util[i]:.3g})"
            if skipped == 0
            else f"{topo.describe_link(i)} is the most utilised link below the top step "
            f"({util[i]:.3g}; {skipped} more utilised link(s) are already at the top)"
        )
        return LinkUpgrade(
            link_ids=ids,
            old_capacity=float(topo.capacity[i]),
            new_capacity=new,
            utilisation=float(util[i]),
            scenario=scenario.replace(topology=new_topo, name=f"{scenario.name}+upgrade-{i}"),
            explanation=f"{why}: {format_rate(topo.capacity[i])} → {format_rate(new)} in both directions",
        )
    raise InvalidParameterError(
        f"every link is already at the top capacity step ({format_rate(ladder[-1])}); nothing to upgrade"
    )


@dataclass(frozen=True, eq=False)
class PlacementReport:
    """What :func:`compare_placements` measured (all KPIs simulated).

    Attributes
    ----------
    original, placement, baseline : dict
        :func:`summarise` of the simulated original scenario, the model's new link + routing, and
        the upgraded most-utilised link.
    choice : PlacementChoice
    upgrade : LinkUpgrade
    simulated : dict of PathKPIs
        ``"original"``, ``"placement"``, ``"baseline"``.
    """

    scenario: Scenario
    choice: PlacementChoice
    upgrade: LinkUpgrade
    original: dict[str, float]
    placement: dict[str, float]
    baseline: dict[str, float]
    simulated: dict[str, PathKPIs]
    seconds: dict[str, float] = field(default_factory=dict)

    def reduction(self, which: str, metric: str = "mean_delay") -> float:
        """Relative reduction of ``metric`` versus the original: ``1 - new / original``."""
        new = (self.placement if which == "placement" else self.baseline)[metric]
        return float(1.0 - new / self.original[metric])

    def relative_to_baseline(self, metric: str = "mean_delay") -> float:
        """The paper's "relative reduction vs baseline": ``1 - placement / baseline``."""
        return float(1.0 - self.placement[metric] / self.baseline[metric])

    def to_dict(self, *, paths: bool = False) -> dict[str, Any]:
        """The ``--json`` shape of ``kplane whatif upgrade``."""
        ch, up = self.choice, self.upgrade
        names = ch.link.topology.node_names
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "model": ch.model,
            "original": {"simulated": self.original},
            "placement": {
                "link": {"u": names[ch.link.u], "v": names[ch.link.v], "capacity": ch.link.capacity},
                "routing_index": ch.routing_index,
                "selection": ch.selection.to_dict(),
                "n_links_tried": len(ch.links),
                "n_evaluated": ch.n_evaluated,
                "predicted": summarise(ch.predicted),
                "simulated": self.placement,
                "delay_reduction": self.reduction("placement"),
            },
            "baseline": {
                "link": up.label(),
                "old_capacity": up.old_capacity,
                "new_capacity": up.new_capacity,
                "utilisation": up.utilisation,
                "explanation": up.explanation,
                "simulated": self.baseline,
                "delay_reduction": self.reduction("baseline"),
            },
            "relative_to_baseline": {
                "mean_delay": self.relative_to_baseline("mean_delay"),
                "jitter_over_delay": self.relative_to_baseline("jitter_over_delay"),
            },
            "seconds": self.seconds,
        }
        if paths:
            out["placement"]["routing"] = routing_to_dict(ch.scenario)
            out["placement"]["simulated_paths"] = self.simulated["placement"].to_dict()
        return out


def compare_placements(
    scenario: Scenario,
    *,
    model: PerformanceModel,
    measure: PerformanceModel,
    capacity: float | str = 10e3,
    policy: Policy | None = None,
    n_routings: int = 450,
    seed: int = 0,
    steps: Sequence[float | str] = CAPACITY_STEPS,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> PlacementReport:
    """RouteNet §VI-B on one scenario: model-chosen new link + routing vs most-utilised-link upgrade.

    Parameters
    ----------
    scenario : Scenario
        The current network: topology, routing and traffic.
    model : PerformanceModel
        Scores the link × routing candidates.
    measure : PerformanceModel
        The simulator that measures the original, the placement and the baseline.
    capacity, policy, n_routings, seed, batch_size
        See :class:`LinkPlacementOptimizer`.
    steps : sequence
        Capacity ladder of :func:`most_utilised_link_upgrade`.
    progress : callable, optional
        ``progress(done, total)`` over the new links tried (then one step for the simulations).
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    links_total = len(link_candidates(scenario.topology, capacity))

    def cb(done: int, _total: int) -> None:
        if progress is not None:
            progress(done, links_total + 1)

    choice = LinkPlacementOptimizer(
        model=model,
        capacity=capacity,
        policy=policy,
        n_routings=n_routings,
        seed=seed,
        batch_size=batch_size,
    ).optimize(scenario, progress=cb)
    seconds["placement_search"] = time.perf_counter() - t0
    upgrade = most_utilised_link_upgrade(scenario, steps=steps)
    t0 = time.perf_counter()
    sims, _ = predict_batched(measure, [scenario, choice.scenario, upgrade.scenario])
    seconds["measure_simulation"] = time.perf_counter() - t0
    if progress is not None:
        progress(links_total + 1, links_total + 1)
    keys = ("original", "placement", "baseline")
    simulated = dict(zip(keys, sims, strict=True))
    summ = {k: summarise(v) for k, v in simulated.items()}
    return PlacementReport(
        scenario=scenario,
        choice=choice,
        upgrade=upgrade,
        original=summ["original"],
        placement=summ["placement"],
        baseline=summ["baseline"],
        simulated=simulated,
        seconds=seconds,
    )
