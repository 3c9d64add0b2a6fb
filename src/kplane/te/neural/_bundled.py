"""The policies shipped in ``kplane/te/neural/policies/``: lookup by objective, by name, by network."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kplane.errors import InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te._objectives import make_objective

__all__ = ["BUNDLED_POLICIES", "bundled_policy_for", "bundled_policy_path"]

BUNDLED_POLICIES = {
    "expected": "b4-expected",
    "teavar": "b4-teavar",
    "ffc": "b4-ffc",
    "quantile": "b4-quantile",
}
"""Objective → stem of the shipped policy file in ``kplane/te/neural/policies/``."""


def bundled_policy_path(name: str) -> Path:
    """Path of a shipped policy, by objective (``"teavar"`` → ``b4-teavar``) or by stem (``"ibm-teavar"``).

    Raises
    ------
    InvalidParameterError
        When no such policy is shipped (lists the shipped ones).
    """
    folder = Path(str(resources.files("kplane.te.neural").joinpath("policies")))
    have = sorted(p.stem for p in folder.glob("*.json") if not p.name.endswith(".card.json"))
    key = name.strip().lower()
    if key not in have:
        try:
            key = BUNDLED_POLICIES.get(make_objective(key).name, key)
        except InvalidParameterError:
            pass
    path = folder / f"{key}.json"
    if key not in have or not path.is_file():
        raise InvalidParameterError(
            f"no bundled policy {name!r}; shipped: {', '.join(have) or 'none'} "
            "(train one with `kplane te train`)"
        )
    return path


def bundled_policy_for(objective: str, instance: TEInstance | None = None) -> Path:
    """The shipped policy best suited to ``instance`` and ``objective``.

    In order: ``<network>-<objective>`` when one is shipped for the instance's network
    (``metadata["network"]`` / ``["topology"]``, else the topology name); ``mixed-<objective>`` (trained
    on several bundled topologies) for other networks; the objective's B4 policy
    (:data:`BUNDLED_POLICIES`); the expected-throughput policy.
    """
    key = make_objective(objective).name
    candidates = []
    if instance is not None:
        meta = instance.metadata
        net = str(meta.get("network") or meta.get("topology") or instance.topology.name).lower()
        candidates.append(f"{net}-{key}")
        if net != "b4":
            candidates.append(f"mixed-{key}")
    candidates.append(BUNDLED_POLICIES.get(key, "b4-expected"))
    for name in candidates:
        try:
            return bundled_policy_path(name)
        except InvalidParameterError:
            continue
    return bundled_policy_path("expected")
