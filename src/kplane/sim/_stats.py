"""Estimators applied to the kernel's accumulators: percentiles from histograms, batch means.

Percentiles
-----------
Each path keeps a histogram of ``ln(delay)`` with ``n_bins`` equal bins between the path's
smallest and largest possible delay, so bin ``j`` covers ``[lo·r^j, lo·r^(j+1))`` with
``r = (hi/lo)^(1/n_bins) <= 1 + percentile_resolution``. A percentile is read off the cumulative
histogram with geometric interpolation inside its bin and clipped to the observed min/max. The
reported value lies in the same bin as the exact sample quantile, so its relative error is below
``r − 1`` (1% by default); on an atom of the delay distribution (e.g. every packet of a lightly
loaded single-hop path that finds the port empty) the clipping to the observed minimum makes the
lowest percentiles exact.

Batch means
-----------
The measurement window is split into ``n_batches`` equal slices of generation time; the mean
delay of each slice is one batch mean and the 95% confidence half-width of the mean delay is
``t_{0.975, B−1} · sd(batch means) / sqrt(B)`` over the batches that delivered packets.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["N_STATS", "batch_means_ci", "flushed_batches", "histogram_percentiles"]

N_STATS = 8
"""Columns of the kernel's per-path statistics rows (:mod:`kplane.sim._measure`)."""


def histogram_percentiles(
    hist: NDArray[np.int64],
    loglo: NDArray[np.float64],
    inv_w: NDArray[np.float64],
    dmin: NDArray[np.float64],
    dmax: NDArray[np.float64],
    levels: tuple[int, ...],
) -> NDArray[np.float64]:
    """Percentiles per path, shape (n_paths, len(levels)); NaN for paths without packets.

    Parameters
    ----------
    hist : ndarray of shape (n_paths, n_bins)
        Counts of ``ln(delay)`` per bin.
    loglo : ndarray of shape (n_paths,)
        ``ln`` of the lower edge of bin 0.
    inv_w : ndarray of shape (n_paths,)
        Bins per unit of ``ln(delay)``.
    dmin, dmax : ndarray of shape (n_paths,)
        Observed extremes (seconds), used to clip.
    """
    n_paths, n_bins = hist.shape
    out = np.full((n_paths, len(levels)), np.nan)
    cum = np.cumsum(hist, axis=1)
    total = cum[:, -1] if n_bins else np.zeros(n_paths)
    has = total > 0
    rows = np.arange(n_paths)
    for j, lv in enumerate(levels):
        target = total * (lv / 100.0)
        b = np.minimum(np.argmax(cum >= target[:, None], axis=1), n_bins - 1)
        before = np.where(b > 0, cum[rows, np.maximum(b - 1, 0)], 0)
        inside = hist[rows, b]
        frac = np.where(inside > 0, (target - before) / np.maximum(inside, 1), 0.0)
        val = np.exp(loglo + (b + frac) / inv_w)
        out[has, j] = np.clip(val, dmin, dmax)[has]
    return out


def batch_means_ci(
    b_sum: NDArray[np.float64], b_cnt: NDArray[np.int64], confidence: float = 0.95
) -> NDArray[np.float64]:
    """Half-width of the confidence interval of the mean delay by batch means, per path.

    Parameters
    ----------
    b_sum, b_cnt : ndarray of shape (n_paths, n_batches)
        Sum of delays and packet count per batch.

    Returns
    -------
    ndarray of shape (n_paths,)
        Seconds; NaN for paths with fewer than two non-empty batches.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(b_cnt > 0, b_sum / np.maximum(b_cnt, 1), np.nan)
    k = np.sum(b_cnt > 0, axis=1)
    out = np.full(b_sum.shape[0], np.nan)
    ok = k >= 2
    if ok.any():
        from scipy import stats

        sd = np.nanstd(means[ok], axis=1, ddof=1)
        tq = stats.t.ppf(0.5 + confidence / 2.0, k[ok] - 1)
        out[ok] = tq * sd / np.sqrt(k[ok])
    return out


def flushed_batches(
    st: NDArray[np.float64], p_batch: NDArray[np.int64], b_sum: NDArray[np.float64],
    b_cnt: NDArray[np.int64], n_batches: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per-batch sums and counts, shape (n_paths, n_batches), the kernel's current batches included."""
    n_paths = st.shape[0]
    sums = b_sum.reshape(n_paths, n_batches).copy()
    cnts = b_cnt.reshape(n_paths, n_batches).copy()
    rows = np.arange(n_paths)
    sums[rows, p_batch] += st[:, 6]
    cnts[rows, p_batch] += st[:, 7].astype(np.int64)
    return sums, cnts
