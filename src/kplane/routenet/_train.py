"""Resumable, deterministic RouteNet training.

Adam with a step-wise exponential learning-rate decay and L2 on the readout kernels (as the public
code), mini-batches collated into one disconnected graph, early stopping on a validation set, CSV
logs and a training-state file written atomically every ``checkpoint_every`` steps.

Determinism and resuming: the data order of epoch ``e`` is a permutation drawn from
``numpy.random.default_rng([seed, e])``; dropout draws from a ``torch.Generator`` seeded by ``seed``;
initial weights come from ``seed`` (the global torch RNG is left as it was). The state file holds the
weights, Adam's moments, the generator state, the position in the data order, the early-stopping
record and the log position, so that training resumed from it (after ``kill -9``) produces exactly the
parameters and log rows of an uninterrupted run on the same machine and thread count.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kplane.datasets import GraphBatch
from kplane.datasets._collate import collate_encoded, encode_sample
from kplane.errors import FormatError, InvalidParameterError
from kplane.network import PathKPIs, Scenario
from kplane.routenet._checkpoint import read_torch_file
from kplane.routenet._features import FeatureScaler, FeatureSpec
from kplane.routenet._heads import head_loss, make_targets
from kplane.routenet._inference import kpi_metrics, predict_batch
from kplane.routenet._model import RouteNetMultiHead, RoutingPlan
from kplane.routenet._settings import TrainResult, TrainSettings
from kplane.utils import atomic_write_bytes, atomic_write_text

__all__ = ["TrainResult", "TrainSettings", "as_sample", "train_network"]

STATE_SCHEMA = "kplane.routenet.train_state"
STATE_SCHEMA_VERSION = 1

Sample = tuple[Scenario, PathKPIs]


def as_sample(item: Any, k: int | None = None) -> Sample:
    """Normalise a dataset item — ``(Scenario, PathKPIs)`` or an object with ``.scenario`` and
    ``.kpis`` (e.g. a datanet sample) — to a pair."""
    if isinstance(item, tuple | list) and len(item) == 2:
        sc, kp = item
    elif hasattr(item, "scenario") and hasattr(item, "kpis"):
        sc, kp = item.scenario, item.kpis
    else:
        where = "" if k is None else f" {k}"
        raise InvalidParameterError(
            f"training item{where} must be a (Scenario, PathKPIs) pair, got {type(item).__name__}"
        )
    if not isinstance(sc, Scenario) or not isinstance(kp, PathKPIs):
        raise InvalidParameterError(
            f"training item {k} must hold a Scenario and PathKPIs, got {type(sc).__name__}, "
            f"{type(kp).__name__}"
        )
    return sc, kp


class _Data:
    """Random access to samples: a sized, indexable dataset as is, any other iterable as a list.

    Samples are kept encoded (:func:`~kplane.datasets._collate.encode_sample`) while they fit in
    ``cache_bytes``, so that epochs after the first skip decoding and validating scenarios.
    """

    def __init__(self, data: Iterable[Any], cache_bytes: int = 2**31) -> None:
        if isinstance(data, Sequence) or (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
            self.items: Any = data
        else:
            self.items = list(data)
        self.n = len(self.items)
        self._cache: dict[int, dict[str, np.ndarray]] = {}
        self._room = int(cache_bytes)

    def encoded(self, i: int) -> dict[str, np.ndarray]:
        hit = self._cache.get(i)
        if hit is not None:
            return hit
        sc, kp = as_sample(self.items[i], i)
        enc = encode_sample(sc, kp, i)
        size = sum(a.nbytes for a in enc.values())
        if size <= self._room:
            self._cache[i] = enc
            self._room -= size
        return enc

    def batch(self, idx: Sequence[int] | np.ndarray) -> GraphBatch:
        return collate_encoded([self.encoded(int(i)) for i in idx])

    def batches(self, batch_size: int) -> Iterable[GraphBatch]:
        for s in range(0, self.n, batch_size):
            yield self.batch(range(s, min(self.n, s + batch_size)))


def _epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


_VAL_FIELDS = ("val_loss", "mre_delay", "mre_jitter", "mre_loss", "corr_loss")
_LOG_FIELDS = ["step", "epoch", "samples", "lr", "train_loss", "val_loss", "samples_per_s", "wall_s"]


def _lr(s: TrainSettings, step: int) -> float:
    return s.lr * s.lr_decay ** (step // s.lr_decay_steps)


def _batch_loss(
    net: RouteNetMultiHead, scaler: FeatureScaler, b: GraphBatch, weighting: str, gen: torch.Generator | None
) -> tuple[torch.Tensor, dict[str, float]]:
    xp, xl = scaler.transform(b)
    raw = net(xp, xl, RoutingPlan.from_batch(b), generator=gen)
    t = make_targets(b, scaler)
    losses = {h: head_loss(h, raw[h], t, weighting) for h in net.heads}
    total = sum(losses.values(), torch.zeros((), dtype=torch.float64))
    return total, {h: float(v.detach()) for h, v in losses.items()}


@torch.no_grad()
def _validate(
    net: RouteNetMultiHead, scaler: FeatureScaler, val: list[GraphBatch], weighting: str
) -> dict[str, Any]:
    was = net.training
    net.eval()
    try:
        total = 0.0
        pairs = []
        for b in val:
            loss, _ = _batch_loss(net, scaler, b, weighting, None)
            total += float(loss)
            pairs.append((predict_batch(net, scaler, b), b))
        return {"val_loss": total / len(val), **kpi_metrics(pairs)}
    finally:
        net.train(was)


def _state_dict_copy(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def train_network(
    train: Iterable[Any],
    *,
    val: Iterable[Any] | None = None,
    features: FeatureSpec,
    heads: Sequence[Sequence[str]],
    hparams: dict[str, Any],
    settings: TrainSettings,
    state_path: str | Path | None = None,
    resume: bool = False,
    log_csv: str | Path | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train a :class:`RouteNetMultiHead` on ``(Scenario, PathKPIs)`` samples.

    Parameters
    ----------
    train, val : iterable of (Scenario, PathKPIs)
        Training and optional validation samples (sized, indexable datasets are used in place, other
        iterables are read into memory once).
    features : FeatureSpec
        Inputs and delay normalisation; the scaler is fitted on ``train``.
    heads, hparams
        See :class:`RouteNetMultiHead`.
    settings : TrainSettings
    state_path : path, optional
        Training-state file, written every ``settings.checkpoint_every`` steps.
    resume : bool
        Continue from ``state_path`` (which must exist) instead of starting afresh.
    log_csv : path, optional
        CSV log (``step, epoch, samples, lr, train_loss, val_loss, samples_per_s, wall_s``, then the
        per-head training losses and the validation metrics); truncated to the state's row count on
        resume.
    progress : callable, optional
        Called after every step with ``{"step", "total_steps", "epoch", "loss", "samples_per_s"}``;
        an exception raised by it interrupts training (the state file keeps the last checkpoint).

    Returns
    -------
    TrainResult
        With the best network (lowest validation loss; the last one without ``val``).
    """
    s = settings
    st: dict[str, Any] = {}
    if resume:
        if state_path is None or not Path(state_path).is_file():
            raise InvalidParameterError(f"cannot resume: no training state at {state_path}")
        st = read_torch_file(state_path, what="training state")
        if st.get("schema") != STATE_SCHEMA or st.get("schema_version") != STATE_SCHEMA_VERSION:
            raise FormatError("not a kplane RouteNet training state of a supported version", file=state_path)
        # the trajectory is fixed by the stored settings; only the stopping limits may be extended
        s = TrainSettings(**{**st["settings"], "epochs": s.epochs, "max_steps": s.max_steps})
    data = _Data(train)
    if data.n == 0:
        raise InvalidParameterError("the training set is empty")
    val_batches = list(_Data(val).batches(s.batch_size)) if val is not None else []
    if val is not None and not val_batches:
        raise InvalidParameterError("the validation set is empty")
    steps_per_epoch = math.ceil(data.n / s.batch_size)
    total_steps = s.epochs * steps_per_epoch
    if s.max_steps is not None:
        total_steps = min(total_steps, s.max_steps)
    state_path = Path(state_path) if state_path is not None else None

    gen = torch.Generator().manual_seed(s.seed)
    if resume:
        scaler = FeatureScaler.from_dict(st["scaler"])
        heads, hparams = st["heads"], st["hparams"]
        if int(st.get("n_train", data.n)) != data.n:
            raise InvalidParameterError(
                f"cannot resume: the training data has {data.n} samples, the interrupted run had "
                f"{st['n_train']} (resume with the same data)"
            )
        net = RouteNetMultiHead(heads=heads, path_features=len(scaler.spec.path),
                                link_features=len(scaler.spec.link), **hparams)
        net.load_state_dict(st["net"])
        opt = torch.optim.Adam(net.parameters(), lr=s.lr)
        opt.load_state_dict(st["optimizer"])
        gen.set_state(st["generator"])
        step, epoch, pos = int(st["step"]), int(st["epoch"]), int(st["pos"])
        best_val, bad = float(st["best_val"]), int(st["bad_evals"])
        best_state = st["best_state"]
        log_rows, log_acc = int(st["log_rows"]), list(st["log_acc"])
        history, wall_before = list(st["history"]), float(st["wall_time_s"])
        stopped = "early_stopping" if st.get("stopped") == "early_stopping" else ""
        if log_csv is not None:
            _truncate_csv(Path(log_csv), log_rows)
    else:
        scaler = FeatureScaler(features).fit(data.batches(max(s.batch_size, 64)))
        _check_labels(heads, scaler.labels_)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s.seed)
            net = RouteNetMultiHead(heads=heads, path_features=len(features.path),
                                    link_features=len(features.link), **hparams)
        opt = torch.optim.Adam(net.parameters(), lr=s.lr)
        step = epoch = pos = 0
        best_val, bad, best_state = math.inf, 0, None
        log_rows, log_acc = 0, [0.0, 0] + [0.0] * sum(len(g) for g in heads)
        history, wall_before, stopped = [], 0.0, ""
        if log_csv is not None:
            _truncate_csv(Path(log_csv), 0)

    head_names = [h for g in heads for h in g]
    log_fields = _LOG_FIELDS + [f"loss_{h}" for h in head_names] + list(_VAL_FIELDS[1:])

    def save_state() -> None:
        if state_path is None:
            return
        st = {
            "schema": STATE_SCHEMA, "schema_version": STATE_SCHEMA_VERSION,
            "settings": asdict(s), "heads": [list(g) for g in net.groups], "hparams": net.hparams,
            "scaler": scaler.to_dict(), "net": net.state_dict(), "optimizer": opt.state_dict(),
            "generator": gen.get_state(), "step": step, "epoch": epoch, "pos": pos,
            "best_val": best_val, "bad_evals": bad, "best_state": best_state,
            "log_rows": log_rows, "log_acc": log_acc, "history": history,
            "wall_time_s": wall_before + (time.perf_counter() - t0), "stopped": stopped, "n_train": data.n,
        }
        buf = io.BytesIO()
        torch.save(st, buf)
        atomic_write_bytes(state_path, buf.getvalue())

    def log(row: dict[str, Any]) -> None:
        nonlocal log_rows
        log_rows += 1
        if log_csv is None:
            return
        path = Path(log_csv)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=log_fields, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(row)

    t0 = time.perf_counter()
    t_rate, n_rate = time.perf_counter(), 0
    net.train()
    while not stopped:
        if step >= total_steps:
            stopped = "max_steps" if s.max_steps is not None and step >= s.max_steps else "epochs"
            break
        if pos >= steps_per_epoch:
            epoch, pos = epoch + 1, 0
            continue
        order = _epoch_order(s.seed, epoch, data.n)
        idx = order[pos * s.batch_size : (pos + 1) * s.batch_size]
        batch = data.batch(idx)
        for g in opt.param_groups:
            g["lr"] = _lr(s, step)
        loss, parts = _batch_loss(net, scaler, batch, s.weighting, gen)
        total = loss + net.l2_penalty(s.l2, s.l2_last)
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        step, pos = step + 1, pos + 1
        n_rate += len(idx)
        log_acc[0] += float(loss.detach())
        log_acc[1] += 1
        for j, h in enumerate(head_names):
            log_acc[2 + j] += parts[h]
        rate = n_rate / max(time.perf_counter() - t_rate, 1e-9)
        end_of_epoch = pos >= steps_per_epoch
        do_eval = bool(val_batches) and (
            (s.eval_every > 0 and step % s.eval_every == 0) or (s.eval_every == 0 and end_of_epoch)
            or step >= total_steps
        )
        row: dict[str, Any] | None = None
        if step % s.log_every == 0 or do_eval or step >= total_steps:
            row = {
                "step": step, "epoch": round(epoch + pos / steps_per_epoch, 4),
                "samples": step * s.batch_size, "lr": _lr(s, step - 1),
                "train_loss": log_acc[0] / log_acc[1], "samples_per_s": round(rate, 2),
                "wall_s": round(wall_before + time.perf_counter() - t0, 3),
                **{f"loss_{h}": log_acc[2 + j] / log_acc[1] for j, h in enumerate(head_names)},
            }
            log_acc = [0.0, 0] + [0.0] * len(head_names)
        if do_eval:
            metrics = _validate(net, scaler, val_batches, s.weighting)
            row = row or {}
            row.update({k: metrics.get(k) for k in _VAL_FIELDS})
            history.append({"step": step, **metrics})
            if metrics["val_loss"] < best_val - 1e-12:
                best_val, bad, best_state = metrics["val_loss"], 0, _state_dict_copy(net)
            else:
                bad += 1
                if bad >= s.patience:
                    stopped = "early_stopping"
        if row is not None:
            log(row)
        if step % s.checkpoint_every == 0 or do_eval or stopped or step >= total_steps:
            save_state()
        if progress is not None:
            progress({"step": step, "total_steps": total_steps, "epoch": epoch + pos / steps_per_epoch,
                      "loss": float(loss.detach()), "samples_per_s": rate})
    if best_state is not None:
        net.load_state_dict(best_state)
    save_state()
    net.eval()
    metrics = {}
    if val_batches:
        metrics["validation"] = _validate(net, scaler, val_batches, s.weighting)
    return TrainResult(net=net, scaler=scaler, steps=step, epochs=epoch + pos / steps_per_epoch,
                       stopped=stopped, wall_time_s=wall_before + time.perf_counter() - t0,
                       metrics=metrics, history=history)


_NEEDS = {
    "normal": ("delay", "a mean delay (PathKPIs.mean_delay)"),
    "gamma": ("log_delay", "a mean delay and a mean log-delay (PathKPIs.mean_log_delay) on paths without "
                           "propagation delay"),
    "jitter": ("delay", "a mean delay and its jitter (PathKPIs.mean_delay, jitter)"),
    "binomial": ("loss", "a loss ratio or packet counts (PathKPIs.loss_ratio / delivered, dropped)"),
}


def _check_labels(heads: Sequence[Sequence[str]], labels: dict[str, int]) -> None:
    """Every head needs labelled training paths; say which label is missing instead of not learning."""
    for h in (h for g in heads for h in g):
        key, what = _NEEDS.get(h, ("", ""))
        if key and labels.get(key, 0) == 0:
            raise InvalidParameterError(
                f"head {h!r} needs {what}; no training path has one — choose other heads "
                "(e.g. normal for delay)"
            )


def _truncate_csv(path: Path, rows: int) -> None:
    """Keep the header and the first ``rows`` data rows of ``path`` (remove it when ``rows == 0``)."""
    if rows == 0:
        path.unlink(missing_ok=True)
        return
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    atomic_write_text(path, "".join(lines[: rows + 1]))
