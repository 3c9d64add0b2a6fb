"""Per-path delay accumulators updated by the kernel for every measured, delivered packet.

Per path ``p``: count, ``Σ(d − d₀)``, ``Σ(d − d₀)²`` with ``d₀`` = the path's smallest possible
delay (shifted sums: the variance has no catastrophic cancellation), ``Σ ln d``, min, max, a
histogram of ``ln d`` (``n_bins`` equal bins from ``ln d₀``, see :mod:`kplane.sim._stats`) and the
sum and count per batch of generation time (batch means).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["record_delivery"]


@njit(cache=True, inline="always")
def record_delivery(p, d, batch, path_ref, path_loglo, path_inv_w, n_bins, n_batches,  # type: ignore[no-untyped-def]
                    p_del, p_s1, p_s2, p_slog, p_min, p_max, hist, b_sum, b_cnt):
    """Add the delay ``d`` (s) of one packet of path ``p`` generated in batch ``batch``."""
    x = d - path_ref[p]
    p_del[p] += 1
    p_s1[p] += x
    p_s2[p] += x * x
    ld = np.log(d)
    p_slog[p] += ld
    if d < p_min[p]:
        p_min[p] = d
    if d > p_max[p]:
        p_max[p] = d
    b = int((ld - path_loglo[p]) * path_inv_w[p])
    if b < 0:
        b = 0
    elif b >= n_bins:
        b = n_bins - 1
    hist[p * n_bins + b] += 1
    if batch >= n_batches:
        batch = n_batches - 1
    b_sum[p * n_batches + batch] += d
    b_cnt[p * n_batches + batch] += 1
