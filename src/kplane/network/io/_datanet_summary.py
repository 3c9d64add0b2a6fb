"""Summary statistics of a datanet dataset (what ``kplane data inspect`` prints)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kplane.network.io._datanet import DatanetDataset

__all__ = ["summarize_datanet"]


class _Range:
    """Running min / max / mean of finite values (memory independent of the dataset size)."""

    def __init__(self) -> None:
        self.lo, self.hi, self.total, self.n = np.inf, -np.inf, 0.0, 0

    def add(self, values: ArrayLike) -> None:
        v = np.asarray(values, dtype=float).ravel()
        v = v[np.isfinite(v)]
        if v.size:
            self.lo = min(self.lo, float(v.min()))
            self.hi = max(self.hi, float(v.max()))
            self.total += float(v.sum())
            self.n += int(v.size)

    def result(self) -> dict[str, float | int | None]:
        if not self.n:
            return {"min": None, "max": None, "mean": None, "n": 0}
        return {"min": self.lo, "max": self.hi, "mean": self.total / self.n, "n": self.n}


def summarize_datanet(
    path: str | Path, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Read every sample of a datanet dataset and summarise it (plain Python, JSON-ready).

    Parameters
    ----------
    path : str or Path
        Dataset folder (see :func:`~kplane.network.io.read_datanet`).
    progress : callable, optional
        Called as ``progress(done, total)`` after each sample.

    Returns
    -------
    dict
        ``samples`` (total / stable / unstable), ``topologies`` (nodes, links, samples, graph files),
        ``routing_formats``, ``scheduling_policies`` (samples using each), ``tos``, ``packet_sizes``,
        ``traffic`` (per-pair and total rate, bit/s), ``capacity_bps``, ``queue_size_packets``,
        ``sim_time_s``, ``wall_time_s`` (the simulator's recorded wall time: min, median, max, total),
        ``labels`` (mean delay [s], jitter [s²], loss ratio; statistics over stable samples' paths
        with a value) and ``link_utilisation`` (when ``linkUsage.txt`` is present).
        Statistics other than the counts and wall times are over the stable samples.
    """
    ds = DatanetDataset(path, skip_unstable=False)
    total = len(ds)
    stable = 0
    topologies: dict[tuple, dict[str, Any]] = {}
    formats: Counter[str] = Counter()
    policies: Counter[str] = Counter()
    routings: set[str] = set()
    tos: set[int] = set()
    sizes: dict[tuple, dict[str, list[float]]] = {}
    caps: set[float] = set()
    queues: set[int] = set()
    wall: list[float] = []
    pair_rate, total_rate, sim_time = _Range(), _Range(), _Range()
    delay, jitter, loss, util = _Range(), _Range(), _Range(), _Range()
    lossy = n_paths = masked = 0
    has_links = False
    for i, sample in enumerate(ds):
        meta = sample.metadata
        if meta["wall_time_s"] is not None:
            wall.append(float(meta["wall_time_s"]))
        if meta["stable"]:
            stable += 1
            sc, kp = sample.scenario, sample.kpis
            topo = sc.topology
            key = (topo.n_nodes, tuple(map(tuple, topo.links.tolist())))
            new = {"name": topo.name, "n_nodes": topo.n_nodes, "n_links": topo.n_links, "n_samples": 0,
                   "graph_files": set()}
            entry = topologies.setdefault(key, new)
            entry["n_samples"] += 1
            entry["graph_files"].add(meta["graph_file"])
            formats[meta["routing_format"]] += 1
            routings.add(meta["routing_file"])
            sched = topo.metadata.get("scheduling") or []
            for pol in sorted({s.get("policy", "FIFO") for s in sched} or {"FIFO"}):
                policies[pol] += 1
            caps.update(np.unique(topo.capacity).tolist())
            queues.update(np.unique(topo.queue_size).tolist())
            rate = sc.traffic.rate[~np.eye(topo.n_nodes, dtype=bool)]
            pair_rate.add(rate)
            total_rate.add([sc.traffic.total_rate])
            used = sc.traffic.rate > 0
            tos.update(np.unique(sc.traffic.tos[used]).tolist())
            for c in np.unique(sc.traffic.size_class[used]):
                d = sc.traffic.packet_sizes[int(c)]
                sizes.setdefault((tuple(d.sizes), tuple(d.probs)), d.to_dict())
            sim_time.add([meta["sim_time"]])
            delay.add(kp.mean_delay)
            jitter.add(kp.jitter)
            loss.add(kp.loss_ratio)
            lossy += int(np.sum(kp.loss_ratio > 0))
            n_paths += kp.n_paths
            masked += int(np.sum(np.isnan(kp.mean_delay)))
            if "link_stats" in meta:
                has_links = True
                util.add(meta["link_stats"]["utilisation"])
        if progress is not None:
            progress(i + 1, total)
    w = np.asarray(wall)
    topo_rows = sorted(({**t, "graph_files": len(t["graph_files"])} for t in topologies.values()),
                       key=lambda t: (t["n_nodes"], t["n_links"], t["name"]))
    out: dict[str, Any] = {
        "path": str(path),
        "n_bundles": ds.n_bundles,
        "samples": {"total": total, "stable": stable, "unstable": total - stable},
        "topologies": topo_rows,
        "routing_formats": dict(formats),
        "n_routing_files": len(routings),
        "scheduling_policies": dict(sorted(policies.items())),
        "tos": sorted(int(t) for t in tos),
        "packet_sizes": list(sizes.values()),
        "traffic": {"pair_rate_bps": pair_rate.result(), "total_rate_bps": total_rate.result()},
        "capacity_bps": {"min": min(caps, default=None), "max": max(caps, default=None),
                         "values": sorted(caps) if len(caps) <= 12 else None},
        "queue_size_packets": sorted(int(q) for q in queues),
        "sim_time_s": sim_time.result(),
        "wall_time_s": {"min": float(w.min()), "median": float(np.median(w)), "max": float(w.max()),
                        "total": float(w.sum()), "n": int(w.size)} if w.size else None,
        "labels": {"n_paths": n_paths, "masked_paths": masked, "mean_delay_s": delay.result(),
                   "jitter_s2": jitter.result(), "loss_ratio": loss.result(),
                   "lossy_path_fraction": lossy / n_paths if n_paths else None},
        "link_utilisation": util.result() if has_links else None,
    }
    return out
