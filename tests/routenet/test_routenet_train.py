"""Training: it learns, it is deterministic, it resumes exactly, it stops early, it logs."""

from __future__ import annotations

import csv
import math

import pytest
import torch

from kplane.datasets import collate
from kplane.errors import InvalidParameterError
from kplane.routenet import (
    FEATURE_SETS,
    TrainSettings,
    as_sample,
    kpi_metrics,
    predict_batch,
    train_network,
)

from .conftest import SMALL

HEADS = (("normal", "binomial"),)


def run(samples, *, val=None, tmp=None, resume=False, progress=None, hp=None, **kw):
    settings = TrainSettings(**{"batch_size": 2, "log_every": 1, "checkpoint_every": 3, "seed": 5, **kw})
    return train_network(
        samples,
        val=val,
        features=FEATURE_SETS["scale_free"],
        heads=HEADS,
        hparams={**SMALL, **(hp or {})},
        settings=settings,
        state_path=None if tmp is None else tmp / "state.pt",
        resume=resume,
        log_csv=None if tmp is None else tmp / "log.csv",
        progress=progress,
    )


def train_metrics(res, samples):
    b = collate(samples)
    return kpi_metrics([(predict_batch(res.net, res.scaler, b), b)])


def nan_free(rows: list[dict]) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]


def params(net) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in net.state_dict().items()}


def test_a_tiny_run_overfits_a_few_samples(labelled) -> None:
    samples = labelled(4, n=5, intensity=2.0)
    before = run(samples, max_steps=1, lr=1e-2, hp={"dropout": 0.0})
    after = run(samples, epochs=1000, max_steps=300, lr=1e-2, log_every=50, hp={"dropout": 0.0})
    m0, m1 = train_metrics(before, samples), train_metrics(after, samples)
    assert m1["mre_delay"] < 0.15 < m0["mre_delay"], (m0, m1)
    assert m1["mre_delay"] < 0.1 * m0["mre_delay"]
    assert m1["mre_jitter"] < 0.5
    assert m1["corr_loss"] > 0.9 > m0["corr_loss"]


def test_same_seed_same_parameters(labelled) -> None:
    samples = labelled(4)
    a = run(samples, max_steps=6)
    b = run(samples, max_steps=6)
    c = run(samples, max_steps=6, seed=6)
    pa, pb, pc = params(a.net), params(b.net), params(c.net)
    assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert not all(torch.equal(pa[k], pc[k]) for k in pa)


class Kill(Exception):
    pass


def test_resume_after_a_kill_is_exact(labelled, tmp_path) -> None:
    samples = labelled(5)  # 3 steps per epoch: the kill lands mid-epoch
    val = labelled(2, seed0=50)
    straight_dir, killed_dir = tmp_path / "straight", tmp_path / "killed"
    straight_dir.mkdir()
    killed_dir.mkdir()
    straight = run(samples, val=val, tmp=straight_dir, max_steps=11, eval_every=4)

    def kill_at_7(p):
        if p["step"] == 7:
            raise Kill  # the process dies after step 7; the last state file is from step 6

    with pytest.raises(Kill):
        run(samples, val=val, tmp=killed_dir, max_steps=11, eval_every=4, progress=kill_at_7)
    with (killed_dir / "log.csv").open() as fh:
        assert len(fh.readlines()) == 1 + 7  # header + 7 rows, one more than the state knows
    resumed = run(samples, val=val, tmp=killed_dir, max_steps=11, eval_every=4, resume=True)
    assert resumed.steps == straight.steps == 11
    ps, pr = params(straight.net), params(resumed.net)
    assert all(torch.equal(ps[k], pr[k]) for k in ps)
    assert nan_free(resumed.history) == nan_free(straight.history)

    def rows(d):
        with (d / "log.csv").open() as fh:
            return [
                {k: v for k, v in r.items() if k not in ("samples_per_s", "wall_s")}
                for r in csv.DictReader(fh)
            ]

    assert rows(killed_dir) == rows(straight_dir)
    assert len(rows(straight_dir)) == 11


def test_resume_can_extend_training(labelled, tmp_path) -> None:
    samples = labelled(4)
    straight = run(samples, max_steps=8)
    run(samples, tmp=tmp_path, max_steps=4)
    extended = run(samples, tmp=tmp_path, max_steps=8, resume=True)
    ps, pe = params(straight.net), params(extended.net)
    assert all(torch.equal(ps[k], pe[k]) for k in ps)


def test_early_stopping_keeps_the_best_model(labelled) -> None:
    samples = labelled(4)
    val = labelled(2, seed0=70)
    res = run(samples, val=val, epochs=200, eval_every=1, patience=2, lr=0.3)
    assert res.stopped == "early_stopping"
    losses = [h["val_loss"] for h in res.history]
    best = min(losses)
    assert losses[-1] > best and losses[-2] > best  # two validations without improvement
    assert res.metrics["validation"]["val_loss"] == pytest.approx(best, rel=1e-9)


def test_log_and_state_files(labelled, tmp_path) -> None:
    samples = labelled(4)
    run(samples, val=labelled(1, seed0=9), tmp=tmp_path, max_steps=4, eval_every=2)
    with (tmp_path / "log.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert rows[1]["val_loss"] and not rows[0]["val_loss"]
    assert float(rows[0]["samples_per_s"]) > 0
    assert {"loss_normal", "loss_binomial", "mre_delay"} <= set(rows[0])
    assert (tmp_path / "state.pt").is_file()
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"lr": -1.0}, "lr must be a number > 0"),
        ({"l2": float("nan")}, "l2 must be a number >= 0"),
        ({"weighting": "sqrt"}, "weighting must be one of"),
        ({"max_steps": -3}, "max_steps must be an integer >= 0"),
    ],
)
def test_bad_settings(kw: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        TrainSettings(**kw)


def test_bad_data(labelled, tmp_path) -> None:
    with pytest.raises(InvalidParameterError, match="training set is empty"):
        run([])
    with pytest.raises(InvalidParameterError, match="training item 0 must be a"):
        run([object()])
    with pytest.raises(InvalidParameterError, match="cannot resume: no training state"):
        run(labelled(1), tmp=tmp_path, resume=True)
    sc, kp = labelled(1)[0]

    class Item:
        scenario, kpis = sc, kp

    assert as_sample(Item()) == (sc, kp)


def test_resume_with_other_data_is_refused(labelled, tmp_path) -> None:
    run(labelled(4), tmp=tmp_path, max_steps=2)
    with pytest.raises(InvalidParameterError, match="training data has 5 samples, the interrupted run had 4"):
        run(labelled(5), tmp=tmp_path, max_steps=4, resume=True)


def test_a_head_without_labels_is_refused(labelled) -> None:
    from kplane.network import PathKPIs

    samples = [
        (sc, PathKPIs(pairs=k.pairs, mean_delay=k.mean_delay, jitter=k.jitter, loss_ratio=k.loss_ratio))
        for sc, k in labelled(2)
    ]
    settings = TrainSettings(max_steps=1, batch_size=2)
    with pytest.raises(InvalidParameterError, match="head 'gamma' needs a mean delay and a mean log-delay"):
        train_network(
            samples,
            features=FEATURE_SETS["scale_free"],
            heads=(("gamma",),),
            hparams=dict(SMALL),
            settings=settings,
        )
