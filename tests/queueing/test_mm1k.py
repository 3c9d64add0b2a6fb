"""M/M/1/K closed forms against brute-force sums over the state distribution."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.queueing import mm1k_blocking, mm1k_sojourn


def brute(rho: float, k: int, mu: float) -> tuple[float, float, float]:
    pi = np.array([rho**n for n in range(k + 1)], dtype=float)
    pi /= pi.sum()
    q = pi[:k] / (1 - pi[k])
    n = np.arange(k)
    m1 = float(q @ (n + 1)) / mu
    m2 = float(q @ ((n + 1) * (n + 2))) / mu**2
    return float(pi[k]), m1, m2 - m1**2


@pytest.mark.parametrize("rho", [1e-6, 0.3, 0.9, 0.999999, 1.0, 1.000001, 1.5, 4.0])
@pytest.mark.parametrize("k", [1, 2, 10, 32])
def test_matches_brute_force(rho, k):
    pb, mean, var = brute(rho, k, 2.0)
    assert mm1k_blocking([rho], [k])[0] == pytest.approx(pb, rel=1e-9, abs=1e-300)
    m, v = mm1k_sojourn([rho], [k], [2.0])
    assert m[0] == pytest.approx(mean, rel=1e-9)
    assert v[0] == pytest.approx(var, rel=1e-7, abs=1e-15)


def test_limits_and_extremes_are_finite():
    rho = np.array([0.0, 1.0, 1e3, 1e300])
    k = np.array([32, 32, 32, 1000])
    pb = mm1k_blocking(rho, k)
    assert pb[0] == 0.0 and pb[1] == pytest.approx(1 / 33) and pb[2] == pytest.approx(1 - 1e-3, rel=1e-6)
    assert np.all(np.isfinite(pb)) and np.all((pb >= 0) & (pb <= 1))
    m, v = mm1k_sojourn(rho, k, np.ones(4))
    assert m[0] == 1.0 and v[0] == 1.0            # nobody waits: one exponential service
    assert m[1] == pytest.approx(16.5)            # uniform over 0..31 packets ahead
    assert m[3] == pytest.approx(1000.0)          # always K-1 ahead
    assert np.all(np.isfinite(m)) and np.all(np.isfinite(v))


def test_mm1_limit():
    m, v = mm1k_sojourn([0.5], [2000], [3.0])
    assert m[0] == pytest.approx(1 / 1.5) and v[0] == pytest.approx(1 / 1.5**2)
