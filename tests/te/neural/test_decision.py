"""Decision spaces: feasibility by construction, hand values, the scaling ablations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kplane.te import make_objective
from kplane.te.neural import (
    clip_allocation,
    compile_instance,
    edge_softmax,
    gated_reservation,
    scaled_split,
    tighten_reservation,
)

from .conftest import ring_instance


def _load(graph, x: torch.Tensor) -> np.ndarray:
    return np.asarray(graph.instance.link_load(graph.expand(x)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(3, 7),
    k=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    scale=st.floats(0.1, 40.0),
    gated=st.booleans(),
)
def test_reservation_never_exceeds_capacity(n: int, k: int, seed: int, scale: float, gated: bool) -> None:
    inst = ring_instance(n, k=k, seed=seed, cutoff=0.5)
    g = compile_instance(inst, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    theta = torch.randn(g.n_pairs, generator=gen, dtype=torch.float64) * scale
    gate = torch.randn(g.n_tunnels, generator=gen, dtype=torch.float64) * scale if gated else None
    dec = gated_reservation(g, theta, gate)
    load = _load(g, dec.x)
    assert np.all(load <= inst.topology.capacity * (1 + 1e-12))
    assert torch.all(dec.x >= 0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 6), seed=st.integers(0, 10_000), scale=st.floats(0.1, 20.0), local=st.booleans())
def test_scaling_is_feasible(n: int, seed: int, scale: float, local: bool) -> None:
    inst = ring_instance(n, k=2, seed=seed, cutoff=0.5, load=3.0)
    g = compile_instance(inst, dtype=torch.float64)
    z = torch.randn(g.n_tunnels, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale
    dec = scaled_split(g, z, local=local)
    assert np.all(_load(g, dec.x) <= inst.topology.capacity * (1 + 1e-12))
    assert torch.all((dec.scale > 0) & (dec.scale <= 1))


def test_edge_softmax_sums_to_one_per_edge(ring) -> None:
    g = compile_instance(ring, dtype=torch.float64)
    r = edge_softmax(torch.randn(g.n_pairs, dtype=torch.float64) * 50, g.pair_edge, g.n_edges)
    sums = torch.zeros(g.n_edges, dtype=torch.float64).index_add(0, g.pair_edge, r)
    used = torch.unique(g.pair_edge)
    torch.testing.assert_close(sums[used], torch.ones(used.numel(), dtype=torch.float64))


def test_reservation_by_hand(triangle) -> None:
    g = compile_instance(triangle, dtype=torch.float64)
    # tunnels: t0 = flow a→b over e0; t1 = flow a→c over e2; t2 = flow a→c over e0, e1
    dec = gated_reservation(g, torch.zeros(4, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    torch.testing.assert_close(dec.bandwidth, torch.tensor([5e9, 4e9, 5e9], dtype=torch.float64))
    torch.testing.assert_close(dec.x, torch.tensor([1.25, 4 / 6, 5 / 6], dtype=torch.float64))
    # a gate of ln 3 on t2 takes 3/4 of e0 on every edge of t2 at once
    gated = gated_reservation(
        g, torch.zeros(4, dtype=torch.float64), torch.tensor([0.0, 0.0, np.log(3.0)], dtype=torch.float64)
    )
    torch.testing.assert_close(gated.bandwidth, torch.tensor([2.5e9, 4e9, 7.5e9], dtype=torch.float64))


def test_zero_demand_flows_get_nothing(ring) -> None:
    g = compile_instance(ring)
    x = g.expand(gated_reservation(g, torch.zeros(g.n_pairs), torch.zeros(g.n_tunnels)).x)
    idle = ~ring.active[ring.tunnels.flow]
    assert idle.any() and np.all(x[idle] == 0)


@pytest.mark.parametrize("local", [False, True])
def test_scaling_even_split_when_uncongested(triangle, local: bool) -> None:
    g = compile_instance(triangle.scaled(0.01), dtype=torch.float64)
    dec = scaled_split(g, torch.zeros(3, dtype=torch.float64), local=local)
    torch.testing.assert_close(dec.x, torch.tensor([1.0, 0.5, 0.5], dtype=torch.float64))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.5, 10.0), rounds=st.integers(1, 6))
def test_tightening_only_adds_feasible_bandwidth(seed: int, scale: float, rounds: int) -> None:
    inst = ring_instance(6, k=3, seed=seed, load=2.0, cutoff=1e-2)
    g = compile_instance(inst, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    dec = gated_reservation(
        g,
        torch.randn(g.n_pairs, generator=gen, dtype=torch.float64) * scale,
        torch.randn(g.n_tunnels, generator=gen, dtype=torch.float64) * scale,
    )
    b = tighten_reservation(g, dec, rounds)
    assert torch.all(b >= torch.minimum(dec.bandwidth, g.demand) * (1 - 1e-12))
    x_new, x_old = g.expand(clip_allocation(b / g.demand)), g.expand(clip_allocation(dec.x))
    assert np.all(inst.link_load(x_new) <= inst.topology.capacity * (1 + 1e-12))
    for name in ("expected", "teavar", "ffc"):
        obj = make_objective(name)
        assert obj.evaluate(inst, x_new) <= obj.evaluate(inst, x_old) + 1e-12
