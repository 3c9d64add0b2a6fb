"""Helpers for the dataset tests: a tiny spec (about a second to generate) and a TOML writer."""

from __future__ import annotations

import copy
from typing import Any

TINY: dict[str, Any] = {
    "name": "tiny",
    "seed": 7,
    "samples_per_topology": 3,
    "shard_size": 2,
    "simulation": {"duration": 200.0, "warmup": 20.0},
    "traffic": {"intensity": [6.0, 12.0]},
    "routing": {"variants": 2},
    "topologies": [
        {"name": "abilene", "split": "train"},
        {"generator": "waxman", "n_nodes": [5, 7], "count": 2, "split": "validation"},
        {"name": "polska", "split": "test"},
    ],
}
"""Four topology instances × 3 samples = 12 samples in 6 shards; about a second to simulate."""


def tiny_spec(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`TINY` with top-level fields replaced."""
    spec = copy.deepcopy(TINY)
    spec.update(changes)
    return spec


def toml_text(spec: dict[str, Any]) -> str:
    """A minimal TOML writer for the spec dicts used in these tests."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines = [
        f"{k} = {value(v)}"
        for k, v in spec.items()
        if not isinstance(v, dict | list)
        or k not in ("simulation", "traffic", "routing", "capacities", "topologies")
    ]
    for table in ("simulation", "traffic", "routing", "capacities"):
        if table in spec:
            lines.append(f"\n[{table}]")
            lines += [f"{k} = {value(v)}" for k, v in spec[table].items()]
    for entry in spec.get("topologies", []):
        lines.append("\n[[topologies]]")
        lines += [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"
