"""Policy terms: metrics, aggregates over paths, per-pair SLAs, constraint validation."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs
from kplane.whatif import Constraint, Policy, aggregate_metric

PAIRS = np.array([[0, 1], [1, 0], [0, 2]])


def kpis(delay, jitter, loss, percentiles=None, node_names=None) -> PathKPIs:
    return PathKPIs(
        pairs=PAIRS,
        mean_delay=np.asarray(delay, dtype=float),
        jitter=np.asarray(jitter, dtype=float),
        loss_ratio=np.asarray(loss, dtype=float),
        percentiles=percentiles,
        node_names=node_names,
    )


@pytest.mark.parametrize(
    ("aggregate", "expected"), [("mean", 2.0), ("max", 3.0), ("median", 2.0), ("p50", 2.0), ("p100", None)]
)
def test_aggregates(aggregate, expected):
    k = kpis([1.0, 2.0, 3.0], [0, 0, 0], [0, 0, 0])
    if expected is None:
        with pytest.raises(InvalidParameterError, match="'p1'..'p99'"):
            aggregate_metric(k, "mean_delay", aggregate)
    else:
        assert aggregate_metric(k, "mean_delay", aggregate) == pytest.approx(expected)


def test_per_pair_sla_by_id_and_name():
    k = kpis([1.0, 5.0, 3.0], [0, 0, 0], [0, 0, 0], node_names=("a", "b", "c"))
    assert aggregate_metric(k, "mean_delay", "max", pairs=[(0, 2)]) == 3.0
    assert aggregate_metric(k, "mean_delay", "max", pairs=[("b", "a"), ("a", "b")]) == 5.0
    with pytest.raises(InvalidParameterError, match="pair 2→1 has no path"):
        aggregate_metric(k, "mean_delay", "max", pairs=[(2, 1)])
    with pytest.raises(InvalidParameterError, match="unknown node name"):
        aggregate_metric(k, "mean_delay", "max", pairs=[("zz", "a")])
    sla = Policy(constraints=(Constraint("mean_delay", "max", ((0, 2),), bound=2.0),))
    other = kpis([1.0, 5.0, 1.5], [0, 0, 0], [0, 0, 0])
    sel = sla.select([k, other])
    assert sel.index == 1 and sel.rule == "all_met"


def test_percentile_metric_needs_percentiles():
    k = kpis([1.0, 2.0, 3.0], [0, 0, 0], [0, 0, 0])
    with pytest.raises(InvalidParameterError, match="needs delay percentiles"):
        aggregate_metric(k, "delay_p90")
    pct = np.tile(np.array([0.1, 0.2, 0.5, 0.8, 0.9]), (3, 1)) * np.array([[1.0], [2.0], [3.0]])
    kp = kpis([1.0, 2.0, 3.0], [0, 0, 0], [0, 0, 0], percentiles=pct)
    assert aggregate_metric(kp, "delay_p90", "max") == pytest.approx(2.7)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "latency", "bound": 1}, "metric 'latency' is not known; valid metrics: mean_delay"),
        ({"metric": "mean_delay", "aggregate": "sum", "bound": 1}, "aggregate 'sum' is not known"),
        ({"metric": "mean_delay"}, "needs a finite bound"),
        ({"metric": "mean_delay", "bound": "x"}, "bound must be a number"),
        ({"metric": "mean_delay", "bound": 1, "on_infeasible": "drop"}, "minimise, relax"),
        ({"metric": "mean_delay", "bound": 1, "pairs": []}, "pairs is empty"),
    ],
)
def test_constraint_validation(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        Constraint(**kwargs)
