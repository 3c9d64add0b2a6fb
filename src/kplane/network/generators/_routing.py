"""Routing generators: shortest paths, RouteNet's perturbed-weight variants and k shortest paths.

Link weights are per *directed* link, shape ``(n_links,)``, finite and > 0; the default is 1 for
every link (hop count).

Tie-breaking of :func:`shortest_path_routing` (deterministic, independent of networkx's adjacency
order): distances come from networkx's Dijkstra; walking back from the destination, each node's
predecessor is the lowest-indexed neighbour ``u`` on a shortest path, i.e. with
``dist(s, u) + w(u, v) = dist(s, v)`` up to a relative tolerance of 1e-9 (so sums such as
``1.05 + 1.05`` and ``1.0 + 1.1`` count as equal). The paths from one source therefore form a
shortest-path tree.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Literal

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network._routing import Routing
from kplane.network._topology import Topology
from kplane.network.topologies import undirected_edge_ids
from kplane.utils import as_generator
from kplane.utils._random import SeedLike

__all__ = [
    "k_shortest_paths",
    "perturbed_routings",
    "perturbed_weights",
    "routing_from_choice",
    "shortest_path_routing",
]

_TOL = 1e-9


def _weights(topology: Topology, weights: ArrayLike | None) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(topology.n_links)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (topology.n_links,):
        raise InvalidParameterError(
            f"weights must have one value per directed link, shape ({topology.n_links},), got {w.shape}"
        )
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(
            f"weight of {topology.describe_link(i)} must be finite and > 0, got {w[i]}"
        )
    return w


def _pairs(topology: Topology, pairs: ArrayLike | None) -> NDArray[np.int64]:
    n = topology.n_nodes
    if pairs is None:
        s, d = np.nonzero(~np.eye(n, dtype=bool))
        return np.stack([s, d], axis=1).astype(np.int64)
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if ((p < 0) | (p >= n)).any() or (p[:, 0] == p[:, 1]).any():
        raise InvalidParameterError(f"pairs must be (src, dst) node indices in 0..{n - 1} with src != dst")
    return p


def _graph(topology: Topology, w: NDArray[np.float64]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(topology.n_nodes))
    for i, (u, v) in enumerate(topology.links):
        g.add_edge(int(u), int(v), weight=float(w[i]), id=i)
    return g


def _unreachable(topology: Topology, s: int, d: int) -> InvalidScenarioError:
    names = topology.node_names
    return InvalidScenarioError(
        f"pair {names[s]}→{names[d]} ({s}→{d}) needs a route but {names[d]!r} is not reachable from "
        f"{names[s]!r} in topology {topology.name!r}"
    )


def shortest_path_routing(
    topology: Topology, weights: ArrayLike | None = None, *, pairs: ArrayLike | None = None
) -> Routing:
    """Shortest-path routing (Dijkstra) for every ordered pair, ties broken as in the module docstring.

    Parameters
    ----------
    topology : Topology
    weights : array-like of shape (n_links,), optional
        Directed link weights (> 0); default 1 (hop count).
    pairs : array-like of shape (p, 2), optional
        The pairs that need a route; default all ``n (n - 1)`` ordered pairs.

    Returns
    -------
    Routing
        Paths in sorted pair order.

    Raises
    ------
    InvalidScenarioError
        If a pair that needs a route is disconnected (the message names it).

    Examples
    --------
    >>> from kplane.network import Topology
    >>> t = Topology.from_edges("abc", [(0, 1), (1, 2), (2, 0)], capacity=1e4)
    >>> r = shortest_path_routing(t)
    >>> r.n_paths, r.path(r.index_of(0, 2)).tolist()
    (6, [0, 1])
    """
    w = _weights(topology, weights)
    wanted = _pairs(topology, pairs)
    n = topology.n_nodes
    g = _graph(topology, w)
    dist = np.full((n, n), np.inf)
    sources = np.unique(wanted[:, 0])
    for s in sources:
        for v, dv in nx.single_source_dijkstra_path_length(g, int(s), weight="weight").items():
            dist[s, v] = dv
    tails, heads = topology.links[:, 0], topology.links[:, 1]
    # link l = (u, v) is tight for source s if dist[s, u] + w[l] == dist[s, v]
    du, dv = dist[sources][:, tails], dist[sources][:, heads]
    with np.errstate(invalid="ignore"):
        tight = np.isfinite(du) & (np.abs(du + w - dv) <= _TOL * np.maximum(1.0, np.abs(dv)))
    # for each (source, node v): the tight incoming link with the smallest tail index
    m = topology.n_links
    order = np.argsort(heads * n + tails, kind="stable")  # links sorted by head, then tail
    sorted_heads = heads[order]
    starts = np.flatnonzero(np.r_[True, sorted_heads[1:] != sorted_heads[:-1]])
    position = np.where(tight[:, order], np.arange(m), m)
    first = np.minimum.reduceat(position, starts, axis=1)
    pred_link = np.full((sources.shape[0], n), -1, dtype=np.int64)
    pred_link[:, sorted_heads[starts]] = np.where(first < m, order[np.minimum(first, m - 1)], -1)
    row_of = {int(s): i for i, s in enumerate(sources)}
    paths: dict[tuple[int, int], list[int]] = {}
    for s, d in wanted:
        s, d = int(s), int(d)
        if not np.isfinite(dist[s, d]):
            raise _unreachable(topology, s, d)
        pl = pred_link[row_of[s]]
        seq: list[int] = []
        v = d
        while v != s:
            link = int(pl[v])
            if link < 0 or len(seq) >= n:
                raise InvalidParameterError(
                    f"weights too small to separate path costs for pair {s}→{d} (relative tolerance "
                    f"{_TOL}); scale the weights up"
                )
            seq.append(link)
            v = int(tails[link])
        paths[(s, d)] = seq[::-1]
    return Routing.from_link_paths(paths)


def perturbed_weights(
    topology: Topology,
    n_variants: int,
    *,
    n_links: int = 21,
    delta: float = 0.05,
    base_weight: float = 1.0,
    seed: SeedLike,
    unit: Literal["edge", "link"] = "edge",
) -> NDArray[np.float64]:
    """The link weights of RouteNet's perturbed shortest-path variants (JSAC 2020, §VI-A).

    Row 0 is the base: every weight ``base_weight``. Each further row adds ``delta`` to the weight
    of ``n_links`` draws made uniformly *with repetition*, so an element drawn twice gets
    ``+2·delta``. Rows are drawn in order from one stream, so the first ``k`` rows do not depend on
    ``n_variants``.

    Parameters
    ----------
    topology : Topology
    n_variants : int
        Rows, base included (the paper: 450 = base + 449), >= 1.
    n_links : int
        Draws per variant (the paper: 21, NSFNET's number of links), >= 0.
    delta : float
        Weight increment per draw, > 0.
    base_weight : float
        Weight of every link in the base routing, > 0.
    seed : int, Generator or None
    unit : {"edge", "link"}
        ``"edge"`` (default): draw undirected edges (see
        :func:`~kplane.network.topologies.undirected_edge_ids`) and perturb both directions equally,
        keeping weights symmetric like an IGP with symmetric metrics (NSFNET has 21 edges, the
        paper's "21 links"); ``"link"``: draw directed links.

    Returns
    -------
    ndarray of shape (n_variants, n_links_of_topology)
        Directed link weights per variant.
    """
    if isinstance(n_variants, bool) or not isinstance(n_variants, int | np.integer) or n_variants < 1:
        raise InvalidParameterError(f"n_variants must be an integer >= 1, got {n_variants!r}")
    if isinstance(n_links, bool) or not isinstance(n_links, int | np.integer) or n_links < 0:
        raise InvalidParameterError(f"n_links (draws per variant) must be an integer >= 0, got {n_links!r}")
    for val, name in ((delta, "delta"), (base_weight, "base_weight")):
        if not (isinstance(val, int | float) and np.isfinite(val) and val > 0):
            raise InvalidParameterError(f"{name} must be finite and > 0, got {val!r}")
    if unit == "edge":
        group, n_groups = undirected_edge_ids(topology)
    elif unit == "link":
        group, n_groups = np.arange(topology.n_links), topology.n_links
    else:
        raise InvalidParameterError(f"unit must be 'edge' or 'link', got {unit!r}")
    rng = as_generator(seed)
    out = np.full((int(n_variants), topology.n_links), float(base_weight))
    for k in range(1, int(n_variants)):
        counts = np.bincount(rng.integers(0, n_groups, size=int(n_links)), minlength=n_groups)
        out[k] += delta * counts[group]
    return out


def perturbed_routings(
    topology: Topology,
    n_variants: int,
    *,
    n_links: int = 21,
    delta: float = 0.05,
    base_weight: float = 1.0,
    seed: SeedLike,
    unit: Literal["edge", "link"] = "edge",
) -> list[Routing]:
    """RouteNet's candidate routings: shortest paths under :func:`perturbed_weights`.

    The first routing is the unperturbed base (plain shortest paths); the others are shortest paths
    under each perturbed weight vector. Variants are not de-duplicated (the paper keeps all 450).
    Parameters as in :func:`perturbed_weights`.

    Returns
    -------
    list of Routing
        ``n_variants`` routings over all ordered pairs.
    """
    w = perturbed_weights(
        topology, n_variants, n_links=n_links, delta=delta, base_weight=base_weight, seed=seed, unit=unit
    )
    return [shortest_path_routing(topology, row) for row in w]


def k_shortest_paths(
    topology: Topology, k: int, weights: ArrayLike | None = None, *, pairs: ArrayLike | None = None
) -> dict[tuple[int, int], list[list[int]]]:
    """Up to ``k`` shortest simple (loop-free) paths per pair, as link ids, shortest first.

    Uses networkx's ``shortest_simple_paths`` (Yen's algorithm) on a graph with links added in id
    order; paths of equal cost come in networkx's order. A pair with fewer than ``k`` simple paths
    gets all of them.

    Parameters
    ----------
    topology : Topology
    k : int
        Paths per pair, >= 1.
    weights : array-like of shape (n_links,), optional
        Link weights (> 0); default hop count.
    pairs : array-like of shape (p, 2), optional
        Default all ordered pairs.

    Raises
    ------
    InvalidScenarioError
        If a pair is disconnected.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidParameterError(f"k must be an integer >= 1, got {k!r}")
    w = _weights(topology, weights)
    g = _graph(topology, w)
    out: dict[tuple[int, int], list[list[int]]] = {}
    for s, d in _pairs(topology, pairs):
        s, d = int(s), int(d)
        try:
            node_paths = list(itertools.islice(nx.shortest_simple_paths(g, s, d, weight="weight"), int(k)))
        except nx.NetworkXNoPath:
            raise _unreachable(topology, s, d) from None
        out[(s, d)] = [[g.edges[u, v]["id"] for u, v in itertools.pairwise(p)] for p in node_paths]
    return out


def routing_from_choice(
    topology: Topology,
    kpaths: Mapping[tuple[int, int], Sequence[Sequence[int]]],
    choice: int | Mapping[tuple[int, int], int] | ArrayLike,
) -> Routing:
    """Pick one candidate path per pair from :func:`k_shortest_paths` output.

    Parameters
    ----------
    topology : Topology
        Used to check the result.
    kpaths : mapping (src, dst) -> list of link-id paths
    choice : int, mapping or array-like of shape (n_pairs,)
        The candidate index: one for every pair, per pair (mapping), or per pair in sorted pair
        order (array).

    Raises
    ------
    InvalidParameterError
        If an index is out of range for its pair.
    """
    keys = sorted((int(s), int(d)) for s, d in kpaths)
    if isinstance(choice, Mapping):
        idx = {(int(s), int(d)): c for (s, d), c in choice.items()}
        missing = [k for k in keys if k not in idx]
        if missing:
            raise InvalidParameterError(f"choice has no index for pair {missing[0][0]}→{missing[0][1]}")
        picks = [idx[k] for k in keys]
    elif isinstance(choice, int | np.integer) and not isinstance(choice, bool):
        picks = [int(choice)] * len(keys)
    else:
        arr = np.asarray(choice).reshape(-1)
        if arr.shape != (len(keys),):
            raise InvalidParameterError(
                f"choice must have one index per pair, shape ({len(keys)},), got {arr.shape}"
            )
        picks = arr.tolist()
    paths = {}
    for key, c in zip(keys, picks, strict=True):
        cands = kpaths[key]
        if isinstance(c, bool) or not isinstance(c, int | np.integer) or not 0 <= c < len(cands):
            raise InvalidParameterError(
                f"choice {c!r} for pair {key[0]}→{key[1]} is out of range: it has {len(cands)} candidate "
                f"path(s), indices 0..{len(cands) - 1}"
            )
        paths[key] = list(cands[int(c)])
    routing = Routing.from_link_paths(paths)
    routing.check(topology)
    return routing
