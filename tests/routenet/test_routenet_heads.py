"""Head likelihoods against independent formulas (scipy, torch BCE) and their SI predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from kplane.datasets import collate
from kplane.errors import InvalidParameterError
from kplane.routenet import (
    FEATURE_SETS,
    SIGMA_INIT,
    FeatureScaler,
    binomial_nll,
    gamma_nll,
    gamma_params,
    head_loss,
    head_predict,
    make_targets,
    normal_nll,
    normal_params,
    variance_nll,
    variance_params,
)

T = torch.float64


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_nll_from_sufficient_statistics_equals_sum_of_logpdf(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.3, 0.05, size=257)
    mu, sigma = 0.28, 0.07
    mean, var = x.mean(), x.var()  # biased variance, as in eq. 4
    got = normal_nll(
        torch.tensor([mu], dtype=T),
        torch.tensor([sigma], dtype=T),
        torch.tensor([mean], dtype=T),
        torch.tensor([var], dtype=T),
        torch.tensor([x.size], dtype=T),
    )
    want = -stats.norm.logpdf(x, mu, sigma).sum() - x.size / 2 * math.log(2 * math.pi)
    assert got.item() == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize(("alpha", "beta"), [(2.0, 5.0), (0.7, 1.3), (9.0, 40.0)])
def test_gamma_nll_equals_sum_of_scipy_logpdf(alpha: float, beta: float) -> None:
    rng = np.random.default_rng(7)
    w = rng.gamma(3.0, 0.1, size=311)
    got = gamma_nll(
        torch.tensor([alpha], dtype=T),
        torch.tensor([beta], dtype=T),
        torch.tensor([w.mean()], dtype=T),
        torch.tensor([np.log(w).mean()], dtype=T),
        torch.tensor([w.size], dtype=T),
    )
    want = -stats.gamma.logpdf(w, a=alpha, scale=1.0 / beta).sum()
    assert got.item() == pytest.approx(want, rel=1e-10)


def test_binomial_nll_is_count_weighted_bce() -> None:
    logit = torch.tensor([-3.0, 0.2, 1.5, -8.0], dtype=T)
    dropped = torch.tensor([1.0, 30.0, 7.0, 0.0], dtype=T)
    delivered = torch.tensor([99.0, 20.0, 3.0, 1000.0], dtype=T)
    total = dropped + delivered
    bce = F.binary_cross_entropy_with_logits(logit, dropped / total, reduction="none") * total
    assert torch.allclose(binomial_nll(logit, dropped, delivered), bce, rtol=1e-12)
    # eq. 6 by hand for the first path
    p = 1 / (1 + math.exp(3.0))
    assert binomial_nll(logit, dropped, delivered)[0].item() == pytest.approx(
        -(math.log(p) + 99 * math.log(1 - p))
    )


def test_sigma_starts_near_public_code_value() -> None:
    _, sigma = normal_params(torch.zeros(3, 2))
    assert torch.allclose(sigma, torch.full((3,), SIGMA_INIT), atol=1e-6)
    alpha, beta = gamma_params(torch.zeros(1, 2))
    assert alpha.item() == pytest.approx(2.0, rel=1e-4) and beta.item() == pytest.approx(2.0, rel=1e-4)


def test_head_predict_maps_back_to_seconds() -> None:
    scale = torch.tensor([0.1, 0.2], dtype=T)
    offset = torch.tensor([0.0, 0.05], dtype=T)
    raw = torch.tensor([[0.5, 0.0], [-0.5, 0.0]], dtype=T)
    out = head_predict("normal", raw, scale, offset, delay_mean=3.0, delay_std=2.0)
    # y = m + s mu = 4 and 2; delay = offset + scale y; jitter = (scale s sigma)^2
    assert out["mean_delay"].tolist() == pytest.approx([0.4, 0.45])
    assert out["jitter"].tolist() == pytest.approx(
        [(0.1 * 2 * SIGMA_INIT) ** 2, (0.2 * 2 * SIGMA_INIT) ** 2], rel=1e-5
    )
    g = head_predict("gamma", torch.zeros(2, 2, dtype=T), scale, offset, delay_mean=3.0, delay_std=2.0)
    # alpha = beta = 2: mean 1, variance 1/2 in units of scale * m
    assert g["mean_delay"].tolist() == pytest.approx([0.3, 0.05 + 0.6], rel=1e-4)
    assert g["jitter"].tolist() == pytest.approx([0.3**2 / 2, 0.6**2 / 2], rel=1e-3)
    b = head_predict("binomial", torch.tensor([[0.0], [100.0]], dtype=T), scale, offset, 3.0, 2.0)
    assert b["loss_ratio"].tolist() == pytest.approx([0.5, 1.0])


def test_head_losses_on_a_batch(labelled) -> None:
    samples = labelled(3)
    batch = collate(samples)
    scaler = FeatureScaler(FEATURE_SETS["scale_free"]).fit([batch])
    t = make_targets(batch, scaler)
    p = batch.n_paths
    for head, width in (("normal", 2), ("gamma", 2), ("jitter", 1), ("binomial", 1)):
        raw = torch.zeros(p, width, requires_grad=True)
        for weighting in ("packets", "uniform", "relative"):
            loss = head_loss(head, raw, t, weighting)
            assert loss.ndim == 0 and torch.isfinite(loss)
        loss.backward()
        assert raw.grad is not None and torch.isfinite(raw.grad).all()
    # uniform weighting of the binomial head = plain mean of per-path BCE
    logit = torch.linspace(-3, 1, p, dtype=T)[:, None]
    frac = batch.dropped / (batch.dropped + batch.delivered)
    want = F.binary_cross_entropy_with_logits(logit[:, 0], frac)
    assert head_loss("binomial", logit, t, "uniform").item() == pytest.approx(want.item(), rel=1e-9)
    packets = batch.dropped + batch.delivered
    want_w = (
        F.binary_cross_entropy_with_logits(logit[:, 0], frac, reduction="none") * packets
    ).sum() / packets.sum()
    assert head_loss("binomial", logit, t, "packets").item() == pytest.approx(want_w.item(), rel=1e-9)


def test_unknown_head_and_weighting(labelled) -> None:
    batch = collate(labelled(1))
    t = make_targets(batch, FeatureScaler(FEATURE_SETS["paper"]).fit([batch]))
    with pytest.raises(InvalidParameterError, match="unknown head 'poisson'"):
        head_loss("poisson", torch.zeros(batch.n_paths, 1), t)
    with pytest.raises(InvalidParameterError, match="unknown loss weighting"):
        head_loss("normal", torch.zeros(batch.n_paths, 2), t, "cubic")


def test_variance_nll_is_minimised_by_the_sample_variance() -> None:
    var = torch.tensor([0.3, 2e-4, 7.0], dtype=T)
    v = torch.exp(torch.linspace(-12, 4, 4001, dtype=T))[:, None].expand(-1, 3)
    best = v[variance_nll(v, var.expand_as(v)).argmin(dim=0), torch.arange(3)]
    assert best.tolist() == pytest.approx(var.tolist(), rel=5e-3)
    assert float(variance_params(torch.zeros(1, 1, dtype=T))[0]) == pytest.approx(1.0)


def test_jitter_head_reports_the_jitter_in_seconds_squared() -> None:
    scale = torch.tensor([0.1, 0.2], dtype=T)
    out = head_predict("jitter", torch.zeros(2, 1, dtype=T), scale, torch.zeros(2, dtype=T), 3.0, 2.0)
    assert out["jitter"].tolist() == pytest.approx([0.3**2, 0.6**2], rel=1e-9)  # v = 1 in (scale·m)²


def test_relative_binomial_weighs_small_and_large_loss_alike(labelled) -> None:
    batch = collate(labelled(3, intensity=3.0))
    t = make_targets(batch, FeatureScaler(FEATURE_SETS["scale_free"]).fit([batch]))
    total = (batch.dropped + batch.delivered).to(T)
    frac = (batch.dropped / total).to(T)
    exact = torch.logit(frac.clamp(1e-300, 1 - 1e-12))
    assert head_loss("binomial", exact[:, None], t, "relative").item() < 1e-9  # the observed ratios
    # 10% more drops on the paths with >= 100 drops: about half the squared relative error each, over
    # 1 - f (binomial variance) and 1.05 (the predicted drops in the denominator), whatever the ratio
    big = batch.dropped >= 100
    assert big.sum() >= 3 and float(frac[big].max() / frac[big].min()) > 10
    over = torch.where(big, torch.logit((1.1 * frac).clamp(1e-300, 1 - 1e-12)), exact)[:, None]
    n_paths = int((t.loss_mask & torch.isfinite(total) & (total > 0)).sum())
    per_path = head_loss("binomial", over, t, "relative").item() * n_paths / int(big.sum())
    assert per_path == pytest.approx(float((0.005 / 1.05 / (1 - frac[big])).mean()), rel=0.1)


def test_jitter_head_needs_a_delay_head() -> None:
    from kplane.routenet import RouteNetMultiHead

    with pytest.raises(InvalidParameterError, match="jitter head needs a delay head"):
        RouteNetMultiHead(heads=[["jitter", "binomial"]], path_features=4, link_features=4)
    net = RouteNetMultiHead(heads=[["gamma", "jitter"]], path_features=4, link_features=4)
    assert net.heads == ("gamma", "jitter")
