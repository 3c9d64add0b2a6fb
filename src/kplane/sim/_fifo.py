"""FIFO ring buffers of packet ids, one per output port or propagation pipe, in one flat array.

Ring ``r`` occupies ``buf[off[r]:off[r + 1]]``; ``head[r]`` is the position of its oldest entry
and ``length[r]`` its fill. Capacity is fixed when the simulation is built, so queue operations
never allocate. The drop-tail decision (``length == capacity``) is taken by the caller.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["fifo_front", "fifo_pop", "fifo_push"]


@njit(cache=True)
def fifo_push(
    buf: NDArray[np.int32], off: NDArray[np.int64], head: NDArray[np.int64], length: NDArray[np.int64],
    r: int, item: int,
) -> int:
    """Append ``item`` to ring ``r`` (the caller checked it is not full); return its slot."""
    cap = off[r + 1] - off[r]
    pos = head[r] + length[r]
    if pos >= cap:
        pos -= cap
    slot = off[r] + pos
    buf[slot] = item
    length[r] += 1
    return slot


@njit(cache=True)
def fifo_pop(
    buf: NDArray[np.int32], off: NDArray[np.int64], head: NDArray[np.int64], length: NDArray[np.int64],
    r: int,
) -> int:
    """Remove and return the oldest item of ring ``r`` (the caller checked it is not empty)."""
    item = buf[off[r] + head[r]]
    h = head[r] + 1
    if h == off[r + 1] - off[r]:
        h = 0
    head[r] = h
    length[r] -= 1
    return item


@njit(cache=True)
def fifo_front(buf: NDArray[np.int32], off: NDArray[np.int64], head: NDArray[np.int64], r: int) -> int:
    """Slot index of the oldest item of ring ``r`` (the caller checked it is not empty)."""
    return off[r] + head[r]
