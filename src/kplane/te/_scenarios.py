"""`ScenarioSet`: failure scenarios as failed links, probabilities and tunnel-survival bitmaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network._checks import frozen_array
from kplane.network._topology import Topology
from kplane.te._tunnelset import TunnelSet

__all__ = ["UNCOVERED_MODES", "ScenarioSet", "survival_matrix"]

UNCOVERED_MODES = ("renormalised", "all_failed", "none")
"""How probability mass not covered by the listed scenarios was handled (recorded in a set)."""

PROB_TOL = 1e-6
"""Scenario probabilities must sum to 1 within this tolerance."""


def _reverse_ids(topology: Topology) -> NDArray[np.int64]:
    """(n_links,) id of the reverse link of each link, or -1."""
    rev = np.full(topology.n_links, -1, dtype=np.int64)
    for i, (u, v) in enumerate(topology.links.tolist()):
        if topology.has_link(v, u):
            rev[i] = topology.link_id(v, u)
    return rev


def survival_matrix(
    failed_edges: Sequence[Sequence[int]],
    tunnels: TunnelSet,
    topology: Topology,
    *,
    bidirectional: bool = False,
) -> NDArray[np.bool_]:
    """(n_scenarios, n_tunnels) bool: tunnel ``t`` survives scenario ``q``.

    A tunnel dies if any of its links is in ``failed_edges[q]``; with ``bidirectional=True`` also if
    the reverse of one of its links failed (TeaVaR/ARROW: failures are of bidirectional links and
    fibres).

    Raises
    ------
    InvalidScenarioError
        If a scenario names a link outside ``0..n_links-1``.
    """
    m = topology.n_links
    rows: list[int] = []
    cols: list[int] = []
    for q, edges in enumerate(failed_edges):
        for e in edges:
            e = int(e)
            if not 0 <= e < m:
                raise InvalidScenarioError(
                    f"scenario {q} references link {e}, but topology {topology.name!r} has {m} links "
                    f"(0..{m - 1})"
                )
            rows.append(q)
            cols.append(e)
    nq = len(failed_edges)
    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=np.int64)
    if bidirectional and cols_a.size:
        rev = _reverse_ids(topology)[cols_a]
        ok = rev >= 0
        rows_a = np.concatenate([rows_a, rows_a[ok]])
        cols_a = np.concatenate([cols_a, rev[ok]])
    down = sp.csr_matrix((np.ones(rows_a.size), (rows_a, cols_a)), shape=(nq, m))
    hit = down @ tunnels.incidence(m)
    dead = np.zeros((nq, tunnels.n_tunnels), dtype=bool)
    coo = hit.tocoo()
    dead[coo.row, coo.col] = coo.data > 0
    return ~dead


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Failure scenarios of a TE instance; the healthy scenario comes first.

    Parameters
    ----------
    prob : array-like of shape (n_scenarios,)
        Probabilities, >= 0, summing to 1 (within 1e-6).
    failed_edges : sequence of sequence of int
        Directed link ids down in each scenario (the healthy scenario 0 has none).
    survival : array-like of shape (n_scenarios, n_tunnels)
        ``survival[q, t]`` = tunnel ``t`` survives scenario ``q``.
    uncovered : {"renormalised", "all_failed", "none"}
        What happened to the probability mass of scenarios not enumerated: spread by
        renormalisation, put on an "everything failed" scenario (the last one), or nothing (the set
        is exhaustive or given as is).
    uncovered_mass : float
        That mass (before renormalisation).
    bidirectional : bool
        Whether a tunnel also died when the reverse of one of its links failed.
    n_links : int, optional
        Number of links of the topology the set was built for.
    failed_elements : sequence of sequence of int, optional
        The failure elements (links, fibres, SRLGs) down in each scenario.
    element_kind : str
        What the elements are (``"link"``, ``"bidirectional-link"``, ``"fibre"``, ...).
    metadata : mapping, optional
        Failure model, cutoff, seed, ...
    """

    prob: NDArray[np.float64]
    failed_edges: tuple[tuple[int, ...], ...]
    survival: NDArray[np.bool_]
    uncovered: str = "none"
    uncovered_mass: float = 0.0
    bidirectional: bool = False
    n_links: int | None = None
    failed_elements: tuple[tuple[int, ...], ...] | None = None
    element_kind: str = "link"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = frozen_array(np.asarray(self.prob, dtype=np.float64).reshape(-1), np.float64, "scenario prob")
        nq = p.shape[0]
        if nq == 0:
            raise InvalidScenarioError("a scenario set needs at least the healthy scenario")
        bad = ~np.isfinite(p) | (p < 0)
        if bad.any():
            q = int(np.flatnonzero(bad)[0])
            raise InvalidScenarioError(
                f"probability of scenario {q} must be finite and >= 0, got {float(p[q])!r}"
            )
        if abs(float(p.sum()) - 1.0) > PROB_TOL:
            raise InvalidScenarioError(
                f"scenario probabilities must sum to 1, got {float(p.sum())!r}; renormalise them or add the "
                "uncovered mass as a scenario"
            )
        fe = tuple(tuple(sorted({int(e) for e in s})) for s in self.failed_edges)
        if len(fe) != nq:
            raise InvalidScenarioError(f"failed_edges lists {len(fe)} scenarios, prob has {nq}")
        if fe[0]:
            raise InvalidScenarioError(
                f"scenario 0 must be the healthy scenario, but links {list(fe[0])} fail in it"
            )
        surv = np.asarray(self.survival, dtype=bool)
        if surv.ndim != 2 or surv.shape[0] != nq:
            raise InvalidScenarioError(f"survival must have shape ({nq}, n_tunnels), got {surv.shape}")
        if not surv[0].all():
            raise InvalidScenarioError("every tunnel must survive the healthy scenario 0")
        surv = surv.copy()
        surv.setflags(write=False)
        if self.uncovered not in UNCOVERED_MODES:
            raise InvalidParameterError(f"uncovered must be one of {UNCOVERED_MODES}, got {self.uncovered!r}")
        if self.failed_elements is not None:
            el = tuple(tuple(int(e) for e in s) for s in self.failed_elements)
            if len(el) != nq:
                raise InvalidScenarioError(f"failed_elements lists {len(el)} scenarios, prob has {nq}")
            object.__setattr__(self, "failed_elements", el)
        object.__setattr__(self, "prob", p)
        object.__setattr__(self, "failed_edges", fe)
        object.__setattr__(self, "survival", surv)
        object.__setattr__(self, "uncovered_mass", float(self.uncovered_mass))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    # ------------------------------------------------------------------ builders
    @classmethod
    def healthy(cls, n_tunnels: int) -> ScenarioSet:
        """The single healthy scenario (probability 1)."""
        return cls(np.ones(1), ((),), np.ones((1, n_tunnels), dtype=bool))

    @classmethod
    def from_failed_edges(
        cls,
        topology: Topology,
        tunnels: TunnelSet,
        failed_edges: Sequence[Sequence[int]],
        prob: ArrayLike,
        *,
        bidirectional: bool = False,
        uncovered: str = "none",
        uncovered_mass: float = 0.0,
        failed_elements: Sequence[Sequence[int]] | None = None,
        element_kind: str = "link",
        metadata: Mapping[str, Any] | None = None,
        add_healthy: bool = False,
    ) -> ScenarioSet:
        """Build from failed links per scenario; survival is computed (see :func:`survival_matrix`).

        With ``add_healthy=True`` a missing healthy scenario is inserted first with probability
        ``1 - sum(prob)`` (which must then be >= 0); an existing one is moved to the front.
        """
        fe = [tuple(int(e) for e in s) for s in failed_edges]
        p = np.asarray(prob, dtype=np.float64).reshape(-1)
        els = None if failed_elements is None else [tuple(s) for s in failed_elements]
        if len(fe) != p.shape[0]:
            raise InvalidScenarioError(f"{len(fe)} scenarios but {p.shape[0]} probabilities")
        healthy = [q for q, s in enumerate(fe) if len(s) == 0]
        if add_healthy:
            if healthy:
                q = healthy[0]
                order = [q] + [i for i in range(len(fe)) if i != q]
                fe = [fe[i] for i in order]
                p = p[order]
                els = None if els is None else [els[i] for i in order]
            else:
                rest = 1.0 - float(p.sum())
                if rest < -PROB_TOL:
                    raise InvalidScenarioError(
                        f"probabilities sum to {float(p.sum())!r} > 1: no mass left for the healthy scenario"
                    )
                fe = [()] + fe
                p = np.concatenate([[max(rest, 0.0)], p])
                els = None if els is None else [()] + els
        surv = survival_matrix(fe, tunnels, topology, bidirectional=bidirectional)
        return cls(
            p,
            tuple(fe),
            surv,
            uncovered=uncovered,
            uncovered_mass=uncovered_mass,
            bidirectional=bidirectional,
            n_links=topology.n_links,
            failed_elements=None if els is None else tuple(els),
            element_kind=element_kind,
            metadata=metadata or {},
        )

    def for_tunnels(self, topology: Topology, tunnels: TunnelSet) -> ScenarioSet:
        """The same scenarios with survival recomputed for another tunnel set on ``topology``."""
        return ScenarioSet(
            self.prob,
            self.failed_edges,
            survival_matrix(self.failed_edges, tunnels, topology, bidirectional=self.bidirectional),
            uncovered=self.uncovered,
            uncovered_mass=self.uncovered_mass,
            bidirectional=self.bidirectional,
            n_links=topology.n_links,
            failed_elements=self.failed_elements,
            element_kind=self.element_kind,
            metadata=self.metadata,
        )

    # ------------------------------------------------------------------ queries
    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return int(self.prob.shape[0])

    @property
    def n_tunnels(self) -> int:
        """Number of tunnels the survival matrix covers."""
        return int(self.survival.shape[1])

    def __len__(self) -> int:
        return self.n_scenarios

    def __repr__(self) -> str:
        return (
            f"ScenarioSet(n_scenarios={self.n_scenarios}, n_tunnels={self.n_tunnels}, "
            f"uncovered={self.uncovered!r}, uncovered_mass={self.uncovered_mass:.3g})"
        )
