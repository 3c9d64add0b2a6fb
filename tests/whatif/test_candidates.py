"""Candidate generation: routing variants, distinct routings, new-link topologies."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Topology
from kplane.network.generators import routenet_scenario, shortest_path_routing
from kplane.network.topologies import load_topology
from kplane.whatif import add_link, candidate_scenarios, link_candidates, routing_candidates, unique_routings


@pytest.fixture(scope="module")
def nsf() -> Topology:
    return load_topology("nsfnet")


def same(a, b) -> bool:
    return bool(
        np.array_equal(a.pairs, b.pairs)
        and np.array_equal(a.offsets, b.offsets)
        and np.array_equal(a.link_ids, b.link_ids)
    )


def test_routing_candidates_base_first_and_deterministic(nsf):
    c1 = routing_candidates(nsf, 12, seed=3)
    c2 = routing_candidates(nsf, 12, seed=3)
    assert len(c1) == 12
    assert same(c1[0], shortest_path_routing(nsf))
    assert all(same(a, b) for a, b in zip(c1, c2, strict=True))
    assert not all(same(c1[1], c) for c in routing_candidates(nsf, 12, seed=4)[1:])
    assert len(routing_candidates(nsf, 1)) == 1


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_routing_candidates_rejects_bad_count(nsf, bad):
    with pytest.raises(InvalidParameterError, match="n_candidates must be a positive integer"):
        routing_candidates(nsf, bad)


def test_unique_routings_maps_back(nsf):
    c = routing_candidates(nsf, 6, seed=0)
    routings = [c[0], c[1], c[0], c[2], c[1]]
    unique, inverse = unique_routings(routings)
    assert inverse.tolist()[:3] == [0, 1, 0]
    for r, j in zip(routings, inverse, strict=True):
        assert same(r, unique[j])


def test_candidate_scenarios_keep_traffic(nsf):
    sc = routenet_scenario(nsf, 12, seed=1)
    scen = candidate_scenarios(sc, routing_candidates(nsf, 3, seed=0))
    assert len(scen) == 3
    assert all(s.traffic is sc.traffic for s in scen)
    assert scen[2].name.endswith("candidate-2")


def test_link_candidates_cover_every_non_adjacent_pair(nsf):
    cands = link_candidates(nsf, "10kbps")
    assert len(cands) == 14 * 13 // 2 - nsf.n_links // 2 == 70
    for c in cands:
        assert not nsf.has_link(c.u, c.v) and not nsf.has_link(c.v, c.u)
        t = c.topology
        assert t.n_links == nsf.n_links + 2
        assert np.array_equal(t.links[: nsf.n_links], nsf.links)  # existing ids unchanged
        assert t.links[c.link_ids[0]].tolist() == [c.u, c.v]
        assert t.links[c.link_ids[1]].tolist() == [c.v, c.u]
        assert t.capacity[list(c.link_ids)].tolist() == [10e3, 10e3]
        assert t.queue_size[c.link_ids[0]] == 32
    # the new topology supports fresh routing candidates and scenarios with the same traffic
    sc = routenet_scenario(nsf, 12, seed=1)
    r = routing_candidates(cands[0].topology, 2, seed=0)
    assert candidate_scenarios(sc, r, topology=cands[0].topology)[0].topology.n_links == 44


def test_add_link_errors(nsf):
    u, v = (int(x) for x in nsf.links[0])
    with pytest.raises(InvalidParameterError, match="already adjacent"):
        add_link(nsf, u, v, 1e4)
    with pytest.raises(InvalidParameterError, match="two distinct nodes in 0..13"):
        add_link(nsf, 3, 3, 1e4)
    with pytest.raises(InvalidParameterError, match="rate 'fast' is not understood"):
        link_candidates(nsf, "fast")
    assert (
        len(
            add_link(nsf, *next((c.u, c.v) for c in link_candidates(nsf, 1e4)), 1e4, queue_size=8).metadata[
                "added_links"
            ]
        )
        == 1
    )


def test_full_mesh_has_no_link_candidates():
    t = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)], capacity=1e4)
    assert link_candidates(t, 1e4) == []
