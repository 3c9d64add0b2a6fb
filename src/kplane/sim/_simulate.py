"""`simulate`: run one scenario through the kernel and turn its accumulators into KPIs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network import PERCENTILE_LEVELS, PathKPIs, Scenario
from kplane.sim._build import SimArrays, build_arrays, check_run_parameters
from kplane.sim._result import LinkStats, SimResult
from kplane.sim._stats import N_STATS, batch_means_ci, flushed_batches, histogram_percentiles

__all__ = ["simulate"]

ProgressFn = Callable[[float], None]


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


class _Run:
    """Kernel state for one scenario: every array is allocated here, once."""

    def __init__(self, a: SimArrays, *, duration: float, warmup: float, seed: int, n_batches: int,
                 independent_sizes: bool = False) -> None:
        from kplane.sim._clock import clock_new
        from kplane.sim._rng import rng_state

        m, p = a.n_links, a.n_paths
        self.a = a
        self.duration, self.warmup, self.n_batches = duration, warmup, n_batches
        self.independent_sizes = bool(independent_sizes)
        self.rng = rng_state(seed)
        self.istate = np.zeros(6, dtype=np.int64)
        self.fstate = np.zeros(2)
        self.htime, self.hseq, self.hsrc, self.hstate = clock_new(m)
        self.dep_buf = np.zeros(max(int(a.dep_off[-1]), 1))
        self.dep_head = np.zeros(m, dtype=np.int64)
        self.dep_len = np.zeros(m, dtype=np.int64)
        self.last_dep = np.zeros(m)
        n_fwd = max(int(a.fwd_off[-1]), 1)
        self.fwd_time = np.zeros(n_fwd)
        self.fwd_path = np.zeros(n_fwd, dtype=np.int64)
        self.fwd_hop = np.zeros(n_fwd, dtype=np.int64)
        self.fwd_birth = np.zeros(n_fwd)
        self.fwd_size = np.zeros(n_fwd)
        self.fwd_head = np.zeros(m, dtype=np.int64)
        self.fwd_len = np.zeros(m, dtype=np.int64)
        self.occ_area = np.zeros(m)
        self.busy_area = np.zeros(m)
        self.link_arr = np.zeros(m, dtype=np.int64)
        self.link_drop = np.zeros(m, dtype=np.int64)
        self.link_max = np.zeros(m, dtype=np.int64)
        self.p_gen = np.zeros(p, dtype=np.int64)
        self.p_drop = np.zeros(p, dtype=np.int64)
        self.p_stats = np.zeros((p, N_STATS))
        self.p_stats[:, 4] = np.inf
        self.p_stats[:, 5] = -np.inf
        self.p_batch = np.zeros(p, dtype=np.int64)
        self.hist = np.zeros(p * a.n_bins, dtype=np.uint16)
        self.spill = np.zeros(p * a.n_bins, dtype=np.int64)  # calloc'd: pages stay untouched unless used
        self.b_sum = np.zeros(p * n_batches)
        self.b_cnt = np.zeros(p * n_batches, dtype=np.int64)
        self.fstate[1] = np.inf
        if np.isfinite(a.inv_total_rate):
            from kplane.sim._rng import rng_exponential

            self.fstate[1] = rng_exponential(self.rng) * a.inv_total_rate

    def step(self, until: float) -> bool:
        """Advance to simulated time ``until``; True when the run is complete."""
        from kplane.sim._kernel import run_kernel

        a = self
        s = self.a
        return bool(run_kernel(
            until, self.warmup, self.duration, self.n_batches / (self.duration - self.warmup),
            self.n_batches, s.n_bins, self.independent_sizes,
            s.inv_cap, s.prop, s.kcap, s.dep_off, s.fwd_off,
            s.path_off, s.path_links, s.path_class, s.path_ref, s.path_loglo, s.path_inv_w,
            s.flow_path, s.flow_prob, s.flow_alias, s.inv_total_rate,
            s.size_off, s.size_val, s.size_prob, s.size_alias,
            a.rng, a.istate, a.fstate, a.htime, a.hseq, a.hsrc, a.hstate,
            a.dep_buf, a.dep_head, a.dep_len, a.last_dep,
            a.fwd_time, a.fwd_path, a.fwd_hop, a.fwd_birth, a.fwd_size, a.fwd_head, a.fwd_len,
            a.occ_area, a.busy_area, a.link_arr, a.link_drop, a.link_max,
            a.p_gen, a.p_drop, a.p_stats, a.p_batch, a.hist, a.spill, a.b_sum, a.b_cnt,
        ))


def _kpis(run: _Run, scenario: Scenario) -> PathKPIs:
    a = run.a
    st = run.p_stats
    n = st[:, 0]
    drops = run.p_drop.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = st[:, 1] / n
        mean = a.path_ref + mean_x
        var = np.where(n > 1, (st[:, 2] - n * mean_x**2) / (n - 1), np.nan)
        var = np.where(np.isfinite(var), np.maximum(var, 0.0), np.nan)
        mlog = st[:, 3] / n
        offered = n + drops
        loss = np.where(offered > 0, drops / offered, np.nan)
    mean = np.where(n > 0, mean, np.nan)
    mlog = np.where(n > 0, mlog, np.nan)
    hist = (run.hist.astype(np.int64) + run.spill).reshape(a.n_paths, a.n_bins)
    pct = histogram_percentiles(hist, a.path_loglo, a.path_inv_w, st[:, 4], st[:, 5], PERCENTILE_LEVELS)
    ci = batch_means_ci(*flushed_batches(st, run.p_batch, run.b_sum, run.b_cnt, run.n_batches))
    return PathKPIs(
        pairs=scenario.routing.pairs,
        mean_delay=mean,
        jitter=var,
        loss_ratio=loss,
        mean_log_delay=mlog,
        percentiles=pct,
        delivered=n,
        dropped=drops,
        mean_delay_ci=ci,
        offered_rate=a.path_rate,
        node_names=scenario.topology.node_names,
        metadata={"model": "kplane.sim", "scenario": scenario.name},
    )


def _links(run: _Run) -> LinkStats:
    window = run.duration - run.warmup
    arr = run.link_arr.astype(np.float64)
    drops = run.link_drop.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = np.where(arr > 0, drops / arr, np.nan)
        busy_occ = np.where(run.busy_area > 0, run.occ_area / run.busy_area, np.nan)
    return LinkStats(
        utilisation=run.busy_area / window,
        loss_ratio=loss,
        mean_occupancy=run.occ_area / window,
        mean_busy_occupancy=busy_occ,
        max_occupancy=run.link_max.astype(np.float64),
        arrivals=arr,
        drops=drops,
    )


def simulate(
    scenario: Scenario,
    *,
    duration: float,
    warmup: float | None = None,
    seed: int = 0,
    n_batches: int = 30,
    percentile_resolution: float = 0.01,
    independent_sizes: bool = False,
    progress: ProgressFn | None = None,
) -> SimResult:
    """Simulate ``scenario`` packet by packet for ``duration`` seconds.

    Parameters
    ----------
    scenario : Scenario
        Topology (capacities, queue sizes, propagation delays), routing and Poisson traffic.
    duration : float
        Simulated time in seconds (the datanet "time units"), > ``warmup``.
    warmup : float, optional
        Seconds at the start excluded from every statistic; default ``duration / 20``.
    seed : int
        Same seed, same scenario, same parameters ⇒ identical result (in any process).
    n_batches : int
        Batches for the batch-means confidence interval of the mean delay.
    percentile_resolution : float
        Relative width of the delay-histogram bins (bound on the percentile error).
    independent_sizes : bool
        Draw a packet's size again at every hop (Kleinrock's independence assumption; with
        exponential sizes the network becomes a Jackson network). Default False: a packet keeps
        its size along its path, as in a real network.
    progress : callable, optional
        Called with the fraction of simulated time done, in [0, 1].

    Returns
    -------
    SimResult

    Raises
    ------
    InvalidParameterError
        Non-positive duration, ``duration <= warmup``, a bad seed.
    InvalidScenarioError
        Traffic over a link without capacity or without a path (checked before compilation).

    Examples
    --------
    >>> from kplane.network import Routing, Scenario, Topology, Traffic
    >>> topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=10e3)
    >>> sc = Scenario(topo, Routing.from_link_paths({(0, 1): [0]}),
    ...               Traffic(rate=[[0.0, 5e3], [0.0, 0.0]]))
    >>> res = simulate(sc, duration=200.0, seed=1)
    >>> bool(0.3 < res.links.utilisation[0] < 0.7)
    True
    """
    warmup_s = check_run_parameters(duration, warmup, n_batches, percentile_resolution)
    seed = _check_seed(seed)
    duration = float(duration)
    arrays = build_arrays(scenario, percentile_resolution=float(percentile_resolution))

    t0 = time.perf_counter()
    from kplane.sim import _kernel  # noqa: F401  (import = load or compile the kernel)

    run = _Run(arrays, duration=duration, warmup=warmup_s, seed=seed, n_batches=int(n_batches),
               independent_sizes=bool(independent_sizes))
    run.step(-1.0)  # first call compiles or loads the cached machine code
    compile_time = time.perf_counter() - t0

    t1 = time.perf_counter()
    c1 = time.process_time()
    n_chunks = 50 if progress is not None else 1
    done = False
    k = 0
    while not done:
        k += 1
        until = duration * k / n_chunks if k < n_chunks else np.inf
        done = run.step(until)
        if progress is not None:
            progress(min(1.0, float(run.fstate[0]) / duration) if not done else 1.0)
    wall = time.perf_counter() - t1
    cpu = time.process_time() - c1

    from kplane.sim._kernel import I_EVENTS, I_HOPS, I_PACKETS

    return SimResult(
        kpis=_kpis(run, scenario),
        links=_links(run),
        duration=duration,
        warmup=warmup_s,
        seed=seed,
        wall_time_s=wall,
        cpu_time_s=cpu,
        compile_time_s=compile_time,
        n_events=int(run.istate[I_EVENTS]),
        n_packets=int(run.istate[I_PACKETS]),
        n_hops=int(run.istate[I_HOPS]),
        metadata={"n_bins": arrays.n_bins, "n_batches": int(n_batches),
                  "percentile_resolution": float(percentile_resolution),
                  "independent_sizes": bool(independent_sizes)},
    )
