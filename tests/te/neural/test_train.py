"""Training: a tiny run improves the objective; resuming a checkpoint is exact; determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.errors import FormatError, InvalidParameterError, SchemaVersionError
from kplane.te import make_objective
from kplane.te.neural import NeuroRiskOptimizer, load_checkpoint
from kplane.te.neural._train import TrainSettings, epoch_learning_rate

from .conftest import ring_instance

SMALL = {
    "hidden": 16,
    "iterations": 3,
    "batch_size": 2,
    "learning_rate": 0.02,
    "patience": 50,
    "validation_fraction": 0.0,
}


@pytest.fixture(scope="module")
def instances():
    return [ring_instance(5, k=2, seed=s, load=3.0, p_fail=0.1) for s in range(4)]


def _mean_objective(opt: NeuroRiskOptimizer, instances) -> float:
    return sum(opt.solve(i).objective_value for i in instances) / len(instances)


def test_tiny_training_improves_the_objective(instances) -> None:
    before = NeuroRiskOptimizer(objective="expected", epochs=1, **SMALL).fit(instances[:1])
    before.net_.policy.reset_parameters(torch.Generator().manual_seed(0))  # the untrained policy
    trained = NeuroRiskOptimizer(objective="expected", epochs=4, **SMALL).fit(instances)
    start, end = _mean_objective(before, instances), _mean_objective(trained, instances)
    assert end < start - 0.02, (start, end)
    assert trained.best_epoch_ >= 1 and len(trained.history_) == 4


class _Stop(Exception):
    pass


def test_resume_is_exact(instances, tmp_path) -> None:
    kw = dict(objective="teavar", epochs=3, seed=3, **SMALL)
    full = NeuroRiskOptimizer(**kw).fit(instances, checkpoint=tmp_path / "full.pt")

    def stop_after_one(row):
        if row["epoch"] == 1:
            raise _Stop

    ckpt = tmp_path / "cut.pt"
    with pytest.raises(_Stop):
        NeuroRiskOptimizer(**kw).fit(instances, checkpoint=ckpt, callback=stop_after_one)
    assert load_checkpoint(ckpt)["epoch"] == 1
    resumed = NeuroRiskOptimizer(**kw).fit(instances, checkpoint=ckpt, resume=True)
    assert [r["train"] for r in resumed.history_] == [r["train"] for r in full.history_]
    for a, b in zip(full.net_.state_dict().values(), resumed.net_.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_training_is_seed_deterministic(instances) -> None:
    a = NeuroRiskOptimizer(objective="expected", epochs=2, seed=7, **SMALL).fit(instances)
    b = NeuroRiskOptimizer(objective="expected", epochs=2, seed=7, **SMALL).fit(instances)
    for pa, pb in zip(a.net_.parameters(), b.net_.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_resume_refuses_another_method(instances, tmp_path) -> None:
    ckpt = tmp_path / "c.pt"
    NeuroRiskOptimizer(objective="expected", epochs=1, **SMALL).fit(instances[:2], checkpoint=ckpt)
    with pytest.raises(InvalidParameterError, match="method"):
        NeuroRiskOptimizer(objective="expected", method="br", epochs=2, **SMALL).fit(
            instances[:2], checkpoint=ckpt, resume=True
        )


def test_checkpoint_schema_refused(instances, tmp_path) -> None:
    ckpt = tmp_path / "c.pt"
    NeuroRiskOptimizer(objective="expected", epochs=1, **SMALL).fit(instances[:2], checkpoint=ckpt)
    data = torch.load(ckpt, weights_only=True)
    data["schema_version"] = 9
    torch.save(data, ckpt)
    with pytest.raises(SchemaVersionError, match="version 9"):
        load_checkpoint(ckpt)
    ckpt.write_text("not a checkpoint")
    with pytest.raises(FormatError, match="not a NeuroRisk checkpoint"):
        load_checkpoint(ckpt)


def test_cosine_schedule_decays() -> None:
    s = TrainSettings(epochs=11, learning_rate=1.0)
    assert epoch_learning_rate(s, 0) == pytest.approx(1.0)
    assert epoch_learning_rate(s, 10) == pytest.approx(0.1)
    assert epoch_learning_rate(TrainSettings(lr_schedule="constant"), 5) == TrainSettings().learning_rate


@pytest.mark.parametrize(
    "bad", [{"epochs": 0}, {"learning_rate": -1.0}, {"batch_size": 1.5}, {"lr_schedule": "step"}]
)
def test_bad_settings_rejected(bad) -> None:
    with pytest.raises(InvalidParameterError):
        TrainSettings(**bad).check()


def test_collapsed_baseline_trains_on_its_surrogate(instances) -> None:
    opt = NeuroRiskOptimizer(objective="expected", method="faute", epochs=2, **SMALL).fit(instances)
    assert opt.net_.method == "collapsed"
    x = opt.optimize(instances[0])
    assert x.shape == (instances[0].n_tunnels,)
    assert make_objective("expected").evaluate(instances[0], x) <= 1.0


@pytest.mark.parametrize("kw", [{"step_loss": "linear"}, {"method": "gr9"}, {"checkpointing": True}])
def test_training_variants_run(instances, kw) -> None:
    opt = NeuroRiskOptimizer(objective="teavar", epochs=1, **{**SMALL, **kw}).fit(instances[:2])
    x = opt.optimize(instances[2])
    assert x.shape == (instances[2].n_tunnels,)
    assert np.all(instances[2].link_load(x) <= instances[2].topology.capacity)
