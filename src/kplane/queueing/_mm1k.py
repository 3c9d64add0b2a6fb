r"""Closed forms of the M/M/1/K queue, vectorised and safe at ρ = 1 and in overload.

An M/M/1/K queue (Poisson arrivals of rate λ, exponential service of rate μ, room for ``K``
packets *including the one in service*, ρ = λ/μ) has the truncated-geometric state distribution

.. math::

    \pi_n = \frac{\rho^n}{\sum_{j=0}^{K} \rho^j}, \qquad n = 0, \dots, K,

which holds for every ρ > 0 (ρ = 1 gives the uniform distribution 1/(K+1); ρ > 1 is fine because
the buffer is finite). By PASTA an arrival sees ``n`` packets with probability π_n:

- blocking probability :math:`P_b = \pi_K = (1-\rho)\rho^K / (1-\rho^{K+1})`;
- an accepted arrival that finds ``n < K`` packets leaves after ``n + 1`` exponential services,
  an Erlang(n+1, μ) sojourn, so with :math:`q_n = \pi_n / (1 - \pi_K)`

.. math::

    E[S] = \frac{1}{\mu}\sum_{n<K} (n+1) q_n, \qquad
    E[S^2] = \frac{1}{\mu^2}\sum_{n<K} (n+1)(n+2) q_n, \qquad
    \mathrm{Var}[S] = E[S^2] - E[S]^2 .

Everything is computed from the weights ``ρ^n`` scaled by their largest value (in log space), so
no power overflows and ρ = 1, ρ → 0 and ρ ≫ 1 need no special cases. Cost: O(n_links · max K).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["mm1k_blocking", "mm1k_sojourn"]


def mm1k_blocking(rho: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    """Blocking probability ``π_K`` of M/M/1/K queues.

    Parameters
    ----------
    rho : array-like of shape (n,)
        Offered load λ/μ, >= 0 (any value; overload allowed).
    k : array-like of shape (n,)
        System capacity in packets (the packet in service included), >= 1.

    Returns
    -------
    ndarray of shape (n,)
        In [0, 1): 0 at ρ = 0, 1/(K+1) at ρ = 1, → 1 − 1/ρ as ρ → ∞ with K large.

    Examples
    --------
    >>> [round(float(x), 6) for x in mm1k_blocking([0.5, 1.0, 2.0], [1, 1, 1])]
    [0.333333, 0.5, 0.666667]
    """
    rho = np.asarray(rho, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    out = np.zeros(np.broadcast(rho, k).shape)
    rho, k = np.broadcast_arrays(rho, k)
    pos = rho > 0
    r = rho[pos]
    kk = k[pos]
    # pi_K = 1 / sum_{j=0..K} r^(j-K) = 1 / sum_{i=0..K} (1/r)^i ; with x = 1/r:
    #   x != 1: (1 - x) / (1 - x^(K+1)),  written with expm1 so that x -> 1 is accurate.
    logx = -np.log(r)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        num = -np.expm1(logx)                  # 1 - x
        den = -np.expm1((kk + 1.0) * logx)     # 1 - x^(K+1)
        val = num / den
    near_one = np.abs(logx) < 1e-12
    val = np.where(near_one, 1.0 / (kk + 1.0), val)
    # x -> infinity (r -> 0): den -> -inf, val -> 0 ; x^(K+1) overflow gives -inf / nan safely
    val = np.where(np.isfinite(val), val, 0.0)
    out[pos] = np.clip(val, 0.0, 1.0)
    return out


def mm1k_sojourn(
    rho: ArrayLike, k: ArrayLike, mu: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and variance of the sojourn time (wait + service) of accepted packets.

    Parameters
    ----------
    rho : array-like of shape (n,)
        Offered load λ/μ, >= 0.
    k : array-like of shape (n,)
        System capacity in packets, >= 1.
    mu : array-like of shape (n,)
        Service rate in packets/s, > 0.

    Returns
    -------
    mean : ndarray of shape (n,)
        Seconds.
    var : ndarray of shape (n,)
        s².

    Examples
    --------
    >>> m, v = mm1k_sojourn([0.5], [1000], [1.0])   # ~ M/M/1: exponential with rate mu - lambda
    >>> round(float(m[0]), 6), round(float(v[0]), 6)
    (2.0, 4.0)
    """
    rho = np.atleast_1d(np.asarray(rho, dtype=np.float64))
    k = np.atleast_1d(np.asarray(k, dtype=np.int64))
    mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
    rho, k, mu = np.broadcast_arrays(rho, k, mu)
    kmax = int(k.max()) if k.size else 1
    n = np.arange(kmax, dtype=np.float64)[None, :]              # states an accepted arrival may see
    with np.errstate(divide="ignore"):
        logr = np.log(rho)[:, None]
    # log-weights n*log(rho) for n < K, -inf elsewhere; rho = 0 puts all mass on n = 0
    logw = np.where(np.isfinite(logr), n * np.where(np.isfinite(logr), logr, 0.0),
                    np.where(n == 0, 0.0, -np.inf))
    logw = np.where(n < k[:, None], logw, -np.inf)
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    q = w / w.sum(axis=1, keepdims=True)
    m1 = (q * (n + 1.0)).sum(axis=1)
    m2 = (q * (n + 1.0) * (n + 2.0)).sum(axis=1)
    mean = m1 / mu
    var = np.maximum(m2 - m1 * m1, 0.0) / (mu * mu)
    return mean, var
