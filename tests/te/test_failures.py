"""Failure models and scenario enumeration (incl. the cross-check against ARROW's generated sets)."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import Topology
from kplane.network.io import read_arrow_ip_topology
from kplane.te import k_shortest_tunnels
from kplane.te.failures import (
    FailureModel,
    connectivity_filter,
    cutoff_scenarios,
    enumerate_failure_sets,
    k_failure_scenarios,
    weibull_probabilities,
)


def _brute(p: np.ndarray, cutoff: float) -> dict[tuple[int, ...], float]:
    out = {}
    for r in range(len(p) + 1):
        for s in itertools.combinations(range(len(p)), r):
            pr = float(np.prod([p[i] if i in s else 1 - p[i] for i in range(len(p))]))
            if r == 0 or pr >= cutoff:
                out[s] = pr
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("cutoff", [1e-2, 1e-3, 1e-5])
def test_enumeration_equals_brute_force_in_lexicographic_order(seed: int, cutoff: float) -> None:
    p = np.random.default_rng(seed).uniform(0, 0.3, size=8)
    p[2] = 0.0  # an element that never fails
    sets, probs = enumerate_failure_sets(p, cutoff)
    want = _brute(p, cutoff)
    want = {s: v for s, v in want.items() if 2 not in s}
    assert sets == sorted(want)  # pre-order DFS = lexicographic order of the sets
    assert probs == pytest.approx([want[s] for s in sets], rel=1e-12)


def test_accept_filter_and_pruning() -> None:
    p = np.full(5, 0.2)
    sets, _ = enumerate_failure_sets(p, 1e-4, accept=lambda s: 0 not in s)
    assert all(0 not in s for s in sets)
    # rejected sets are not expanded: nothing containing 0 even though (0, 1) would pass the cutoff
    sets2, _ = enumerate_failure_sets(p, 1e-4, accept=lambda s: s != (0,), prune_rejected=False)
    assert (0, 1) in sets2 and (0,) not in sets2


@pytest.mark.parametrize(
    ("p", "cutoff", "match"),
    [([0.1, 0.6], 1e-3, r"\[0, 0.5\)"), ([0.1], 0.0, r"cutoff must lie in \(0, 1\)"), ([0.1], 1.0, "cutoff")],
)
def test_enumeration_rejects_bad_input(p, cutoff, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        enumerate_failure_sets(p, cutoff)


def test_weibull_probabilities_are_seeded() -> None:
    a = weibull_probabilities(10, shape=0.8, scale=1e-3, seed=4)
    assert np.array_equal(a, weibull_probabilities(10, shape=0.8, scale=1e-3, seed=4))
    assert not np.array_equal(a, weibull_probabilities(10, shape=0.8, scale=1e-3, seed=5))
    assert (a > 0).all() and (a < 0.5).all()
    with pytest.raises(InvalidParameterError, match="shape and scale must be > 0"):
        weibull_probabilities(3, scale=-1)
    with pytest.raises(InvalidParameterError, match="use a smaller scale"):
        weibull_probabilities(50, scale=10.0, seed=0)


def _ring(n: int = 5) -> Topology:
    und = [(i, (i + 1) % n) for i in range(n)]
    return Topology.from_edges(
        [str(i) for i in range(n)], [e for u, v in und for e in ((u, v), (v, u))], 10.0
    )


def test_per_link_models() -> None:
    topo = _ring()
    bi = FailureModel.per_link(topo, 0.01)
    assert bi.n_elements == 5 and bi.element_links[0] == (0, 1) and bi.kind == "bidirectional-link"
    di = FailureModel.per_link(topo, np.arange(10) / 100, bidirectional=False)
    assert di.n_elements == 10 and di.prob[3] == pytest.approx(0.03)
    # per-direction probabilities: an element takes its first link's value
    assert FailureModel.per_link(topo, np.arange(10) / 100).prob.tolist() == pytest.approx(
        [0, 0.02, 0.04, 0.06, 0.08]
    )
    with pytest.raises(InvalidParameterError, match=r"must lie in \[0, 1\)"):
        FailureModel.per_link(topo, 1.5)


def test_cutoff_scenarios_on_a_ring_drop_disconnecting_pairs() -> None:
    topo = _ring()
    tun = k_shortest_tunnels(topo, 2)
    fm = FailureModel.per_link(topo, 0.05)
    keep = cutoff_scenarios(fm, topo, tun, cutoff=2e-4, drop_disconnecting=False)
    drop = cutoff_scenarios(fm, topo, tun, cutoff=2e-4)
    assert keep.n_scenarios == 1 + 5 + 10  # every pair is above the cutoff, no triple
    assert drop.n_scenarios == 1 + 5  # two cuts disconnect a ring
    for s in (keep, drop):
        assert s.prob.sum() == pytest.approx(1.0)
        assert s.failed_edges[0] == ()
        assert s.uncovered == "renormalised"
    assert drop.uncovered_mass > keep.uncovered_mass > 0
    # survival: a tunnel dies iff one of its links failed
    for q, fe in enumerate(drop.failed_edges):
        for t in range(tun.n_tunnels):
            assert drop.survival[q, t] == (not set(tun.tunnel(t).tolist()) & set(fe))


def test_all_failed_mode_keeps_raw_probabilities() -> None:
    topo = _ring()
    tun = k_shortest_tunnels(topo, 2)
    fm = FailureModel.per_link(topo, 0.05)
    s = cutoff_scenarios(fm, topo, tun, cutoff=1e-2, uncovered="all_failed", drop_disconnecting=False)
    assert s.uncovered == "all_failed"
    assert s.failed_edges[-1] == tuple(range(topo.n_links))
    assert s.prob[-1] == pytest.approx(s.uncovered_mass)
    assert s.prob[0] == pytest.approx(0.95**5)  # not renormalised
    assert s.prob.sum() == pytest.approx(1.0)
    assert not s.survival[-1].any()
    with pytest.raises(InvalidParameterError, match="uncovered must be one of"):
        cutoff_scenarios(fm, topo, tun, cutoff=1e-2, uncovered="spread")


def test_bidirectional_tunnel_rule() -> None:
    topo = _ring()
    tun = k_shortest_tunnels(topo, 1)
    fm = FailureModel.per_link(topo, 0.05, bidirectional=False)
    plain = cutoff_scenarios(fm, topo, tun, cutoff=1e-2)
    both = cutoff_scenarios(fm, topo, tun, cutoff=1e-2, bidirectional_tunnels=True)
    q = plain.failed_edges.index((0,))  # link 0→1 down
    t01 = next(t for t in range(tun.n_tunnels) if tun.tunnel(t).tolist() == [0])
    t10 = next(t for t in range(tun.n_tunnels) if tun.tunnel(t).tolist() == [1])
    assert not plain.survival[q, t01] and plain.survival[q, t10]
    assert not both.survival[q, t01] and not both.survival[q, t10]


def test_k_failure_sets() -> None:
    topo = _ring(6)
    tun = k_shortest_tunnels(topo, 2)
    fm = FailureModel.per_link(topo, 0.0)
    one = k_failure_scenarios(fm, topo, tun, 1)
    two = k_failure_scenarios(fm, topo, tun, 2)
    assert one.n_scenarios == 1 + 6 and two.n_scenarios == 1 + 6 + 15
    assert two.prob == pytest.approx(np.full(22, 1 / 22))  # no probabilities given: uniform
    assert k_failure_scenarios(fm, topo, tun, 2, drop_disconnecting=True).n_scenarios == 7
    with pytest.raises(InvalidParameterError, match="k must be an integer in 1..4"):
        k_failure_scenarios(fm, topo, tun, 0)


def test_fibre_model_takes_down_every_link_on_the_fibre() -> None:
    topo = _ring(4)
    fm = FailureModel.per_fibre(
        topo.n_links, [(0,), (0,), (0, 1), (1,), (2,), (2,), (3,), (3,)], [0.1, 0.2, 0, 0.3]
    )
    assert fm.element_links[0] == (0, 1, 2) and fm.element_links[1] == (2, 3)
    with pytest.raises(InvalidParameterError, match="rides fibre 9"):
        FailureModel.per_fibre(2, [(9,), (0,)], [0.1])


# ------------------------------------------------------------------ ARROW cross-check
def _arrow_quirk(wan, fm):  # ARROW's fibre filter indexes the directional bitmap by bidirectional index
    fib = wan.fibres
    rows = [tuple(r) for r in fib.fibres.tolist()]
    bid, seen = [], set()
    for u, v in rows:
        if (min(u, v), max(u, v)) not in seen:
            seen.add((min(u, v), max(u, v)))
            bid.append((u, v))

    def accept(elements: tuple[int, ...]) -> bool:
        up = np.ones(len(rows), bool)
        for i in elements:
            up[rows.index(bid[i])] = False
            up[rows.index((bid[i][1], bid[i][0]))] = False
        g = nx.Graph()
        g.add_nodes_from(range(len(fib.node_names)))
        g.add_edges_from(bid[f] for f in range(len(bid)) if up[f])
        return nx.is_connected(g)

    return accept


ARROW_FILES = [("B4", i) for i in range(1, 6)] + [("IBM", i) for i in range(1, 4)]


@pytest.mark.parametrize(("topo_name", "k"), ARROW_FILES)
def test_cutoff_enumeration_reproduces_arrow_scenarios(shared_data: Path, topo_name: str, k: int) -> None:
    """Same fibre probabilities + cutoff 1e-3 ⇒ ARROW's scenarios, order and probabilities.

    Fibre probabilities are recovered from the file: P({f}) / P(∅) = p_f / (1 − p_f) for every fibre
    that fails alone in some scenario. Fibres that never appear (their single cut disconnects the IP
    layer) only scale the unnormalised probabilities by U = Π (1 − p); U is set to the largest value
    at which the file's least likely set still meets the cutoff.
    """
    base = shared_data / "te/arrow"
    wan = read_arrow_ip_topology(base / f"data/topology/{topo_name}", demands=False)
    groups = wan.fibres.group
    lines = [
        ln
        for ln in (base / f"derived_from_jld/{topo_name}/0.001_ip_scenarios_{k}.txt").read_text().splitlines()
        if ln and not ln.startswith("#")
    ]
    probs = np.array([float(ln.split("\t")[0]) for ln in lines])
    ip_bits = [np.array(ln.split("\t")[1].split(), int) for ln in lines]
    sets = [
        tuple(sorted(set(groups[np.flatnonzero(np.array(ln.split("\t")[2].split(), int) == 0)].tolist())))
        for ln in lines
    ]
    nf = wan.fibres.n_fibres
    p = np.zeros(nf)
    for s, pr in zip(sets, probs, strict=True):
        if len(s) == 1:
            r = pr / probs[0]
            p[s[0]] = r / (1 + r)
    fm0 = FailureModel.per_fibre(wan.topology.n_links, wan.link_fibre_groups(), p)
    ip_ok = connectivity_filter(wan.topology, fm0, connection="weak")
    quirk = _arrow_quirk(wan, fm0)
    unknown = np.flatnonzero(p == 0)
    # an unknown fibre whose single cut passes the filters was below the cutoff in ARROW ("silent");
    # the others are filtered out ("blocked") and may carry any probability
    blocked = [f for f in unknown if not (ip_ok((int(f),)) and quirk((int(f),)))]
    raw = np.array([np.prod(np.where(np.isin(np.arange(nf), s), p, 1 - p)) for s in sets])
    u = min(1.0, 1e-3 / raw.min() * (1 + 1e-9))
    carriers = blocked if blocked else unknown
    if u < 1.0:
        p[carriers] = 1 - u ** (1 / len(carriers))
    fm = FailureModel.per_fibre(wan.topology.n_links, wan.link_fibre_groups(), p)
    tun = k_shortest_tunnels(wan.topology, 1)
    scen = cutoff_scenarios(fm, wan.topology, tun, cutoff=1e-3, connection="weak", accept=quirk)
    assert ip_ok  # the IP-layer filter is part of cutoff_scenarios (drop_disconnecting=True)
    assert list(scen.failed_elements) == sets
    assert scen.prob == pytest.approx(probs, rel=1e-7)
    for q, bits in enumerate(ip_bits):
        assert sorted(np.flatnonzero(bits == 0).tolist()) == list(scen.failed_edges[q])


def test_arrow_quirk_matters_on_ibm(shared_data: Path) -> None:
    """Without ARROW's fibre-bitmap indexing quirk, kplane keeps one more 2-fibre set on IBM set 1."""
    base = shared_data / "te/arrow"
    wan = read_arrow_ip_topology(base / "data/topology/IBM", demands=False)
    lines = [
        ln
        for ln in (base / "derived_from_jld/IBM/0.001_ip_scenarios_1.txt").read_text().splitlines()
        if ln and not ln.startswith("#")
    ]
    groups = wan.fibres.group
    probs = np.array([float(ln.split("\t")[0]) for ln in lines])
    sets = [
        tuple(sorted(set(groups[np.flatnonzero(np.array(ln.split("\t")[2].split(), int) == 0)].tolist())))
        for ln in lines
    ]
    p = np.zeros(wan.fibres.n_fibres)
    for s, pr in zip(sets, probs, strict=True):
        if len(s) == 1:
            p[s[0]] = (pr / probs[0]) / (1 + pr / probs[0])
    fm = FailureModel.per_fibre(wan.topology.n_links, wan.link_fibre_groups(), p)
    tun = k_shortest_tunnels(wan.topology, 1)
    ours = cutoff_scenarios(fm, wan.topology, tun, cutoff=1e-3, connection="weak")
    extra = set(ours.failed_elements) - set(sets)
    assert len(extra) == 1 and all(len(s) == 2 for s in extra)
    assert set(sets) <= set(ours.failed_elements)
