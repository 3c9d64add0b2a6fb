r"""Output heads of RouteNet: distributions over per-path KPIs and their negative log-likelihoods.

Per path ``i`` with ``n_i`` delivered and ``l_i`` dropped packets, sample mean delay
:math:`\bar w_i`, (biased) sample delay variance :math:`s^2(w_i)` and mean log-delay
:math:`\overline{\log w}_i` (the sufficient statistics of the distributions below):

``"normal"`` (paper eq. 3–4)
    :math:`W_i \sim \mathcal N(\mu_i, \sigma_i)`, :math:`\sigma_i = \mathrm{softplus}(\hat y_{i1} + c)
    + 10^{-9}` with :math:`c = \log(\exp(0.098) - 1)` so that σ starts near 0.098;
    :math:`\ell = n_i\,[s^2(w_i)/(2\sigma_i^2) + (\bar w_i - \mu_i)^2/(2\sigma_i^2) + \log\sigma_i]`.
``"gamma"`` (paper Appendix A-B)
    :math:`W_i \sim \mathrm{Gamma}(\alpha_i, \beta_i)` (rate β), both softplus-positive;
    :math:`\ell = n_i\,[\log\Gamma(\alpha_i) + \beta_i \bar w_i + (1 - \alpha_i)\overline{\log w}_i
    - \alpha_i \log\beta_i]`; mean α/β, variance α/β².
``"jitter"`` (a variance head, used next to a delay head)
    :math:`v_i = \mathrm{softplus}(\hat y_i + c) + 10^{-12}`, the delay variance, with the Normal
    likelihood of the delays' deviations from their sample mean:
    :math:`\ell = n_i\,[s^2(w_i)/(2 v_i) + \tfrac12 \log v_i]`, whose optimum is :math:`v_i = s^2(w_i)`,
    the jitter label itself — unlike a Normal head's :math:`\sigma^2`, which also absorbs the error of
    its own mean, and a Gamma head's :math:`\alpha/\beta^2`, the variance of a likelihood (not moment) fit.
``"binomial"`` (paper eq. 5–6)
    :math:`L_i \sim \mathrm{Binomial}(n_i + l_i, p_i)`, :math:`p_i = \mathrm{sigmoid}(\hat y_i)`;
    :math:`\ell = -[l_i \log p_i + n_i \log(1 - p_i)]`.

Delays enter the heads dimensionless: ``y = (delay − offset) / scale`` per path (see
:func:`~kplane.routenet.delay_reference`), then the Normal head works on ``(y − m) / s`` and the Gamma
head on ``y / m`` with ``m``, ``s`` the training mean and std of ``y``; the jitter head's variance is in
units of ``(scale · m)²``. Each head's batch loss is the
packet-weighted mean of its per-packet NLL (``weighting="packets"``, the paper's weighting by ``n``
with the sum divided by the batch's packet count instead of 1e6, so that it does not depend on the
simulated time) or the plain per-path mean (``weighting="uniform"``). ``weighting="relative"``
weights the delay heads by packets and makes the Binomial loss scale-free: per path, the excess NLL over
its minimum (half the binomial deviance, ``(n + l)·KL(f ‖ p)`` with ``f = l / (n + l)``) divided by
``1 + (l + (n + l) p) / 2``, averaged over paths. Near the fit this is about half the squared
relative error of the drop count on every path (over 1 − f), whatever its loss ratio, so that paths
with 10 drops in 10⁵ packets weigh as much as paths with 10⁴; a path with no drop costs about its
predicted drop count while that is small (at most 2). Paths whose labels carry no packet counts are
left out of this loss (it needs counts); a batch without any falls back to ``"packets"``.

The jitter a model reports comes from its jitter head if it has one; else, when it has both a Gamma
and a Normal head, from the Normal head (the Gamma head reports the mean delay): the Normal
likelihood's optimum ``σ² = s²(w) + (w̄ − μ)²`` is a second moment, whereas the Gamma fit of
``(w̄, \overline{\log w})`` does not match the variance of delays that are not Gamma-distributed
(queueing delays have an atom at zero waiting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kplane.datasets import GraphBatch
from kplane.errors import InvalidParameterError
from kplane.routenet._features import FeatureScaler, delay_reference

__all__ = [
    "DELAY_HEADS",
    "HEADS",
    "HEAD_OUTPUTS",
    "JITTER_HEADS",
    "HeadTargets",
    "LOSS_HEADS",
    "SIGMA_INIT",
    "WEIGHTINGS",
    "binomial_nll",
    "gamma_nll",
    "gamma_params",
    "head_loss",
    "head_predict",
    "make_targets",
    "normal_nll",
    "normal_params",
    "variance_nll",
    "variance_params",
]

Tensor = torch.Tensor

HEAD_OUTPUTS: dict[str, int] = {"normal": 2, "gamma": 2, "jitter": 1, "binomial": 1}
"""Raw outputs each head reads from the network."""
HEADS = tuple(HEAD_OUTPUTS)
DELAY_HEADS = ("normal", "gamma")
JITTER_HEADS = ("jitter",)
LOSS_HEADS = ("binomial",)
WEIGHTINGS = ("packets", "uniform", "relative")

SIGMA_INIT = 0.098
"""Initial σ of the Normal head (the public RouteNet code's value)."""
_SIGMA_SHIFT = math.log(math.expm1(SIGMA_INIT))
_GAMMA_SHIFT = math.log(math.expm1(2.0))  # α and β start near 2: mean 1, the scale of y / m
_VAR_SHIFT = math.log(math.expm1(1.0))  # the jitter head's variance starts near 1 (units (scale·m)²)


def normal_params(raw: Tensor) -> tuple[Tensor, Tensor]:
    """``(mu, sigma)`` from raw outputs of shape (P, 2)."""
    return raw[:, 0], F.softplus(raw[:, 1] + _SIGMA_SHIFT) + 1e-9


def gamma_params(raw: Tensor) -> tuple[Tensor, Tensor]:
    """``(alpha, beta)`` (shape, rate) from raw outputs of shape (P, 2)."""
    return F.softplus(raw[:, 0] + _GAMMA_SHIFT) + 1e-6, F.softplus(raw[:, 1] + _GAMMA_SHIFT) + 1e-6


def variance_params(raw: Tensor) -> Tensor:
    """Variance ``v`` of the jitter head from raw outputs of shape (P, 1)."""
    return F.softplus(raw[:, 0] + _VAR_SHIFT) + 1e-12


def variance_nll(v: Tensor, var: Tensor, n: Tensor | float = 1.0) -> Tensor:
    """Normal NLL of deviations (sample variance ``var``) from their own mean: ``n [var/(2v) + ½ log v]``."""
    return n * (var / (2 * v) + 0.5 * torch.log(v))


def normal_nll(mu: Tensor, sigma: Tensor, mean: Tensor, var: Tensor, n: Tensor | float = 1.0) -> Tensor:
    """Normal NLL from sufficient statistics (eq. 4), without the constant ``n/2 log 2π``.

    Parameters
    ----------
    mu, sigma : Tensor of shape (P,)
        Predicted mean and standard deviation.
    mean, var : Tensor of shape (P,)
        Sample mean and biased sample variance of the ``n`` observations.
    n : Tensor of shape (P,) or float
        Number of observations.
    """
    return n * (var / (2 * sigma**2) + (mean - mu) ** 2 / (2 * sigma**2) + torch.log(sigma))


def gamma_nll(alpha: Tensor, beta: Tensor, mean: Tensor, mean_log: Tensor, n: Tensor | float = 1.0) -> Tensor:
    """Gamma NLL from sufficient statistics (Appendix A-B): exact, ``-sum_j log f(w_j)``.

    ``mean`` is the sample mean, ``mean_log`` the sample mean of ``log w``; β is the rate.
    """
    return n * (torch.lgamma(alpha) + beta * mean + (1 - alpha) * mean_log - alpha * torch.log(beta))


def binomial_nll(logit: Tensor, dropped: Tensor, delivered: Tensor) -> Tensor:
    """Binomial NLL without the binomial coefficient (eq. 6): ``-[l log p + n log(1 - p)]``."""
    return -(dropped * F.logsigmoid(logit) + delivered * F.logsigmoid(-logit))


@dataclass(frozen=True, eq=False)
class HeadTargets:
    """Dimensionless per-path targets of one batch (float64, shape (P,) each)."""

    y_mean: Tensor  # normalised mean delay y
    y_var: Tensor  # normalised delay variance
    y_mean_log: Tensor  # mean of log y (only where the offset is 0)
    delivered: Tensor  # packet counts, NaN unknown
    dropped: Tensor
    loss_ratio: Tensor
    delay_mask: Tensor
    jitter_mask: Tensor
    log_mask: Tensor
    loss_mask: Tensor
    delay_mean: float  # training mean m of y
    delay_std: float  # training std s of y


def make_targets(batch: GraphBatch, scaler: FeatureScaler) -> HeadTargets:
    """Normalise a labelled batch's targets with the scaler's delay reference."""
    scale, offset = delay_reference(batch, scaler.spec)
    y = (batch.mean_delay - offset) / scale
    # The mean of log(w - offset) cannot be recovered from the mean of log w when offset > 0.
    log_mask = batch.log_delay_mask & (offset == 0)
    return HeadTargets(
        y_mean=y,
        y_var=batch.jitter / scale**2,
        y_mean_log=batch.mean_log_delay - torch.log(scale),
        delivered=batch.delivered,
        dropped=batch.dropped,
        loss_ratio=batch.loss_ratio,
        delay_mask=batch.delay_mask & (y > 0),
        jitter_mask=batch.jitter_mask & (y > 0),
        log_mask=log_mask & (y > 0),
        loss_mask=batch.loss_mask,
        delay_mean=scaler.delay_mean_,
        delay_std=scaler.delay_std_,
    )


def _weighted_mean(nll: Tensor, counts: Tensor, mask: Tensor, weighting: str) -> Tensor:
    """Packet-weighted (Σ n ℓ / Σ n) or plain mean of per-packet NLL ``nll`` over ``mask``."""
    if not bool(mask.any()):
        return nll.sum() * 0.0
    nll, counts = nll[mask], counts[mask]
    by_packets = weighting in ("packets", "relative")
    if by_packets and bool(torch.isfinite(counts).all()) and float(counts.sum()) > 0:
        return (counts * nll).sum() / counts.sum()
    return nll.mean()


def _relative_binomial(nll: Tensor, logit: Tensor, frac: Tensor, total: Tensor, mask: Tensor) -> Tensor:
    """Binomial excess NLL per path divided by ``1 + (observed + predicted drops) / 2``, path mean."""
    nll, logit, frac, total = nll[mask], logit[mask], frac[mask], total[mask]
    entropy = -(torch.xlogy(frac, frac) + torch.xlogy(1.0 - frac, 1.0 - frac))
    excess = total * (nll - entropy).clamp(min=0.0)
    drops = (frac * total + total * torch.sigmoid(logit).detach()) / 2
    return (excess / (1.0 + drops)).mean()


def head_loss(head: str, raw: Tensor, t: HeadTargets, weighting: str = "packets") -> Tensor:
    """Batch loss of one head (a scalar), ``raw`` of shape (P, HEAD_OUTPUTS[head])."""
    if weighting not in WEIGHTINGS:
        raise InvalidParameterError(f"unknown loss weighting {weighting!r}; valid: {list(WEIGHTINGS)}")
    raw = raw.to(torch.float64)
    if head == "normal":
        mu, sigma = normal_params(raw)
        mask = t.delay_mask
        mean = (t.y_mean - t.delay_mean) / t.delay_std
        var = torch.where(t.jitter_mask, t.y_var, torch.zeros_like(t.y_var)) / t.delay_std**2
        nll = normal_nll(mu, sigma, torch.where(mask, mean, 0.0), var)
        return _weighted_mean(nll, t.delivered, mask, weighting)
    if head == "gamma":
        alpha, beta = gamma_params(raw)
        mask = t.log_mask
        z = torch.where(mask, t.y_mean / t.delay_mean, 1.0)
        zlog = torch.where(mask, t.y_mean_log - math.log(t.delay_mean), 0.0)
        nll = gamma_nll(alpha, beta, z, zlog)
        return _weighted_mean(nll, t.delivered, mask, weighting)
    if head == "jitter":
        v = variance_params(raw)
        mask = t.jitter_mask & t.delay_mask & (t.y_var > 0)
        nll = variance_nll(v, torch.where(mask, t.y_var / t.delay_mean**2, 1.0))
        return _weighted_mean(nll, t.delivered, mask, weighting)
    if head == "binomial":
        logit = raw[:, 0]
        total = t.delivered + t.dropped
        counts_ok = torch.isfinite(total) & (total > 0)
        frac = torch.where(counts_ok, t.dropped / torch.where(counts_ok, total, 1.0), t.loss_ratio)
        frac = torch.where(t.loss_mask, frac, 0.0)
        nll = binomial_nll(logit, frac, 1.0 - frac)
        if weighting == "relative" and bool((t.loss_mask & counts_ok).any()):
            return _relative_binomial(nll, logit, frac, total, t.loss_mask & counts_ok)
        return _weighted_mean(nll, total, t.loss_mask, weighting)
    raise InvalidParameterError(f"unknown head {head!r}; valid: {list(HEADS)}")


def head_predict(
    head: str, raw: Tensor, scale: Tensor, offset: Tensor, delay_mean: float, delay_std: float
) -> dict[str, Tensor]:
    """SI predictions of one head: ``mean_delay`` [s] and ``jitter`` [s²], or ``loss_ratio``.

    ``scale``, ``offset`` of shape (P,) from :func:`~kplane.routenet.delay_reference`.
    """
    raw = raw.to(torch.float64)
    if head == "normal":
        mu, sigma = normal_params(raw)
        y = (delay_mean + delay_std * mu).clamp(min=0.0)  # a mean delay below the offset is not physical
        return {"mean_delay": offset + scale * y, "jitter": (scale * delay_std * sigma) ** 2}
    if head == "gamma":
        alpha, beta = gamma_params(raw)
        unit = scale * delay_mean
        return {"mean_delay": offset + unit * alpha / beta, "jitter": unit**2 * alpha / beta**2}
    if head == "jitter":
        return {"jitter": (scale * delay_mean) ** 2 * variance_params(raw)}
    if head == "binomial":
        return {"loss_ratio": torch.sigmoid(raw[:, 0])}
    raise InvalidParameterError(f"unknown head {head!r}; valid: {list(HEADS)}")
