"""Batched forward passes from a :class:`GraphBatch` to SI predictions, and the paper's metrics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from kplane.datasets import GraphBatch
from kplane.routenet._evaluate import Evaluation
from kplane.routenet._features import FeatureScaler, delay_reference
from kplane.routenet._heads import DELAY_HEADS, JITTER_HEADS, LOSS_HEADS, head_predict
from kplane.routenet._kernels import Workspace
from kplane.routenet._model import RouteNetMultiHead, RoutingPlan

__all__ = ["kpi_metrics", "predict_batch"]

Tensor = torch.Tensor


def _si(
    net: RouteNetMultiHead, raw: dict[str, Tensor], scale: Tensor, offset: Tensor, scaler: FeatureScaler
) -> dict[str, Tensor]:
    def si(head: str) -> dict[str, Tensor]:
        return head_predict(head, raw[head], scale, offset, scaler.delay_mean_, scaler.delay_std_)

    heads = net.heads
    delay = next((h for h in heads if h in DELAY_HEADS), None)  # the first of each kind reports
    loss = next((h for h in heads if h in LOSS_HEADS), None)
    # the jitter: a jitter head's, else a Normal head's (its σ² fits the second moment), else the
    # delay head's own variance
    jitter = next((h for h in (*JITTER_HEADS, "normal") if h in heads), delay)
    out: dict[str, Tensor] = {}
    if delay is not None:
        d = si(delay)
        out["mean_delay"] = d["mean_delay"]
        out["jitter"] = d["jitter"] if jitter is None or jitter == delay else si(jitter)["jitter"]
    if loss is not None:
        out.update(si(loss))
    return out


@torch.no_grad()
def predict_batch(
    net: RouteNetMultiHead,
    scaler: FeatureScaler,
    batch: GraphBatch,
    *,
    mc_samples: int = 0,
    generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """Predict every path of ``batch``; float64 tensors of shape (P,).

    Keys: ``mean_delay`` [s] and ``jitter`` [s²] (if the model has a delay head), ``loss_ratio`` (if
    it has a loss head). The point prediction uses the readout without dropout. With
    ``mc_samples > 0`` the readout is also run that many times with dropout on (the message-passing
    states are computed once: dropout acts only in the readout) and ``mean_delay_samples`` of shape
    (mc_samples, P) is added.
    """
    was_training = net.training
    net.eval()
    try:
        xp, xl = scaler.transform(batch)
        plan = RoutingPlan.from_batch(batch)
        states = net.encode(xp, xl, plan)
        scale, offset = delay_reference(batch, scaler.spec)
        ws = Workspace()
        out = _si(net, net.readout(states, sample=False, workspace=ws), scale, offset, scaler)
        if mc_samples > 0 and "mean_delay" in out:
            draws = [
                _si(net, net.readout(states, sample=True, generator=generator, workspace=ws), scale, offset,
                    scaler)["mean_delay"]
                for _ in range(mc_samples)
            ]
            out["mean_delay_samples"] = torch.stack(draws)
        return out
    finally:
        net.train(was_training)


def kpi_metrics(pairs: Iterable[tuple[dict[str, Tensor], GraphBatch]]) -> dict[str, Any]:
    """The paper's accuracy metrics over predictions and labelled batches (training's validation).

    Returns ``mre_delay``, ``mre_jitter`` (mean relative error |pred − true| / true over labelled
    paths), ``mre_loss`` (over paths with true loss ratio > 0), ``corr_loss`` (Pearson correlation of
    loss ratios, zero-loss paths included), ``mae_loss`` and the path counts used — computed by
    :class:`~kplane.routenet.Evaluation` (the metrics of ``kplane routenet evaluate``) under the
    names of the training log and the model card.
    """
    truth: dict[str, list[np.ndarray]] = {k: [] for k in ("mean_delay", "jitter", "loss_ratio")}
    pred: dict[str, list[np.ndarray]] = {k: [] for k in truth}
    heads = set()
    n_samples = 0
    for out, b in pairs:
        n_samples += b.n_samples
        nan = np.full(b.mean_delay.shape[0], np.nan)
        heads |= set(out) & set(truth)
        for k, mask in (("mean_delay", b.delay_mask), ("jitter", b.jitter_mask),
                        ("loss_ratio", b.loss_mask & torch.isfinite(b.loss_ratio))):
            truth[k].append(np.where(mask.numpy(), getattr(b, k).numpy(), np.nan))
            pred[k].append(out[k].numpy() if k in out else nan)
    labels = {k: np.concatenate(v) for k, v in truth.items()}
    labels["dropped"] = np.full(labels["mean_delay"].size, np.nan)  # loss ratio > 0 marks a lossy path
    predicted = {k: np.concatenate(v) for k, v in pred.items()}
    ev = Evaluation(truth=labels, predictions={"model": predicted}, n_samples=n_samples)
    m = ev.metrics()["model"]
    res: dict[str, Any] = {}
    if "mean_delay" in heads:
        res.update(mre_delay=m["delay_mre"], mre_jitter=m["jitter_mre"], n_delay_paths=m["delay_paths"])
    if "loss_ratio" in heads:
        res.update(mre_loss=m["drops_mre"], mae_loss=m["loss_mae"], corr_loss=m["loss_corr"],
                   n_loss_paths=m["loss_paths"], n_lossy_paths=m["drops_paths"])
    return res
