"""Flattening a scenario for the kernel: alias tables, delay bounds, checks."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import UnsupportedError
from kplane.network import PacketSizeDistribution
from kplane.sim._build import alias_table, build_arrays


@pytest.mark.parametrize("weights", [[1.0], [0.5, 0.5], [0.1, 0.0, 0.6, 0.3], list(range(1, 40))])
def test_alias_table_reproduces_the_distribution_exactly(weights):
    w = np.asarray(weights, dtype=float)
    prob, alias = alias_table(w)
    n = len(w)
    mass = prob / n
    np.add.at(mass, alias, (1.0 - prob) / n)
    np.testing.assert_allclose(mass, w / w.sum(), atol=1e-12)


def test_delay_bounds_and_histogram_resolution(make_tandem):
    sizes = PacketSizeDistribution.binomial(300, 1700)
    a = build_arrays(make_tandem(1000.0, 500.0, 200.0, sizes, 4, propagation_delay=0.1),
                     percentile_resolution=0.01)
    # a->c: smallest = 2 * 0.3 s + 2 * 0.1 s; largest = 2 * (4 * 1.7 s + 0.1 s)
    assert a.path_lo[0] == pytest.approx(0.8) and a.path_hi[0] == pytest.approx(13.8)
    assert a.path_lo[1] == pytest.approx(0.4) and a.path_hi[1] == pytest.approx(6.9)
    ratio = np.exp((np.log(a.path_hi) - np.log(a.path_lo)) / a.n_bins)
    assert np.all(ratio <= 1.01 + 1e-12)
    # forward rings hold the port's packets plus what the wire can carry
    assert a.fwd_off[1] - a.fwd_off[0] == 4 + int(np.ceil(0.1 * 1000 / 300)) + 1


def test_huge_bandwidth_delay_products_are_refused(make_tandem):
    sc = make_tandem(1e12, 1e3, 1e3, PacketSizeDistribution.deterministic(100.0), 4, propagation_delay=1.0)
    with pytest.raises(UnsupportedError, match="in-flight packet slots"):
        build_arrays(sc)
