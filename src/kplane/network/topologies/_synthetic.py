"""Synthetic topologies (Waxman, random geometric, Barabási–Albert) with a connectivity guarantee.

Every generator returns a strongly connected :class:`Topology` (each undirected edge becomes two
directed links). The rule, seeded and deterministic:

1. draw the graph with networkx, up to ``max_tries`` times from the same random stream, and keep the
   first connected draw;
2. if every draw was disconnected, repair the last one: while more than one component remains, join
   the component holding node 0 to the nearest other component by one edge — the closest pair of
   nodes by Euclidean distance of their positions (ties and position-less graphs: the pair of
   smallest node indices). The number of added edges is recorded in ``metadata["repaired_edges"]``.

Capacities and queue sizes are applied afterwards from the same stream (capacity spec, default
``"routenet"``; see :func:`~kplane.network.topologies.apply_capacities`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.network.topologies._capacity import CapacitySpec
from kplane.network.topologies._convert import topology_from_undirected
from kplane.utils import as_generator
from kplane.utils._random import SeedLike

__all__ = ["barabasi_albert", "random_geometric", "waxman"]


def _check_n(n: int, minimum: int = 2) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < minimum:
        raise InvalidParameterError(f"n (number of nodes) must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_unit(value: float, name: str) -> float:
    if not (isinstance(value, int | float) and np.isfinite(value) and 0 < value <= 1):
        raise InvalidParameterError(f"{name} must be in (0, 1], got {value!r}")
    return float(value)


def _repair(graph: nx.Graph, pos: NDArray[np.float64] | None) -> int:
    """Join components as described in the module docstring; returns the number of edges added."""
    added = 0
    while True:
        comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0])
        if len(comps) == 1:
            return added
        main = np.array(comps[0])
        candidates: list[tuple[float, int, int]] = []
        for comp in (np.array(c) for c in comps[1:]):
            if pos is None:
                candidates.append((0.0, int(main.min()), int(comp.min())))
            else:
                d = np.linalg.norm(pos[main][:, None, :] - pos[comp][None, :, :], axis=2)
                i, j = np.unravel_index(int(np.argmin(d)), d.shape)
                candidates.append((float(d[i, j]), int(main[i]), int(comp[j])))
        best = min(candidates)
        graph.add_edge(best[1], best[2])
        added += 1


def _generate(
    draw: Callable[[int], nx.Graph],
    n: int,
    *,
    name: str,
    params: dict[str, Any],
    seed: SeedLike,
    capacities: CapacitySpec,
    queue_size: int | Sequence[int],
    max_tries: int,
) -> Topology:
    if isinstance(max_tries, bool) or not isinstance(max_tries, int) or max_tries < 1:
        raise InvalidParameterError(f"max_tries must be an integer >= 1, got {max_tries!r}")
    rng = as_generator(seed)
    graph = nx.Graph()
    tries = 0
    for tries in range(1, max_tries + 1):  # noqa: B007 - tries is reported below
        graph = draw(int(rng.integers(2**32)))
        if nx.is_connected(graph):
            break
    has_pos = all("pos" in graph.nodes[v] for v in graph.nodes)
    pos = np.array([graph.nodes[v]["pos"] for v in range(n)], dtype=np.float64) if has_pos else None
    repaired = 0 if nx.is_connected(graph) else _repair(graph, pos)
    metadata = {
        "generator": name,
        "params": params,
        "seed": int(seed) if isinstance(seed, int | np.integer) else None,
        "tries": tries,
        "repaired_edges": repaired,
    }
    return topology_from_undirected(
        sorted((min(u, v), max(u, v)) for u, v in graph.edges()),
        node_names=[str(i) for i in range(n)],
        positions=pos,
        name=f"{name}-{n}",
        metadata=metadata,
        capacities=capacities,
        queue_size=queue_size,
        seed=rng,
    )


def waxman(
    n: int,
    *,
    alpha: float = 0.4,
    beta: float = 0.4,
    seed: SeedLike,
    capacities: CapacitySpec = "routenet",
    queue_size: int | Sequence[int] = DEFAULT_QUEUE_SIZE,
    max_tries: int = 50,
) -> Topology:
    r"""A Waxman random graph in the unit square.

    Nodes are placed uniformly at random; nodes at distance :math:`d` are joined with probability

    .. math:: p = \beta \exp\left(-\frac{d}{\alpha L}\right)

    with :math:`L` the largest distance between two nodes (Waxman, IEEE JSAC 1988; networkx's
    ``waxman_graph``). Larger ``alpha`` favours long links; larger ``beta`` means more links.

    Parameters
    ----------
    n : int
        Number of nodes, >= 2.
    alpha, beta : float
        Model parameters in (0, 1].
    seed : int, Generator or None
    capacities : capacity spec
        Default RouteNet's 10/40/100 kbit/s.
    queue_size : int or sequence of int
    max_tries : int
        Draws before repairing (see the module docstring).

    Returns
    -------
    Topology
        Named ``"waxman-<n>"``, node names ``"0"..``, positions in the unit square.
    """
    n = _check_n(n)
    a, b = _check_unit(alpha, "alpha"), _check_unit(beta, "beta")
    return _generate(
        lambda s: nx.waxman_graph(n, beta=b, alpha=a, seed=s),
        n,
        name="waxman",
        params={"alpha": a, "beta": b},
        seed=seed,
        capacities=capacities,
        queue_size=queue_size,
        max_tries=max_tries,
    )


def random_geometric(
    n: int,
    *,
    radius: float,
    seed: SeedLike,
    capacities: CapacitySpec = "routenet",
    queue_size: int | Sequence[int] = DEFAULT_QUEUE_SIZE,
    max_tries: int = 50,
) -> Topology:
    """A random geometric graph: ``n`` uniform points in the unit square, joined when closer than ``radius``.

    Parameters
    ----------
    n : int
        Number of nodes, >= 2.
    radius : float
        Connection distance, > 0 (the graph is connected with high probability for
        ``radius`` well above ``sqrt(log(n) / (pi n))``).
    seed, capacities, queue_size, max_tries
        As in :func:`waxman`.
    """
    n = _check_n(n)
    if not (isinstance(radius, int | float) and np.isfinite(radius) and radius > 0):
        raise InvalidParameterError(f"radius must be > 0, got {radius!r}")
    r = float(radius)
    return _generate(
        lambda s: nx.random_geometric_graph(n, r, seed=s),
        n,
        name="geometric",
        params={"radius": r},
        seed=seed,
        capacities=capacities,
        queue_size=queue_size,
        max_tries=max_tries,
    )


def barabasi_albert(
    n: int,
    m: int,
    *,
    seed: SeedLike,
    capacities: CapacitySpec = "routenet",
    queue_size: int | Sequence[int] = DEFAULT_QUEUE_SIZE,
    max_tries: int = 50,
) -> Topology:
    """A Barabási–Albert preferential-attachment graph (scale-free degrees), no positions.

    Each new node attaches to ``m`` existing nodes with probability proportional to their degree
    (networkx's ``barabasi_albert_graph``; connected by construction).

    Parameters
    ----------
    n : int
        Number of nodes, >= 2.
    m : int
        Edges added per new node, ``1 <= m < n``.
    seed, capacities, queue_size, max_tries
        As in :func:`waxman`.
    """
    n = _check_n(n)
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or not 1 <= m < n:
        raise InvalidParameterError(f"m must be an integer with 1 <= m < n = {n}, got {m!r}")
    mm = int(m)
    return _generate(
        lambda s: nx.barabasi_albert_graph(n, mm, seed=s),
        n,
        name="barabasi-albert",
        params={"m": mm},
        seed=seed,
        capacities=capacities,
        queue_size=queue_size,
        max_tries=max_tries,
    )
