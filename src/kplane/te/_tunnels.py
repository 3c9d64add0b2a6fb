"""Candidate tunnels: k shortest simple paths per ordered pair (Yen's algorithm, via networkx)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.te._tunnelset import TunnelSet

__all__ = ["DEFAULT_TUNNELS_PER_FLOW", "all_pairs", "k_shortest_tunnels"]

DEFAULT_TUNNELS_PER_FLOW = 3
"""Tunnels per ordered pair by default (NeuroRisk's counts: B4 396 = 132 pairs × 3)."""


def all_pairs(n_nodes: int) -> np.ndarray:
    """(n(n-1), 2) every ordered pair ``(s, d)``, ``s != d``, in row-major order."""
    s, d = np.meshgrid(np.arange(n_nodes), np.arange(n_nodes), indexing="ij")
    mask = s != d
    return np.column_stack([s[mask], d[mask]]).astype(np.int64)


def k_shortest_tunnels(
    topology: Topology,
    k: int = DEFAULT_TUNNELS_PER_FLOW,
    *,
    pairs: ArrayLike | None = None,
    weight: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> TunnelSet:
    """The ``k`` shortest simple paths of every ordered pair.

    Parameters
    ----------
    topology : Topology
    k : int
        Tunnels per pair (>= 1); pairs with fewer simple paths get all they have.
    pairs : array-like of shape (n_pairs, 2), optional
        Flows to route (default: every ordered pair, see :func:`all_pairs`).
    weight : {None, "delay", "inverse_capacity"}
        Path length: hop count (default), propagation delay, or ``1 / capacity``.
    progress : callable, optional
        Called with the number of pairs done after each pair.

    Returns
    -------
    TunnelSet
        Flows in the order of ``pairs``; each flow's tunnels shortest first (ties in networkx's
        deterministic order). Unreachable pairs get no tunnel.

    Notes
    -----
    Yen's algorithm (``networkx.shortest_simple_paths``): ``O(k n (m + n log n))`` per pair.
    """
    if int(k) != k or k < 1:
        raise InvalidParameterError(f"k (tunnels per pair) must be an integer >= 1, got {k!r}")
    weights = {None: None, "delay": topology.propagation_delay, "inverse_capacity": 1.0 / topology.capacity}
    if weight not in weights:
        raise InvalidParameterError(f"weight must be one of {list(weights)}, got {weight!r}")
    g = nx.DiGraph()
    g.add_nodes_from(range(topology.n_nodes))
    w = weights[weight]
    for i, (u, v) in enumerate(topology.links.tolist()):
        g.add_edge(u, v, id=i, w=1.0 if w is None else float(w[i]))
    plist = all_pairs(topology.n_nodes) if pairs is None else np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    reach = {s: set(nx.descendants(g, s)) for s in np.unique(plist[:, 0]).tolist()}
    link_paths: dict[tuple[int, int], list[list[int]]] = {}
    for done, (s, d) in enumerate(plist.tolist(), start=1):
        if d in reach[s]:
            gen = nx.shortest_simple_paths(g, s, d, weight=None if weight is None else "w")
            link_paths[(s, d)] = [
                [g[a][b]["id"] for a, b in zip(p[:-1], p[1:], strict=True)]
                for p in itertools.islice(gen, int(k))
            ]
        if progress is not None:
            progress(done)
    return TunnelSet.from_paths(link_paths, pairs=plist)
