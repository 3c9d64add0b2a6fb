"""kplane.routenet._calibrate: per-KPI corrections fitted on held-out data, stored with the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.errors import FormatError, InvalidParameterError
from kplane.routenet import Calibration, RouteNetModel, fit_calibration, load_checkpoint
from kplane.routenet._calibrate import _factor, _logit_shift

from .conftest import SMALL, analytic_kpis, toy_scenario


def samples(k: int, seed0: int = 0) -> list:
    return [(sc, analytic_kpis(sc)) for sc in (toy_scenario(6, seed0 + i) for i in range(k))]


@pytest.fixture(scope="module")
def fitted():
    model = RouteNetModel(**SMALL, max_steps=6, batch_size=2, seed=3, num_threads=1, ood="ignore")
    return model.fit(samples(4), samples(2, seed0=40))


def test_factor_is_the_exact_mre_minimiser() -> None:
    rng = np.random.default_rng(0)
    true = rng.uniform(0.1, 2.0, 500)
    assert _factor(true * 1.1, true, true) == pytest.approx(1 / 1.1)
    noisy = true * rng.uniform(0.8, 1.4, 500)
    c = _factor(noisy, true, true)

    def mre(f: float) -> float:
        return float(np.mean(np.abs(f * noisy - true) / true))

    assert all(mre(c) <= mre(c * k) + 1e-12 for k in (0.98, 0.995, 1.005, 1.02))
    assert _factor(np.full(3, np.nan), true[:3], true[:3]) == 1.0  # nothing valid: identity


def test_logit_shift_recovers_a_known_offset() -> None:
    true = np.geomspace(1e-4, 0.3, 200)
    logit = np.log(true / (1 - true))
    biased = 1 / (1 + np.exp(-(logit - 0.7)))
    assert _logit_shift(biased, true) == pytest.approx(0.7, abs=1e-3)
    assert _logit_shift(true, true) == pytest.approx(0.0, abs=1e-3)
    assert _logit_shift(biased, np.zeros_like(true)) == 0.0  # no lossy path: no shift


def test_apply_keeps_the_propagation_delay_and_bounds_the_loss() -> None:
    cal = Calibration(delay=0.5, jitter=2.0, loss_logit=3.0)
    pred = {"mean_delay": torch.tensor([1.0, 3.0]), "jitter": torch.tensor([0.1, 0.2]),
            "loss_ratio": torch.tensor([0.0, 0.9]), "mean_delay_samples": torch.tensor([[1.0, 3.0]])}
    out = cal.apply(pred, torch.tensor([1.0, 1.0]))
    assert torch.allclose(out["mean_delay"], torch.tensor([1.0, 2.0]))  # 1 s propagation untouched
    assert torch.allclose(out["mean_delay_samples"], torch.tensor([[1.0, 2.0]]))
    assert torch.allclose(out["jitter"], torch.tensor([0.2, 0.4]))
    assert 0.0 <= float(out["loss_ratio"][0]) < 1e-12 and 0.9 < float(out["loss_ratio"][1]) < 1.0
    assert torch.equal(pred["mean_delay"], torch.tensor([1.0, 3.0]))  # the input is not modified


@pytest.mark.parametrize("bad", [{"delay": 0.0}, {"jitter": float("nan")}, {"loss_logit": float("inf")}])
def test_calibration_rejects_bad_values(bad) -> None:
    with pytest.raises(InvalidParameterError, match="calibration"):
        Calibration(**bad)


def test_fit_save_load_and_predict(fitted, tmp_path) -> None:
    held_out = samples(3, seed0=70)
    cal = fit_calibration(fitted, held_out)
    f = cal.fitted_on
    assert f["samples"] == 3 and f["paths"] == 3 * 30
    for kpi in ("delay_mre", "jitter_mre"):
        assert f["after"][kpi] <= f["before"][kpi] + 1e-12  # the fit minimises each MRE on its data
    scs = [sc for sc, _ in held_out]
    raw = fitted.predict(scs)
    fitted.calibration_ = cal
    try:
        calibrated = fitted.predict(scs)
        uncal = fitted.predict(scs, calibrated=False)
        path = tmp_path / "m.pt"
        fitted.save(path)
    finally:
        fitted.calibration_ = None
    np.testing.assert_allclose(uncal[0].mean_delay, raw[0].mean_delay)
    np.testing.assert_allclose(calibrated[0].mean_delay, cal.delay * raw[0].mean_delay)  # no propagation
    np.testing.assert_allclose(calibrated[0].jitter, cal.jitter * raw[0].jitter)
    loaded = RouteNetModel.load(path, ood="ignore")
    assert loaded.calibration_ is not None and loaded.calibration_.delay == cal.delay
    assert loaded.card_["calibration"]["fitted_on"]["samples"] == 3
    np.testing.assert_allclose(loaded.predict(scs)[1].mean_delay, calibrated[1].mean_delay)
    # a fresh fit drops the calibration; a broken calibration entry is a clear error
    payload = load_checkpoint(path)
    payload["calibration"] = {"delay": "x"}
    from kplane.routenet import save_checkpoint

    save_checkpoint(path, payload)
    with pytest.raises(FormatError, match="calibration"):
        RouteNetModel.load(path)


def _with_propagation(sc, delay: float = 0.05):
    topo = sc.topology
    return sc.replace(topology=topo.replace(propagation_delay=np.full(topo.n_links, delay)))


@pytest.mark.parametrize("features", ["scale_free", "paper"])
def test_calibration_is_applied_as_fitted_with_propagation_delays(features) -> None:
    from dataclasses import replace

    from kplane.routenet import evaluate_models

    model = RouteNetModel(**SMALL, features=features, max_steps=4, batch_size=2, seed=5, num_threads=1,
                          ood="ignore").fit(samples(3))
    held_out = []
    for i in range(3):
        sc = _with_propagation(toy_scenario(6, 80 + i))
        kp = analytic_kpis(sc)  # queueing delays; add each path's propagation delay
        held_out.append((sc, replace(kp, mean_delay=kp.mean_delay + sc.routing.hops * 0.05)))
    cal = fit_calibration(model, held_out)
    model.calibration_ = cal
    m = evaluate_models({"m": model}, held_out).metrics()["m"]
    # what predict applies is what the fit measured: the offset is the propagation delay in both,
    # whatever the model's delay target (the paper's features predict seconds, offset 0 inside)
    assert m["delay_mre"] == pytest.approx(cal.fitted_on["after"]["delay_mre"], rel=1e-9)
    assert m["delay_mre"] <= cal.fitted_on["before"]["delay_mre"] + 1e-12
    assert m["jitter_mre"] == pytest.approx(cal.fitted_on["after"]["jitter_mre"], rel=1e-9)


def test_fit_calibration_needs_samples(fitted) -> None:
    with pytest.raises(InvalidParameterError, match="no labelled samples"):
        fit_calibration(fitted, [])
