"""Turn a job into a :class:`~kplane.network.Scenario`: topology instance, capacities, routing, traffic.

Everything here is a pure function of the spec and the job's seeds, so any process (a local worker, a
Ray task on another machine) builds the same scenario. Topology instances and their routing variants
are memoised per process: a worker that runs many samples of one topology builds it once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kplane.datasets._jobs import CAPACITY, ROUTING, TOPOLOGY, Job, instance_seeds
from kplane.datasets._spec import CapacityRule, DatasetSpec, TopologySource
from kplane.errors import FormatError
from kplane.network import PacketSizeDistribution, Routing, Scenario, Topology, Traffic

__all__ = ["build_instance", "build_scenario", "pair_rate_scale", "read_topology_file"]


def read_topology_file(path: str | Path) -> Topology:
    """Read a topology from a kplane scenario JSON (its topology), a datanet/GML graph or GraphML.

    Raises
    ------
    FormatError
        If the file's format is not recognised or it cannot be parsed.
    """
    from kplane.network import io

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return io.load_scenario(p).topology
    if suffix == ".graphml":
        return io.read_graphml(p).topology
    if suffix in (".gml", ".txt"):
        return io.read_gml(p)
    raise FormatError(
        "unrecognised topology file; expected a kplane scenario .json, a GML graph (.gml, datanet "
        "graphs .txt) or .graphml",
        file=str(p),
    )


def pair_rate_scale(spec: DatasetSpec, n_nodes: int) -> float:
    """Largest mean pair rate (bit/s) drawn for an ``n_nodes`` network: 1000·high·TI/(N−1)."""
    t = spec.traffic
    if t.max_pair_rate is not None:
        return t.high * t.max_pair_rate[1]
    top = max(t.intensity_levels) if t.intensity_levels is not None else (t.intensity or (0.0, 0.0))[1]
    return 1000.0 * t.high * top / (n_nodes - 1)


def _capacities(topo: Topology, rule: CapacityRule, spec: DatasetSpec, seed: int) -> Topology:
    from kplane.network.generators import shortest_path_routing
    from kplane.network.topologies import assign_capacities, assign_queue_sizes, undirected_edge_ids

    rng = np.random.default_rng(seed)
    if rule.rule == "random":
        topo = assign_capacities(topo, list(rule.choices), rule.probabilities, seed=rng)
    elif rule.rule == "load":
        # expected shortest-path load per link at the top of the traffic range, mean of U(low, high)
        routing = shortest_path_routing(topo)
        t = spec.traffic
        mean_rate = pair_rate_scale(spec, topo.n_nodes) * (t.low + t.high) / (2 * t.high)
        load = np.bincount(routing.link_ids, minlength=topo.n_links) * mean_rate
        edge, n_edges = undirected_edge_ids(topo)
        edge_load = np.zeros(n_edges)
        np.maximum.at(edge_load, edge, load)
        choices = np.sort(np.asarray(rule.choices))
        need = edge_load / rule.target_utilisation
        idx = np.minimum(np.searchsorted(choices, need, side="left"), choices.shape[0] - 1)
        topo = topo.replace(capacity=choices[idx][edge])
    return assign_queue_sizes(
        topo, list(rule.queue_size) if len(rule.queue_size) > 1 else rule.queue_size[0], seed=rng
    )


def _base_topology(entry: TopologySource, seed: int, index: int, instance: int) -> Topology:
    from kplane.network import topologies

    if entry.name is not None:
        topo = topologies.load_topology(entry.name, seed=seed)
        label = entry.label or entry.name
    elif entry.generator is not None:
        assert entry.n_nodes is not None
        rng = np.random.default_rng(seed)
        lo, hi = entry.n_nodes
        n = int(rng.integers(lo, hi + 1))
        gen = getattr(topologies, entry.generator)
        params: dict[str, Any] = dict(entry.params)
        if "m" in params:
            params["m"] = int(params["m"])
        if "max_tries" in params:
            params["max_tries"] = int(params["max_tries"])
        topo = gen(n, seed=rng, **params)
        base = entry.label or entry.generator.replace("_", "-")
        label = f"{base}-{n}-{index}.{instance}"
    else:
        topo = read_topology_file(str(entry.file))
        label = entry.label or Path(str(entry.file)).stem
    return topo.replace(name=label)


@lru_cache(maxsize=16)
def build_instance(spec: DatasetSpec, entry: int, instance: int) -> tuple[Topology, tuple[Routing, ...]]:
    """The topology instance ``(entry, instance)`` of ``spec`` and its routing variants (memoised).

    Returns
    -------
    topology : Topology
        Named by the entry's label (bundled name, ``<generator>-<n>-<entry>.<instance>`` or file stem).
    routings : tuple of Routing
        ``spec.routing.variants`` routings over all ordered pairs; variant 0 is shortest-path routing.
    """
    from kplane.network.generators import (
        k_shortest_paths,
        perturbed_routings,
        routing_from_choice,
        shortest_path_routing,
    )

    src = spec.topologies[entry]
    seeds = instance_seeds(spec.seed, entry, instance)
    topo = _base_topology(src, seeds[TOPOLOGY], entry, instance)
    rule = src.capacities or spec.capacities
    topo = _capacities(topo, rule, spec, seeds[CAPACITY])
    r = spec.routing
    if r.method == "perturbed":
        routings = perturbed_routings(
            topo, r.variants, n_links=r.perturb_links, delta=r.perturb_delta, seed=seeds[ROUTING]
        )
    else:
        base = shortest_path_routing(topo)
        routings = [base]
        if r.variants > 1:
            kpaths = k_shortest_paths(topo, r.k)
            keys = sorted(kpaths)
            counts = np.array([len(kpaths[k]) for k in keys])
            rng = np.random.default_rng(seeds[ROUTING])
            for _ in range(1, r.variants):
                choice = (rng.random(len(keys)) * counts).astype(np.int64)
                routings.append(routing_from_choice(topo, kpaths, choice))
    return topo, tuple(routings)


def _traffic(spec: DatasetSpec, topo: Topology, job: Job) -> tuple[Traffic, float]:
    from kplane.network.generators import gravity_traffic, routenet_traffic

    t = spec.traffic
    sizes = PacketSizeDistribution(np.asarray(t.packet_sizes), np.asarray(t.packet_probs))
    if t.model == "gravity":
        traffic = gravity_traffic(
            topo,
            job.traffic_level,
            weights=t.weights,
            seed=job.traffic_seed,
            packet_sizes=sizes,
        )
        return traffic, float("nan")
    ti = job.traffic_level
    if t.max_pair_rate is not None:
        ti = job.traffic_level * (topo.n_nodes - 1) / 1000.0
    traffic = routenet_traffic(topo, ti, seed=job.traffic_seed, packet_sizes=sizes, low=t.low, high=t.high)
    return traffic, float(ti)


def build_scenario(spec: DatasetSpec, job: Job) -> Scenario:
    """The scenario of ``job``: its topology instance, routing variant and traffic draw.

    ``scenario.metadata`` holds ``sample_id``, ``split``, ``topology``, ``routing_variant``,
    ``intensity`` (TI in kbit/s; NaN for the gravity model), ``traffic_seed`` and ``sim_seed``.
    """
    topo, routings = build_instance(spec, job.entry, job.instance)
    traffic, ti = _traffic(spec, topo, job)
    return Scenario(
        topology=topo,
        routing=routings[job.routing_variant],
        traffic=traffic,
        name=f"{topo.name}-r{job.routing_variant}-s{job.sample_id}",
        metadata={
            "sample_id": job.sample_id,
            "split": spec.topologies[job.entry].split,
            "topology": topo.name,
            "routing_variant": job.routing_variant,
            "intensity": ti,
            "traffic_seed": job.traffic_seed,
            "sim_seed": job.sim_seed,
        },
    )
