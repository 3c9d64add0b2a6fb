"""Policy files: a trained update policy as one small JSON document (no pickle), plus its model card.

Format (``kplane.neurorisk-policy``, schema version 1)::

    {"schema": "kplane.neurorisk-policy", "schema_version": 1,
     "kplane_version": str, "created": ISO-8601 UTC,
     "method": "gr" | "br" | "gs" | "ls" | "collapsed", "hidden": int, "iterations": int,
     "features": [feature names in input order], "x_cap": float,
     "objective": {"name", "beta", "form", "flow_aggregate", "weighting"},
     "state": {parameter name: {"shape": [int], "data": [float, ...]}},
     "training": {...}}

A model card (``<stem>.card.json``) beside a shipped policy says how it was trained (command,
instances, settings, wall time, machine) and what it achieved.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from kplane.errors import FormatError, InvalidParameterError, SchemaVersionError
from kplane.te._objectives import Objective, make_objective
from kplane.te.neural._physics import COLLAPSED_FEATURE_NAMES, FEATURE_NAMES, SCALING_FEATURE_NAMES, X_CAP
from kplane.te.neural._unroll import METHOD_SPEC, NeuroRiskNet
from kplane.utils import atomic_write_text

__all__ = [
    "POLICY_SCHEMA",
    "POLICY_SCHEMA_VERSION",
    "feature_names",
    "objective_from_spec",
    "objective_spec",
    "policy_from_dict",
    "policy_to_dict",
    "read_policy",
    "write_policy",
]

POLICY_SCHEMA = "kplane.neurorisk-policy"
POLICY_SCHEMA_VERSION = 1


def feature_names(method: str) -> tuple[str, ...]:
    """Input feature names of a method's policy, in input order."""
    fs = METHOD_SPEC[method][1]
    return {
        "gr": FEATURE_NAMES,
        "br": FEATURE_NAMES,
        "gs": SCALING_FEATURE_NAMES,
        "ls": SCALING_FEATURE_NAMES,
        "collapsed": COLLAPSED_FEATURE_NAMES,
        "gr9": (*FEATURE_NAMES, "edge_slack"),
    }[fs]


def objective_spec(objective: Objective) -> dict[str, Any]:
    """JSON form of a named objective."""
    return {
        "name": objective.name,
        "beta": objective.beta,
        "form": objective.form,
        "flow_aggregate": objective.flow_aggregate,
        "weighting": objective.weighting,
    }


def objective_from_spec(spec: dict[str, Any]) -> Objective:
    """The objective of :func:`objective_spec`."""
    try:
        return make_objective(
            spec["name"],
            beta=spec.get("beta"),
            form=spec.get("form", "mean"),
            flow_aggregate=spec.get("flow_aggregate", "max"),
            weighting=spec.get("weighting", "flow"),
        )
    except (KeyError, TypeError) as exc:
        raise FormatError(f"objective spec {spec!r} is malformed ({exc})", field="objective") from None


def policy_to_dict(
    net: NeuroRiskNet, *, objective: Objective, iterations: int, training: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON document of a policy (see the module docstring)."""
    from kplane import __version__

    state = {
        k: {"shape": list(v.shape), "data": [float(a) for a in v.detach().double().flatten().tolist()]}
        for k, v in net.state_dict().items()
    }
    return {
        "schema": POLICY_SCHEMA,
        "schema_version": POLICY_SCHEMA_VERSION,
        "kplane_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": net.method,
        "hidden": net.policy.hidden,
        "iterations": int(iterations),
        "features": list(feature_names(net.method)),
        "x_cap": X_CAP,
        "objective": objective_spec(objective),
        "state": state,
        "training": training or {},
    }


def policy_from_dict(data: Any, *, path: str | Path | None = None) -> tuple[NeuroRiskNet, dict[str, Any]]:
    """Rebuild the network of a policy document; returns ``(net, document)``.

    Raises
    ------
    FormatError
        Not a policy document, a missing or malformed part, non-finite weights.
    SchemaVersionError
        Another schema version (names it and the version this kplane reads).
    """
    if not isinstance(data, dict) or data.get("schema") != POLICY_SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise FormatError(
            f"not a NeuroRisk policy: schema is {got!r}, expected {POLICY_SCHEMA!r}",
            file=path,
            field="schema",
        )
    version = data.get("schema_version")
    if version != POLICY_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"policy schema version {version!r} is not supported; this kplane reads version "
            f"{POLICY_SCHEMA_VERSION} (written by kplane {data.get('kplane_version', '?')})",
            file=path,
            field="schema_version",
        )
    for key in ("method", "hidden", "state", "objective", "features"):
        if key not in data:
            raise FormatError(f"policy lacks its {key!r} part", file=path, field=key)
    method = data["method"]
    if method not in METHOD_SPEC:
        raise FormatError(
            f"unknown method {method!r}; valid: {', '.join(METHOD_SPEC)}", file=path, field="method"
        )
    if list(data["features"]) != list(feature_names(method)) or float(data.get("x_cap", X_CAP)) != X_CAP:
        raise FormatError(
            f"policy was trained on features {data['features']} (x_cap={data.get('x_cap')}); this kplane "
            f"computes {list(feature_names(method))} (x_cap={X_CAP})",
            file=path,
            field="features",
        )
    hidden = data["hidden"]
    if not isinstance(hidden, int) or hidden < 1:
        raise FormatError(f"hidden must be a positive integer, got {hidden!r}", file=path, field="hidden")
    net = NeuroRiskNet(method, hidden)
    own = net.state_dict()
    state: dict[str, torch.Tensor] = {}
    for name, ref in own.items():
        entry = data["state"].get(name) if isinstance(data["state"], dict) else None
        if not isinstance(entry, dict) or "data" not in entry or "shape" not in entry:
            raise FormatError(f"policy lacks parameter {name!r}", file=path, field="state")
        if list(entry["shape"]) != list(ref.shape) or len(entry["data"]) != ref.numel():
            raise FormatError(
                f"parameter {name!r} has shape {entry['shape']}, expected {list(ref.shape)}",
                file=path,
                field="state",
            )
        vals = entry["data"]
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in vals):
            raise FormatError(
                f"parameter {name!r} holds a non-finite or non-numeric value", file=path, field="state"
            )
        state[name] = torch.tensor(vals, dtype=ref.dtype).reshape(ref.shape)
    net.load_state_dict(state)
    net.eval()
    return net, data


def write_policy(path: str | Path, document: dict[str, Any]) -> Path:
    """Atomically write a policy document (JSON)."""
    path = Path(path)
    atomic_write_text(path, json.dumps(document, indent=1, allow_nan=False) + "\n")
    return path


def read_policy(path: str | Path) -> tuple[NeuroRiskNet, dict[str, Any]]:
    """Read a policy file → ``(net, document)`` (errors as :func:`policy_from_dict`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"not a JSON policy file ({exc})", file=path) from None
    return policy_from_dict(data, path=path)


def check_method(method: str) -> str:
    """Normalise a learned method name (``neurorisk`` = ``gr``, ``faute`` = ``collapsed``)."""
    key = {"neurorisk": "gr", "faute": "collapsed"}.get(method.strip().lower(), method.strip().lower())
    if key not in METHOD_SPEC:
        raise InvalidParameterError(
            f"unknown learned method {method!r}; valid: neurorisk (= gr), {', '.join(METHOD_SPEC)}, faute"
        )
    return key
