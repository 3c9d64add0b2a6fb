"""The traffic source: which path a new packet belongs to and how large it is (alias tables).

All flows' Poisson processes are merged into one of rate ``Λ = Σ a_p``; a new packet belongs to
path ``p`` with probability ``a_p / Λ``. Path choice and sizes use Walker alias tables
(:func:`kplane.sim._build.alias_table`): one uniform ``u`` in [0, n) picks ``i = floor(u)`` and
returns ``i`` if ``u − i < prob[i]``, else ``alias[i]`` — O(1) for any number of choices.
"""

from __future__ import annotations

from numba import njit

from kplane.sim._rng import rng_uniform

__all__ = ["draw_path", "draw_size"]


@njit(cache=True, inline="always")
def draw_path(rng, flow_path, flow_prob, flow_alias):
    """The path of a new packet."""
    u = rng_uniform(rng) * flow_path.shape[0]
    f = int(u)
    if u - f >= flow_prob[f]:
        f = flow_alias[f]
    return flow_path[f]


@njit(cache=True, inline="always")
def draw_size(rng, c, size_off, size_val, size_prob, size_alias):
    """A packet size (bits) from size distribution ``c``."""
    k0 = size_off[c]
    nk = size_off[c + 1] - k0
    if nk == 1:
        return size_val[k0]
    u = rng_uniform(rng) * nk
    j = int(u)
    if u - j >= size_prob[k0 + j]:
        j = size_alias[k0 + j]
    return size_val[k0 + j]
