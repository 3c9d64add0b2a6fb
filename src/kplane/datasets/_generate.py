"""Generate a dataset from a spec: run the jobs (local process pool or Ray), write shards, resume.

The driver (this process) expands the spec into a plan (:mod:`kplane.datasets._jobs`), keeps the
shards a previous run finished (listed in the manifest *and* matching their sha256), and sends the
jobs of every other shard to the backend. Workers run :func:`run_job` — build the scenario, simulate
it, turn the result into a shard row — and the driver writes each shard as soon as all its samples
are back, then rewrites the manifest. Both writes are atomic, so an interrupted run (Ctrl-C, kill -9,
a lost node) leaves only whole shards and a manifest that lists exactly them; running the same
command again resumes.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kplane.datasets._jobs import Plan, expand
from kplane.datasets._manifest import save_manifest
from kplane.datasets._resume import (
    clean_temporaries,
    directory_lock,
    kept_shards,
    open_manifest,
    validate_spec_buildable,
)
from kplane.datasets._spec import DatasetSpec
from kplane.datasets._spec_parse import load_spec
from kplane.datasets._storage import shard_name, write_shard
from kplane.datasets._workers import RUNNERS, JobFailure, JobResult, run_job
from kplane.errors import InvalidParameterError, KplaneError, UnsupportedError

__all__ = ["BACKENDS", "GenerationReport", "Progress", "generate", "run_job"]

BACKENDS = ("local", "ray")


# ---------------------------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class Progress:
    """A progress update: samples done (kept ones included) of ``total``, rate and ETA of this run."""

    done: int
    total: int
    kept: int
    elapsed_s: float

    @property
    def samples_per_s(self) -> float:
        """Samples simulated per wall-clock second in this run."""
        new = self.done - self.kept
        return new / self.elapsed_s if self.elapsed_s > 0 and new > 0 else 0.0

    @property
    def eta_s(self) -> float:
        """Seconds left at the current rate (inf before the first sample)."""
        r = self.samples_per_s
        return (self.total - self.done) / r if r > 0 else float("inf")


@dataclass
class GenerationReport:
    """What :func:`generate` did.

    Attributes
    ----------
    out_dir : Path
    n_samples : int
        Samples in the (possibly truncated) plan, all present now.
    n_generated : int
        Samples simulated by this run.
    shards_kept, shards_written : int
    complete : bool
        Whether the dataset holds every sample of the spec (not truncated by ``max_samples``).
    wall_time_s : float
        Wall-clock time of this run.
    build_s, sim_s, row_s : float
        Worker seconds spent building scenarios, simulating and converting results to rows.
    write_s, manifest_s, verify_s : float
        Driver seconds spent serialising/hashing/writing shards, writing the manifest and checking
        kept shards.
    backend : str
    workers : int
    """

    out_dir: Path
    n_samples: int
    n_generated: int = 0
    shards_kept: int = 0
    shards_written: int = 0
    complete: bool = False
    wall_time_s: float = 0.0
    build_s: float = 0.0
    sim_s: float = 0.0
    row_s: float = 0.0
    write_s: float = 0.0
    manifest_s: float = 0.0
    verify_s: float = 0.0
    backend: str = "local"
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def samples_per_s(self) -> float:
        """Samples generated per wall-clock second (0 when nothing was generated)."""
        return self.n_generated / self.wall_time_s if self.wall_time_s > 0 and self.n_generated else 0.0

    @property
    def overhead_s(self) -> float:
        """Storage and bookkeeping: row conversion (per worker) + shard/manifest writes + checks."""
        return self.row_s / max(1, self.workers) + self.write_s + self.manifest_s + self.verify_s

    @property
    def overhead_share(self) -> float:
        """``overhead_s`` / ``wall_time_s``."""
        return self.overhead_s / self.wall_time_s if self.wall_time_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        keys = (
            "n_samples",
            "n_generated",
            "shards_kept",
            "shards_written",
            "complete",
            "wall_time_s",
            "build_s",
            "sim_s",
            "row_s",
            "write_s",
            "manifest_s",
            "verify_s",
            "backend",
            "workers",
        )
        d = {k: getattr(self, k) for k in keys}
        d.update(
            out_dir=str(self.out_dir),
            samples_per_s=self.samples_per_s,
            overhead_s=self.overhead_s,
            overhead_share=self.overhead_share,
        )
        return d


# ---------------------------------------------------------------------------------------------- driver
def generate(
    spec: DatasetSpec | str | Path,
    out_dir: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    max_samples: int | None = None,
    ray_address: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> GenerationReport:
    """Generate (or resume generating) the dataset described by ``spec`` into ``out_dir``.

    Parameters
    ----------
    spec : DatasetSpec, str or Path
        A spec, a spec file, or the name of a shipped spec (see :func:`kplane.datasets.list_specs`).
    out_dir : str or Path
        Created if needed. If it already holds shards of the same spec, finished shards whose hash
        matches the manifest are kept and only the missing or corrupted ones are generated.
    backend : {"local", "ray"}
        ``local``: a process pool on this machine (``workers`` processes; ``workers=1`` runs in this
        process). ``ray``: the same job function as Ray tasks; connects to ``ray_address`` or
        ``$RAY_ADDRESS``, else starts a local Ray instance with ``workers`` CPUs.
    workers : int, optional
        Parallel workers; default the number of CPUs.
    max_samples : int, optional
        Generate only the first ``max_samples`` samples of the plan (a balanced subset).
    ray_address : str, optional
        Address passed to ``ray.init`` (e.g. ``"auto"`` or ``"ray://head:10001"``).
    progress : callable, optional
        Called with a :class:`Progress` after the initial check and after every sample.

    Returns
    -------
    GenerationReport

    Raises
    ------
    FormatError
        If the spec is invalid (before any job starts; the message names the field).
    InvalidParameterError
        Bad backend/workers, or ``out_dir`` holds a dataset of another spec or is being written.
    UnsupportedError
        ``backend="ray"`` without Ray installed.
    KplaneError
        If a job fails (the shards finished before it are kept).
    """
    t_start = time.perf_counter()
    spec = load_spec(spec)
    if backend not in BACKENDS:
        raise InvalidParameterError(f"backend {backend!r} is not valid; valid: {', '.join(BACKENDS)}")
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError(f"workers must be a whole number >= 1, got {workers!r}")
    if backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UnsupportedError("the ray backend needs Ray: pip install 'kplane[ray]'") from None
    plan = expand(spec, max_samples)
    validate_spec_buildable(spec)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = GenerationReport(out_dir=out, n_samples=plan.n_samples, backend=backend, workers=workers)
    with directory_lock(out):
        clean_temporaries(out)
        manifest = open_manifest(out, spec)
        kept, report.verify_s = kept_shards(out, manifest, plan)
        manifest["shards"] = list(kept.values())
        todo = [k for k in range(plan.n_shards) if k not in kept]
        report.shards_kept = plan.n_shards - len(todo)
        kept_samples = sum(len(plan.shard_range(k)) for k in range(plan.n_shards) if k in kept)
        run_info: dict[str, Any] = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "backend": backend,
            "workers": workers,
            "python": sys.version.split()[0],
            "max_samples": max_samples,
        }
        manifest["runs"] = [*manifest.get("runs", []), run_info]
        manifest["complete"] = False
        t0 = time.perf_counter()
        save_manifest(out, manifest)  # the spec is recorded before the first job starts
        report.manifest_s += time.perf_counter() - t0
        t_run = time.perf_counter()

        def tick(done: int) -> None:
            if progress is not None:
                progress(
                    Progress(
                        done=done,
                        total=plan.n_samples,
                        kept=kept_samples,
                        elapsed_s=time.perf_counter() - t_run,
                    )
                )

        tick(kept_samples)
        jobs = [j for k in todo for j in plan.jobs(k)]
        kind = backend if backend == "ray" else ("serial" if workers == 1 or len(jobs) <= 1 else "local")
        runner = RUNNERS["serial" if not jobs else kind]
        pending: dict[int, dict[int, JobResult]] = {k: {} for k in todo}
        done = kept_samples
        results = runner(spec, jobs, workers, ray_address)
        try:
            for item in results:
                if isinstance(item, JobFailure):
                    job = plan.job(item.sample_id)
                    raise KplaneError(
                        f"sample {item.sample_id} ({spec.topologies[job.entry].describe()}, routing variant "
                        f"{job.routing_variant}) failed: {item.error}: {item.message}"
                    )
                report.build_s += item.build_s
                report.sim_s += item.sim_s
                report.row_s += item.row_s
                shard = plan.shard_of(item.sample_id)
                pending[shard][item.sample_id] = item
                done += 1
                report.n_generated += 1
                if len(pending[shard]) == len(plan.shard_range(shard)):
                    _finish_shard(out, manifest, plan, shard, pending.pop(shard), report)
                tick(done)
        finally:
            results.close()  # stops the workers now, also after an error or an interruption
            run_info["wall_time_s"] = round(time.perf_counter() - t_start, 3)
            run_info["samples_generated"] = report.n_generated
            manifest["complete"] = (
                plan.n_samples == spec.n_samples and len(manifest["shards"]) >= plan.n_shards
            )
            t0 = time.perf_counter()
            save_manifest(out, manifest)
            report.manifest_s += time.perf_counter() - t0
    report.complete = bool(manifest["complete"])
    report.wall_time_s = time.perf_counter() - t_start
    return report


def _finish_shard(
    out: Path,
    manifest: dict[str, Any],
    plan: Plan,
    shard: int,
    results: dict[int, JobResult],
    report: GenerationReport,
) -> None:
    t0 = time.perf_counter()
    rows = [results[i].row for i in sorted(results)]
    name = shard_name(shard)
    digest, size = write_shard(out / name, rows)
    t1 = time.perf_counter()
    r = plan.shard_range(shard)
    manifest["shards"] = [s for s in manifest["shards"] if s["index"] != shard]
    manifest["shards"].append(
        {
            "name": name,
            "index": shard,
            "first_sample": r.start,
            "n_samples": len(r),
            "sha256": digest,
            "bytes": size,
            "sim_wall_time_s": round(sum(x.sim_s for x in results.values()), 6),
            "build_time_s": round(sum(x.build_s for x in results.values()), 6),
            "n_events": int(sum(x.row["n_events"] for x in results.values())),
        }
    )
    save_manifest(out, manifest)
    report.write_s += t1 - t0
    report.manifest_s += time.perf_counter() - t1
    report.shards_written += 1
