"""Traffic and PacketSizeDistribution: construction, derived quantities, validation."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidScenarioError
from kplane.network import PacketSizeDistribution, Traffic


def test_binomial_distribution_moments() -> None:
    d = PacketSizeDistribution.binomial(300, 1700)
    assert d.mean == pytest.approx(1000.0)
    assert d.second_moment == pytest.approx(0.5 * 300**2 + 0.5 * 1700**2)
    assert d.to_dict() == {"sizes": [300.0, 1700.0], "probs": [0.5, 0.5]}


def test_deterministic_distribution() -> None:
    d = PacketSizeDistribution.deterministic(1500)
    assert d.mean == 1500.0 and d.second_moment == 1500.0**2


def test_probabilities_are_renormalised_exactly() -> None:
    d = PacketSizeDistribution([100, 200, 300], [1 / 3, 1 / 3, 1 / 3 + 1e-8])
    assert d.probs.sum() == pytest.approx(1.0, abs=1e-15)
    assert not d.probs.flags.writeable and not d.sizes.flags.writeable


@pytest.mark.parametrize(
    ("sizes", "probs", "match"),
    [
        ([], [], "needs as many probs as sizes"),
        ([100, 200], [1.0], "needs as many probs as sizes"),
        ([0, 200], [0.5, 0.5], "packet sizes must be finite and > 0 bits"),
        ([np.nan, 200], [0.5, 0.5], "packet sizes must be finite"),
        ([100, 200], [0.7, 0.7], "must be >= 0 and sum to 1"),
        ([100, 200], [-0.5, 1.5], "must be >= 0 and sum to 1"),
    ],
)
def test_distribution_errors(sizes: list, probs: list, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        PacketSizeDistribution(sizes, probs)


def test_traffic_defaults_and_derived() -> None:
    t = Traffic(rate=[[0.0, 500.0, 0.0], [250.0, 0.0, 1000.0], [0.0, 0.0, 0.0]])
    assert t.n_nodes == 3
    assert t.total_rate == 1750.0
    assert t.arrival == "poisson"
    np.testing.assert_array_equal(t.pairs(), [[0, 1], [1, 0], [1, 2]])
    np.testing.assert_allclose(t.mean_packet_size(), np.full((3, 3), 1000.0))
    np.testing.assert_allclose(t.packet_rate()[0, 1], 0.5)
    assert t.scaled(2.0).total_rate == 3500.0
    assert t.total_rate == 1750.0  # unchanged
    for name in ("rate", "size_class", "tos"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(t, name)[0, 0] = 1


def test_size_classes_select_distributions() -> None:
    t = Traffic(
        rate=[[0, 1e3], [1e3, 0]],
        packet_sizes=(PacketSizeDistribution.deterministic(500), PacketSizeDistribution.deterministic(1500)),
        size_class=[[0, 1], [0, 0]],
    )
    np.testing.assert_allclose(t.mean_packet_size(), [[500, 1500], [500, 500]])


def test_from_pairs_accumulates() -> None:
    t = Traffic.from_pairs(3, [(0, 1, 100.0), (0, 1, 50.0), (2, 0, 10.0)])
    assert t.rate[0, 1] == 150.0 and t.rate[2, 0] == 10.0
    with pytest.raises(InvalidScenarioError, match="demand 0→3 refers to a node outside 0..2"):
        Traffic.from_pairs(3, [(0, 3, 1.0)])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rate": [1.0, 2.0]}, "traffic rate must be 2-dimensional"),
        ({"rate": [[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]}, r"must be a square n×n matrix, got \(2, 3\)"),
        ({"rate": [[0.0, -1.0], [0.0, 0.0]]}, r"traffic rate of pair 0→1 must be >= 0 bit/s, got -1.0"),
        ({"rate": [[0.0, np.nan], [0.0, 0.0]]}, r"traffic rate: entry \(0, 1\) must be finite, got nan"),
        ({"rate": [[5.0, 1.0], [0.0, 0.0]]}, "traffic rate of pair 0→0 must be 0"),
        ({"rate": [[0.0, 1.0], [1.0, 0.0]], "packet_sizes": ()}, "packet_sizes must be a non-empty sequence"),
        (
            {"rate": [[0.0, 1.0], [1.0, 0.0]], "size_class": [[0, 0, 0]]},
            r"size_class must have shape \(2, 2\)",
        ),
        ({"rate": [[0.0, 1.0], [1.0, 0.0]], "tos": [[0, -1], [0, 0]]}, "tos entries must be >= 0"),
        (
            {"rate": [[0.0, 1.0], [1.0, 0.0]], "size_class": [[0, 1], [0, 0]]},
            "only 1 packet size distribution",
        ),
        ({"rate": [[0.0, 1.0], [1.0, 0.0]], "arrival": "onoff"}, "arrival process 'onoff' is not supported"),
    ],
)
def test_traffic_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidScenarioError, match=match):
        Traffic(**kwargs)


def test_scaled_rejects_negative() -> None:
    t = Traffic(rate=[[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(InvalidScenarioError, match="scale factor must be finite and >= 0, got -1"):
        t.scaled(-1)
