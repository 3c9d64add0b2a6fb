"""The FIFO drop-tail port by Lindley's recursion, on a hand-worked example."""

from __future__ import annotations

import numpy as np

from kplane.sim._fifo import fifo_join, forward_pop, forward_push


def test_departures_occupancy_and_drop_tail_by_hand():
    k = 2  # two packets at the port, the one in transmission included
    dep_buf, dep_off = np.zeros(k), np.array([0, k])
    dep_head, dep_len, last = np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1)
    kcap, inv_cap = np.array([k]), np.array([1.0 / 100.0])  # 100 bit/s

    def join(t, size):
        return fifo_join(dep_buf, dep_off, dep_head, dep_len, last, kcap, inv_cap, 0, t, size)

    assert join(0.0, 100.0) == (1.0, 0.0, 1)        # idle port: leaves after 1 s
    assert join(0.5, 50.0) == (1.5, 1.0, 2)         # waits for the first
    assert join(0.6, 100.0) == (-1.0, -1.0, 2)      # full: dropped
    assert join(1.0, 100.0) == (2.5, 1.5, 2)        # the first left at 1.0 (ties leave first)
    assert join(3.0, 10.0) == (3.1, 3.0, 1)         # everything left; idle again


def test_forward_ring_wraps_around():
    off = np.array([0, 3])
    head, length = np.zeros(1, np.int64), np.zeros(1, np.int64)
    t, p, h, b, s = np.zeros(3), np.zeros(3, np.int64), np.zeros(3, np.int64), np.zeros(3), np.zeros(3)
    order = []
    for i in range(7):
        forward_push(t, p, h, b, s, off, head, length, 0, float(i), i, 0, 0.0, 1.0)
        if length[0] == 3 or i == 6:
            while length[0] > 0:
                slot, _ = forward_pop(off, head, length, 0)
                order.append(int(p[slot]))
    assert order == list(range(7))
