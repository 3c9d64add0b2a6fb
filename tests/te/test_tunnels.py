"""k shortest tunnels against brute-force enumeration of simple paths."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Topology
from kplane.te import all_pairs, k_shortest_tunnels


def _random_topology(seed: int, n: int = 7) -> Topology:
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 4, 0.4, seed=int(rng.integers(1 << 30)))
    links = [e for u, v in g.edges for e in ((u, v), (v, u))]
    return Topology.from_edges([str(i) for i in range(n)], links, 10.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_ksp_lengths_match_brute_force(seed: int, k: int) -> None:
    topo = _random_topology(seed)
    ts = k_shortest_tunnels(topo, k)
    assert ts.n_flows == topo.n_nodes * (topo.n_nodes - 1)
    ts.check(topo)
    g = topo.to_networkx()
    for f, (s, d) in enumerate(ts.pairs.tolist()):
        every = sorted(len(p) - 1 for p in nx.all_simple_paths(g, s, d))
        got = [len(ts.tunnel(t)) for t in ts.tunnels_of(f)]
        assert got == every[:k]
        paths = [tuple(ts.tunnel(t).tolist()) for t in ts.tunnels_of(f)]
        assert len(set(paths)) == len(paths)


def test_pairs_and_unreachable() -> None:
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (1, 2)], 1.0)
    ts = k_shortest_tunnels(topo, 2)
    assert ts.n_flows == 6
    c_to_a = [f for f, (s, d) in enumerate(ts.pairs.tolist()) if (s, d) == (2, 0)][0]
    assert ts.n_tunnels_per_flow[c_to_a] == 0
    sub = k_shortest_tunnels(topo, 2, pairs=[(0, 2)])
    assert sub.n_flows == 1 and sub.tunnel(0).tolist() == [0, 2]
    assert all_pairs(3).tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    with pytest.raises(InvalidParameterError, match="integer >= 1"):
        k_shortest_tunnels(topo, 0)
    with pytest.raises(InvalidParameterError, match="weight must be one of"):
        k_shortest_tunnels(topo, 1, weight="length")
