"""Routing generators: Dijkstra with documented tie-breaking, perturbed variants, k shortest paths."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from kplane.errors import InvalidParameterError, InvalidScenarioError
from kplane.network import Topology
from kplane.network.generators import (
    k_shortest_paths,
    perturbed_routings,
    perturbed_weights,
    routing_from_choice,
    shortest_path_routing,
)
from kplane.network.topologies import load_topology, undirected_edge_ids, waxman


def _bidirectional(n: int, edges: list[tuple[int, int]]) -> Topology:
    links = [link for u, v in edges for link in ((u, v), (v, u))]
    return Topology.from_edges([f"n{i}" for i in range(n)], links, capacity=1e4)


@pytest.fixture(scope="module")
def nsfnet() -> Topology:
    return load_topology("nsfnet")


def _cost(topo: Topology, w: np.ndarray, path: np.ndarray) -> float:
    return float(w[path].sum())


def _oracle_path(topo: Topology, w: np.ndarray, s: int, d: int) -> list[int]:
    """Documented rule, independently: among all shortest node paths, the smallest reversed sequence."""
    g = nx.DiGraph()
    for i, (u, v) in enumerate(topo.links):
        g.add_edge(int(u), int(v), weight=float(w[i]))
    return min(nx.all_shortest_paths(g, s, d, weight="weight"), key=lambda p: p[::-1])


@pytest.mark.parametrize("seed", range(4))
def test_shortest_paths_match_oracle_with_ties(seed: int) -> None:
    topo = waxman(12, alpha=0.5, beta=0.6, seed=seed)
    rng = np.random.default_rng(seed)
    for w in (np.ones(topo.n_links), rng.integers(1, 4, topo.n_links).astype(float)):  # many ties
        r = shortest_path_routing(topo, w)
        assert r.n_paths == 12 * 11
        r.check(topo)
        for i, (s, d) in enumerate(r.pairs):
            assert r.node_path(topo, i) == _oracle_path(topo, w, int(s), int(d))


def test_costs_equal_dijkstra_distances(nsfnet: Topology) -> None:
    w = np.random.default_rng(0).uniform(0.5, 2.0, nsfnet.n_links)
    r = shortest_path_routing(nsfnet, w)
    g = nx.DiGraph()
    for i, (u, v) in enumerate(nsfnet.links):
        g.add_edge(int(u), int(v), weight=w[i])
    dist = dict(nx.all_pairs_dijkstra_path_length(g))
    for i, (s, d) in enumerate(r.pairs):
        assert _cost(nsfnet, w, r.path(i)) == pytest.approx(dist[int(s)][int(d)])


def test_float_ties_are_ties() -> None:
    # 0→1→3 costs 1.05 + 1.1, 0→2→3 costs 1.0 + 1.15: equal in exact arithmetic, not in floats
    assert 1.05 + 1.1 > 1.0 + 1.15
    topo = Topology.from_edges(["s", "a", "b", "t"], [(0, 1), (1, 3), (0, 2), (2, 3)], capacity=1.0)
    r = shortest_path_routing(topo, [1.05, 1.1, 1.0, 1.15], pairs=[(0, 3)])
    assert r.node_path(topo, 0) == [0, 1, 3]  # a tie → predecessor of t with the smaller index (a = 1)
    r = shortest_path_routing(topo, [1.05, 1.1, 1.0, 1.14], pairs=[(0, 3)])
    assert r.node_path(topo, 0) == [0, 2, 3]


def test_disconnected_pair_is_named() -> None:
    # two islands: {a, b} and {c, d}
    topo = Topology.from_edges(["a", "b", "c", "d"], [(0, 1), (1, 0), (2, 3), (3, 2)], capacity=1.0)
    with pytest.raises(
        InvalidScenarioError, match=r"pair a→c \(0→2\) needs a route but 'c' is not reachable"
    ):
        shortest_path_routing(topo)
    r = shortest_path_routing(topo, pairs=[(0, 1), (3, 2)])
    assert r.n_paths == 2
    with pytest.raises(InvalidScenarioError, match=r"pair b→d \(1→3\)"):
        k_shortest_paths(topo, 2, pairs=[(1, 3)])


def test_one_way_link_disconnects_reverse_pair() -> None:
    topo = Topology.from_edges(["a", "b"], [(0, 1)], capacity=1.0)
    with pytest.raises(InvalidScenarioError, match=r"pair b→a \(1→0\) needs a route"):
        shortest_path_routing(topo)


@pytest.mark.parametrize(
    ("weights", "pairs", "match"),
    [
        (np.ones(3), None, r"weights must have one value per directed link, shape \(42,\)"),
        (np.r_[0.0, np.ones(41)], None, r"weight of link 0 \(Palo-Alto→San-Diego\) must be finite and > 0"),
        (np.r_[np.nan, np.ones(41)], None, "must be finite and > 0"),
        (None, [(0, 0)], "src != dst"),
        (None, [(0, 14)], r"node indices in 0..13"),
    ],
)
def test_shortest_path_errors(nsfnet: Topology, weights: object, pairs: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        shortest_path_routing(nsfnet, weights, pairs=pairs)  # type: ignore[arg-type]


def test_perturbed_weights_are_21_draws_with_repetition(nsfnet: Topology) -> None:
    w = perturbed_weights(nsfnet, 450, seed=0)
    assert w.shape == (450, 42)
    np.testing.assert_array_equal(w[0], np.ones(42))
    edge, n_edges = undirected_edge_ids(nsfnet)
    assert n_edges == 21
    counts = np.rint((w - 1.0) / 0.05).astype(int)
    np.testing.assert_allclose(w, 1.0 + 0.05 * counts, atol=1e-12)  # whole multiples of delta
    np.testing.assert_array_equal(counts[:, 0::2], counts[:, 1::2])  # both directions alike
    per_edge = counts[:, 0::2]
    np.testing.assert_array_equal(per_edge[1:].sum(axis=1), np.full(449, 21))  # exactly 21 draws
    assert per_edge.max() >= 2  # repetition happens: some edge gets +0.10 or more
    assert (per_edge[1:] == 0).any(axis=1).all()  # 21 draws over 21 edges with repetition miss some
    # the draws are uniform over edges: each edge is hit about 449 * 21 / 21 = 449 times
    hits = per_edge[1:].sum(axis=0)
    assert hits.min() > 300 and hits.max() < 600


def test_perturbed_weights_seeding_and_prefix(nsfnet: Topology) -> None:
    a = perturbed_weights(nsfnet, 10, seed=4)
    np.testing.assert_array_equal(a, perturbed_weights(nsfnet, 10, seed=4))
    np.testing.assert_array_equal(a[:5], perturbed_weights(nsfnet, 5, seed=4))
    assert not np.array_equal(a, perturbed_weights(nsfnet, 10, seed=5))


def test_perturbed_weights_per_link_and_options(nsfnet: Topology) -> None:
    w = perturbed_weights(nsfnet, 20, n_links=10, delta=0.5, base_weight=2.0, seed=1, unit="link")
    counts = np.rint((w - 2.0) / 0.5).astype(int)
    np.testing.assert_array_equal(counts[1:].sum(axis=1), np.full(19, 10))
    assert (counts[:, 0::2] != counts[:, 1::2]).any()  # directions drawn separately


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_variants": 0}, "n_variants must be an integer >= 1"),
        ({"n_variants": 2, "n_links": -1}, r"n_links \(draws per variant\) must be an integer >= 0"),
        ({"n_variants": 2, "delta": 0.0}, "delta must be finite and > 0"),
        ({"n_variants": 2, "base_weight": -1.0}, "base_weight must be finite and > 0"),
        ({"n_variants": 2, "unit": "node"}, "unit must be 'edge' or 'link'"),
    ],
)
def test_perturbed_weights_errors(nsfnet: Topology, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        perturbed_weights(nsfnet, seed=0, **kwargs)


def test_perturbed_routings(nsfnet: Topology) -> None:
    routings = perturbed_routings(nsfnet, 30, seed=0)
    assert len(routings) == 30
    base = shortest_path_routing(nsfnet)
    for f in ("pairs", "link_ids", "offsets"):
        np.testing.assert_array_equal(getattr(routings[0], f), getattr(base, f))
    differ = [not np.array_equal(r.link_ids, base.link_ids) for r in routings[1:]]
    assert sum(differ) >= 25  # +0.05 breaks the many hop-count ties
    assert len({r.link_ids.tobytes() for r in routings}) >= 25
    weights = perturbed_weights(nsfnet, 30, seed=0)
    for r, w in zip(routings, weights, strict=True):
        r.check(nsfnet)
        assert (r.hops <= base.hops + 1).all()  # 21 × 0.05 < 2: at most one hop longer than hop-count SP
        np.testing.assert_array_equal(r.link_ids, shortest_path_routing(nsfnet, w).link_ids)


def _tiny() -> Topology:
    # square with a diagonal: 0-1, 1-2, 2-3, 3-0, 0-2
    return _bidirectional(4, [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)])


def test_k_shortest_paths_against_networkx() -> None:
    topo = _tiny()
    w = np.array([1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 3.0, 3.0, 2.5, 2.5])
    kp = k_shortest_paths(topo, 3, w)
    assert sorted(kp) == [(s, d) for s, d in itertools.permutations(range(4), 2)]
    g = nx.DiGraph()
    for i, (u, v) in enumerate(topo.links):
        g.add_edge(int(u), int(v), weight=w[i])
    for (s, d), paths in kp.items():
        ref = list(itertools.islice(nx.shortest_simple_paths(g, s, d, weight="weight"), 3))
        got_nodes = [[int(topo.links[p[0], 0])] + [int(topo.links[x, 1]) for x in p] for p in paths]
        assert got_nodes == ref
        costs = [w[p].sum() for p in paths]
        assert costs == sorted(costs)
        assert len({tuple(p) for p in paths}) == len(paths)  # distinct, loop-free
        for nodes in got_nodes:
            assert len(set(nodes)) == len(nodes)


def test_k_larger_than_available_returns_all() -> None:
    topo = _bidirectional(3, [(0, 1), (1, 2)])  # a line: one simple path per pair
    kp = k_shortest_paths(topo, 5)
    assert all(len(p) == 1 for p in kp.values())
    with pytest.raises(InvalidParameterError, match="k must be an integer >= 1"):
        k_shortest_paths(topo, 0)


def test_routing_from_choice() -> None:
    topo = _tiny()
    kp = k_shortest_paths(topo, 2)
    first = routing_from_choice(topo, kp, 0)
    for i, (s, d) in enumerate(first.pairs):
        assert first.path(i).tolist() == kp[(int(s), int(d))][0]
    second = routing_from_choice(topo, kp, {k: len(v) - 1 for k, v in kp.items()})
    for i, (s, d) in enumerate(second.pairs):
        assert second.path(i).tolist() == kp[(int(s), int(d))][-1]
    arr = routing_from_choice(topo, kp, np.zeros(12, dtype=int))
    np.testing.assert_array_equal(arr.link_ids, first.link_ids)
    with pytest.raises(InvalidParameterError, match=r"choice 5 for pair 0→1 is out of range: it has 2"):
        routing_from_choice(topo, kp, 5)
    with pytest.raises(InvalidParameterError, match=r"one index per pair, shape \(12,\)"):
        routing_from_choice(topo, kp, [0, 1])
    with pytest.raises(InvalidParameterError, match="choice has no index for pair 0→1"):
        routing_from_choice(topo, kp, {(1, 0): 0})
