"""`Simulator`: the simulator as a :class:`~kplane.network.PerformanceModel`, over a process pool."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import fields
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, Scenario
from kplane.sim._build import build_arrays, check_run_parameters
from kplane.sim._result import LinkStats, SimResult
from kplane.sim._simulate import _check_seed, simulate

__all__ = ["Simulator"]

ProgressFn = Callable[[float, int], None]


def _to_payload(res: SimResult) -> dict[str, Any]:
    """A picklable form of a result (the domain objects hold mapping proxies)."""
    k = res.kpis
    kp = {f.name: getattr(k, f.name) for f in fields(k) if f.name not in ("metadata", "node_names")}
    kp["metadata"] = dict(k.metadata)
    lk = {f.name: getattr(res.links, f.name) for f in fields(res.links)}
    rest = {f.name: getattr(res, f.name) for f in fields(res) if f.name not in ("kpis", "links", "metadata")}
    return {"kpis": kp, "links": lk, "run": rest, "metadata": dict(res.metadata)}


def _from_payload(payload: dict[str, Any], scenario: Scenario) -> SimResult:
    kpis = PathKPIs(node_names=scenario.topology.node_names, **payload["kpis"])
    return SimResult(kpis=kpis, links=LinkStats(**payload["links"]), metadata=payload["metadata"],
                     **payload["run"])


def _worker(scenario_dict: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    from kplane.network.io import scenario_from_dict

    return _to_payload(simulate(scenario_from_dict(scenario_dict), **kwargs))


class Simulator:
    """Packet-level simulation as a performance model: ``predict(scenarios) -> list[PathKPIs]``.

    Parameters
    ----------
    duration : float
        Simulated seconds per scenario.
    warmup : float, optional
        Seconds excluded from statistics; default ``duration / 20``.
    seed : int or sequence of int
        One seed for every scenario (common random numbers: the comparison of two routings is
        not blurred by different random streams), or one seed per scenario. The same seed gives
        the same result as :func:`~kplane.sim.simulate`, in any process.
    n_jobs : int
        Worker processes (``-1``: one per CPU). Workers are started with the ``spawn`` method and
        load the compiled kernel from numba's on-disk cache.
    n_batches : int
        Batches for the batch-means confidence interval of the mean delay.
    percentile_resolution : float
        Relative width of the delay-histogram bins (bound on the percentile error).

    Examples
    --------
    >>> from kplane.network import Routing, Scenario, Topology, Traffic
    >>> topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=10e3)
    >>> sc = Scenario(topo, Routing.from_link_paths({(0, 1): [0]}),
    ...               Traffic(rate=[[0.0, 5e3], [0.0, 0.0]]))
    >>> kpis = Simulator(duration=100.0, seed=3).predict([sc])[0]
    >>> kpis.n_paths
    1
    """

    def __init__(
        self,
        *,
        duration: float,
        warmup: float | None = None,
        seed: int | Sequence[int] = 0,
        n_jobs: int = 1,
        n_batches: int = 30,
        percentile_resolution: float = 0.01,
    ) -> None:
        self.duration = duration
        self.warmup = warmup
        self.seed = seed
        self.n_jobs = n_jobs
        self.n_batches = n_batches
        self.percentile_resolution = percentile_resolution

    def _seeds(self, n: int) -> list[int]:
        if isinstance(self.seed, Sequence) and not isinstance(self.seed, str):
            seeds = [_check_seed(s) for s in self.seed]
            if len(seeds) != n:
                raise InvalidParameterError(f"seed lists {len(seeds)} seeds for {n} scenarios")
            return seeds
        return [_check_seed(self.seed)] * n

    def _workers(self, n: int) -> int:
        nj = self.n_jobs
        if isinstance(nj, bool) or not isinstance(nj, int | np.integer) or nj == 0 or nj < -1:
            raise InvalidParameterError(f"n_jobs must be a positive integer or -1, got {nj!r}")
        if nj == -1:
            nj = os.cpu_count() or 1
        return max(1, min(int(nj), n))

    def run(self, scenarios: Sequence[Scenario], progress: ProgressFn | None = None) -> list[SimResult]:
        """Simulate every scenario; results in input order.

        Parameters
        ----------
        scenarios : sequence of Scenario
        progress : callable, optional
            ``progress(done, total)`` with ``done`` the (possibly fractional) number of scenarios
            finished so far.

        Raises
        ------
        InvalidParameterError, InvalidScenarioError
            Checked for every scenario before any simulation starts or any code is compiled.
        """
        scenarios = list(scenarios)
        check_run_parameters(self.duration, self.warmup, self.n_batches, self.percentile_resolution)
        seeds = self._seeds(len(scenarios))
        for sc in scenarios:
            build_arrays(sc, percentile_resolution=float(self.percentile_resolution))
        workers = self._workers(len(scenarios)) if scenarios else 1
        kw: dict[str, Any] = {"duration": self.duration, "warmup": self.warmup, "n_batches": self.n_batches,
              "percentile_resolution": self.percentile_resolution}
        n = len(scenarios)
        if workers == 1:
            out = []
            for i, (sc, s) in enumerate(zip(scenarios, seeds, strict=True)):
                cb = None if progress is None else (lambda f, i=i: progress(i + f, n))
                out.append(simulate(sc, seed=s, progress=cb, **kw))
            return out
        from kplane.network.io import scenario_to_dict

        results: list[SimResult | None] = [None] * n
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_worker, scenario_to_dict(sc), {**kw, "seed": s}): i
                       for i, (sc, s) in enumerate(zip(scenarios, seeds, strict=True))}
            done = 0
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = _from_payload(fut.result(), scenarios[i])
                done += 1
                if progress is not None:
                    progress(float(done), n)
        return [r for r in results if r is not None]

    def predict(self, scenarios: Sequence[Scenario]) -> list[PathKPIs]:
        """Per-path KPIs of every scenario (see :meth:`run`)."""
        return [r.kpis for r in self.run(scenarios)]

    def __repr__(self) -> str:
        return (f"Simulator(duration={self.duration!r}, warmup={self.warmup!r}, seed={self.seed!r}, "
                f"n_jobs={self.n_jobs!r})")
