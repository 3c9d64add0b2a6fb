"""Benchmark of dataset generation (``kplane bench datasets``): throughput per worker count, overhead."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from kplane.datasets._generate import generate
from kplane.datasets._spec import DatasetSpec
from kplane.datasets._spec_parse import load_spec
from kplane.errors import InvalidParameterError

__all__ = ["bench_generation"]


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its waited-for children."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bench_generation(
    spec: str | Path | DatasetSpec = "routenet-small",
    *,
    samples: int = 200,
    workers: list[int] | tuple[int, ...] = (1, 2),
    root: str | Path | None = None,
) -> dict[str, Any]:
    """Generate the first ``samples`` samples of ``spec`` once per worker count, into fresh directories.

    Reports per run the wall time, samples/s, the speed-up over the first worker count, the CPU
    seconds used (this process and its workers) and the CPU efficiency relative to the first run
    (samples per CPU second; on idle cores the speed-up is about ``workers × cpu_efficiency``), the
    worker time spent simulating and building scenarios, and the storage + bookkeeping time (row
    conversion, Parquet serialisation, hashing, atomic writes, manifest updates) with its share of
    the wall time, and the machine's load average (other work on the machine lowers the speed-up).
    A warm-up generation of one sample first loads the simulator kernel, so that no run pays for
    compilation in the driver.

    Returns
    -------
    dict
        ``spec``, ``samples``, ``cpus``, ``load_average``, ``runs`` (list of dicts) and ``speedup``
        of the last worker count over the first.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InvalidParameterError(f"samples must be a whole number >= 1, got {samples!r}")
    if not workers or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in workers):
        raise InvalidParameterError(f"workers must be whole numbers >= 1, got {list(workers)!r}")
    loaded = load_spec(spec)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # other work on the machine
    base = Path(tempfile.mkdtemp(prefix="kplane-bench-", dir=root))
    runs: list[dict[str, Any]] = []
    try:
        generate(loaded, base / "warmup", workers=1, max_samples=1)
        for w in workers:
            c0 = _cpu_seconds()
            t0 = time.perf_counter()
            rep = generate(loaded, base / f"w{w}", workers=w, max_samples=samples)
            wall = time.perf_counter() - t0
            d = rep.to_dict()
            d["wall_time_s"] = wall
            d["cpu_s"] = _cpu_seconds() - c0
            d["samples_per_s"] = rep.n_generated / wall
            d["samples_per_cpu_s"] = rep.n_generated / d["cpu_s"] if d["cpu_s"] > 0 else 0.0
            d["overhead_share"] = rep.overhead_s / wall
            runs.append(d)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for r in runs:
        r["speedup"] = r["samples_per_s"] / runs[0]["samples_per_s"]
        # what the run would reach on idle cores: workers × (CPU efficiency relative to the first run)
        r["cpu_efficiency"] = r["samples_per_cpu_s"] / runs[0]["samples_per_cpu_s"]
    return {
        "spec": loaded.name,
        "samples": samples,
        "cpus": os.cpu_count(),
        "load_average": load,
        "runs": runs,
        "speedup": runs[-1]["speedup"],
    }
