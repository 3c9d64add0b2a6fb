"""End-to-end generation: shards and manifest, determinism across backends, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasets_helpers import tiny_spec, toml_text

from kplane.datasets import DatasetSpec, KplaneDataset, expand, generate, verify_dataset
from kplane.datasets._manifest import load_manifest
from kplane.datasets._scenarios import build_scenario
from kplane.datasets._storage import sha256_file
from kplane.errors import InvalidParameterError, UnsupportedError


def shard_hashes(root: Path) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(root.glob("shard-*.parquet"))}


def test_generate_end_to_end(tiny_dataset: Path) -> None:
    m = load_manifest(tiny_dataset)
    assert m["complete"] and m["n_samples_spec"] == 12 and len(m["shards"]) == 6
    assert (
        m["spec"]["name"] == "tiny" and m["fingerprint"] == DatasetSpec.from_dict(tiny_spec()).fingerprint()
    )
    assert m["runs"][0]["backend"] == "local" and m["runs"][0]["samples_generated"] == 12
    assert all(s["sim_wall_time_s"] > 0 and s["n_events"] > 0 for s in m["shards"])
    assert shard_hashes(tiny_dataset) == {s["name"]: s["sha256"] for s in m["shards"]}
    assert not list(tiny_dataset.glob(".*"))  # no lock, no temporary file left behind
    assert verify_dataset(tiny_dataset).ok
    ds = KplaneDataset(tiny_dataset)
    assert len(ds) == 12
    spec = DatasetSpec.from_dict(tiny_spec())
    plan = expand(spec)
    for i in (0, 5, 11):
        scenario, kpis = ds[i]
        want = build_scenario(spec, plan.job(i))
        assert np.array_equal(scenario.traffic.rate, want.traffic.rate)
        assert np.array_equal(scenario.routing.link_ids, want.routing.link_ids)
        assert kpis.n_paths == scenario.n_paths == scenario.topology.n_nodes * (scenario.topology.n_nodes - 1)
        # every delivered packet waited at least its transmission time on the first link
        tx = np.min(scenario.traffic.packet_sizes[0].sizes) / scenario.topology.capacity.max()
        ok = np.isfinite(kpis.mean_delay)
        assert ok.mean() > 0.9 and (kpis.mean_delay[ok] >= tx).all()
        assert (kpis.delivered > 0).any()


def test_local_pool_matches_serial(tiny_dataset: Path, tmp_path: Path) -> None:
    report = generate(tiny_spec(), tmp_path / "pool", workers=2)
    assert report.n_generated == 12 and report.shards_written == 6 and report.complete
    assert shard_hashes(tmp_path / "pool") == shard_hashes(tiny_dataset)


def test_resume_after_partial_run(tiny_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    first = generate(tiny_spec(), out, workers=1, max_samples=5)
    assert first.n_samples == 5 and not first.complete
    m = load_manifest(out)
    assert [s["n_samples"] for s in m["shards"]] == [2, 2, 1] and not m["complete"]
    keep = {n: (out / n).stat().st_mtime_ns for n in ("shard-00000.parquet", "shard-00001.parquet")}
    seen: list[Any] = []
    second = generate(tiny_spec(), out, workers=1, progress=seen.append)
    assert second.shards_kept == 2 and second.shards_written == 4 and second.n_generated == 8
    assert seen[0].done == 4 and seen[0].kept == 4 and seen[-1].done == 12
    assert {n: (out / n).stat().st_mtime_ns for n in keep} == keep
    assert shard_hashes(out) == shard_hashes(tiny_dataset)
    assert load_manifest(out)["complete"] and len(load_manifest(out)["runs"]) == 2
    third = generate(tiny_spec(), out, workers=2)
    assert third.n_generated == 0 and third.shards_kept == 6


def test_other_spec_is_refused(tiny_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    generate(tiny_spec(), out, workers=1, max_samples=2)
    with pytest.raises(InvalidParameterError, match="another spec"):
        generate(tiny_spec(seed=99), out, workers=1)


def test_live_lock_is_respected_and_stale_lock_taken_over(tmp_path: Path) -> None:
    import socket

    out = tmp_path / "data"
    out.mkdir()
    (out / ".lock").write_text(f"{socket.gethostname()} {os.getpid()}")
    with pytest.raises(InvalidParameterError, match="being written by another generation"):
        generate(tiny_spec(), out, workers=1, max_samples=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / ".lock").write_text(f"{socket.gethostname()} {dead.pid}")
    assert generate(tiny_spec(), out, workers=1, max_samples=1).n_generated == 1
    assert not (out / ".lock").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "spark"}, "backend 'spark' is not valid; valid: local, ray"),
        ({"workers": 0}, "workers must be a whole number >= 1"),
        ({"max_samples": -2}, "max_samples must be a whole number >= 1"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        generate(tiny_spec(), tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def _slow_spec() -> dict[str, Any]:
    """10 one-sample shards of a few tenths of a second each."""
    return tiny_spec(
        samples_per_topology=5,
        shard_size=1,
        simulation={"duration": 8000.0, "warmup": 100.0},
        topologies=[{"name": "abilene"}, {"name": "polska"}],
    )


def test_kill_9_and_resume(tmp_path: Path) -> None:
    spec_path = tmp_path / "slow.toml"
    spec_path.write_text(toml_text(_slow_spec()))
    out = tmp_path / "data"
    cmd = [
        sys.executable,
        "-m",
        "kplane.cli.main",
        "dataset",
        "generate",
        str(spec_path),
        "-o",
        str(out),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    listed: list[dict[str, Any]] = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                listed = json.loads((out / "manifest.json").read_text())["shards"]
            except (FileNotFoundError, json.JSONDecodeError):
                listed = []
            if len(listed) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "generation finished before it could be interrupted"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    m = json.loads((out / "manifest.json").read_text())
    assert not m["complete"] and 3 <= len(m["shards"]) < 10
    visible = shard_hashes(out)
    for s in m["shards"]:  # every listed shard is whole
        assert visible[s["name"]] == s["sha256"]
    assert set(visible) - {s["name"] for s in m["shards"]} <= {f"shard-{len(m['shards']):05d}.parquet"}
    kept = {s["name"]: ((out / s["name"]).stat().st_mtime_ns, s["sha256"]) for s in m["shards"]}

    report = generate(spec_path, out, workers=1)  # the same command again
    assert report.shards_kept == len(kept) and report.complete
    assert {n: ((out / n).stat().st_mtime_ns, sha256_file(out / n)) for n in kept} == kept
    assert not list(out.glob(".*"))
    reference = tmp_path / "reference"
    generate(spec_path, reference, workers=1)
    assert shard_hashes(out) == shard_hashes(reference) and len(shard_hashes(out)) == 10
    assert verify_dataset(out).ok


def test_ray_backend(tiny_dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    report = generate(tiny_spec(), tmp_path / "ray", backend="ray", workers=2)
    assert report.backend == "ray" and report.n_generated == 12
    assert shard_hashes(tmp_path / "ray") == shard_hashes(tiny_dataset)


def test_ray_backend_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    with pytest.raises(UnsupportedError, match=r"pip install 'kplane\[ray\]'"):
        generate(tiny_spec(), tmp_path / "x", backend="ray")


def _failing_run_job(spec: Any, job: Any) -> Any:
    from kplane.datasets._workers import _real_run_job  # type: ignore[attr-defined]

    if job.sample_id == 5:
        raise ValueError("boom")
    return _real_run_job(spec, job)


def _dying_run_job(spec: Any, job: Any) -> Any:
    from kplane.datasets._workers import _real_run_job  # type: ignore[attr-defined]

    if job.sample_id == 5:
        os._exit(3)
    return _real_run_job(spec, job)


@pytest.mark.parametrize(
    ("workers", "fake", "message"),
    [
        (1, _failing_run_job, r"sample 5 \(waxman n=5..7 ×2, routing variant 1\) failed: ValueError: boom"),
        (
            2,
            _dying_run_job,
            r"failed: WorkerDied: a worker process died \(out of memory\?\) while samples [0-9, ]*\b5\b",
        ),
    ],
)
def test_failed_job_keeps_finished_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, fake: Any, message: str
) -> None:
    from kplane.datasets import _workers
    from kplane.errors import KplaneError

    monkeypatch.setattr(_workers, "_real_run_job", _workers.run_job, raising=False)
    monkeypatch.setattr(_workers, "run_job", fake)
    monkeypatch.setattr(_workers, "_start_method", lambda: "fork")  # workers inherit the patched function
    out = tmp_path / "data"
    with pytest.raises(KplaneError, match=message):
        generate(tiny_spec(), out, workers=workers)
    m = load_manifest(out)
    assert not m["complete"] and {s["index"] for s in m["shards"]} <= {0, 1, 3, 4, 5}
    assert 0 in {s["index"] for s in m["shards"]} or workers == 2
    monkeypatch.undo()
    report = generate(tiny_spec(), out, workers=1)
    assert report.complete and report.shards_kept == len(m["shards"])
