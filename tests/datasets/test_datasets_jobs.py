"""Spec → jobs: deterministic per-job seeds, balanced order, shards; jobs → scenarios."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from datasets_helpers import tiny_spec

from kplane.datasets import DatasetSpec, expand
from kplane.datasets._jobs import child_seed, instance_seeds
from kplane.datasets._scenarios import build_instance, build_scenario
from kplane.errors import InvalidParameterError
from kplane.network.generators import shortest_path_routing
from kplane.utils import spawn_seeds


@pytest.fixture
def spec() -> DatasetSpec:
    return DatasetSpec.from_dict(tiny_spec())


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_child_seed_matches_spawn_seeds(seed: int) -> None:
    assert [child_seed(seed, i) for i in range(6)] == spawn_seeds(seed, 6)
    assert child_seed(seed, 3) == spawn_seeds(seed, 50)[3]


def test_plan_order_is_round_robin_and_sharded(spec: DatasetSpec) -> None:
    plan = expand(spec)
    assert plan.n_samples == spec.n_samples == 12
    assert plan.n_shards == 6 and list(plan.shard_range(5)) == [10, 11]
    units = [(j.entry, j.instance, j.sample) for j in (plan.job(i) for i in range(12))]
    assert units[:4] == [(0, 0, 0), (1, 0, 0), (1, 1, 0), (2, 0, 0)]
    assert units[4:8] == [(0, 0, 1), (1, 0, 1), (1, 1, 1), (2, 0, 1)]
    assert len(set(units)) == 12
    assert [j.sample_id for j in plan.jobs(3)] == [6, 7]
    with pytest.raises(IndexError):
        plan.job(12)


def test_truncated_plan_is_a_balanced_prefix(spec: DatasetSpec) -> None:
    full = expand(spec)
    part = expand(spec, max_samples=5)
    assert part.n_samples == 5 and part.n_shards == 3 and len(part.shard_range(2)) == 1
    assert [part.job(i) for i in range(5)] == [full.job(i) for i in range(5)]
    assert {part.job(i).entry for i in range(4)} == {0, 1, 2}
    assert expand(spec, max_samples=10**6).n_samples == 12
    with pytest.raises(InvalidParameterError, match="max_samples"):
        expand(spec, max_samples=0)


def test_seeds_depend_only_on_position_in_the_tree(spec: DatasetSpec) -> None:
    plan = expand(spec)
    job = plan.job(4)  # entry 0, instance 0, sample 1
    seeds = instance_seeds(spec.seed, 0, 0)
    assert job.traffic_seed == child_seed(seeds[4], 1) and job.sim_seed == child_seed(seeds[5], 1)
    bigger = dataclasses.replace(spec, samples_per_topology=50)
    same = next(
        j for j in (expand(bigger).job(i) for i in range(40)) if (j.entry, j.instance, j.sample) == (0, 0, 1)
    )
    assert (same.traffic_seed, same.sim_seed, same.traffic_level) == (
        job.traffic_seed,
        job.sim_seed,
        job.traffic_level,
    )
    seeds_all = [s for i in range(12) for s in (plan.job(i).traffic_seed, plan.job(i).sim_seed)]
    assert len(set(seeds_all)) == 24
    other = expand(dataclasses.replace(spec, seed=8))
    assert other.job(0).sim_seed != plan.job(0).sim_seed


def test_routing_variants_and_levels(spec: DatasetSpec) -> None:
    plan = expand(spec)
    jobs = [plan.job(i) for i in range(12)]
    assert [j.routing_variant for j in jobs if (j.entry, j.instance) == (0, 0)] == [0, 1, 0]
    levels = np.array([j.traffic_level for j in jobs])
    assert (levels >= 6.0).all() and (levels <= 12.0).all() and np.unique(levels).size == 12
    discrete = DatasetSpec.from_dict(tiny_spec(traffic={"intensity_levels": [9, 11, 13]}))
    lv = [expand(discrete).job(i).traffic_level for i in range(0, 12, 4)]  # samples 0, 1, 2 of abilene
    assert lv == [9.0, 9.0, 11.0]  # each level once per cycle of routing variants


def test_scenarios_are_deterministic(spec: DatasetSpec) -> None:
    plan = expand(spec)
    a = build_scenario(spec, plan.job(5))
    build_instance.cache_clear()
    b = build_scenario(spec, plan.job(5))
    assert np.array_equal(a.traffic.rate, b.traffic.rate)
    assert np.array_equal(a.routing.link_ids, b.routing.link_ids)
    assert np.array_equal(a.topology.capacity, b.topology.capacity)
    assert a.metadata["sample_id"] == 5 and a.metadata["split"] == "validation"
    assert a.name == f"{a.topology.name}-r1-s5"


def test_instances_and_labels(spec: DatasetSpec) -> None:
    t0, r0 = build_instance(spec, 1, 0)
    t1, _ = build_instance(spec, 1, 1)
    assert t0.name.startswith("waxman-") and t0.name.endswith("-1.0") and t1.name.endswith("-1.1")
    assert 5 <= t0.n_nodes <= 7
    assert len(r0) == 2
    base = shortest_path_routing(t0)
    assert np.array_equal(r0[0].link_ids, base.link_ids)
    topo, _ = build_instance(spec, 0, 0)
    assert topo.name == "abilene"
    assert set(np.unique(topo.capacity)) <= {10e3, 40e3, 100e3}
    assert (topo.queue_size == 32).all()


def test_intensity_follows_eq8(spec: DatasetSpec) -> None:
    job = expand(spec).job(0)
    sc = build_scenario(spec, job)
    n = sc.topology.n_nodes
    rate = sc.traffic.rate[~np.eye(n, dtype=bool)]
    ti = job.traffic_level
    assert sc.metadata["intensity"] == ti
    assert rate.min() >= 0.1 * 1000 * ti / (n - 1) - 1e-9 and rate.max() <= 1000 * ti / (n - 1) + 1e-9


def test_max_pair_rate_converts_to_intensity() -> None:
    spec = DatasetSpec.from_dict(tiny_spec(traffic={"max_pair_rate": [400, 2000]}))
    job = expand(spec).job(1)  # a waxman instance
    sc = build_scenario(spec, job)
    n = sc.topology.n_nodes
    assert sc.metadata["intensity"] == pytest.approx(job.traffic_level * (n - 1) / 1000)
    assert sc.traffic.rate.max() <= job.traffic_level + 1e-9
    assert 400 <= job.traffic_level <= 2000


def test_load_capacity_rule() -> None:
    spec = DatasetSpec.from_dict(
        tiny_spec(
            capacities={
                "rule": "load",
                "choices": ["10kbps", "25kbps", "40kbps", "100kbps"],
                "target_utilisation": 0.8,
            },
            traffic={"max_pair_rate": [400, 2000]},
        )
    )
    topo, routings = build_instance(spec, 0, 0)
    sp = shortest_path_routing(topo)
    mean_rate = 2000 * 0.55  # mean of U(0.1, 1) times the largest pair rate
    load = np.bincount(sp.link_ids, minlength=topo.n_links) * mean_rate
    from kplane.network.topologies import undirected_edge_ids

    edge, n_edges = undirected_edge_ids(topo)
    edge_load = np.zeros(n_edges)
    np.maximum.at(edge_load, edge, load)
    choices = np.array([10e3, 25e3, 40e3, 100e3])
    for i in range(topo.n_links):
        need = edge_load[edge[i]] / 0.8
        fits = choices[choices >= need]
        assert topo.capacity[i] == (fits.min() if fits.size else 100e3)
    assert np.unique(topo.capacity).size >= 2


def test_k_shortest_variants() -> None:
    spec = DatasetSpec.from_dict(tiny_spec(routing={"method": "k-shortest", "variants": 3, "k": 3}))
    topo, routings = build_instance(spec, 0, 0)
    assert len(routings) == 3
    assert np.array_equal(routings[0].link_ids, shortest_path_routing(topo).link_ids)
    for r in routings:
        r.check(topo)
        assert r.n_paths == topo.n_nodes * (topo.n_nodes - 1)
    assert not np.array_equal(routings[1].link_ids, routings[0].link_ids)


def test_gravity_traffic() -> None:
    spec = DatasetSpec.from_dict(tiny_spec(traffic={"model": "gravity", "total_rate": ["20kbps", "30kbps"]}))
    job = expand(spec).job(0)
    sc = build_scenario(spec, job)
    assert sc.traffic.total_rate == pytest.approx(job.traffic_level)
    assert 20e3 <= job.traffic_level <= 30e3
    assert np.isnan(sc.metadata["intensity"])
