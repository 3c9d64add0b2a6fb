"""Percentiles from log-spaced histograms and batch-means confidence intervals."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.sim._stats import batch_means_ci, histogram_percentiles


def test_histogram_percentiles_are_within_the_bin_resolution():
    rng = np.random.default_rng(0)
    lo, hi, res = 0.01, 10.0, 0.01
    n_bins = int(np.ceil(np.log(hi / lo) / np.log1p(res)))
    inv_w = np.array([n_bins / np.log(hi / lo)])
    data = np.clip(rng.lognormal(-1.0, 1.0, 200_000), lo, hi)
    b = np.clip(((np.log(data) - np.log(lo)) * inv_w[0]).astype(int), 0, n_bins - 1)
    hist = np.bincount(b, minlength=n_bins)[None, :]
    levels = (10, 20, 50, 80, 90)
    got = histogram_percentiles(hist, np.array([np.log(lo)]), inv_w, np.array([data.min()]),
                                np.array([data.max()]), levels)
    np.testing.assert_allclose(got[0], np.percentile(data, levels), rtol=res)


def test_paths_without_packets_get_nan():
    hist = np.zeros((2, 4), dtype=np.int64)
    hist[0, 2] = 5
    out = histogram_percentiles(hist, np.zeros(2), np.ones(2), np.array([2.5, np.inf]),
                                np.array([2.9, -np.inf]), (50,))
    assert np.isnan(out[1, 0]) and 2.5 <= out[0, 0] <= 2.9


def test_batch_means_half_width():
    sums = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 0.0, 0.0]])
    counts = np.array([[1, 1, 1, 1], [1, 0, 0, 0]])
    ci = batch_means_ci(sums, counts)
    # t_{0.975, 3} = 3.182446; sd([1, 2, 3, 4]) = 1.290994
    assert ci[0] == pytest.approx(3.182446 * 1.290994 / 2.0, rel=1e-5)
    assert np.isnan(ci[1])
