"""Out-of-distribution checks: inputs a RouteNet checkpoint never saw, and what it does not model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from kplane.datasets import GraphBatch
from kplane.network import Scenario
from kplane.routenet._features import FeatureScaler, raw_features

__all__ = ["TOLERANCE", "out_of_range", "unmodelled"]

TOLERANCE = 0.05
"""Fraction of a feature's training span tolerated beyond it before the value counts as unseen."""
_SIZE_KEYS = {"hops": "hop count", "n_nodes": "node count", "n_paths": "path count", "n_links": "link count"}


def out_of_range(batch: GraphBatch, scaler: FeatureScaler, names: Sequence[str]) -> list[str]:
    """Messages for every input outside the training range (sample ``k`` of ``batch`` is ``names[k]``).

    Feature columns (paths with traffic only) may exceed the training range by :data:`TOLERANCE` of
    its span; hop, node, path and link counts may not exceed the training maximum at all.
    """
    ranges = scaler.ranges_
    spec = scaler.spec
    xp, xl = raw_features(batch, spec)
    issues: list[str] = []

    def check(label: str, values: torch.Tensor, owner: torch.Tensor, key: str, both: bool) -> None:
        if key not in ranges or values.numel() == 0:
            return
        lo, hi = ranges[key]
        tol = max(TOLERANCE * (hi - lo), 1e-6 * max(1.0, abs(lo), abs(hi)))  # rounding is not novelty
        bad = values > hi + tol
        if both:
            bad |= values < lo - tol
        if bool(bad.any()):
            for k in torch.unique(owner[bad]).tolist():
                v = values[bad & (owner == k)]
                shown = float(v.max()) if float(v.max()) > hi else float(v.min())
                issues.append(f"scenario {names[k]!r}: {label} {shown:.6g} is outside the training "
                              f"range [{lo:.6g}, {hi:.6g}]")

    active = batch.has_traffic
    for j, n in enumerate(spec.path):
        check(f"path feature {n}", xp[active, j], batch.path_sample[active], f"path:{n}", True)
    for j, n in enumerate(spec.link):
        check(f"link feature {n}", xl[:, j], batch.link_sample, f"link:{n}", True)
    sizes = {
        "hops": (batch.path_length.to(torch.float64), batch.path_sample),
        "n_nodes": (batch.n_nodes.to(torch.float64), torch.arange(batch.n_samples)),
        "n_paths": (torch.diff(batch.path_offsets).to(torch.float64), torch.arange(batch.n_samples)),
        "n_links": (torch.diff(batch.link_offsets).to(torch.float64), torch.arange(batch.n_samples)),
    }
    for key, (vals, owner) in sizes.items():
        lo, hi = ranges.get(key, [0.0, float("inf")])
        bad = vals > hi
        for k in torch.unique(owner[bad]).tolist():
            worst = float(vals[bad & (owner == k)].max())
            issues.append(f"scenario {names[k]!r}: {_SIZE_KEYS[key]} {worst:g} exceeds the largest "
                          f"seen in training ({hi:g})")
    return issues


def unmodelled(sc: Scenario) -> list[str]:
    """What this RouteNet does not model at all: non-FIFO ports, several ToS classes."""
    issues = []
    sched = sc.topology.metadata.get("scheduling") or []
    found = {str(s.get("policy", "FIFO")).upper() for s in sched if isinstance(s, dict)}
    policies = sorted(found - {"FIFO"})
    if policies:
        issues.append(f"scenario {sc.name!r}: scheduling {', '.join(policies)} at some ports; this "
                      "RouteNet models FIFO drop-tail ports only")
    if len(np.unique(sc.traffic.tos[sc.traffic.rate > 0])) > 1:
        issues.append(f"scenario {sc.name!r}: several ToS classes; this RouteNet models one class")
    return issues
