"""PathKPIs: construction, validation, JSON shape, round trip and NaN → null."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kplane.errors import InvalidScenarioError
from kplane.network import PERCENTILE_LEVELS, PathKPIs


@pytest.fixture
def kpis() -> PathKPIs:
    return PathKPIs(
        pairs=[[0, 1], [1, 0], [0, 2]],
        mean_delay=[0.1, np.nan, 0.3],
        jitter=[0.01, np.nan, 0.02],
        loss_ratio=[0.0, np.nan, 0.5],
        mean_log_delay=[-2.3, np.nan, -1.2],
        percentiles=[[0.05, 0.06, 0.09, 0.12, 0.15], [np.nan] * 5, [0.1, 0.2, 0.3, 0.4, 0.5]],
        delivered=[100, 0, 50],
        dropped=[0, 0, 50],
        mean_delay_ci=[0.001, np.nan, 0.002],
        offered_rate=[1000.0, 0.0, 2000.0],
        node_names=["a", "b", "c"],
        metadata={"model": "test", "wall_time_s": np.float64(1.5), "bad": float("nan")},
    )


def test_fields_and_read_only(kpis: PathKPIs) -> None:
    assert kpis.n_paths == 3
    assert kpis.pairs.dtype == np.int64
    for name in ("pairs", "mean_delay", "jitter", "loss_ratio", "percentiles", "delivered"):
        arr = getattr(kpis, name)
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


def test_to_dict_shape_and_nan_to_null(kpis: PathKPIs) -> None:
    d = kpis.to_dict()
    assert d["schema"] == "kplane.pathkpis" and d["version"] == 1
    assert d["units"]["mean_delay"] == "s" and d["units"]["jitter"] == "s^2"
    row0, row1 = d["paths"][0], d["paths"][1]
    assert (row0["src"], row0["dst"]) == ("a", "b")
    assert row0["mean_delay"] == 0.1 and row0["delivered"] == 100.0
    assert row0["percentiles"] == {
        f"p{lv}": v for lv, v in zip(PERCENTILE_LEVELS, [0.05, 0.06, 0.09, 0.12, 0.15], strict=True)
    }
    assert row1["mean_delay"] is None and row1["jitter"] is None and row1["loss_ratio"] is None
    assert row1["percentiles"]["p50"] is None
    assert d["metadata"] == {"model": "test", "wall_time_s": 1.5, "bad": None}
    text = json.dumps(d, allow_nan=False)  # strict JSON: no NaN tokens
    assert "NaN" not in text


def test_round_trip(kpis: PathKPIs) -> None:
    back = PathKPIs.from_dict(json.loads(json.dumps(kpis.to_dict())), node_names=kpis.node_names)
    np.testing.assert_array_equal(back.pairs, kpis.pairs)
    for name in (
        "mean_delay",
        "jitter",
        "loss_ratio",
        "mean_log_delay",
        "percentiles",
        "delivered",
        "dropped",
        "mean_delay_ci",
        "offered_rate",
    ):
        np.testing.assert_array_equal(getattr(back, name), getattr(kpis, name))
    assert back.node_names == ("a", "b", "c")
    assert back.metadata["model"] == "test"


def test_round_trip_without_names_and_optionals() -> None:
    k = PathKPIs(pairs=[[2, 0]], mean_delay=[1.0], jitter=[0.0], loss_ratio=[0.0])
    d = k.to_dict()
    assert d["paths"] == [{"src": 2, "dst": 0, "mean_delay": 1.0, "jitter": 0.0, "loss_ratio": 0.0}]
    back = PathKPIs.from_dict(d)
    assert back.percentiles is None and back.delivered is None
    np.testing.assert_array_equal(back.pairs, [[2, 0]])


def test_empty_round_trip() -> None:
    k = PathKPIs(pairs=np.zeros((0, 2)), mean_delay=[], jitter=[], loss_ratio=[])
    assert PathKPIs.from_dict(k.to_dict()).n_paths == 0


def test_from_dict_unknown_name() -> None:
    d = {"paths": [{"src": "x", "dst": "a", "mean_delay": 1.0, "jitter": 0.0, "loss_ratio": 0.0}]}
    with pytest.raises(InvalidScenarioError, match="unknown node 'x'"):
        PathKPIs.from_dict(d, node_names=["a"])


def test_select(kpis: PathKPIs) -> None:
    sub = kpis.select([2, 0])
    np.testing.assert_array_equal(sub.pairs, [[0, 2], [0, 1]])
    np.testing.assert_array_equal(sub.loss_ratio, [0.5, 0.0])
    assert sub.percentiles is not None and sub.percentiles.shape == (2, 5)
    mask = kpis.select(np.array([True, False, False]))
    assert mask.n_paths == 1 and mask.node_names == kpis.node_names


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean_delay": [0.1, 0.2]}, r"mean_delay must have shape \(1,\)"),
        ({"mean_delay": [-0.1]}, "mean_delay must be >= 0"),
        ({"jitter": [np.inf]}, "jitter must not be infinite"),
        ({"loss_ratio": [1.5]}, r"loss_ratio must be in \[0, 1\]"),
        ({"loss_ratio": [-0.1]}, "loss_ratio must be >= 0"),
        ({"delivered": [-3]}, "delivered must be >= 0"),
        ({"percentiles": [[0.1, 0.2]]}, r"percentiles must have shape \(1, 5\)"),
    ],
)
def test_validation_errors(kwargs: dict, match: str) -> None:
    base = {"pairs": [[0, 1]], "mean_delay": [0.1], "jitter": [0.0], "loss_ratio": [0.0]}
    with pytest.raises(InvalidScenarioError, match=match):
        PathKPIs(**(base | kwargs))


def test_negative_mean_log_delay_is_allowed() -> None:
    k = PathKPIs(pairs=[[0, 1]], mean_delay=[0.1], jitter=[0.0], loss_ratio=[0.0], mean_log_delay=[-2.3])
    assert k.mean_log_delay is not None and k.mean_log_delay[0] == -2.3
