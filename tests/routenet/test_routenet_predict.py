"""RouteNetModel: the PerformanceModel contract, checkpoints (model card), OOD checks, MC dropout."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from kplane.errors import (
    FormatError,
    InvalidParameterError,
    NotFittedError,
    OutOfDistributionWarning,
    SchemaVersionError,
    UnsupportedError,
)
from kplane.network import PathKPIs, PerformanceModel, Traffic
from kplane.routenet import CHECKPOINT_SCHEMA_VERSION, RouteNetModel, load_checkpoint

from .conftest import SMALL, analytic_kpis, toy_scenario


def samples(k: int, seed0: int = 0, n: int = 6) -> list:
    return [(sc, analytic_kpis(sc)) for sc in (toy_scenario(n, seed0 + i) for i in range(k))]


@pytest.fixture(scope="module")
def fitted():
    model = RouteNetModel(**SMALL, max_steps=6, batch_size=2, seed=3, num_threads=1)
    yield model.fit(
        samples(4), samples(2, seed0=40), dataset_info={"manifest_hash": "abc123", "source": "toy"}
    )


def ood_messages(model: RouteNetModel, scenarios: list) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OutOfDistributionWarning)
        model.predict(scenarios)
    return [str(w.message) for w in caught if issubclass(w.category, OutOfDistributionWarning)]


def quiet_predict(model: RouteNetModel, scenarios: list, **kw) -> list[PathKPIs]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutOfDistributionWarning)
        return model.predict(scenarios, **kw)


def test_is_a_performance_model(fitted) -> None:
    assert isinstance(fitted, PerformanceModel)
    scs = [toy_scenario(6, 100), toy_scenario(6, 101)]
    out = quiet_predict(fitted, scs)
    assert len(out) == 2
    for sc, k in zip(scs, out, strict=True):
        assert isinstance(k, PathKPIs)
        assert np.array_equal(k.pairs, sc.routing.pairs)
        assert (k.mean_delay > 0).all() and (k.jitter > 0).all()
        assert ((k.loss_ratio >= 0) & (k.loss_ratio <= 1)).all()
        assert np.array_equal(k.offered_rate, sc.path_rate())
        assert k.mean_delay_ci is None
        assert k.metadata["model"] == "routenet"
    # predicting together = predicting apart (no dropout at inference)
    alone = quiet_predict(fitted, scs[1:])[0]
    assert np.allclose(alone.mean_delay, out[1].mean_delay, rtol=1e-5)


def test_mc_dropout_gives_a_confidence_interval(fitted) -> None:
    sc = toy_scenario(6, 102)
    a = quiet_predict(fitted, [sc], mc_samples=16)[0]
    b = quiet_predict(fitted, [sc], mc_samples=16)[0]
    point = quiet_predict(fitted, [sc])[0]
    assert a.mean_delay_ci is not None and (a.mean_delay_ci > 0).all()
    assert np.array_equal(a.mean_delay_ci, b.mean_delay_ci)  # seeded draws
    assert np.array_equal(a.mean_delay, point.mean_delay)  # the point prediction has no dropout
    with pytest.raises(InvalidParameterError, match="mc_samples must be 0 or an integer >= 2"):
        fitted.predict([sc], mc_samples=1)


def test_checkpoint_round_trip_and_model_card(fitted, tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    fitted.save(path)
    loaded = RouteNetModel.load(path)
    scs = [toy_scenario(6, 103)]
    a, b = quiet_predict(fitted, scs)[0], quiet_predict(loaded, scs)[0]
    assert np.array_equal(a.mean_delay, b.mean_delay) and np.array_equal(a.loss_ratio, b.loss_ratio)
    card = loaded.card_
    assert card["kplane_version"] and card["created"]
    assert card["heads"] == [["gamma", "jitter", "binomial"]]
    assert card["hparams"]["path_dim"] == SMALL["path_dim"]
    assert card["features"]["target"] == "transmission_time"
    assert card["training"]["dataset"]["manifest_hash"] == "abc123"
    assert card["training"]["steps"] == 6
    assert "mre_delay" in card["metrics"]["validation"]
    raw = load_checkpoint(path)
    assert raw["schema_version"] == CHECKPOINT_SCHEMA_VERSION and "state_dict" in raw["model"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_other_schema_versions_are_refused(fitted, tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    fitted.save(path)
    data = torch.load(path, weights_only=True)
    data["schema_version"] = 99
    torch.save(data, tmp_path / "future.pt")
    with pytest.raises(SchemaVersionError, match="checkpoint schema version 99 is not supported"):
        RouteNetModel.load(tmp_path / "future.pt")
    data["schema"] = "something.else"
    torch.save(data, tmp_path / "other.pt")
    with pytest.raises(FormatError, match="not a kplane RouteNet checkpoint"):
        RouteNetModel.load(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(FormatError, match="junk.pt"):
        RouteNetModel.load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError):
        RouteNetModel.load(tmp_path / "missing.pt")


def test_a_checkpoint_needing_unknown_features_is_refused(fitted, tmp_path: Path) -> None:
    fitted.save(tmp_path / "m.pt")
    data = torch.load(tmp_path / "m.pt", weights_only=True)
    data["scaler"]["spec"]["link"] = ["utilisation", "ecn_marks", "queue_size", "size_scv"]
    torch.save(data, tmp_path / "bad.pt")
    with pytest.raises(FormatError, match="ecn_marks"):
        RouteNetModel.load(tmp_path / "bad.pt")


def test_out_of_distribution_input_warns_or_raises(fitted) -> None:
    big = toy_scenario(9, 5, density=0.25)  # more nodes and longer paths than in training
    msgs = ood_messages(fitted, [big])
    assert "scenario 'toy9-5': node count 9 exceeds the largest seen in training (6)" in msgs
    sc = toy_scenario(6, 0)
    hot = sc.replace(traffic=Traffic(rate=sc.traffic.rate * 8.0))  # utilisation far above training
    msgs = ood_messages(fitted, [hot])
    assert any("link feature utilisation" in m and "outside the training range" in m for m in msgs), msgs
    fitted.ood = "raise"
    try:
        with pytest.raises(UnsupportedError, match="out of the model's training distribution"):
            fitted.predict([hot])
    finally:
        fitted.ood = "warn"
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDistributionWarning)
        fitted.predict([toy_scenario(6, 1)])  # a training scenario is in distribution


def test_not_fitted_and_bad_input(fitted) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        RouteNetModel().predict([toy_scenario()])
    with pytest.raises(NotFittedError, match="not fitted"):
        RouteNetModel().save("x.pt")
    with pytest.raises(InvalidParameterError, match="sequence of Scenario"):
        fitted.predict(toy_scenario())
    with pytest.raises(InvalidParameterError, match="ood must be one of"):
        RouteNetModel(ood="shout", **SMALL, max_steps=1).fit(samples(1))


def test_bundled_weights_ship_with_their_model_card() -> None:
    from kplane.routenet import bundled_weights

    path = bundled_weights()
    assert path.suffix == ".pt" and path.stat().st_size < 2_000_000  # small enough to ship
    model = RouteNetModel.load("bundled")
    card = model.card_
    data = card["training"]["dataset"]
    assert data["format"] == "kplane" and len(data["manifest_hash"]) == 64
    assert data["spec"]["name"] == "routenet-bundled"
    assert card["metrics"]["validation"]["mre_delay"] < 0.1
    assert set(card["metrics"]["test"]) >= {"delay_mre", "jitter_mre", "drops_mre", "queueing"}
    with pytest.warns(OutOfDistributionWarning, match="outside the training range"):
        kpis = model.predict([toy_scenario()])[0]  # a toy ring is not what the weights were trained on
    assert np.all(np.isfinite(kpis.mean_delay)) and np.all(kpis.mean_delay > 0)


def test_missing_bundled_weights_are_a_clear_error(tmp_path) -> None:
    from kplane.routenet import bundled_weights

    with pytest.raises(NotFittedError, match="no pretrained RouteNet weights in .*kplane routenet train"):
        bundled_weights(tmp_path)


def test_estimator_contract() -> None:
    m = RouteNetModel(path_dim=16, seed=4)
    assert m.path_dim == 16 and m.seed == 4 and not hasattr(m, "network_")
    assert "not fitted" in repr(m)


def test_scheduling_and_tos_are_flagged(fitted) -> None:
    sc = toy_scenario(6, 1)
    topo = sc.topology.replace(metadata={"scheduling": [{"policy": "WFQ"}] * 6})
    msgs = ood_messages(fitted, [sc.replace(topology=topo)])
    assert any("scheduling WFQ" in m and "FIFO drop-tail ports only" in m for m in msgs), msgs
    tos = np.zeros((6, 6), dtype=int)
    tos[0, 1] = 2
    t = sc.traffic
    msgs = ood_messages(fitted, [sc.replace(traffic=Traffic(rate=t.rate, tos=tos))])
    assert any("several ToS classes" in m for m in msgs), msgs


def test_predictions_follow_a_change_of_time_unit(fitted) -> None:
    """Capacities and rates × k is the same network with times ÷ k: delays ÷ k, jitter ÷ k², same loss."""
    sc = toy_scenario(6, 2)
    k = 1e6  # 10–100 kbit/s links become 10–100 Gbit/s links
    t = sc.traffic
    fast = sc.replace(
        topology=sc.topology.replace(capacity=sc.topology.capacity * k),
        traffic=Traffic(rate=t.rate * k, packet_sizes=t.packet_sizes),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDistributionWarning)  # nothing is out of range
        a, b = fitted.predict([sc])[0], fitted.predict([fast])[0]
    assert np.allclose(b.mean_delay * k, a.mean_delay, rtol=1e-5)
    assert np.allclose(b.jitter * k**2, a.jitter, rtol=1e-4)
    assert np.allclose(b.loss_ratio, a.loss_ratio, rtol=1e-5)
