"""GML output: a :class:`~kplane.network.Topology` as a datanet-style GML graph.

The inverse of :mod:`kplane.network.io._gml` (the reader, which documents the attributes): a
directed multigraph, one ``node`` block per node (id ``i``, label ``"i"``, the node name as ``name``
when it differs) and one ``edge`` block per link in link order. ``bandwidth`` is the capacity in bit/s
(bits per time unit, 1 time unit = 1 s); ``queueSizes`` is the queue size (packets) of the node's
output links.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kplane.errors import UnsupportedError
from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.utils import atomic_write_text

__all__ = ["gml_text", "write_gml"]


def _num(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _quote(s: str) -> str:
    return '"' + html.escape(str(s), quote=True) + '"'


def _list_attr(values: Any) -> str:
    return _quote(",".join(_num(v) for v in values))


def gml_text(topology: Topology) -> str:
    """The GML text :func:`write_gml` writes for ``topology``."""
    n = topology.n_nodes
    meta: Mapping[str, Any] = topology.metadata
    sched_meta = meta.get("scheduling")
    if not (isinstance(sched_meta, list | tuple) and len(sched_meta) == n):
        sched_meta = [{} for _ in range(n)]
    node_q: list[int | None] = [None] * n
    for i, (u, _v) in enumerate(topology.links):
        q = int(topology.queue_size[i])
        if node_q[u] is not None and node_q[u] != q:
            raise UnsupportedError(
                f"node {topology.node_names[u]!r} has output links with different queue sizes "
                f"({node_q[u]} and {q} packets); GML datanet graphs hold one queue size per node"
            )
        node_q[u] = q
    ports = meta.get("ports")
    if not (isinstance(ports, list | tuple) and len(ports) == topology.n_links):
        ports = None
    lw = meta.get("link_weights")
    if not (isinstance(lw, list | tuple) and len(lw) == topology.n_links):
        lw = None

    out = ["graph [", "  directed 1", "  multigraph 1", f"  label {_quote(topology.name)}"]
    for i, nm in enumerate(topology.node_names):
        s = dict(sched_meta[i]) if isinstance(sched_meta[i], Mapping) else {}
        levels = int(s.get("levels_qos", 1))
        node_queue = node_q[i]
        qs = list(s.get("queue_sizes") or [])
        if node_queue is not None and (not qs or int(qs[0]) != node_queue):
            qs = [node_queue] * levels
        if not qs:
            qs = [DEFAULT_QUEUE_SIZE] * levels
        out += ["  node [", f"    id {i}", f'    label "{i}"']
        if nm != str(i):
            out.append(f"    name {_quote(nm)}")
        out.append(f"    schedulingPolicy {_quote(s.get('policy', 'FIFO'))}")
        out.append(f"    levelsQoS {len(qs)}")
        if s.get("weights"):
            out.append(f"    schedulingWeights {_list_attr(s['weights'])}")
        out.append(f"    queueSizes {_list_attr(qs)}")
        if topology.positions is not None:
            out.append(f"    Longitude {_num(topology.positions[i, 0])}")
            out.append(f"    Latitude {_num(topology.positions[i, 1])}")
        out.append("  ]")
    next_port = [0] * n
    for i, (u, v) in enumerate(topology.links):
        if ports is not None:
            port = int(ports[i])
        else:
            port = next_port[u]
            next_port[u] += 1
        weight = 1.0 if lw is None else float(lw[i])
        out += ["  edge [", f"    source {int(u)}", f"    target {int(v)}", "    key 0", f"    port {port}",
                f"    weight {_num(weight)}", f"    bandwidth {float(topology.capacity[i])!r}"]
        if topology.propagation_delay[i] > 0:
            out.append(f"    propagationDelay {float(topology.propagation_delay[i])!r}")
        out.append("  ]")
    out.append("]")
    return "\n".join(out) + "\n"


def write_gml(topology: Topology, path: str | Path) -> None:
    """Write ``topology`` as a datanet-style GML graph (atomically).

    Capacities are written as ``bandwidth`` in bits per time unit (= bit/s), queue sizes as the
    source node's ``queueSizes``; scheduling attributes, ports and link weights come from the
    topology's metadata when present (FIFO, ports numbered per node, weight 1 otherwise). Non-zero
    propagation delays are written as a ``propagationDelay`` edge attribute (seconds) and positions
    as ``Longitude``/``Latitude``.

    Raises
    ------
    UnsupportedError
        If a node's output links have different queue sizes (one queue size per node in GML).
    """
    atomic_write_text(path, gml_text(topology))
