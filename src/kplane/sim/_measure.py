"""Per-path delay accumulators updated by the kernel for every measured, delivered packet.

The hot per-path state is one 64-byte row of ``p_stats`` (one cache line per packet):
``[count, Σ(d − d₀), Σ(d − d₀)², Σ ln d, min d, max d, Σd and count of the current batch]``, with
``d₀`` = the path's smallest possible delay (shifted sums: the variance has no catastrophic
cancellation). Besides, per path, a histogram of ``ln d`` (``n_bins`` equal bins from ``ln d₀``,
see :mod:`kplane.sim._stats`) in ``uint16`` counters that spill into an ``int64`` array every
65535 counts (exact counts, a quarter of the memory traffic of ``int64`` counters), and per-batch
sums for batch means: a packet of the path's current batch (by generation time) adds to the row;
the row is flushed to ``b_sum`` / ``b_cnt`` when a packet of a later batch arrives (``p_batch``
holds the current batch index); late packets of earlier batches add to ``b_sum`` / ``b_cnt``
directly (:func:`kplane.sim._stats.flushed_batches` adds the current batches at the end).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["record_delivery"]

_FULL = np.uint16(0xFFFF)
_ONE = np.uint16(1)


@njit(cache=True, inline="always")
def record_delivery(p, d, batch, path_ref, path_loglo, path_inv_w, n_bins, n_batches,
                    st, p_batch, hist, spill, b_sum, b_cnt):
    """Add the delay ``d`` (s) of one packet of path ``p`` generated in batch ``batch``."""
    x = d - path_ref[p]
    st[p, 0] += 1.0
    st[p, 1] += x
    st[p, 2] += x * x
    ld = np.log(d)
    st[p, 3] += ld
    if d < st[p, 4]:
        st[p, 4] = d
    if d > st[p, 5]:
        st[p, 5] = d
    b = int((ld - path_loglo[p]) * path_inv_w[p])
    if b < 0:
        b = 0
    elif b >= n_bins:
        b = n_bins - 1
    i = p * n_bins + b
    h = hist[i]
    if h == _FULL:
        spill[i] += np.int64(h)
        hist[i] = _ONE
    else:
        hist[i] = h + _ONE
    if batch >= n_batches:
        batch = n_batches - 1
    cur = p_batch[p]
    if batch == cur:
        st[p, 6] += d
        st[p, 7] += 1.0
    elif batch > cur:
        if st[p, 7] > 0.0:
            b_sum[p * n_batches + cur] += st[p, 6]
            b_cnt[p * n_batches + cur] += np.int64(st[p, 7])
        p_batch[p] = batch
        st[p, 6] = d
        st[p, 7] = 1.0
    else:
        b_sum[p * n_batches + batch] += d
        b_cnt[p * n_batches + batch] += 1
