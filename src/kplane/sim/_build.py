"""Turn a validated :class:`~kplane.network.Scenario` into the flat arrays the kernel runs on.

Everything here is plain numpy: validation errors surface before numba is imported or compiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError, InvalidScenarioError, UnsupportedError
from kplane.network import Scenario

__all__ = ["SimArrays", "build_arrays", "alias_table", "check_run_parameters", "MAX_PIPE_SLOTS"]

MAX_PIPE_SLOTS = 50_000_000
"""Upper bound on the packets that propagation pipes may hold (memory is reserved up front)."""


def alias_table(weights: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Walker/Vose alias table of a discrete distribution.

    Draw ``u`` uniform in [0, n): ``i = floor(u)``; return ``i`` if ``u - i < prob[i]``, else
    ``alias[i]``. Exact up to floating-point rounding of ``prob``.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    scaled = w * (n / w.sum())
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    for i in small + large:
        prob[i] = 1.0
    return prob, alias


def check_run_parameters(duration: Any, warmup: Any, n_batches: Any, percentile_resolution: Any) -> float:
    """Validate run-length parameters; return the effective warm-up in seconds."""
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"duration must be a number of seconds, got {duration!r}") from None
    if not np.isfinite(duration) or duration <= 0:
        raise InvalidParameterError(f"duration must be a finite number of seconds > 0, got {duration!r}")
    if warmup is None:
        warmup = duration / 20.0
    try:
        warmup = float(warmup)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"warmup must be a number of seconds, got {warmup!r}") from None
    if not np.isfinite(warmup) or warmup < 0:
        raise InvalidParameterError(f"warmup must be a finite number of seconds >= 0, got {warmup!r}")
    if duration <= warmup:
        raise InvalidParameterError(
            f"duration ({duration:g} s) must be longer than the warm-up ({warmup:g} s): "
            "nothing would be measured"
        )
    if isinstance(n_batches, bool) or not isinstance(n_batches, int | np.integer) or n_batches < 2:
        raise InvalidParameterError(f"n_batches must be an integer >= 2, got {n_batches!r}")
    try:
        res = float(percentile_resolution)
    except (TypeError, ValueError):
        res = float("nan")
    if not (0 < res <= 0.5):
        raise InvalidParameterError(
            f"percentile_resolution must be a relative bin width in (0, 0.5], got {percentile_resolution!r}"
        )
    return warmup


@dataclass
class SimArrays:
    """Static inputs of the kernel (see :func:`kplane.sim._kernel.run_kernel`)."""

    inv_cap: NDArray[np.float64]
    prop: NDArray[np.float64]
    kcap: NDArray[np.int64]
    dep_off: NDArray[np.int64]
    fwd_off: NDArray[np.int64]
    path_off: NDArray[np.int64]
    path_links: NDArray[np.int64]
    path_class: NDArray[np.int64]
    path_ref: NDArray[np.float64]
    path_loglo: NDArray[np.float64]
    path_inv_w: NDArray[np.float64]
    flow_path: NDArray[np.int64]
    flow_prob: NDArray[np.float64]
    flow_alias: NDArray[np.int64]
    inv_total_rate: float
    size_off: NDArray[np.int64]
    size_val: NDArray[np.float64]
    size_prob: NDArray[np.float64]
    size_alias: NDArray[np.int64]
    n_bins: int
    path_rate: NDArray[np.float64]
    path_pkt_rate: NDArray[np.float64]
    path_lo: NDArray[np.float64]
    path_hi: NDArray[np.float64]

    @property
    def n_links(self) -> int:
        """Number of links."""
        return int(self.inv_cap.shape[0])

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.path_off.shape[0] - 1)


def _check_scenario(scenario: Scenario) -> None:
    if not isinstance(scenario, Scenario):
        raise InvalidParameterError(f"expected a kplane.network.Scenario, got {type(scenario).__name__}")
    topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
    if traffic.arrival != "poisson":
        raise UnsupportedError(f"the simulator models Poisson arrivals only, got {traffic.arrival!r}")
    rate = scenario.path_rate()
    used = np.zeros(topo.n_links, dtype=bool)
    used[routing.link_ids[np.repeat(rate > 0, routing.hops)]] = True
    cap = topo.capacity
    bad = used & ~(np.isfinite(cap) & (cap > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidScenarioError(
            f"capacity of {topo.describe_link(i)} must be a finite number > 0 bit/s to carry traffic, "
            f"got {cap[i]!r}"
        )
    n = topo.n_nodes
    routed = np.zeros((n, n), dtype=bool)
    routed[routing.pairs[:, 0], routing.pairs[:, 1]] = True
    missing = (traffic.rate > 0) & ~routed
    if missing.any():
        s, d = (int(x) for x in np.argwhere(missing)[0])
        raise InvalidScenarioError(
            f"traffic {traffic.rate[s, d]:g} bit/s from {topo.node_names[s]} to {topo.node_names[d]} "
            "has no path in the routing (unroutable traffic)"
        )
    if not np.all(np.isfinite(rate)):
        raise InvalidScenarioError("traffic rates must be finite")


def build_arrays(scenario: Scenario, *, percentile_resolution: float = 0.01) -> SimArrays:
    """Flatten ``scenario`` for the kernel (validates what the simulator needs first).

    Raises
    ------
    InvalidScenarioError
        Zero or non-finite capacity on a link that carries traffic, traffic without a path.
    UnsupportedError
        A non-Poisson arrival process, or propagation pipes that would need too much memory.
    """
    _check_scenario(scenario)
    topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
    cap = topo.capacity.astype(np.float64)
    prop = topo.propagation_delay.astype(np.float64)
    kcap = topo.queue_size.astype(np.int64)

    dists = traffic.packet_sizes
    max_size = max(float(d.sizes.max()) for d in dists)
    min_size = min(float(d.sizes.min()) for d in dists)
    size_off = np.zeros(len(dists) + 1, dtype=np.int64)
    size_val, size_prob, size_alias = [], [], []
    for i, d in enumerate(dists):
        pr, al = alias_table(d.probs)
        size_val.append(d.sizes.astype(np.float64))
        size_prob.append(pr)
        size_alias.append(al)
        size_off[i + 1] = size_off[i] + d.sizes.shape[0]

    pairs = routing.pairs
    path_rate = traffic.rate[pairs[:, 0], pairs[:, 1]].astype(np.float64)
    path_class = traffic.size_class[pairs[:, 0], pairs[:, 1]].astype(np.int64)
    class_mean = np.array([d.mean for d in dists])
    class_min = np.array([float(d.sizes.min()) for d in dists])
    path_pkt_rate = path_rate / class_mean[path_class]

    # Exact delay bounds per path: the smallest is the own transmission (smallest size) plus
    # propagation; the largest waits behind K-1 largest packets at every hop.
    pid = routing.path_index()
    hop_links = routing.link_ids
    lo = np.bincount(pid, weights=class_min[path_class][pid] / cap[hop_links] + prop[hop_links],
                     minlength=routing.n_paths).astype(np.float64)
    hi = np.bincount(pid, weights=kcap[hop_links] * max_size / cap[hop_links] + prop[hop_links],
                     minlength=routing.n_paths).astype(np.float64)
    lo = np.maximum(lo, 1e-300)
    hi = np.maximum(hi, lo * (1.0 + percentile_resolution))
    log_ratio = np.log(hi) - np.log(lo)
    n_bins = int(np.ceil(log_ratio.max() / np.log1p(percentile_resolution))) if routing.n_paths else 1
    n_bins = max(n_bins, 1)
    inv_w = n_bins / log_ratio

    active = np.flatnonzero(path_rate > 0)
    if active.size:
        fprob, falias = alias_table(path_pkt_rate[active])
        inv_total = 1.0 / float(path_pkt_rate[active].sum())
    else:
        fprob, falias, inv_total = np.ones(1), np.zeros(1, dtype=np.int64), np.inf
        active = np.zeros(1, dtype=np.int64)

    dep_off = np.concatenate([[0], np.cumsum(kcap)]).astype(np.int64)
    # A forward ring holds the packets at the port (<= K_l) plus those on the wire: at most
    # ceil(d_l * c_l / smallest packet) + 1 (departures are one transmission time apart or more).
    pipe_cap = np.where(prop > 0, np.ceil(prop * cap / min_size) + 1, 0).astype(np.float64)
    if pipe_cap.sum() > MAX_PIPE_SLOTS:
        raise UnsupportedError(
            f"propagation delays × capacities need {pipe_cap.sum():.3g} in-flight packet slots "
            f"(more than {MAX_PIPE_SLOTS:.0e}); reduce propagation_delay or capacity"
        )
    fwd_off = np.concatenate([[0], np.cumsum(kcap + pipe_cap.astype(np.int64))]).astype(np.int64)

    return SimArrays(
        inv_cap=1.0 / cap,
        prop=prop,
        kcap=kcap,
        dep_off=dep_off,
        fwd_off=fwd_off,
        path_off=routing.offsets.astype(np.int64),
        path_links=routing.link_ids.astype(np.int64),
        path_class=path_class,
        path_ref=lo.copy(),
        path_loglo=np.log(lo),
        path_inv_w=inv_w,
        flow_path=active.astype(np.int64),
        flow_prob=fprob,
        flow_alias=falias,
        inv_total_rate=float(inv_total),
        size_off=size_off,
        size_val=np.concatenate(size_val),
        size_prob=np.concatenate(size_prob),
        size_alias=np.concatenate(size_alias).astype(np.int64),
        n_bins=n_bins,
        path_rate=path_rate,
        path_pkt_rate=path_pkt_rate,
        path_lo=lo,
        path_hi=hi,
    )
