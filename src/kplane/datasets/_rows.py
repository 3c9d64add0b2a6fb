"""Shard rows ⇄ samples: one row of a dataset shard is one labelled scenario.

:func:`sample_to_row` flattens a scenario, its path KPIs and per-link statistics into the columns of
:data:`~kplane.datasets._storage.COLUMNS` (SI units, routing / link order); :func:`row_to_sample`
rebuilds them from a shard table read by :func:`~kplane.datasets._storage.read_shard`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from kplane.datasets._storage import (
    _INFO_COLUMNS,
    _LINK_STATS,
    _META_COLUMNS,
    _PATH_FLOATS,
    _PCT,
    _SCENARIO_META,
)
from kplane.network import PacketSizeDistribution, PathKPIs, Routing, Scenario, Topology, Traffic

__all__ = ["row_to_sample", "sample_to_row"]


def sample_to_row(
    scenario: Scenario,
    kpis: PathKPIs,
    link_stats: Mapping[str, Any],
    *,
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """One shard row from a scenario, its KPIs and per-link statistics.

    Parameters
    ----------
    scenario : Scenario
    kpis : PathKPIs
        In the scenario's routing order.
    link_stats : mapping
        Arrays of shape (n_links,): ``utilisation``, ``loss_ratio``, ``mean_occupancy`` and, optionally
        (NaN when absent), ``mean_busy_occupancy``, ``arrivals``, ``drops``.
    info : mapping
        The scalar columns: ``sample_id``, ``split``, ``topology_entry``, ``topology_instance``,
        ``routing_variant``, ``intensity``, ``traffic_seed``, ``sim_seed``, ``duration``, ``warmup``,
        ``n_events``, ``n_packets``.
    """
    topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
    p = routing.pairs
    nan = np.full(routing.n_paths, np.nan)

    def opt(a: Any) -> np.ndarray:
        return nan if a is None else np.asarray(a, dtype=np.float64)

    pct = kpis.percentiles if kpis.percentiles is not None else np.full((routing.n_paths, len(_PCT)), np.nan)
    row: dict[str, Any] = {k: info[k] for k in _INFO_COLUMNS}
    row.update(
        topology=topo.name,
        node_names=list(topo.node_names),
        link_src=topo.links[:, 0],
        link_dst=topo.links[:, 1],
        capacity=topo.capacity,
        queue_size=topo.queue_size,
        propagation_delay=topo.propagation_delay,
        path_src=p[:, 0],
        path_dst=p[:, 1],
        path_links=(routing.link_ids, routing.offsets),
        offered_rate=scenario.path_rate(),
        path_size_class=traffic.size_class[p[:, 0], p[:, 1]],
        path_tos=traffic.tos[p[:, 0], p[:, 1]],
        packet_sizes=[d.sizes for d in traffic.packet_sizes],
        packet_probs=[d.probs for d in traffic.packet_sizes],
        arrival=traffic.arrival,
        mean_delay=kpis.mean_delay,
        jitter=kpis.jitter,
        mean_log_delay=opt(kpis.mean_log_delay),
        mean_delay_ci=opt(kpis.mean_delay_ci),
        loss_ratio=kpis.loss_ratio,
        delivered=opt(kpis.delivered),
        dropped=opt(kpis.dropped),
    )
    for j, c in enumerate(_PCT):
        row[c] = pct[:, j]
    for col, key in _LINK_STATS.items():
        val = link_stats.get(key)
        row[col] = np.full(topo.n_links, np.nan) if val is None else np.asarray(val, dtype=np.float64)
    return row


def _flat(col: pa.ChunkedArray | pa.Array, i: int, dtype: Any) -> np.ndarray:
    """Values of list row ``i`` as a numpy array."""
    scalar = col[i]
    return np.asarray(scalar.values.to_numpy(zero_copy_only=False), dtype=dtype)


def _nested_row(col: pa.Array, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(flat values, offsets from 0) of nested list row ``i``."""
    inner = col[i].values  # ListArray of this row's sublists
    offsets = np.asarray(inner.offsets.to_numpy(), dtype=np.int64)
    flat = np.asarray(inner.flatten().to_numpy(zero_copy_only=False))
    return flat, offsets - offsets[0]


def _ends(col_src: pa.ChunkedArray | pa.Array, col_dst: pa.ChunkedArray | pa.Array, i: int) -> np.ndarray:
    """(k, 2) int64 ``[source, destination]`` rows from the two node columns of row ``i``."""
    return np.stack([_flat(col_src, i, np.int64), _flat(col_dst, i, np.int64)], axis=1)


def row_to_sample(
    table: pa.Table, i: int, *, source: str = ""
) -> tuple[Scenario, PathKPIs, dict[str, Any], dict[str, Any]]:
    """Rebuild row ``i`` of a shard table: ``(scenario, kpis, link_stats, metadata)``.

    ``link_stats`` has arrays of shape (n_links,) ``utilisation``, ``loss_ratio``, ``mean_occupancy``,
    ``mean_busy_occupancy``, ``arrivals`` and ``drops``;
    ``metadata`` the scalar columns plus ``sim_time`` (= duration − warmup, the measurement window,
    seconds) and ``source``.
    """
    c = {name: table.column(name) for name in table.column_names}

    def scalar(name: str) -> Any:
        return c[name][i].as_py()

    names = [str(x) for x in c["node_names"][i].as_py()]
    links = _ends(c["link_src"], c["link_dst"], i)
    topo = Topology(
        node_names=tuple(names),
        links=links,
        capacity=_flat(c["capacity"], i, np.float64),
        queue_size=_flat(c["queue_size"], i, np.int64),
        propagation_delay=_flat(c["propagation_delay"], i, np.float64),
        name=scalar("topology"),
    )
    pairs = _ends(c["path_src"], c["path_dst"], i)
    flat, offsets = _nested_row(c["path_links"], i)
    routing = Routing(pairs=pairs, link_ids=flat.astype(np.int64), offsets=offsets)
    n = len(names)

    def per_pair(name: str, dtype: Any) -> np.ndarray:
        """(n, n) matrix holding a per-path column at its (source, destination); zero elsewhere."""
        m = np.zeros((n, n), dtype=dtype)
        m[pairs[:, 0], pairs[:, 1]] = _flat(c[name], i, dtype)
        return m

    rate = per_pair("offered_rate", np.float64)
    size_class = per_pair("path_size_class", np.int64)
    tos = per_pair("path_tos", np.int64)
    sz, so = _nested_row(c["packet_sizes"], i)
    pr, _ = _nested_row(c["packet_probs"], i)
    dists = tuple(
        PacketSizeDistribution(sz[so[k] : so[k + 1]], pr[so[k] : so[k + 1]]) for k in range(len(so) - 1)
    )
    traffic = Traffic(
        rate=rate, packet_sizes=dists, size_class=size_class, tos=tos, arrival=scalar("arrival")
    )
    meta: dict[str, Any] = {k: scalar(k) for k in _META_COLUMNS}
    meta["sim_time"] = meta["duration"] - meta["warmup"]
    meta["source"] = source
    scenario = Scenario(
        topo,
        routing,
        traffic,
        name=f"{topo.name}-r{meta['routing_variant']}-s{meta['sample_id']}",
        metadata={k: meta[k] for k in _SCENARIO_META},
    )
    f = {k: _flat(c[k], i, np.float64) for k in _PATH_FLOATS}
    kpis = PathKPIs(
        pairs=pairs,
        mean_delay=f["mean_delay"],
        jitter=f["jitter"],
        loss_ratio=f["loss_ratio"],
        mean_log_delay=f["mean_log_delay"],
        percentiles=np.stack([f[k] for k in _PCT], axis=1),
        delivered=f["delivered"],
        dropped=f["dropped"],
        mean_delay_ci=f["mean_delay_ci"],
        offered_rate=_flat(c["offered_rate"], i, np.float64),
        node_names=topo.node_names,
        metadata={"model": "kplane.sim", "scenario": scenario.name},
    )
    link_stats = {key: _flat(c[col], i, np.float64) for col, key in _LINK_STATS.items()}
    return scenario, kpis, link_stats, meta
