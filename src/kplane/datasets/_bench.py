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


def bench_generation(
    spec: str | Path | DatasetSpec = "routenet-small",
    *,
    samples: int = 200,
    workers: list[int] | tuple[int, ...] = (1, 2),
    root: str | Path | None = None,
) -> dict[str, Any]:
    """Generate the first ``samples`` samples of ``spec`` once per worker count, into fresh directories.

    Reports per run the wall time, samples/s, the speed-up over the first worker count, the worker
    time spent simulating and building scenarios, and the storage + bookkeeping time (row
    conversion, Parquet serialisation, hashing, atomic writes, manifest updates) with its share of
    the wall time. A warm-up generation of one sample first loads the simulator kernel, so that no
    run pays for compilation in the driver.

    Returns
    -------
    dict
        ``spec``, ``samples``, ``cpus``, ``runs`` (list of dicts) and ``speedup`` of the last worker
        count over the first.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InvalidParameterError(f"samples must be a whole number >= 1, got {samples!r}")
    if not workers or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in workers):
        raise InvalidParameterError(f"workers must be whole numbers >= 1, got {list(workers)!r}")
    loaded = load_spec(spec)
    base = Path(tempfile.mkdtemp(prefix="kplane-bench-", dir=root))
    runs: list[dict[str, Any]] = []
    try:
        generate(loaded, base / "warmup", workers=1, max_samples=1)
        for w in workers:
            t0 = time.perf_counter()
            rep = generate(loaded, base / f"w{w}", workers=w, max_samples=samples)
            wall = time.perf_counter() - t0
            d = rep.to_dict()
            d["wall_time_s"] = wall
            d["samples_per_s"] = rep.n_generated / wall
            d["overhead_share"] = rep.overhead_s / wall
            runs.append(d)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    for r in runs:
        r["speedup"] = r["samples_per_s"] / runs[0]["samples_per_s"]
    return {
        "spec": loaded.name,
        "samples": samples,
        "cpus": os.cpu_count(),
        "runs": runs,
        "speedup": runs[-1]["speedup"],
    }
