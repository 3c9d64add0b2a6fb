"""Batched forward passes from a :class:`GraphBatch` to SI predictions, and the paper's metrics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from kplane.datasets import GraphBatch
from kplane.routenet._features import FeatureScaler, delay_reference
from kplane.routenet._heads import DELAY_HEADS, LOSS_HEADS, head_predict
from kplane.routenet._kernels import Workspace
from kplane.routenet._model import RouteNetMultiHead, RoutingPlan

__all__ = ["kpi_metrics", "predict_batch"]

Tensor = torch.Tensor


def _si(
    net: RouteNetMultiHead, raw: dict[str, Tensor], scale: Tensor, offset: Tensor, scaler: FeatureScaler
) -> dict[str, Tensor]:
    out: dict[str, Tensor] = {}
    for head in net.heads:
        if (head in DELAY_HEADS and "mean_delay" in out) or (head in LOSS_HEADS and "loss_ratio" in out):
            continue  # the first head of each kind reports
        out.update(head_predict(head, raw[head], scale, offset, scaler.delay_mean_, scaler.delay_std_))
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
    """The paper's accuracy metrics over predictions and labelled batches.

    Returns ``mre_delay``, ``mre_jitter`` (mean relative error |pred − true| / true over labelled
    paths), ``mre_loss`` (over paths with true loss ratio > 0), ``corr_loss`` (Pearson correlation of
    loss ratios, zero-loss paths included), ``mae_loss`` and the path counts used.
    """
    acc: dict[str, list[np.ndarray]] = {k: [] for k in ("d", "dt", "j", "jt", "l", "lt")}
    for pred, b in pairs:
        if "mean_delay" in pred:
            m = b.delay_mask
            acc["d"].append(pred["mean_delay"][m].numpy())
            acc["dt"].append(b.mean_delay[m].numpy())
            mj = b.jitter_mask & (b.jitter > 0)
            acc["j"].append(pred["jitter"][mj].numpy())
            acc["jt"].append(b.jitter[mj].numpy())
        if "loss_ratio" in pred:
            m = b.loss_mask & torch.isfinite(b.loss_ratio)
            acc["l"].append(pred["loss_ratio"][m].numpy())
            acc["lt"].append(b.loss_ratio[m].numpy())
    cat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in acc.items()}
    out: dict[str, Any] = {}

    def mre(p: np.ndarray, t: np.ndarray) -> float:
        return float(np.mean(np.abs(p - t) / t)) if t.size else float("nan")

    if cat["dt"].size:
        out["mre_delay"] = mre(cat["d"], cat["dt"])
        out["mre_jitter"] = mre(cat["j"], cat["jt"])
        out["n_delay_paths"] = int(cat["dt"].size)
    if cat["lt"].size:
        pos = cat["lt"] > 0
        out["mre_loss"] = mre(cat["l"][pos], cat["lt"][pos])
        out["mae_loss"] = float(np.mean(np.abs(cat["l"] - cat["lt"])))
        ok = cat["lt"].std() > 0 and cat["l"].std() > 0
        out["corr_loss"] = float(np.corrcoef(cat["l"], cat["lt"])[0, 1]) if ok else float("nan")
        out["n_loss_paths"] = int(cat["lt"].size)
        out["n_lossy_paths"] = int(pos.sum())
    return out
