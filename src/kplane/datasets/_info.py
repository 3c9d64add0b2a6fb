"""Summaries of a kplane dataset (``kplane dataset info``) and its export to the datanet format."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kplane.datasets._manifest import load_manifest
from kplane.datasets._storage import read_shard
from kplane.errors import InvalidParameterError

__all__ = ["dataset_info", "export_datanet"]


class _Range:
    """Running min / mean / max of finite values (NaN counted apart)."""

    def __init__(self) -> None:
        self.lo, self.hi, self.total, self.n, self.nan = np.inf, -np.inf, 0.0, 0, 0

    def add(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=np.float64)
        fin = v[np.isfinite(v)]
        self.nan += int(v.size - fin.size)
        if fin.size:
            self.lo, self.hi = min(self.lo, float(fin.min())), max(self.hi, float(fin.max()))
            self.total += float(fin.sum())
            self.n += int(fin.size)

    def to_dict(self) -> dict[str, Any]:
        if not self.n:
            return {"min": None, "mean": None, "max": None, "count": 0, "missing": self.nan}
        return {
            "min": self.lo,
            "mean": self.total / self.n,
            "max": self.hi,
            "count": self.n,
            "missing": self.nan,
        }


def _flat(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(
        pc.list_flatten(table.column(name).combine_chunks()).to_numpy(zero_copy_only=False), dtype=np.float64
    )


def _lengths(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(
        pc.list_value_length(table.column(name).combine_chunks()).to_numpy(zero_copy_only=False)
    )


def dataset_info(root: str | Path) -> dict[str, Any]:
    """Counts, topologies, traffic and delay ranges, and the generation cost of a kplane dataset.

    Reads each shard once (hash-checked), a few columns at a time.

    Returns
    -------
    dict
        ``name``, ``description``, ``complete``, ``n_samples`` (present), ``n_samples_spec``,
        ``n_shards``, ``bytes``, ``topologies`` (per name: samples, split, nodes, links, paths),
        ``splits`` (samples per label), ``traffic`` (``intensity`` TI [kbit/s], ``total_rate`` [bit/s]
        per sample, ``path_rate`` [bit/s]), ``labels`` (``mean_delay`` [s], ``jitter`` [s²],
        ``loss_ratio``, ``paths_with_loss``, ``link_utilisation``), ``simulation`` (duration, warm-up
        [s]) and ``cost`` (simulator wall seconds in total and per sample, events, the runs).
    """
    root = Path(root)
    manifest = load_manifest(root)
    spec = manifest["spec"]
    shards = sorted(manifest["shards"], key=lambda s: s["index"])
    topo: dict[str, dict[str, Any]] = {}
    splits: dict[str, int] = {}
    ranges = {
        k: _Range()
        for k in (
            "intensity",
            "total_rate",
            "path_rate",
            "mean_delay",
            "jitter",
            "loss_ratio",
            "link_utilisation",
        )
    }
    lossy = 0
    n_paths_total = 0
    cols = [
        "topology",
        "split",
        "intensity",
        "node_names",
        "link_src",
        "path_src",
        "offered_rate",
        "mean_delay",
        "jitter",
        "loss_ratio",
        "link_utilisation",
    ]
    for sh in shards:
        t = read_shard(root / sh["name"], sha256=sh["sha256"], columns=cols)
        names = t.column("topology").to_pylist()
        labels = t.column("split").to_pylist()
        nodes, links, paths = _lengths(t, "node_names"), _lengths(t, "link_src"), _lengths(t, "path_src")
        for i, nm in enumerate(names):
            d = topo.setdefault(
                nm,
                {
                    "samples": 0,
                    "split": labels[i],
                    "nodes": int(nodes[i]),
                    "links": int(links[i]),
                    "paths": int(paths[i]),
                },
            )
            d["samples"] += 1
            splits[labels[i]] = splits.get(labels[i], 0) + 1
        ranges["intensity"].add(t.column("intensity").to_numpy(zero_copy_only=False))
        rate = _flat(t, "offered_rate")
        ranges["path_rate"].add(rate)
        row = np.repeat(np.arange(t.num_rows), paths)
        ranges["total_rate"].add(np.bincount(row, weights=rate, minlength=t.num_rows))
        for k in ("mean_delay", "jitter", "loss_ratio", "link_utilisation"):
            ranges[k].add(_flat(t, k))
        loss = _flat(t, "loss_ratio")
        lossy += int((loss > 0).sum())
        n_paths_total += int(loss.size)
    sim_wall = float(sum(float(s.get("sim_wall_time_s", 0.0)) for s in shards))
    n_present = sum(int(s["n_samples"]) for s in shards)
    labels_out = {k: ranges[k].to_dict() for k in ("mean_delay", "jitter", "loss_ratio", "link_utilisation")}
    labels_out["paths_with_loss"] = {
        "count": lossy,
        "share": lossy / n_paths_total if n_paths_total else None,
    }
    return {
        "root": str(root),
        "name": spec.get("name"),
        "description": spec.get("description", ""),
        "kplane_version": manifest.get("kplane_version"),
        "fingerprint": manifest.get("fingerprint"),
        "complete": bool(manifest.get("complete")),
        "n_samples": n_present,
        "n_samples_spec": manifest.get("n_samples_spec"),
        "n_shards": len(shards),
        "bytes": int(sum(int(s.get("bytes", 0)) for s in shards)),
        "topologies": dict(sorted(topo.items())),
        "splits": splits,
        "traffic": {
            "model": spec.get("traffic", {}).get("model"),
            **{k: ranges[k].to_dict() for k in ("intensity", "total_rate", "path_rate")},
        },
        "labels": labels_out,
        "simulation": dict(spec.get("simulation", {})),
        "cost": {
            "sim_wall_time_s": sim_wall,
            "sim_wall_time_per_sample_s": sim_wall / n_present if n_present else None,
            "n_events": int(sum(int(s.get("n_events", 0)) for s in shards)),
            "runs": manifest.get("runs", []),
        },
    }


def export_datanet(
    root: str | Path,
    out_dir: str | Path,
    *,
    samples_per_tarball: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write a kplane dataset in the datanet format (2021 layout) for the public RouteNet tools.

    Each tarball holds ``samples_per_tarball`` consecutive samples; graphs and routings are shared by
    content. Packet counts become rates per time unit over the measurement window
    ``duration − warmup`` (written as ``simTime``), 1 s = 1 time unit; ``linkUsage.txt`` is not
    written (kplane records no per-port maximum occupancy). Read it back with
    :class:`kplane.network.io.DatanetDataset`.

    Parameters
    ----------
    root : str or Path
        A kplane dataset.
    out_dir : str or Path
        The datanet dataset folder (created).
    samples_per_tarball : int
    progress : callable, optional
        Called with ``(samples written, total)``.

    Returns
    -------
    list of Path
        The tarballs written.
    """
    from kplane.datasets._dataset import KplaneDataset
    from kplane.network.io import DatanetSample, write_datanet

    if (
        isinstance(samples_per_tarball, bool)
        or not isinstance(samples_per_tarball, int)
        or samples_per_tarball < 1
    ):
        raise InvalidParameterError(
            f"samples_per_tarball must be a whole number >= 1, got {samples_per_tarball!r}"
        )
    ds = KplaneDataset(root)
    n = len(ds)
    if n == 0:
        raise InvalidParameterError(f"{root} holds no samples to export")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(ds.spec.get("name", "kplane"))).strip(".-") or "kplane"
    out: list[Path] = []
    for start in range(0, n, samples_per_tarball):
        chunk = []
        for i in range(start, min(n, start + samples_per_tarball)):
            s = ds.get(i)
            chunk.append(
                DatanetSample(
                    s.scenario,
                    s.kpis,
                    {
                        "sim_time": s.metadata["sim_time"],
                        "stable": True,
                        "sample_id": s.metadata["sample_id"],
                    },
                )
            )
        out.append(write_datanet(chunk, out_dir, name=f"results_{slug}_{start // samples_per_tarball:05d}"))
        if progress is not None:
            progress(min(n, start + samples_per_tarball), n)
    return out
