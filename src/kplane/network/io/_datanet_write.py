"""Write scenarios and their KPIs in the datanet 2021 format (readable by kplane and the public tools).

Layout written under ``out_dir``::

    graphs/graph-<name>-<hash>.txt      GML, one per distinct topology
    routings/routing-<name>-<hash>.txt  node paths (``0;13;1``), one per distinct routing
    <name>.tar.gz                       <name>/input_files.txt, traffic.txt, simulationResults.txt,
                                        stability.txt [, linkUsage.txt]

Units go back to the format's: 1 s = 1 time unit, bit/s = bits/tu, AvgBw in kbit/tu; packet and
drop counts become rates per time unit (count / simulated time); NaN labels become -1.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import re
import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError, UnsupportedError
from kplane.network._kpis import PathKPIs
from kplane.network._scenario import Scenario
from kplane.network._topology import Topology
from kplane.network.io._datanet import DatanetSample
from kplane.network.io._datanet_parse import QUEUE_FIELDS
from kplane.network.io._gml_write import gml_text
from kplane.utils import atomic_write, atomic_write_text

__all__ = ["write_datanet"]

_DIAG_TRAFFIC = "-1,0,-1,0,0"
_DIAG_RESULT = "0,0,0,-1,-1,-1,-1,-1,-1,-1,-1"
_EXP_MAX_FACTOR = 10
_LINK_KEYS = ("utilisation", "loss_ratio", "mean_occupancy", "max_occupancy", "mean_packet_size")


def _f(x: float) -> str:
    """Shortest exact text of a float (``-1`` for NaN, the format's 'no value')."""
    x = float(x)
    if math.isnan(x):
        return "-1"
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:40] or "topology"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _traffic_line(scenario: Scenario, max_avg_lambda: float | None) -> str:
    tr = scenario.traffic
    n = tr.n_nodes
    sizes = []
    for dist in tr.packet_sizes:
        if len(dist.sizes) == 1:
            sizes.append(f"0,{_f(dist.mean)}")
        elif len(dist.sizes) == 2 and np.allclose(dist.probs, 0.5, rtol=0, atol=1e-12):
            sizes.append(f"2,{_f(dist.mean)},{_f(dist.sizes[0])},{_f(dist.sizes[1])}")
        else:
            pairs = ",".join(f"{_f(x)},{_f(p)}" for x, p in zip(dist.sizes, dist.probs, strict=True))
            sizes.append(f"3,{_f(dist.mean)},{len(dist.sizes)},{pairs}")
    means = [dist.mean for dist in tr.packet_sizes]
    entries = []
    for s in range(n):
        for d in range(n):
            if s == d:
                entries.append(_DIAG_TRAFFIC)
                continue
            c = int(tr.size_class[s, d])
            eq = float(tr.rate[s, d])
            entries.append(f"0,{_f(eq)},{_f(eq / means[c])},{_EXP_MAX_FACTOR},{sizes[c]},{int(tr.tos[s, d])}")
    head = float(tr.rate.max()) if max_avg_lambda is None else float(max_avg_lambda)
    return f"{_f(head)}|" + ";".join(entries) + ";"


def _kpi_rows(scenario: Scenario, kpis: PathKPIs, sim_time: float, measured: Any) -> NDArray[np.float64]:
    """(n·n, 11) result fields in file units, NaN where there is no value."""
    n = scenario.topology.n_nodes
    if kpis.n_paths and (kpis.pairs.max() >= n):
        raise InvalidParameterError(f"KPIs refer to node {int(kpis.pairs.max())} outside 0..{n - 1}")
    rows = np.full((n * n, 11), np.nan)
    idx = kpis.pairs[:, 0] * n + kpis.pairs[:, 1]
    tr = scenario.traffic
    offered_pkts = tr.packet_rate()[kpis.pairs[:, 0], kpis.pairs[:, 1]]
    if kpis.delivered is not None and kpis.dropped is not None:
        pk = (kpis.delivered + kpis.dropped) / sim_time
        dr = kpis.dropped / sim_time
    else:
        pk = np.where(np.isnan(kpis.loss_ratio), np.nan, offered_pkts)
        dr = kpis.loss_ratio * offered_pkts
    if measured is not None:
        bw = np.asarray(measured, dtype=float) / 1000.0
    elif kpis.offered_rate is not None:
        bw = kpis.offered_rate / 1000.0
    else:
        bw = tr.rate[kpis.pairs[:, 0], kpis.pairs[:, 1]] / 1000.0
    nan = np.full(kpis.n_paths, np.nan)
    rows[idx, 0] = bw
    rows[idx, 1] = pk
    rows[idx, 2] = dr
    rows[idx, 3] = kpis.mean_delay
    rows[idx, 4] = nan if kpis.mean_log_delay is None else kpis.mean_log_delay
    rows[idx, 5:10] = np.full((kpis.n_paths, 5), np.nan) if kpis.percentiles is None else kpis.percentiles
    rows[idx, 10] = kpis.jitter
    return rows


def _results_line(scenario: Scenario, rows: NDArray[np.float64], glob: Mapping[str, float] | None) -> str:
    n = scenario.topology.n_nodes
    if glob is None:
        pk, dr, dl = rows[:, 1], rows[:, 2], rows[:, 3]
        ok = np.isfinite(pk) & np.isfinite(dr) & np.isfinite(dl)
        w = np.where(ok, pk - dr, 0.0)
        glob = {"packets": float(np.nansum(pk)), "losses": float(np.nansum(dr)),
                "delay": float((w * np.where(ok, dl, 0.0)).sum() / w.sum()) if w.sum() > 0 else math.nan}
    head = ",".join(_f(glob[k]) for k in ("packets", "losses", "delay"))
    entries = [_DIAG_RESULT if i // n == i % n else ",".join(_f(x) for x in rows[i]) for i in range(n * n)]
    return f"{head}|" + ";".join(entries) + ";"


def _link_usage_line(topology: Topology, stats: Mapping[str, Any]) -> str:
    n, m = topology.n_nodes, topology.n_links
    port = {k: np.asarray(stats[k], dtype=float).reshape(m) for k in _LINK_KEYS}
    if all(f"queue_{k}" in stats for k in QUEUE_FIELDS):
        q = np.stack([np.asarray(stats[f"queue_{k}"], dtype=float).reshape(m, -1) for k in QUEUE_FIELDS], -1)
    else:
        q = np.stack([port[k] for k in QUEUE_FIELDS], -1).reshape(m, 1, len(QUEUE_FIELDS))
    entries = ["-1"] * (n * n)
    for lid, (u, v) in enumerate(topology.links):
        if np.isnan(port["utilisation"][lid]):
            continue
        queues = [row for row in q[lid] if not np.isnan(row).all()]
        vals = [port["utilisation"][lid], port["loss_ratio"][lid], port["mean_packet_size"][lid]]
        vals += [x for row in queues for x in row]
        if not queues or np.isnan(vals).any():
            raise InvalidParameterError(f"link_stats of {topology.describe_link(lid)} are incomplete (NaN)")
        entries[int(u) * n + int(v)] = ",".join(_f(x) for x in vals)
    return ";".join(entries) + ";"


def _stability_line(sim_time: float, meta: Mapping[str, Any], kpis: PathKPIs) -> str:
    flag = "OK" if bool(meta.get("stable", True)) else str(meta.get("stability_flag") or "NOK")
    if flag == "OK" and not bool(meta.get("stable", True)):
        flag = "NOK"
    parts = [_f(sim_time), _f(meta.get("stability_value", 0.0) or 0.0), flag]
    mem = meta.get("memory_kb")
    wall = meta.get("wall_time_s", kpis.metadata.get("wall_time_s"))
    if mem is not None:
        parts.append(f"Mem(KB):{_f(mem)}")
    if wall is not None:
        parts.append(f"Time(s):{_f(wall)}")
    return ";".join(parts)


def _routing_text(scenario: Scenario) -> str:
    topo, routing = scenario.topology, scenario.routing
    n = topo.n_nodes
    if routing.n_paths != n * (n - 1):
        raise UnsupportedError(
            f"scenario {scenario.name!r} routes {routing.n_paths} pairs; the datanet format needs a path "
            f"for every ordered pair, n·(n-1) = {n * (n - 1)}"
        )
    order = np.argsort(routing.pairs[:, 0] * n + routing.pairs[:, 1], kind="stable")
    return "".join(";".join(str(x) for x in routing.node_path(topo, int(i))) + "\n" for i in order)


def _unpack(item: Any) -> tuple[Scenario, PathKPIs, Mapping[str, Any]]:
    if isinstance(item, DatanetSample):
        return item.scenario, item.kpis, item.metadata
    if isinstance(item, tuple) and len(item) == 2:
        scenario, kpis = item
        if isinstance(scenario, Scenario) and isinstance(kpis, PathKPIs):
            return scenario, kpis, {}
    raise InvalidParameterError(
        f"samples must be DatanetSample or (Scenario, PathKPIs) tuples, got {type(item).__name__}"
    )


def write_datanet(
    samples: Iterable[tuple[Scenario, PathKPIs] | DatanetSample],
    out_dir: str | Path,
    *,
    sim_time: float | None = None,
    name: str = "results_kplane",
) -> Path:
    """Write samples as a datanet (2021 format) dataset that :func:`read_datanet` reads back.

    Parameters
    ----------
    samples : iterable of (Scenario, PathKPIs) or DatanetSample
        Each scenario must route every ordered pair (n·(n-1) paths). KPI packet counts
        (``delivered``, ``dropped``) are turned into rates per time unit with the simulated time;
        without counts, packet rates come from the offered traffic and ``loss_ratio``. A
        ``DatanetSample`` also brings its stability flag, wall time, measured rates and, when every
        sample has them, ``link_stats`` (written as ``linkUsage.txt``).
    out_dir : str or Path
        Dataset folder (created if needed). Graph and routing files are named by content hash, so
        several writes can share a folder.
    sim_time : float, optional
        Simulated time in seconds (= time units) of every sample. Default: the sample's
        ``metadata["sim_time"]``, else ``kpis.metadata["sim_time"]`` or ``["duration"]``.
    name : str
        Name of the tarball (``<name>.tar.gz``) and of the folder inside it.

    Returns
    -------
    Path
        The tarball written. Graph and routing files are written before it and every file is
        replaced atomically, so a reader never sees a half-written dataset.

    Raises
    ------
    InvalidParameterError
        No samples, a bad ``name``/``sim_time``, or KPIs that do not match the scenario.
    UnsupportedError
        A routing without all pairs, or per-link queue sizes that the GML graph cannot hold.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in (".", ".."):
        raise InvalidParameterError(f"name must be a plain file name (letters, digits, _ . -), got {name!r}")
    if sim_time is not None and not (math.isfinite(sim_time) and sim_time > 0):
        raise InvalidParameterError(f"sim_time must be > 0 seconds, got {sim_time!r}")
    out = Path(out_dir)
    files: dict[str, dict[str, str]] = {"graphs": {}, "routings": {}}
    lines: dict[str, list[str]] = {k: [] for k in ("input_files.txt", "traffic.txt", "simulationResults.txt",
                                                     "stability.txt", "linkUsage.txt")}
    with_links = True
    for k, item in enumerate(samples):
        scenario, kpis, meta = _unpack(item)
        T = sim_time or meta.get("sim_time") or kpis.metadata.get("sim_time") or kpis.metadata.get("duration")
        if T is None or not (math.isfinite(float(T)) and float(T) > 0):
            raise InvalidParameterError(f"sample {k}: sim_time is needed (seconds > 0) to turn packet counts "
                                        f"into rates; got {T!r}")
        T = float(T)
        topo = scenario.topology
        gml = gml_text(topo)
        gfile = f"graph-{_slug(topo.name)}-{_digest(gml)}.txt"
        files["graphs"][gfile] = gml
        rtext = _routing_text(scenario)
        rfile = f"routing-{_slug(topo.name)}-{_digest(gml + rtext)}.txt"
        files["routings"][rfile] = rtext
        lines["input_files.txt"].append(f"{k};{gfile};{rfile}")
        lines["traffic.txt"].append(_traffic_line(scenario, meta.get("max_avg_lambda")))
        rows = _kpi_rows(scenario, kpis, T, meta.get("measured_rate"))
        lines["simulationResults.txt"].append(_results_line(scenario, rows, meta.get("global_results")))
        lines["stability.txt"].append(_stability_line(T, meta, kpis))
        stats = meta.get("link_stats")
        if with_links and isinstance(stats, Mapping) and all(key in stats for key in _LINK_KEYS):
            lines["linkUsage.txt"].append(_link_usage_line(topo, stats))
        else:
            with_links = False
    if not lines["input_files.txt"]:
        raise InvalidParameterError("no samples to write")
    if not with_links:
        del lines["linkUsage.txt"]

    for folder, contents in files.items():
        for fname, text in contents.items():
            path = out / folder / fname
            if not (path.is_file() and path.read_text(encoding="utf-8") == text):
                atomic_write_text(path, text)
    tar_path = out / f"{name}.tar.gz"
    with atomic_write(tar_path, "wb", encoding=None) as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
            top = tarfile.TarInfo(name)
            top.type, top.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(top)
            for member, rows_ in lines.items():
                data = ("\n".join(rows_) + "\n").encode()
                info = tarfile.TarInfo(f"{name}/{member}")
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return tar_path
