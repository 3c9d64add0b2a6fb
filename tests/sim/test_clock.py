"""The heap clock: events come out in (time, scheduling order) order."""

from __future__ import annotations

import numpy as np

from kplane.sim._clock import clock_new, clock_pop_root, clock_push, clock_replace_root


def drain(htime, hseq, hsrc, hstate):
    out = []
    while hstate[0] > 0:
        out.append((float(htime[0]), int(hsrc[0])))
        clock_pop_root(htime, hseq, hsrc, hstate)
    return out


def test_pops_in_time_order_with_ties_in_scheduling_order():
    rng = np.random.default_rng(0)
    times = np.round(rng.uniform(0, 10, 200), 1)  # many ties
    htime, hseq, hsrc, hstate = clock_new(200)
    for src, t in enumerate(times):
        clock_push(htime, hseq, hsrc, hstate, src, t)
    got = drain(htime, hseq, hsrc, hstate)
    expected = sorted(((float(t), s) for s, t in enumerate(times)), key=lambda x: (x[0], x[1]))
    assert got == expected
    assert htime[0] == np.inf


def test_replace_root_reschedules_the_current_event():
    htime, hseq, hsrc, hstate = clock_new(4)
    for src, t in enumerate([3.0, 1.0, 2.0]):
        clock_push(htime, hseq, hsrc, hstate, src, t)
    assert hsrc[0] == 1
    clock_replace_root(htime, hseq, hsrc, hstate, 2.0)  # ties with source 2, scheduled later
    assert drain(htime, hseq, hsrc, hstate) == [(2.0, 2), (2.0, 1), (3.0, 0)]
