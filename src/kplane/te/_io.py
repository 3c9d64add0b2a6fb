"""TE instance, scenario and allocation JSON: documented, versioned schemas.

Instance (``kplane.te.instance``, version 1)::

    {
      "schema": "kplane.te.instance", "version": 1, "name": "abilene",
      "units": {"capacity": "bit/s", "demand": "bit/s"},
      "nodes": ["ATLAM5", "ATLAng", ...],                 # node i = nodes[i]
      "edges": [[u, v, capacity], ...],                   # directed link id = row index
      "demands": [[s, d, volume], ...],                   # flow index = row index (volume may be 0)
      "tunnels": [[flow_index, [edge ids]], ...],         # tunnel id = row index, grouped by flow
      "scenarios": [{"prob": p, "failed_edges": [...]}, ...],   # healthy scenario first
      "scenario_info": {"uncovered": "renormalised", "uncovered_mass": 1.2e-5,
                        "bidirectional": false, "element_kind": "bidirectional-link",
                        "failed_elements": [[...], ...], "metadata": {...}},   # optional
      "metadata": {...}
    }

Scenario file (``kplane.te.scenarios``, version 1): ``{"schema", "version", "scenarios",
"scenario_info"}`` with the same two keys as above; an instance file is accepted wherever a scenario
file is. Allocation (``kplane.te.allocation``, version 1): ``{"schema", "version", "x": [split ratio
per tunnel, in the instance's tunnel order], "n_tunnels", "instance", "objective", ...}`` — only
``"x"`` is required when reading.

Reading checks schema name and version and names the JSON path of any bad field
(``scenarios[3].failed_edges``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import FormatError, InvalidScenarioError, SchemaVersionError
from kplane.network._kpis import _jsonable
from kplane.network._topology import Topology
from kplane.te._instance import TEInstance
from kplane.te._scenarios import ScenarioSet
from kplane.te._tunnelset import TunnelSet
from kplane.utils import atomic_write_text

__all__ = [
    "ALLOCATION_SCHEMA",
    "INSTANCE_SCHEMA",
    "SCENARIOS_SCHEMA",
    "SCHEMA_VERSION",
    "instance_from_dict",
    "instance_to_dict",
    "load_allocation",
    "load_instance",
    "load_scenarios",
    "save_allocation",
    "save_instance",
    "save_scenarios",
    "scenarios_to_dict",
]

INSTANCE_SCHEMA = "kplane.te.instance"
SCENARIOS_SCHEMA = "kplane.te.scenarios"
ALLOCATION_SCHEMA = "kplane.te.allocation"
SCHEMA_VERSION = 1


def _scenario_block(s: ScenarioSet) -> dict[str, Any]:
    return {
        "scenarios": [
            {"prob": float(p), "failed_edges": list(fe)} for p, fe in zip(s.prob, s.failed_edges, strict=True)
        ],
        "scenario_info": {
            "uncovered": s.uncovered,
            "uncovered_mass": s.uncovered_mass,
            "bidirectional": s.bidirectional,
            "element_kind": s.element_kind,
            "failed_elements": None if s.failed_elements is None else [list(x) for x in s.failed_elements],
            "metadata": _jsonable(dict(s.metadata)),
        },
    }


def instance_to_dict(instance: TEInstance) -> dict[str, Any]:
    """Serialise an instance (see the module docstring)."""
    topo, tun = instance.topology, instance.tunnels
    return {
        "schema": INSTANCE_SCHEMA,
        "version": SCHEMA_VERSION,
        "name": instance.name,
        "units": {"capacity": "bit/s", "demand": "bit/s"},
        "nodes": list(topo.node_names),
        "edges": [
            [int(u), int(v), float(c)] for (u, v), c in zip(topo.links.tolist(), topo.capacity, strict=True)
        ],
        "demands": [
            [int(s), int(d), float(v)] for (s, d), v in zip(tun.pairs.tolist(), instance.demand, strict=True)
        ],
        "tunnels": [[f, e] for f, e in tun.to_lists()],
        **_scenario_block(instance.scenarios),
        "metadata": _jsonable(dict(instance.metadata)),
    }


def scenarios_to_dict(scenarios: ScenarioSet) -> dict[str, Any]:
    """Serialise a scenario set on its own."""
    return {"schema": SCENARIOS_SCHEMA, "version": SCHEMA_VERSION, **_scenario_block(scenarios)}


def _read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise FormatError("file not found", file=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None


def _check_schema(data: Any, valid: tuple[str, ...], path: str | Path | None) -> None:
    if not isinstance(data, Mapping):
        raise FormatError("expected a JSON object", file=path)
    schema = data.get("schema")
    if schema is not None and schema not in valid:
        raise FormatError(f"schema {schema!r} is not one of {valid}", file=path, field="schema")
    if schema is not None and data.get("version") != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{schema} version {data.get('version')!r} cannot be read "
            f"(this kplane reads version {SCHEMA_VERSION})",
            file=path,
            field="version",
        )


def _field(data: Mapping[str, Any], key: str, path: str | Path | None) -> Any:
    if key not in data:
        raise FormatError(f"missing key {key!r}", file=path, field=key)
    return data[key]


def _scenarios_from(
    data: Mapping[str, Any], topology: Topology, tunnels: TunnelSet, path: str | Path | None
) -> ScenarioSet:
    items = data.get("scenarios")
    if items is None:
        return ScenarioSet.healthy(tunnels.n_tunnels)
    if not isinstance(items, list) or not items:
        raise FormatError("scenarios must be a non-empty list", file=path, field="scenarios")
    info = data.get("scenario_info") or {}
    probs: list[float] = []
    fe: list[list[int]] = []
    m = topology.n_links
    for q, item in enumerate(items):
        try:
            p = float(item["prob"])
            edges = [int(e) for e in item["failed_edges"]]
        except (KeyError, TypeError, ValueError):
            raise FormatError(
                "each scenario needs 'prob' (number) and 'failed_edges' (list of link ids)",
                file=path,
                field=f"scenarios[{q}]",
            ) from None
        bad = [e for e in edges if not 0 <= e < m]
        if bad:
            raise FormatError(
                f"references unknown link {bad[0]}; the topology has {m} links (0..{m - 1})",
                file=path,
                field=f"scenarios[{q}].failed_edges",
            )
        probs.append(p)
        fe.append(edges)
    try:
        return ScenarioSet.from_failed_edges(
            topology,
            tunnels,
            fe,
            probs,
            bidirectional=bool(info.get("bidirectional", False)),
            uncovered=str(info.get("uncovered", "none")),
            uncovered_mass=float(info.get("uncovered_mass", 0.0)),
            failed_elements=info.get("failed_elements"),
            element_kind=str(info.get("element_kind", "link")),
            metadata=info.get("metadata") or {},
        )
    except InvalidScenarioError as exc:
        raise FormatError(str(exc), file=path, field="scenarios") from None


def instance_from_dict(data: Mapping[str, Any], *, path: str | Path | None = None) -> TEInstance:
    """Rebuild an instance from :func:`instance_to_dict` output (validated)."""
    _check_schema(data, (INSTANCE_SCHEMA,), path)
    nodes = [str(n) for n in _field(data, "nodes", path)]
    index = {n: i for i, n in enumerate(nodes)}

    def node(v: Any, fld: str) -> int:
        if isinstance(v, str) and v in index:
            return index[v]
        if isinstance(v, int) and 0 <= v < len(nodes):
            return v
        raise FormatError(f"unknown node {v!r}", file=path, field=fld)

    def triples(
        key: str, entry: str, names: tuple[str, str, str]
    ) -> tuple[list[tuple[int, int]], list[float]]:
        """The ``[node, node, number]`` entries of ``data[key]``: their node pairs and numbers (bit/s)."""
        ends, nums = [], []
        for i, e in enumerate(_field(data, key, path)):
            if not isinstance(e, list | tuple) or len(e) != 3:
                raise FormatError(f"{entry} is [{', '.join(names)}]", file=path, field=f"{key}[{i}]")
            ends.append((node(e[0], f"{key}[{i}][0]"), node(e[1], f"{key}[{i}][1]")))
            try:
                nums.append(float(e[2]))
            except (TypeError, ValueError):
                raise FormatError(
                    f"{names[2]} must be a number (bit/s)", file=path, field=f"{key}[{i}][2]"
                ) from None
        return ends, nums

    links, caps = triples("edges", "an edge", ("u", "v", "capacity"))
    pairs, vols = triples("demands", "a demand", ("s", "d", "volume"))
    flow, edges, offs = [], [], [0]
    for i, t in enumerate(_field(data, "tunnels", path)):
        try:
            f, ids = int(t[0]), [int(e) for e in t[1]]
        except (TypeError, ValueError, IndexError):
            raise FormatError(
                "a tunnel is [flow_index, [edge ids]]", file=path, field=f"tunnels[{i}]"
            ) from None
        if not 0 <= f < len(pairs):
            raise FormatError(
                f"flow index {f} outside 0..{len(pairs) - 1}", file=path, field=f"tunnels[{i}][0]"
            )
        flow.append(f)
        edges.extend(ids)
        offs.append(len(edges))
    try:
        topo = Topology.from_edges(nodes, links, caps, name=str(data.get("name", "te-instance")))
        tun = TunnelSet(
            np.asarray(pairs, dtype=np.int64).reshape(-1, 2),
            np.asarray(flow, dtype=np.int64),
            np.asarray(edges, dtype=np.int64),
            np.asarray(offs, dtype=np.int64),
        )
        tun.check(topo)
        scen = _scenarios_from(data, topo, tun, path)
        return TEInstance(
            topo,
            tun,
            np.asarray(vols),
            scen,
            name=str(data.get("name", "te-instance")),
            metadata=data.get("metadata") or {},
        )
    except InvalidScenarioError as exc:
        raise FormatError(str(exc), file=path) from None


def save_instance(instance: TEInstance, path: str | Path) -> Path:
    """Write ``instance`` as JSON (atomically)."""
    path = Path(path)
    atomic_write_text(path, json.dumps(instance_to_dict(instance)) + "\n")
    return path


def load_instance(path: str | Path) -> TEInstance:
    """Read an instance JSON file."""
    return instance_from_dict(_read_json(path), path=path)


def save_scenarios(scenarios: ScenarioSet, path: str | Path) -> Path:
    """Write a scenario set as JSON (atomically)."""
    path = Path(path)
    atomic_write_text(path, json.dumps(scenarios_to_dict(scenarios)) + "\n")
    return path


def load_scenarios(path: str | Path, instance: TEInstance) -> ScenarioSet:
    """Read a scenario file (or the scenarios of an instance file) for ``instance``'s topology and tunnels.

    Raises
    ------
    FormatError
        A scenario naming a link the instance's topology lacks (names the field), bad probabilities.
    """
    data = _read_json(path)
    _check_schema(data, (SCENARIOS_SCHEMA, INSTANCE_SCHEMA), path)
    if "scenarios" not in data:
        raise FormatError("missing key 'scenarios'", file=path, field="scenarios")
    if data.get("schema") == INSTANCE_SCHEMA:
        edges = data.get("edges") or []
        if len(edges) != instance.topology.n_links:
            raise FormatError(
                f"instance file has {len(edges)} links, the instance {instance.topology.n_links}",
                file=path,
                field="edges",
            )
    return _scenarios_from(data, instance.topology, instance.tunnels, path)


def save_allocation(x: ArrayLike, path: str | Path, **extra: Any) -> Path:
    """Write split ratios (one per tunnel) and extra JSON-friendly fields."""
    xv = np.asarray(x, dtype=np.float64).reshape(-1)
    body = {
        "schema": ALLOCATION_SCHEMA,
        "version": SCHEMA_VERSION,
        "n_tunnels": int(xv.size),
        **_jsonable(extra),
        "x": xv.tolist(),
    }
    path = Path(path)
    atomic_write_text(path, json.dumps(body) + "\n")
    return path


def load_allocation(path: str | Path, instance: TEInstance | None = None) -> NDArray[np.float64]:
    """Read the ``"x"`` of an allocation file; with ``instance``, check one ratio per tunnel, finite, >= 0."""
    data = _read_json(path)
    _check_schema(data, (ALLOCATION_SCHEMA,), path)
    try:
        x = np.asarray(_field(data, "x", path), dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise FormatError("x must be a list of numbers", file=path, field="x") from None
    if instance is not None and x.size != instance.n_tunnels:
        raise FormatError(
            f"x has {x.size} split ratios, the instance has {instance.n_tunnels} tunnels",
            file=path,
            field="x",
        )
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FormatError(
            f"split ratio must be finite and >= 0, got {float(x[i])!r}", file=path, field=f"x[{i}]"
        )
    return x
