"""Collation of (Scenario, PathKPIs) samples into one disconnected graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.datasets import GraphBatch, collate
from kplane.errors import InvalidParameterError
from kplane.network import PacketSizeDistribution, PathKPIs, Routing, Scenario, Topology, Traffic


def line(n_nodes: int, cap: float = 10e3, prop: float = 0.0, name: str = "line") -> Topology:
    """Bidirectional line a0 - a1 - ... with links (i→i+1) then (i+1→i)."""
    edges = [(i, i + 1) for i in range(n_nodes - 1)] + [(i + 1, i) for i in range(n_nodes - 1)]
    return Topology.from_edges(
        [f"a{i}" for i in range(n_nodes)], edges, capacity=cap, propagation_delay=prop, name=name
    )


def scenario_a() -> Scenario:
    # 3 nodes, links 0:(0→1) 1:(1→2) 2:(1→0) 3:(2→1)
    topo = line(3, cap=[10e3, 20e3, 10e3, 40e3], prop=[0.0, 0.5, 0.0, 0.25])
    routing = Routing.from_link_paths({(0, 1): [0], (0, 2): [0, 1], (2, 0): [3, 2]})
    rate = np.zeros((3, 3))
    rate[0, 1], rate[0, 2], rate[2, 0] = 1000.0, 2000.0, 0.0  # pair 2→0 routed, no traffic
    return Scenario(topo, routing, Traffic(rate=rate), name="a")


def scenario_b() -> Scenario:
    # 4 nodes, links 0:(0→1) 1:(1→2) 2:(2→3) 3:(1→0) 4:(2→1) 5:(3→2)
    topo = line(4, cap=100e3)
    routing = Routing.from_link_paths({(0, 3): [0, 1, 2], (3, 0): [5, 4, 3]})
    sizes = (PacketSizeDistribution.binomial(), PacketSizeDistribution.deterministic(500.0))
    rate = np.zeros((4, 4))
    rate[0, 3], rate[3, 0] = 3000.0, 4000.0
    size_class = np.zeros((4, 4), dtype=int)
    size_class[3, 0] = 1
    return Scenario(topo, routing, Traffic(rate=rate, packet_sizes=sizes, size_class=size_class), name="b")


def kpis_a(sc: Scenario) -> PathKPIs:
    return PathKPIs(
        pairs=sc.routing.pairs,
        mean_delay=[0.1, 0.3, np.nan],
        jitter=[0.01, np.nan, np.nan],
        loss_ratio=[0.0, 0.5, np.nan],
        mean_log_delay=[-2.5, -1.3, np.nan],
        delivered=[100.0, 10.0, 0.0],
        dropped=[0.0, 10.0, 0.0],
    )


def test_offsets_and_structure_are_exact() -> None:
    a, b = scenario_a(), scenario_b()
    batch = collate([(a, None), (b, None)])
    assert isinstance(batch, GraphBatch)
    assert batch.n_samples == 2 and batch.n_paths == 5 and batch.n_links == 10 and batch.max_hops == 3
    assert batch.path_offsets.tolist() == [0, 3, 5]
    assert batch.link_offsets.tolist() == [0, 4, 10]
    assert batch.path_sample.tolist() == [0, 0, 0, 1, 1]
    assert batch.link_sample.tolist() == [0] * 4 + [1] * 6
    assert batch.n_nodes.tolist() == [3, 4]
    # routing pairs are sorted: a: (0,1), (0,2), (2,0); b: (0,3), (3,0); b's links are offset by 4
    assert batch.path_links.tolist() == [[0, -1, -1], [0, 1, -1], [3, 2, -1], [4, 5, 6], [9, 8, 7]]
    assert batch.path_mask.tolist() == (batch.path_links >= 0).tolist()
    assert batch.path_length.tolist() == [1, 2, 2, 3, 3]
    assert batch.edge_path.tolist() == [0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4]
    assert batch.edge_link.tolist() == [0, 0, 1, 3, 2, 4, 5, 6, 9, 8, 7]
    assert batch.edge_pos.tolist() == [0, 0, 1, 0, 1, 0, 1, 2, 0, 1, 2]
    for t in (batch.path_links, batch.edge_path, batch.edge_link, batch.edge_pos, batch.path_offsets):
        assert t.dtype == torch.int64


def test_raw_quantities_in_si_units() -> None:
    a, b = scenario_a(), scenario_b()
    batch = collate([(a, None), (b, None)])
    assert batch.path_rate.tolist() == [1000.0, 2000.0, 0.0, 3000.0, 4000.0]
    assert batch.has_traffic.tolist() == [True, True, False, True, True]
    assert batch.path_packet_size.tolist() == [1000.0, 1000.0, 1000.0, 1000.0, 500.0]
    assert batch.path_packet_size_sq[4].item() == 500.0**2
    assert batch.path_prop_delay.tolist() == [0.0, 0.5, 0.25, 0.0, 0.0]
    assert batch.link_capacity[:4].tolist() == [10e3, 20e3, 10e3, 40e3]
    assert batch.link_load.tolist() == [
        3000.0,
        2000.0,
        0.0,
        0.0,
        3000.0,
        3000.0,
        3000.0,
        4000.0,
        4000.0,
        4000.0,
    ]
    assert batch.link_queue_size.tolist() == [32.0] * 10
    # link 7 (b's 3→2... reversed) carries only the 500-bit flow; an idle link gets the sample's mix
    assert batch.link_packet_size[7].item() == pytest.approx(500.0)
    assert batch.link_packet_size[4].item() == pytest.approx(1000.0)
    assert batch.link_packet_size[2].item() == pytest.approx(1000.0)
    assert batch.path_rate.dtype == torch.float64


def test_targets_and_masks() -> None:
    a, b = scenario_a(), scenario_b()
    batch = collate([(a, kpis_a(a)), (b, None)])
    assert not batch.labelled
    assert batch.mean_delay[:2].tolist() == [0.1, 0.3]
    assert torch.isnan(batch.mean_delay[2:]).all()
    # path 2 has no traffic; sample b is unlabelled
    assert batch.delay_mask.tolist() == [True, True, False, False, False]
    assert batch.jitter_mask.tolist() == [True, False, False, False, False]
    assert batch.log_delay_mask.tolist() == [True, True, False, False, False]
    assert batch.loss_mask.tolist() == [True, True, False, False, False]
    assert batch.delivered[:3].tolist() == [100.0, 10.0, 0.0]
    full = collate([(a, kpis_a(a))])
    assert full.labelled


def test_no_packets_delivered_masks_the_delay() -> None:
    a = scenario_a()
    k = kpis_a(a)
    k2 = PathKPIs(
        pairs=k.pairs,
        mean_delay=[0.1, 0.3, np.nan],
        jitter=k.jitter,
        loss_ratio=[0.0, 1.0, np.nan],
        delivered=[100.0, 0.0, 0.0],
        dropped=[0.0, 20.0, 0.0],
    )
    batch = collate([(a, k2)])
    assert batch.delay_mask.tolist() == [True, False, False]
    assert batch.loss_mask.tolist() == [True, True, False]


def test_single_sample_equals_its_own_batch_slice() -> None:
    a, b = scenario_a(), scenario_b()
    both = collate([(a, None), (b, None)])
    only_b = collate([(b, None)])
    sl = slice(3, 5)
    assert torch.equal(both.path_rate[sl], only_b.path_rate)
    assert torch.equal(both.edge_link[5:] - 4, only_b.edge_link)


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        ([], "at least one sample"),
        (["nope"], "sample 0 must be a"),
        ([(scenario_a(), "x")], "kpis must be PathKPIs"),
    ],
)
def test_bad_input(samples: list, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        collate(samples)


def test_kpis_of_another_routing_are_refused() -> None:
    a, b = scenario_a(), scenario_b()
    with pytest.raises(InvalidParameterError, match="sample 0: the KPIs' pairs"):
        collate([(b, kpis_a(a))])
