"""Per-path accumulators: histogram counters that spill, batch rows that flush."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.sim._measure import record_delivery
from kplane.sim._stats import N_STATS, flushed_batches


def make(n_paths=1, n_bins=4, n_batches=3):
    st = np.zeros((n_paths, N_STATS))
    st[:, 4], st[:, 5] = np.inf, -np.inf
    return dict(st=st, p_batch=np.zeros(n_paths, np.int64), hist=np.zeros(n_paths * n_bins, np.uint16),
                spill=np.zeros(n_paths * n_bins, np.int64), b_sum=np.zeros(n_paths * n_batches),
                b_cnt=np.zeros(n_paths * n_batches, np.int64))


def add(acc, d, batch, n_bins=4, n_batches=3):
    # one path, bins of width 1 in ln d starting at ln 1
    record_delivery(0, d, batch, np.array([1.0]), np.array([0.0]), np.array([1.0]), n_bins, n_batches,
                    acc["st"], acc["p_batch"], acc["hist"], acc["spill"], acc["b_sum"], acc["b_cnt"])


def test_moments_and_batches_with_late_packets():
    acc = make()
    for d, batch in [(1.5, 0), (2.0, 0), (3.0, 1), (1.2, 0), (4.0, 2), (5.0, 7)]:
        add(acc, d, batch)
    st = acc["st"][0]
    ds = np.array([1.5, 2.0, 3.0, 1.2, 4.0, 5.0])
    assert st[0] == 6 and st[1] == pytest.approx((ds - 1).sum())
    assert st[2] == pytest.approx(((ds - 1) ** 2).sum())
    assert st[3] == pytest.approx(np.log(ds).sum()) and (st[4], st[5]) == (1.2, 5.0)
    sums, cnts = flushed_batches(acc["st"], acc["p_batch"], acc["b_sum"], acc["b_cnt"], 3)
    np.testing.assert_allclose(sums[0], [1.5 + 2.0 + 1.2, 3.0, 4.0 + 5.0])  # batch 7 clipped to the last
    np.testing.assert_array_equal(cnts[0], [3, 1, 2])


def test_histogram_counters_spill_exactly():
    acc = make()
    acc["hist"][1] = np.uint16(0xFFFF)  # bin 1 covers ln d in [1, 2)
    add(acc, np.e**1.5, 0)
    add(acc, np.e**1.5, 0)
    total = acc["hist"].astype(np.int64) + acc["spill"]
    assert total[1] == 0xFFFF + 2 and acc["spill"][1] == 0xFFFF
