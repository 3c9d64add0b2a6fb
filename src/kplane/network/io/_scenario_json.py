"""Scenario JSON: a documented, versioned schema (``kplane.scenario``, version 1).

Layout (all units SI; node references are 0-based node indices)::

    {
      "schema": "kplane.scenario", "version": 1, "name": "nsfnet-ti12", "metadata": {...},
      "topology": {
        "name": "nsfnet",
        "nodes": [{"name": "0", "pos": [lon, lat]}, ...],            # pos optional
        "links": [{"src": 0, "dst": 1, "capacity": 10000.0,           # bit/s
                   "queue_size": 32,                                  # packets
                   "propagation_delay": 0.0}, ...]                    # seconds
        "metadata": {...}
      },
      "routing": {"paths": [{"src": 0, "dst": 1, "links": [0, 5]}, ...]},   # link ids in order
      "traffic": {
        "arrival": "poisson",
        "packet_sizes": [{"sizes": [300, 1700], "probs": [0.5, 0.5]}],     # bits
        "demands": [{"src": 0, "dst": 1, "rate": 950.5,                      # bit/s
                     "size_class": 0, "tos": 0}, ...]                         # optional keys
      }
    }

Demands not listed have rate 0. Reading checks the schema name and version and reports the JSON
path of any bad field (``topology.links[3].capacity``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from kplane.errors import FormatError, InvalidScenarioError, SchemaVersionError
from kplane.network._kpis import _jsonable
from kplane.network._routing import Routing
from kplane.network._scenario import Scenario
from kplane.network._topology import Topology
from kplane.network._traffic import PacketSizeDistribution, Traffic
from kplane.utils import atomic_write_text

__all__ = [
    "SCENARIO_SCHEMA",
    "SCENARIO_SCHEMA_VERSION",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]

SCENARIO_SCHEMA = "kplane.scenario"
SCENARIO_SCHEMA_VERSION = 1


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Serialise ``scenario`` to plain Python (see the module docstring for the schema)."""
    topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
    nodes: list[dict[str, Any]] = []
    for i, nm in enumerate(topo.node_names):
        node: dict[str, Any] = {"name": nm}
        if topo.positions is not None:
            node["pos"] = [float(x) for x in topo.positions[i]]
        nodes.append(node)
    links = [
        {
            "src": int(u),
            "dst": int(v),
            "capacity": float(topo.capacity[i]),
            "queue_size": int(topo.queue_size[i]),
            "propagation_delay": float(topo.propagation_delay[i]),
        }
        for i, (u, v) in enumerate(topo.links)
    ]
    paths = [
        {"src": int(s), "dst": int(d), "links": routing.path(i).tolist()}
        for i, (s, d) in enumerate(routing.pairs)
    ]
    demands = []
    for s, d in zip(*np.nonzero(traffic.rate), strict=True):
        row: dict[str, Any] = {"src": int(s), "dst": int(d), "rate": float(traffic.rate[s, d])}
        if traffic.size_class[s, d]:
            row["size_class"] = int(traffic.size_class[s, d])
        if traffic.tos[s, d]:
            row["tos"] = int(traffic.tos[s, d])
        demands.append(row)
    return {
        "schema": SCENARIO_SCHEMA,
        "version": SCENARIO_SCHEMA_VERSION,
        "name": scenario.name,
        "metadata": _jsonable(dict(scenario.metadata)),
        "topology": {
            "name": topo.name,
            "nodes": nodes,
            "links": links,
            "metadata": _jsonable(dict(topo.metadata)),
        },
        "routing": {"paths": paths},
        "traffic": {
            "arrival": traffic.arrival,
            "packet_sizes": [d.to_dict() for d in traffic.packet_sizes],
            "demands": demands,
        },
    }


class _Reader:
    """Field access that reports the JSON path of what is wrong."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def fail(self, path: str, msg: str) -> FormatError:
        return FormatError(msg, file=self.file, field=path)

    def get(self, obj: Any, key: str, path: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if not isinstance(obj, Mapping):
            raise self.fail(path, f"expected an object, got {type(obj).__name__}")
        if key not in obj:
            if default is not ...:
                return default
            raise self.fail(f"{path}.{key}" if path else key, "missing")
        val = obj[key]
        if kind is float and isinstance(val, int) and not isinstance(val, bool):
            val = float(val)
        if not isinstance(val, kind) or isinstance(val, bool) and kind is not bool:
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(f"{path}.{key}" if path else key, f"expected {name}, got {val!r}")
        return val


def scenario_from_dict(data: Mapping[str, Any], *, file: str | None = None) -> Scenario:
    """Build a :class:`Scenario` from :func:`scenario_to_dict` output.

    Raises
    ------
    SchemaVersionError
        If ``schema``/``version`` are not ``kplane.scenario``/1.
    FormatError
        If a field is missing or of the wrong type (naming its JSON path).
    InvalidScenarioError
        If the values do not form a valid scenario (e.g. zero capacity).
    """
    r = _Reader(file)
    schema = r.get(data, "schema", "", str)
    version = r.get(data, "version", "", int)
    if schema != SCENARIO_SCHEMA or version != SCENARIO_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"expected schema {SCENARIO_SCHEMA!r} version {SCENARIO_SCHEMA_VERSION}, got "
            f"{schema!r} version {version}",
            file=file,
            field="version",
        )
    t = r.get(data, "topology", "", dict)
    nodes = r.get(t, "nodes", "topology", list)
    names = [r.get(nd, "name", f"topology.nodes[{i}]", str) for i, nd in enumerate(nodes)]
    pos = [nd.get("pos") if isinstance(nd, Mapping) else None for nd in nodes]
    for i, p in enumerate(pos):
        if p is not None and not (
            isinstance(p, list) and len(p) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
        ):
            raise r.fail(f"topology.nodes[{i}].pos", f"expected [x, y] (two numbers), got {p!r}")
    positions = np.asarray(pos, dtype=float) if nodes and all(p is not None for p in pos) else None
    links = r.get(t, "links", "topology", list)
    edges, caps, queues, delays = [], [], [], []
    for i, ln in enumerate(links):
        p = f"topology.links[{i}]"
        edges.append((r.get(ln, "src", p, int), r.get(ln, "dst", p, int)))
        caps.append(r.get(ln, "capacity", p, float))
        queues.append(r.get(ln, "queue_size", p, int, 32))
        delays.append(r.get(ln, "propagation_delay", p, float, 0.0))
    try:
        topo = Topology.from_edges(
            names,
            edges,
            np.asarray(caps, dtype=float),
            queue_size=queues,
            propagation_delay=delays,
            positions=positions,
            name=r.get(t, "name", "topology", str, "topology"),
            metadata=r.get(t, "metadata", "topology", dict, {}),
        )
        rt = r.get(data, "routing", "", dict)
        paths = {}
        for i, pth in enumerate(r.get(rt, "paths", "routing", list)):
            p = f"routing.paths[{i}]"
            key = (r.get(pth, "src", p, int), r.get(pth, "dst", p, int))
            ids = r.get(pth, "links", p, list)
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in ids):
                raise r.fail(f"{p}.links", f"expected a list of link ids, got {ids!r}")
            if key in paths:
                raise r.fail(p, f"second path for pair {key[0]}→{key[1]}")
            paths[key] = ids
        lengths = [len(ids) for ids in paths.values()]
        routing = Routing(  # file order, which is the scenario's path order
            pairs=np.asarray(list(paths), dtype=np.int64).reshape(-1, 2),
            link_ids=np.asarray([x for ids in paths.values() for x in ids], dtype=np.int64),
            offsets=np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
        )
        tr = r.get(data, "traffic", "", dict)
        dists = []
        for i, dd in enumerate(r.get(tr, "packet_sizes", "traffic", list, [])):
            p = f"traffic.packet_sizes[{i}]"
            dists.append(PacketSizeDistribution(r.get(dd, "sizes", p, list), r.get(dd, "probs", p, list)))
        n = len(names)
        rate = np.zeros((n, n))
        size_class = np.zeros((n, n), dtype=np.int64)
        tos = np.zeros((n, n), dtype=np.int64)
        for i, dm in enumerate(r.get(tr, "demands", "traffic", list)):
            p = f"traffic.demands[{i}]"
            s, d = r.get(dm, "src", p, int), r.get(dm, "dst", p, int)
            if not (0 <= s < n and 0 <= d < n):
                raise r.fail(p, f"pair {s}→{d} refers to a node outside 0..{n - 1}")
            rate[s, d] = r.get(dm, "rate", p, float)
            size_class[s, d] = r.get(dm, "size_class", p, int, 0)
            tos[s, d] = r.get(dm, "tos", p, int, 0)
        traffic = Traffic(
            rate=rate,
            packet_sizes=tuple(dists) or (PacketSizeDistribution.binomial(),),
            size_class=size_class,
            tos=tos,
            arrival=r.get(tr, "arrival", "traffic", str, "poisson"),
        )
        return Scenario(
            topology=topo,
            routing=routing,
            traffic=traffic,
            name=r.get(data, "name", "", str, "scenario"),
            metadata=r.get(data, "metadata", "", dict, {}),
        )
    except InvalidScenarioError as exc:
        raise InvalidScenarioError(f"{file}: {exc}" if file else str(exc)) from None


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write ``scenario`` as JSON to ``path`` (atomically)."""
    atomic_write_text(path, json.dumps(scenario_to_dict(scenario), indent=1) + "\n")


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file written by :func:`save_scenario`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"cannot read scenario file: {exc.strerror}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    return scenario_from_dict(data, file=str(path))
