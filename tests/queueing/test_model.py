"""`MM1bModel`: the eq. 7 fixed point, per-path composition, robustness, errors."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import ConvergenceError, InvalidParameterError
from kplane.network import (
    PacketSizeDistribution,
    PathKPIs,
    PerformanceModel,
    Routing,
    Scenario,
    Topology,
    Traffic,
)
from kplane.queueing import MM1bModel, mm1k_blocking, mm1k_sojourn


def tandem(rate_ac: float, rate_bc: float, k: int = 4, prop: float = 0.0) -> Scenario:
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2)], capacity=1000.0, queue_size=k,
                               propagation_delay=prop)
    rate = np.zeros((3, 3))
    rate[0, 2], rate[1, 2] = rate_ac, rate_bc
    return Scenario(topo, Routing.from_link_paths({(0, 2): [0, 1], (1, 2): [1]}),
                    Traffic(rate=rate, packet_sizes=(PacketSizeDistribution.deterministic(100.0),)))


def test_fixed_point_by_hand_on_a_tandem():
    sc = tandem(900.0, 600.0, k=4, prop=0.01)
    sol = MM1bModel(tol=1e-14).solve(sc)
    # eq. 7 by hand: link 0 sees a->c; link 1 sees what survived link 0 plus b->c
    rho0 = 0.9
    pb0 = mm1k_blocking([rho0], [4])[0]
    rho1 = (900.0 * (1 - pb0) + 600.0) / 1000.0
    pb1 = mm1k_blocking([rho1], [4])[0]
    np.testing.assert_allclose(sol.rho, [rho0, rho1], rtol=1e-12)
    np.testing.assert_allclose(sol.blocking, [pb0, pb1], rtol=1e-12)
    mu = 1000.0 / 100.0
    (m0, m1), (v0, v1) = mm1k_sojourn([rho0, rho1], [4, 4], [mu, mu])
    k = sol.kpis
    np.testing.assert_allclose(k.mean_delay, [m0 + m1 + 0.02, m1 + 0.01], rtol=1e-12)
    np.testing.assert_allclose(k.jitter, [v0 + v1, v1], rtol=1e-12)
    np.testing.assert_allclose(k.loss_ratio, [1 - (1 - pb0) * (1 - pb1), pb1], rtol=1e-12)
    assert k.metadata["model"] == "kplane.queueing.MM1bModel"


def test_upstream_loss_relieves_downstream_links():
    lossless = MM1bModel().solve(tandem(900.0, 600.0, k=10_000)).rho[1]
    lossy = MM1bModel().solve(tandem(900.0, 600.0, k=2)).rho[1]
    assert lossless == pytest.approx(1.5) and lossy < 1.5


@pytest.mark.parametrize("scale", [1.0, 1.111111111, 3.0, 1e6])
def test_overload_and_saturation_stay_finite(scale):
    kp = MM1bModel().predict([tandem(900.0 * scale, 100.0 * scale, k=32)])[0]
    assert isinstance(kp, PathKPIs)
    for arr in (kp.mean_delay, kp.jitter, kp.loss_ratio):
        assert np.all(np.isfinite(arr))
    assert np.all((kp.loss_ratio >= 0) & (kp.loss_ratio <= 1))


def test_is_a_performance_model_with_estimator_parameters():
    model = MM1bModel(tol=1e-8, max_iter=50)
    assert isinstance(model, PerformanceModel)
    assert (model.tol, model.max_iter) == (1e-8, 50)
    assert "max_iter=50" in repr(model)


def test_no_convergence_is_a_clear_error():
    with pytest.raises(ConvergenceError, match="did not converge in 1 iterations"):
        MM1bModel(max_iter=1).solve(tandem(900.0, 900.0, k=2))


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"tol": 0.0}, "tol must be"), ({"max_iter": 0}, "max_iter must be")]
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        MM1bModel(**kwargs).predict([tandem(100.0, 100.0)])
