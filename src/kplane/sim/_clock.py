"""The simulation clock: a binary min-heap of ``(time, seq, source)`` in preallocated arrays.

Every event source of the kernel (the merged Poisson source, each output port's transmitter, each
link's propagation pipe) has at most one pending event, so the heap never holds more than
``n_sources`` entries and never allocates. The kernel only ever (a) reschedules the event it is
processing (the root) to a later time, (b) removes it, or (c) schedules an idle source; those are
exactly :func:`clock_replace_root`, :func:`clock_pop_root` and :func:`clock_push`, so no position
index is needed. Idle sources are not in the heap, which keeps it as small as the number of busy
ports. Equal times are ordered by ``seq``, the order in which they were scheduled (as in SimPy),
so the run is deterministic.

Layout: ``htime`` (float64), ``hseq`` (int64), ``hsrc`` (int64) of length ``n_sources``;
``hstate = [size, next_seq]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["clock_new", "clock_pop_root", "clock_push", "clock_replace_root"]


def clock_new(
    n_sources: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """An empty clock for ``n_sources`` sources: ``(htime, hseq, hsrc, hstate)``."""
    n = max(int(n_sources), 1)
    return (np.full(n, np.inf), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
            np.zeros(2, dtype=np.int64))


@njit(cache=True, inline="always")
def _sift_down(htime, hseq, hsrc, size, i, t, q, s):
    """Place ``(t, q, s)`` at hole ``i``, moving earlier children up."""
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        r = c + 1
        if r < size and (htime[r] < htime[c] or (htime[r] == htime[c] and hseq[r] < hseq[c])):
            c = r
        if htime[c] < t or (htime[c] == t and hseq[c] < q):
            htime[i] = htime[c]
            hseq[i] = hseq[c]
            hsrc[i] = hsrc[c]
            i = c
        else:
            break
    htime[i] = t
    hseq[i] = q
    hsrc[i] = s


@njit(cache=True, inline="always")
def clock_push(htime, hseq, hsrc, hstate, src, t):
    """Schedule idle source ``src`` at time ``t``."""
    q = hstate[1]
    hstate[1] = q + 1
    i = hstate[0]
    hstate[0] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if htime[parent] > t:
            htime[i] = htime[parent]
            hseq[i] = hseq[parent]
            hsrc[i] = hsrc[parent]
            i = parent
        else:
            break
    htime[i] = t
    hseq[i] = q
    hsrc[i] = src


@njit(cache=True, inline="always")
def clock_replace_root(htime, hseq, hsrc, hstate, t):
    """Reschedule the source at the root (the event being processed) to time ``t``."""
    q = hstate[1]
    hstate[1] = q + 1
    _sift_down(htime, hseq, hsrc, hstate[0], 0, t, q, hsrc[0])


@njit(cache=True, inline="always")
def clock_pop_root(htime, hseq, hsrc, hstate):
    """Remove the root (its source becomes idle)."""
    size = hstate[0] - 1
    hstate[0] = size
    if size > 0:
        _sift_down(htime, hseq, hsrc, size, 0, htime[size], hseq[size], hsrc[size])
    htime[size] = np.inf
