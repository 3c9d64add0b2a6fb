"""A deterministic stand-in performance model for the what-if tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from kplane.network import PathKPIs, Scenario


class FakeModel:
    """Per-link M/M/1-like delay from the fluid utilisation; loss grows above 90% utilisation.

    A deterministic function of the scenario, so every choice it leads to can be recomputed by hand.
    It records the batch sizes it was called with.
    """

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, scenarios: Sequence[Scenario]) -> list[PathKPIs]:
        self.calls.append(len(scenarios))
        return [self.one(sc) for sc in scenarios]

    @staticmethod
    def one(sc: Scenario) -> PathKPIs:
        util = np.minimum(sc.utilisation(), 0.99)
        link_delay = 1000.0 / (sc.topology.capacity * (1.0 - util))
        link_loss = np.clip(util - 0.9, 0.0, 1.0)
        r = sc.routing
        pid = r.path_index()
        delay = np.bincount(pid, weights=link_delay[r.link_ids], minlength=r.n_paths)
        jitter = np.bincount(pid, weights=link_delay[r.link_ids] ** 2, minlength=r.n_paths)
        keep = np.ones(r.n_paths)
        np.multiply.at(keep, pid, 1.0 - link_loss[r.link_ids])
        return PathKPIs(
            pairs=r.pairs,
            mean_delay=delay,
            jitter=jitter,
            loss_ratio=1.0 - keep,
            node_names=sc.topology.node_names,
            metadata={"model": "fake"},
        )


@pytest.fixture
def fake_model() -> FakeModel:
    return FakeModel()
