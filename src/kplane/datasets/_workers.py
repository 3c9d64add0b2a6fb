"""The job function and the backends that run it: in this process, a local process pool, or Ray.

Every backend runs the same :func:`run_job` (build the scenario, simulate it, make the shard row) and
yields :class:`JobResult` (or :class:`JobFailure`) items as they finish, in any order. Jobs are
submitted a few at a time (a bounded window), so a plan of any size costs little memory, and the spec
travels to each worker once (the pool's initializer, ``ray.put``), not with every job.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from kplane.datasets._jobs import Job
from kplane.datasets._rows import sample_to_row
from kplane.datasets._scenarios import build_scenario
from kplane.datasets._spec import DatasetSpec
from kplane.errors import InvalidParameterError, UnsupportedError

__all__ = ["RUNNERS", "JobFailure", "JobResult", "run_job"]


@dataclass(frozen=True)
class JobResult:
    """What a worker returns for one job: the shard row and where its time went (seconds)."""

    sample_id: int
    row: dict[str, Any]
    build_s: float
    sim_s: float
    row_s: float


@dataclass(frozen=True)
class JobFailure:
    """A job that raised: enough to report it in the driver (exceptions may not pickle)."""

    sample_id: int
    error: str
    message: str


def run_job(spec: DatasetSpec, job: Job) -> JobResult:
    """Build the job's scenario, simulate it and return its shard row (the function every backend runs)."""
    from kplane.sim import simulate

    t0 = time.perf_counter()
    scenario = build_scenario(spec, job)
    t1 = time.perf_counter()
    res = simulate(
        scenario, duration=spec.simulation.duration, warmup=spec.simulation.warmup, seed=job.sim_seed
    )
    t2 = time.perf_counter()
    ls = res.links
    links = {
        "utilisation": ls.utilisation,
        "loss_ratio": ls.loss_ratio,
        "mean_occupancy": ls.mean_occupancy,
        "mean_busy_occupancy": ls.mean_busy_occupancy,
        "arrivals": ls.arrivals,
        "drops": ls.drops,
    }
    row = sample_to_row(
        scenario,
        res.kpis,
        links,
        info={
            "sample_id": job.sample_id,
            "split": spec.topologies[job.entry].split,
            "topology_entry": job.entry,
            "topology_instance": job.instance,
            "routing_variant": job.routing_variant,
            "intensity": scenario.metadata["intensity"],
            "traffic_seed": job.traffic_seed,
            "sim_seed": job.sim_seed,
            "duration": spec.simulation.duration,
            "warmup": spec.simulation.warmup,
            "n_events": res.n_events,
            "n_packets": res.n_packets,
        },
    )
    t3 = time.perf_counter()
    return JobResult(job.sample_id, row, t1 - t0, t2 - t1, t3 - t2)


def _safe_run(spec: DatasetSpec, job: Job) -> JobResult | JobFailure:
    try:
        return run_job(spec, job)
    except Exception as exc:  # reported by the driver with the sample it belongs to
        return JobFailure(job.sample_id, type(exc).__name__, str(exc))


_WORKER_SPEC: DatasetSpec | None = None


def _init_worker(spec: DatasetSpec) -> None:
    import signal

    global _WORKER_SPEC
    _WORKER_SPEC = spec
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops the pool


def _worker_run(job: Job) -> JobResult | JobFailure:
    assert _WORKER_SPEC is not None
    return _safe_run(_WORKER_SPEC, job)


def _run_serial(
    spec: DatasetSpec, jobs: list[Job], workers: int, address: str | None
) -> Generator[Any, None, None]:
    for job in jobs:
        yield _safe_run(spec, job)


def _start_method() -> str:
    """``fork`` (workers inherit this process's loaded simulator and topologies) unless torch is loaded
    here — its thread pools do not survive a fork — then ``forkserver``, else ``spawn``."""
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    if "fork" in methods and "torch" not in sys.modules:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _warm_up(spec: DatasetSpec, jobs: list[Job]) -> None:
    """Load the simulator kernel and build the first topology instances the jobs need, in this process."""
    import numpy as np

    from kplane.datasets._scenarios import build_instance
    from kplane.network import Routing, Scenario, Topology, Traffic
    from kplane.sim import simulate

    topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=1e4)
    simulate(
        Scenario(topo, Routing.from_link_paths({(0, 1): [0]}), Traffic(rate=np.array([[0.0, 1e3], [0, 0]]))),
        duration=1.0,
        seed=0,
    )
    seen: list[tuple[int, int]] = []
    for job in jobs:
        key = (job.entry, job.instance)
        if key not in seen:
            seen.append(key)
            build_instance(spec, *key)
            if len(seen) >= 8:
                break


def _run_local(
    spec: DatasetSpec, jobs: list[Job], workers: int, address: str | None
) -> Generator[Any, None, None]:
    import multiprocessing as mp

    ctx = mp.get_context(_start_method())
    if ctx.get_start_method() == "fork":
        _warm_up(spec, jobs)  # the forked workers inherit the loaded kernel and the built topologies
    elif ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["kplane.datasets._workers", "kplane.sim"])
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(spec,)
    )
    pending: dict[Future[Any], Job] = {}
    it = iter(jobs)
    try:
        while True:
            try:
                while len(pending) < 4 * workers and (job := next(it, None)) is not None:
                    pending[pool.submit(_worker_run, job)] = job
            except BrokenProcessPool:
                pass  # reported below through the futures in flight
            if not pending:
                break
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: pending[f].sample_id):
                job = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    ids = sorted([job.sample_id, *(j.sample_id for j in pending.values())])
                    yield JobFailure(
                        ids[0],
                        "WorkerDied",
                        "a worker process died (out of memory?) while samples "
                        f"{', '.join(map(str, ids))} were running",
                    )
                    return
                except Exception as exc:  # an error outside run_job (e.g. pickling)
                    yield JobFailure(job.sample_id, type(exc).__name__, str(exc))
    finally:
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:  # do not wait for running samples after an interruption or an error
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=5)


def _run_ray(
    spec: DatasetSpec, jobs: list[Job], workers: int, address: str | None
) -> Generator[Any, None, None]:
    try:
        import ray
    except ImportError:
        raise UnsupportedError("the ray backend needs Ray: pip install 'kplane[ray]'") from None
    started = False
    if not ray.is_initialized():
        addr = address or os.environ.get("RAY_ADDRESS") or None
        kwargs: dict[str, Any] = {"address": addr, "ignore_reinit_error": True, "log_to_driver": False}
        if addr is None:
            kwargs["num_cpus"] = workers
        try:
            ray.init(**kwargs)
        except Exception as exc:  # a wrong address, an unreachable or incompatible cluster
            where = f"the Ray cluster at {addr!r}" if addr else "a local Ray instance"
            raise InvalidParameterError(f"cannot start or reach {where}: {exc}") from None
        started = True
    try:
        remote = ray.remote(num_cpus=1)(_safe_run)
        spec_ref = ray.put(spec)
        capacity = int(ray.cluster_resources().get("CPU", workers))
        window = 2 * max(1, capacity)
        it = iter(jobs)
        pending: list[Any] = []
        for job in it:
            pending.append(remote.remote(spec_ref, job))
            if len(pending) >= window:
                break
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for job in it:
                pending.append(remote.remote(spec_ref, job))
                break
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


RUNNERS = {"serial": _run_serial, "local": _run_local, "ray": _run_ray}
"""Backend name → runner ``(spec, jobs, workers, address) -> iterator of results``."""
