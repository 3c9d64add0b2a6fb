"""Cross-check against ns-3 on a small tandem; skipped unless the ``ns3`` package is installed."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from kplane.errors import UnsupportedError


def _installed() -> bool:
    try:
        importlib.metadata.version("ns3")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _installed(), reason="ns-3 (pip install 'kplane[ns3]') is not installed")
def test_ns3_and_kplane_agree_on_the_tandem():
    from kplane.sim import simulate
    from kplane.sim._ns3 import ns3_status, ns3_tandem, tandem_scenario

    ok, info = ns3_status()
    if not ok:
        pytest.skip(info)
    duration = 40_000.0
    ref = ns3_tandem(duration=duration, seed=1)
    res = simulate(tandem_scenario(), duration=duration, seed=1)
    # two independent estimates: 4 batch-means half-widths of kplane's (x sqrt 2 for both runs)
    tol = 4 * np.sqrt(2) * res.kpis.mean_delay_ci
    assert np.all(np.abs(res.kpis.mean_delay - ref["mean_delay"]) <= tol)
    np.testing.assert_allclose(res.kpis.jitter, ref["jitter"], rtol=0.15)
    np.testing.assert_allclose(res.kpis.delivered, ref["delivered"], rtol=0.03)


def test_unavailable_ns3_is_a_clear_error(monkeypatch):
    from kplane.sim import _ns3

    monkeypatch.setitem(_ns3._state, "status", (False, "the ns3 package is not installed"))
    with pytest.raises(UnsupportedError, match="ns-3 cross-check unavailable: the ns3 package"):
        _ns3.ns3_tandem(duration=10.0)
