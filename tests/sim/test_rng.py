"""The kernel's explicit generator."""

from __future__ import annotations

import numpy as np
from scipy import stats

from kplane.sim._rng import rng_exponential, rng_state, rng_uniform


def test_uniform_is_reproducible_and_uniform():
    a, b = rng_state(5), rng_state(5)
    xa = np.array([rng_uniform(a) for _ in range(20000)])
    xb = np.array([rng_uniform(b) for _ in range(20000)])
    np.testing.assert_array_equal(xa, xb)
    assert xa.min() >= 0.0 and xa.max() < 1.0
    assert stats.kstest(xa, "uniform").pvalue > 1e-4
    other = rng_state(6)
    assert rng_uniform(other) != xa[0]


def test_exponential_has_unit_mean():
    s = rng_state(1)
    x = np.array([rng_exponential(s) for _ in range(20000)])
    assert stats.kstest(x, "expon").pvalue > 1e-4
