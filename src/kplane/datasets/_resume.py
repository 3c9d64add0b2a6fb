"""Resuming a generation: one writer per directory, the manifest, and which shards to keep."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kplane.datasets._jobs import Plan, expand
from kplane.datasets._manifest import MANIFEST, MANIFEST_SCHEMA, load_manifest
from kplane.datasets._scenarios import build_scenario
from kplane.datasets._spec import DatasetSpec
from kplane.datasets._storage import SCHEMA_VERSION, sha256_file
from kplane.errors import FormatError, InvalidParameterError, KplaneError

__all__ = [
    "clean_temporaries",
    "directory_lock",
    "fresh_manifest",
    "kept_shards",
    "open_manifest",
    "validate_spec_buildable",
]


@contextlib.contextmanager
def directory_lock(out: Path) -> Iterator[None]:
    """One generation per directory: ``.lock`` holds host and pid; a stale lock (dead pid) is taken over."""
    path = out / ".lock"
    me = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                host, pid = path.read_text().split()
                alive = host != socket.gethostname() or _pid_alive(int(pid))
            except (OSError, ValueError):
                alive = False
            if alive:
                raise InvalidParameterError(
                    f"{out} is being written by another generation (process {pid} on {host}); wait for "
                    f"it, or remove {path} if that process is gone"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fresh_manifest(spec: DatasetSpec) -> dict[str, Any]:
    from kplane import __version__

    return {
        "schema": MANIFEST_SCHEMA,
        "version": SCHEMA_VERSION,
        "kplane_version": __version__,
        "spec": spec.to_dict(),
        "fingerprint": spec.fingerprint(),
        "shard_size": spec.shard_size,
        "n_samples_spec": spec.n_samples,
        "complete": False,
        "shards": [],
        "runs": [],
    }


def open_manifest(out: Path, spec: DatasetSpec) -> dict[str, Any]:
    if not (out / MANIFEST).exists():
        leftovers = sorted(p.name for p in out.glob("shard-*.parquet"))
        if leftovers:  # shards without a manifest cannot be trusted: rewrite them
            for name in leftovers:
                (out / name).unlink()
        return fresh_manifest(spec)
    manifest = load_manifest(out)
    if manifest.get("fingerprint") != spec.fingerprint() or manifest.get("shard_size") != spec.shard_size:
        raise InvalidParameterError(
            f"{out} holds a dataset of another spec ({manifest['spec'].get('name')!r}); generate into an "
            "empty directory, or delete this one to start over"
        )
    return manifest


def kept_shards(out: Path, manifest: dict[str, Any], plan: Plan) -> tuple[dict[int, dict[str, Any]], float]:
    """Shards of the manifest that match the plan and their hash; the others are dropped from it."""
    t0 = time.perf_counter()
    kept: dict[int, dict[str, Any]] = {}
    for sh in manifest["shards"]:
        idx = int(sh["index"])
        path = out / sh["name"]
        if idx < plan.n_shards:
            r = plan.shard_range(idx)
            if sh["first_sample"] != r.start or sh["n_samples"] < len(r):
                continue
        if path.is_file() and sha256_file(path) == sh["sha256"]:
            kept[idx] = sh
    return kept, time.perf_counter() - t0


def clean_temporaries(out: Path) -> None:
    for p in list(out.glob(".shard-*.tmp")) + list(out.glob(f".{MANIFEST}.*.tmp")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def validate_spec_buildable(spec: DatasetSpec) -> None:
    """Build the first scenario of every topology entry (no simulation), so that a bad generator
    parameter, an unreadable file or a disconnected topology fails before any job starts."""
    plan = expand(spec, max_samples=sum(t.count for t in spec.topologies))  # sample 0 of every instance
    seen: set[int] = set()
    for sid in range(plan.n_samples):
        job = plan.job(sid)
        if job.entry in seen:
            continue
        seen.add(job.entry)
        try:
            build_scenario(spec, job)
        except KplaneError as exc:
            raise FormatError(
                f"cannot build {spec.topologies[job.entry].describe()!r}: {exc}",
                field=f"topologies[{job.entry}]",
            ) from None
