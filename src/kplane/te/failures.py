"""Failure models and scenario generation for risk-aware TE.

A :class:`FailureModel` is a list of independent failure *elements* — links, bidirectional links,
fibres (shared-risk groups: an IP link fails if any fibre on its path fails) or any SRLG — each with a
probability and the directed links it takes down.

Scenario sets:

- :func:`cutoff_scenarios` — every set ``F`` of failed elements with
  ``P(F) = Π_{e∈F} p_e · Π_{e∉F} (1 − p_e) >= cutoff``, enumerated depth-first in increasing element
  order (TeaVaR's and ARROW's order); a set's supersets are not expanded once ``P(F) < cutoff``
  (valid because every ``p_e < 0.5``). Optionally drop sets that disconnect the network. The mass not
  covered is renormalised or put on an "all failed" scenario (recorded in the set).
- :func:`k_failure_scenarios` — FFC's sets: every set of at most ``k`` elements.

Probabilities: given (files) or drawn per element from a Weibull(shape, scale) distribution
(:func:`weibull_probabilities`; TeaVaR per link with scale 1e-4…1e-3, ARROW/PreTE per fibre with
scale 0.02, shape 0.8).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.te._enumerate import connectivity_filter, enumerate_failure_sets
from kplane.te._scenarios import ScenarioSet
from kplane.te._tunnelset import TunnelSet
from kplane.utils._random import SeedLike, as_generator

__all__ = [
    "FailureModel",
    "connectivity_filter",
    "cutoff_scenarios",
    "enumerate_failure_sets",
    "k_failure_scenarios",
    "weibull_probabilities",
]

UNCOVERED = ("renormalised", "all_failed")


def weibull_probabilities(
    n: int, *, shape: float = 0.8, scale: float = 1e-3, seed: SeedLike = None
) -> NDArray[np.float64]:
    """``n`` failure probabilities ``scale · W`` with ``W ~ Weibull(shape)``.

    Raises
    ------
    InvalidParameterError
        Non-positive shape/scale, or a draw >= 0.5 (enumeration with a cutoff needs p < 0.5).
    """
    if not (shape > 0 and scale > 0):
        raise InvalidParameterError(f"Weibull shape and scale must be > 0, got shape={shape}, scale={scale}")
    p = float(scale) * as_generator(seed).weibull(float(shape), size=int(n))
    if (p >= 0.5).any():
        raise InvalidParameterError(
            f"a Weibull(shape={shape}, scale={scale}) draw is {p.max():.3g} >= 0.5; use a smaller scale"
        )
    return p


@dataclass(frozen=True, eq=False)
class FailureModel:
    """Independent failure elements, each taking down a set of directed links.

    Parameters
    ----------
    element_links : tuple of tuple of int
        Directed link ids taken down by each element.
    prob : ndarray of shape (n_elements,)
        Failure probability of each element, in [0, 1).
    kind : str
        ``"link"``, ``"bidirectional-link"``, ``"fibre"`` or ``"srlg"``.
    names : tuple of str
        A label per element.
    metadata : dict
        Where the probabilities came from (file, Weibull parameters and seed).
    """

    element_links: tuple[tuple[int, ...], ...]
    prob: NDArray[np.float64]
    kind: str = "srlg"
    names: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = np.asarray(self.prob, dtype=np.float64).reshape(-1)
        if p.shape[0] != len(self.element_links):
            raise InvalidParameterError(
                f"prob has {p.shape[0]} entries, the model has {len(self.element_links)} elements"
            )
        bad = ~np.isfinite(p) | (p < 0) | (p >= 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidParameterError(
                f"failure probability of element {i} must lie in [0, 1), got {float(p[i])!r}"
            )
        object.__setattr__(self, "prob", p)
        object.__setattr__(self, "element_links", tuple(tuple(int(e) for e in s) for s in self.element_links))
        if not self.names:
            object.__setattr__(self, "names", tuple(str(i) for i in range(len(self.element_links))))

    @property
    def n_elements(self) -> int:
        """Number of failure elements."""
        return len(self.element_links)

    def with_prob(self, prob: ArrayLike, **metadata: Any) -> FailureModel:
        """The same elements with other probabilities."""
        return replace(
            self,
            prob=np.broadcast_to(np.asarray(prob, float), (self.n_elements,)).copy(),
            metadata={**self.metadata, **metadata},
        )

    def with_weibull(self, *, shape: float = 0.8, scale: float = 1e-3, seed: SeedLike = None) -> FailureModel:
        """The same elements with probabilities drawn from Weibull(shape, scale)."""
        p = weibull_probabilities(self.n_elements, shape=shape, scale=scale, seed=seed)
        s = int(seed) if isinstance(seed, int | np.integer) else None
        return self.with_prob(p, prob_source="weibull", weibull_shape=shape, weibull_scale=scale, seed=s)

    def links_down(self, elements: Sequence[int]) -> list[int]:
        """Sorted directed links down when ``elements`` fail."""
        return sorted({e for i in elements for e in self.element_links[i]})

    # ------------------------------------------------------------------ builders
    @classmethod
    def per_link(
        cls, topology: Topology, prob: ArrayLike | float = 0.0, *, bidirectional: bool = True
    ) -> FailureModel:
        """One element per link; with ``bidirectional`` one per link pair ``u↔v`` (both directions fail).

        ``prob`` is a scalar, one value per element, or (bidirectional) one value per directed link —
        then an element takes the value of its first link (link order).
        """
        if bidirectional:
            first: dict[tuple[int, int], int] = {}
            groups: list[list[int]] = []
            for i, (u, v) in enumerate(topology.links.tolist()):
                key = (min(u, v), max(u, v))
                if key not in first:
                    first[key] = len(groups)
                    groups.append([])
                groups[first[key]].append(i)
            names = tuple(f"{topology.node_names[a]}↔{topology.node_names[b]}" for a, b in first)
            kind = "bidirectional-link"
        else:
            groups = [[i] for i in range(topology.n_links)]
            names = tuple(
                f"{topology.node_names[u]}→{topology.node_names[v]}" for u, v in topology.links.tolist()
            )
            kind = "link"
        p = np.asarray(prob, dtype=np.float64).reshape(-1)
        if p.size == 1:
            p = np.full(len(groups), float(p[0]))
        elif p.size == topology.n_links and len(groups) != topology.n_links:
            p = p[[g[0] for g in groups]]
        return cls(tuple(tuple(g) for g in groups), p, kind=kind, names=names)

    @classmethod
    def per_fibre(
        cls,
        n_links: int,
        link_fibres: Sequence[Sequence[int]],
        fibre_prob: ArrayLike,
        *,
        names: Sequence[str] = (),
    ) -> FailureModel:
        """One element per fibre: fibre ``i`` takes down every link whose fibre path contains ``i``.

        ``link_fibres[e]`` lists the fibres (0-based, undirected) of link ``e``; see
        :meth:`kplane.network.io.WanNetwork.link_fibre_groups`.
        """
        if len(link_fibres) != n_links:
            raise InvalidParameterError(f"link_fibres has {len(link_fibres)} entries for {n_links} links")
        p = np.asarray(fibre_prob, dtype=np.float64).reshape(-1)
        groups: list[list[int]] = [[] for _ in range(p.shape[0])]
        for e, fibres in enumerate(link_fibres):
            for f in fibres:
                if not 0 <= int(f) < len(groups):
                    raise InvalidParameterError(
                        f"link {e} rides fibre {f}, but there are {len(groups)} fibres"
                    )
                groups[int(f)].append(e)
        return cls(tuple(tuple(g) for g in groups), p, kind="fibre", names=tuple(names))


def _finish(
    model: FailureModel,
    topology: Topology,
    tunnels: TunnelSet,
    sets: list[tuple[int, ...]],
    probs: NDArray[np.float64],
    *,
    uncovered: str,
    bidirectional_tunnels: bool,
    metadata: dict[str, Any],
) -> ScenarioSet:
    if uncovered not in UNCOVERED:
        raise InvalidParameterError(f"uncovered must be one of {UNCOVERED}, got {uncovered!r}")
    mass = max(0.0, 1.0 - float(probs.sum()))
    sets = list(sets)
    if uncovered == "all_failed" and mass > 0:
        sets.append(tuple(range(model.n_elements)))
        probs = np.concatenate([probs, [mass]])
    else:
        probs = probs / probs.sum()
    fe = [model.links_down(s) for s in sets]
    return ScenarioSet.from_failed_edges(
        topology,
        tunnels,
        fe,
        probs,
        bidirectional=bidirectional_tunnels,
        uncovered=uncovered if mass > 0 else "none",
        uncovered_mass=mass,
        failed_elements=sets,
        element_kind=model.kind,
        metadata={**model.metadata, **metadata},
    )


def cutoff_scenarios(
    model: FailureModel,
    topology: Topology,
    tunnels: TunnelSet,
    *,
    cutoff: float = 1e-4,
    drop_disconnecting: bool = True,
    connection: str = "strong",
    uncovered: str = "renormalised",
    bidirectional_tunnels: bool = False,
    accept: Callable[[tuple[int, ...]], bool] | None = None,
    max_scenarios: int = 200_000,
) -> ScenarioSet:
    """Scenario set of all failure sets with probability >= ``cutoff`` (see the module docstring).

    Parameters
    ----------
    model : FailureModel
    topology, tunnels :
        The network and the tunnels whose survival is computed.
    cutoff : float
        Probability threshold.
    drop_disconnecting : bool
        Drop sets after which the network is not connected (``connection``); their mass counts as
        uncovered.
    connection : {"strong", "weak"}
        Connectivity notion of the filter.
    uncovered : {"renormalised", "all_failed"}
        Spread the uncovered mass by renormalising, or put it on an all-elements-failed scenario.
    bidirectional_tunnels : bool
        A tunnel also dies when the reverse of one of its links fails.
    accept : callable, optional
        An extra filter on failed-element tuples (applied after connectivity).
    max_scenarios : int
        Raise beyond this many scenarios.

    Returns
    -------
    ScenarioSet
        Healthy scenario first, then DFS order; ``failed_elements`` lists the failed elements.
    """
    conn = connectivity_filter(topology, model, connection=connection) if drop_disconnecting else None

    def keep(s: tuple[int, ...]) -> bool:
        return (conn is None or conn(s)) and (accept is None or accept(s))

    sets, probs = enumerate_failure_sets(
        model.prob, cutoff, accept=keep if (conn or accept) else None, max_sets=max_scenarios
    )
    meta = {"generator": "cutoff", "cutoff": cutoff, "drop_disconnecting": drop_disconnecting}
    return _finish(
        model,
        topology,
        tunnels,
        sets,
        probs,
        uncovered=uncovered,
        bidirectional_tunnels=bidirectional_tunnels,
        metadata=meta,
    )


def k_failure_scenarios(
    model: FailureModel,
    topology: Topology,
    tunnels: TunnelSet,
    k: int = 1,
    *,
    drop_disconnecting: bool = False,
    connection: str = "strong",
    bidirectional_tunnels: bool = False,
) -> ScenarioSet:
    """FFC's scenario set: the healthy scenario and every set of ``1..k`` failed elements.

    Probabilities are the independent-failure probabilities of each set, renormalised (uniform
    when every element probability is 0); FFC's worst case ignores them.
    """
    if int(k) != k or not 1 <= k <= 4:
        raise InvalidParameterError(f"k must be an integer in 1..4 simultaneous failures, got {k!r}")
    count = sum(math.comb(model.n_elements, j) for j in range(1, int(k) + 1))
    if count > 200_000:
        raise InvalidParameterError(f"{count} {k}-failure sets are too many; use a smaller k")
    conn = connectivity_filter(topology, model, connection=connection) if drop_disconnecting else None
    sets: list[tuple[int, ...]] = [()]
    for j in range(1, int(k) + 1):
        sets.extend(s for s in itertools.combinations(range(model.n_elements), j) if conn is None or conn(s))
    p = model.prob
    if (p > 0).any():
        log0 = float(np.log1p(-p).sum())
        with np.errstate(divide="ignore"):
            ratio = np.where(p > 0, np.log(p) - np.log1p(-p), -np.inf)
        probs = np.exp([log0 + float(sum(ratio[i] for i in s)) for s in sets])
    else:
        probs = np.full(len(sets), 1.0 / len(sets))
    meta = {"generator": "k-failure", "k": int(k), "drop_disconnecting": drop_disconnecting}
    out = _finish(
        model,
        topology,
        tunnels,
        sets,
        probs,
        uncovered="renormalised",
        bidirectional_tunnels=bidirectional_tunnels,
        metadata=meta,
    )
    return out
