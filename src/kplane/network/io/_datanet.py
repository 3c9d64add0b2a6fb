"""Read the public datanet datasets (RouteNet / GNNet challenges 2020–2021) as kplane objects.

A dataset directory holds ``graphs/`` (GML), ``routings/`` and one or more ``*.tar.gz`` bundles, each
with line-aligned files (line k of every file = sample k of that bundle): ``input_files.txt``,
``traffic.txt``, ``simulationResults.txt``, ``stability.txt`` and, when recorded, ``linkUsage.txt``
and ``flowSimulationResults.txt``. Extracted bundles (folders holding ``input_files.txt``) are read
the same way. The mapping to kplane (units, masking, metadata) is described in ``docs/formats.md``:

- 1 time unit = 1 s; bandwidth in bits/tu → bit/s; AvgBw in kbit/tu → bit/s.
- ``PathKPIs`` per routing path (all n·(n-1) pairs, src-major order): mean delay [s], jitter [s²],
  mean log-delay, percentiles (p10, p20, p50, p80, p90) [s], ``offered_rate`` [bit/s] from the traffic,
  ``delivered`` = (PktsGen − PktsDrop)·T and ``dropped`` = PktsDrop·T packet counts over the simulated
  time T, and ``loss_ratio`` = PktsDrop / PktsGen. PktsGen is the rate of *generated* packets: it
  matches the offered packet rate AvgPktsLambda and includes the dropped ones. An exact -1 label is
  NaN.
"""

from __future__ import annotations

import gzip
import re
import tarfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np

from kplane.errors import FormatError, InvalidParameterError, InvalidScenarioError
from kplane.network._kpis import PathKPIs
from kplane.network._routing import Routing
from kplane.network._scenario import Scenario
from kplane.network._topology import Topology
from kplane.network._traffic import Traffic
from kplane.network.io._datanet_parse import (
    Stability,
    Where,
    parse_input_line,
    parse_link_usage_line,
    parse_stability_line,
    parse_traffic_line,
)
from kplane.network.io._datanet_results import parse_flow_results_line, parse_results_line
from kplane.network.io._datanet_routing import parse_routing
from kplane.network.io._gml import read_gml

__all__ = ["DatanetDataset", "DatanetSample", "read_datanet"]

REQUIRED_MEMBERS = ("input_files.txt", "traffic.txt", "simulationResults.txt", "stability.txt")
OPTIONAL_MEMBERS = ("linkUsage.txt", "flowSimulationResults.txt")


@dataclass(frozen=True, eq=False)
class DatanetSample:
    """One labelled sample: the scenario, its per-path KPIs and what else the files record.

    ``metadata`` keys: ``sim_time`` (s), ``stable`` (bool), ``stability_flag``, ``wall_time_s`` (the
    simulator's recorded wall time or None), ``memory_kb``, ``tarball``, ``index`` (line in the
    bundle, 0-based), ``sample_id``, ``graph_file``, ``routing_file``, ``routing_format``
    (``"node_paths"`` | ``"port_matrix"``), ``max_avg_lambda`` (bits/tu), ``global_results``
    (``packets`` and ``losses`` summed over pairs per second, packet-weighted mean ``delay`` in s),
    ``measured_rate`` ((n_paths,) AvgBw in bit/s) and, when
    recorded, ``link_stats`` (dict of (n_links,) arrays ``utilisation``, ``loss_ratio``,
    ``mean_occupancy``, ``max_occupancy``, ``mean_packet_size`` and (n_links, n_queues) ``queue_*``
    arrays) and ``flow_results`` (per-flow results).
    """

    scenario: Scenario
    kpis: PathKPIs
    metadata: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``scenario, kpis = sample``."""
        return iter((self.scenario, self.kpis))

    def __repr__(self) -> str:
        return (f"DatanetSample(scenario={self.scenario.name!r}, n_paths={self.kpis.n_paths}, "
                f"sim_time={self.metadata.get('sim_time')})")


# ---------------------------------------------------------------------------------------- bundles
def _natural_key(p: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(p))]


class _Bundle:
    """One tarball (or extracted folder) of line-aligned sample files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_dir = path.is_dir()

    def _label(self, member: str) -> str:
        return f"{self.path}:{member}"

    def read(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """All member files as lines, and each member's label for messages (``tarball:member``)."""
        raw: dict[str, tuple[str, bytes]] = {}
        if self.is_dir:
            for name in REQUIRED_MEMBERS + OPTIONAL_MEMBERS:
                p = self.path / name
                if p.is_file():
                    raw[name] = (str(p), p.read_bytes())
        else:
            try:
                with tarfile.open(self.path, "r:gz") as tar:
                    for info in tar:
                        base = info.name.rsplit("/", 1)[-1]
                        if not info.isfile() or base not in REQUIRED_MEMBERS + OPTIONAL_MEMBERS:
                            continue
                        if base in raw:
                            raise FormatError(f"two {base} members ({raw[base][0]} and {info.name}); "
                                              "a bundle holds one sample folder", file=self.path,
                                              field=base)
                        fh = tar.extractfile(info)
                        raw[base] = (info.name, fh.read() if fh is not None else b"")
            except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                raise FormatError(f"not a readable .tar.gz archive: {exc}", file=self.path) from None
        lines: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for base, (member, data) in raw.items():
            label = member if self.is_dir else self._label(member)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"not UTF-8 text: {exc}", file=label) from None
            rows = text.replace("\r\n", "\n").split("\n")
            while rows and not rows[-1].strip():
                rows.pop()
            lines[base] = rows
            labels[base] = label
        for base in REQUIRED_MEMBERS:
            if base not in lines:
                raise FormatError(f"bundle has no {base}", file=self.path, field=base)
        counts = {b: len(v) for b, v in lines.items()}
        if len(set(counts.values())) != 1:
            ref = counts["input_files.txt"]
            odd = next(b for b, c in counts.items() if c != ref)
            raise FormatError(f"{odd} has {counts[odd]} lines but input_files.txt has {ref}; the files of "
                              "a bundle must be line-aligned (one line per sample)",
                              file=labels[odd], line=min(counts[odd], ref) + 1, field=odd)
        return lines, labels


def _find_bundles(path: Path) -> tuple[Path, list[_Bundle]]:
    if not path.exists():
        raise InvalidParameterError(f"dataset path {path} does not exist")
    if path.is_file():
        if not path.name.endswith(".tar.gz"):
            raise InvalidParameterError(f"{path} is neither a dataset folder nor a .tar.gz bundle")
        return path.parent, [_Bundle(path)]
    if (path / "input_files.txt").is_file():
        return path.parent, [_Bundle(path)]
    tarballs = sorted((p for p in path.rglob("*.tar.gz") if p.is_file()), key=_natural_key)
    packed = {(p.parent, p.name.removesuffix(".tar.gz")) for p in tarballs}
    folders = sorted((p.parent for p in path.rglob("input_files.txt")
                      if p.is_file() and (p.parent.parent, p.parent.name) not in packed), key=_natural_key)
    found = tarballs + folders
    if not found:
        raise FormatError("no datanet bundles (*.tar.gz or folders with input_files.txt) found", file=path)
    return path, [_Bundle(p) for p in found]


# ---------------------------------------------------------------------------------------- reader
def _check_datanet_graph(topo: Topology, path: Path) -> None:
    """What datanet graphs always hold beyond generic GML: a directed graph, node ids and labels
    0..n-1 (traffic and routing refer to nodes by index), a scheduling policy and a queue size on
    every node."""
    meta = topo.metadata
    if not meta.get("directed", False):
        raise FormatError("datanet graphs are directed ('directed 1')", file=path, field="directed")
    for key, what in (("gml_ids", "id"), ("gml_labels", "label")):
        if key in meta:
            raise FormatError(f"datanet graphs need node {what}s 0..n-1 in order (traffic and routing refer "
                              f"to nodes by index), got {list(meta[key])[:6]}...", file=path, field=what)
    sched = meta.get("scheduling") or [{}] * topo.n_nodes
    for i, s in enumerate(sched):
        if "policy" not in s:
            raise FormatError(f"node {i} has no schedulingPolicy", file=path, field="schedulingPolicy")
        if "queue_sizes" not in s and "buffer_sizes" not in s:
            raise FormatError(f"node {i} has neither queueSizes nor bufferSizes", file=path,
                              field="queueSizes")


class _Reader:
    """Turns bundle lines into samples; caches graphs and routings (shared by many samples)."""

    max_cached = 512  # graphs and routings kept (LRU); datasets reuse a few hundred at most

    def __init__(self, root: Path) -> None:
        self.root = root
        self._graphs: OrderedDict[Path, Topology] = OrderedDict()
        self._routings: OrderedDict[tuple[Path, Path], tuple[Routing, str]] = OrderedDict()

    def _remember(self, cache: OrderedDict, key: Any, value: Any) -> None:
        cache[key] = value
        while len(cache) > self.max_cached:
            cache.popitem(last=False)

    def _locate(self, bundle: _Bundle, folder: str, name: str, where: Where, fld: str) -> Path:
        candidates = [bundle.path.parent / folder / name, self.root / folder / name,
                      bundle.path.parent.parent / folder / name]
        for c in candidates:
            if c.is_file():
                return c
        raise where.error(f"{folder}/{name} not found (looked in {self.root / folder})", fld)

    def graph(self, path: Path) -> Topology:
        if path in self._graphs:
            self._graphs.move_to_end(path)
            return self._graphs[path]
        topo = read_gml(path)
        _check_datanet_graph(topo, path)
        self._remember(self._graphs, path, topo)
        return topo

    def routing(self, gpath: Path, rpath: Path) -> tuple[Routing, str]:
        key = (gpath, rpath)
        if key in self._routings:
            self._routings.move_to_end(key)
            return self._routings[key]
        try:
            text = rpath.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"not UTF-8 text: {exc}", file=rpath) from None
        found = parse_routing(text.split("\n"), self.graph(gpath), str(rpath))
        self._remember(self._routings, key, found)
        return found

    def stability(self, lines: dict[str, list[str]], labels: dict[str, str], k: int) -> Stability:
        return parse_stability_line(lines["stability.txt"][k], Where(labels["stability.txt"], k + 1))

    def sample(self, bundle: _Bundle, lines: dict[str, list[str]], labels: dict[str, str], k: int,
               stab: Stability) -> DatanetSample:
        def where(member: str) -> Where:
            return Where(labels[member], k + 1)

        w_in = where("input_files.txt")
        sid, gname, rname = parse_input_line(lines["input_files.txt"][k], w_in)
        gpath = self._locate(bundle, "graphs", gname, w_in, "graph_file")
        rpath = self._locate(bundle, "routings", rname, w_in, "routing_file")
        topo = self.graph(gpath)
        routing, fmt = self.routing(gpath, rpath)
        n = topo.n_nodes
        w_tr = where("traffic.txt")
        tr = parse_traffic_line(lines["traffic.txt"][k], n, w_tr)
        res = parse_results_line(lines["simulationResults.txt"][k], n, where("simulationResults.txt"))
        try:
            traffic = Traffic(rate=tr.rate, packet_sizes=tuple(tr.packet_sizes), size_class=tr.size_class,
                              tos=tr.tos)
        except InvalidScenarioError as exc:
            raise w_tr.error(str(exc)) from None
        name = f"{bundle.path.name.removesuffix('.tar.gz')}:{k}"
        source = {"tarball": str(bundle.path), "index": k, "sample_id": sid, "graph_file": gname,
                  "routing_file": rname}
        scenario = Scenario(topology=topo, routing=routing, traffic=traffic, name=name,
                            metadata={"source": "datanet", **source})
        pairs = routing.pairs
        idx = pairs[:, 0] * n + pairs[:, 1]
        v = res.values[idx]
        T = stab.sim_time
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(v[:, 1] > 0, np.minimum(v[:, 2] / v[:, 1], 1.0), np.nan)
        kpis = PathKPIs(pairs=pairs, mean_delay=v[:, 3], jitter=v[:, 10], loss_ratio=loss,
                        mean_log_delay=v[:, 4], percentiles=v[:, 5:10],
                        delivered=np.maximum(v[:, 1] - v[:, 2], 0.0) * T, dropped=v[:, 2] * T,
                        offered_rate=scenario.path_rate(), node_names=topo.node_names,
                        metadata={"source": "datanet", "sim_time": T})
        meta: dict[str, Any] = {
            "sim_time": T, "stable": stab.stable, "stability_flag": stab.flag,
            "stability_value": stab.criterion, "wall_time_s": stab.wall_time_s,
            "memory_kb": stab.memory_kb, **source, "routing_format": fmt,
            "max_avg_lambda": tr.max_avg_lambda,
            "global_results": dict(zip(("packets", "losses", "delay"), res.global_results, strict=True)),
            "measured_rate": v[:, 0],
        }
        if "linkUsage.txt" in lines:
            meta["link_stats"] = parse_link_usage_line(lines["linkUsage.txt"][k], topo,
                                                       where("linkUsage.txt"))
        if "flowSimulationResults.txt" in lines:
            meta["flow_results"] = parse_flow_results_line(
                lines["flowSimulationResults.txt"][k], n, tr.n_flows, where("flowSimulationResults.txt"))
        return DatanetSample(scenario=scenario, kpis=kpis, metadata=meta)


def read_datanet(path: str | Path, *, skip_unstable: bool = True) -> Iterator[DatanetSample]:
    """Iterate over the samples of a datanet dataset, bundle by bundle, in file order.

    Parameters
    ----------
    path : str or Path
        Dataset folder (with ``graphs/``, ``routings/`` and ``*.tar.gz`` bundles), one bundle, or an
        extracted bundle folder.
    skip_unstable : bool
        Skip samples whose ``stability.txt`` flag is not ``OK`` (default).

    Returns
    -------
    iterator of DatanetSample
        ``scenario``, ``kpis`` and ``metadata`` (see :class:`DatanetSample`); each unpacks as
        ``scenario, kpis``. Bundles are read lazily, one at a time.

    Raises
    ------
    InvalidParameterError
        ``path`` does not exist (raised at the call).
    FormatError
        No bundles under ``path`` (at the call); while iterating, a malformed line, member or file,
        naming ``tarball:member``, the 1-based line and the field.
    UnsupportedError
        Traffic kplane does not model (non-Poisson arrivals, uniform/trace packet sizes, mixed
        classes on one pair).
    """
    root, bundles = _find_bundles(Path(path))  # a bad path fails here, not at the first next()
    return _iterate(_Reader(root), bundles, skip_unstable)


def _iterate(reader: _Reader, bundles: list[_Bundle], skip_unstable: bool) -> Iterator[DatanetSample]:
    for bundle in bundles:
        lines, labels = bundle.read()
        for k in range(len(lines["input_files.txt"])):
            stab = reader.stability(lines, labels, k)
            if skip_unstable and not stab.stable:
                continue
            yield reader.sample(bundle, lines, labels, k, stab)


class DatanetDataset(Sequence[DatanetSample]):
    """Random access to a datanet dataset: ``len(ds)`` and ``ds[k]``.

    ``k`` indexes the samples kept (stable ones by default) in bundle order. The first ``len`` or
    index call reads every bundle once to learn the stability flags; bundle contents are then kept in
    a small LRU cache (``cache_size`` bundles), and graphs/routings are parsed once, so iterating the
    whole dataset decompresses each bundle once.

    Parameters
    ----------
    path : str or Path
        As for :func:`read_datanet`.
    skip_unstable : bool
        Leave out samples whose stability flag is not ``OK`` (default).
    cache_size : int
        Number of decompressed bundles kept in memory.
    """

    def __init__(self, path: str | Path, *, skip_unstable: bool = True, cache_size: int = 8) -> None:
        if cache_size < 1:
            raise InvalidParameterError(f"cache_size must be >= 1, got {cache_size}")
        self.path = Path(path)
        self.skip_unstable = skip_unstable
        self.cache_size = cache_size
        root, self._bundles = _find_bundles(self.path)
        self._reader = _Reader(root)
        self._cache: OrderedDict[int, tuple[dict[str, list[str]], dict[str, str]]] = OrderedDict()
        self._index: list[tuple[int, int, Stability]] | None = None
        self._n_total = 0

    def _lines(self, b: int) -> tuple[dict[str, list[str]], dict[str, str]]:
        if b in self._cache:
            self._cache.move_to_end(b)
        else:
            self._cache[b] = self._bundles[b].read()
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return self._cache[b]

    def _build_index(self) -> list[tuple[int, int, Stability]]:
        if self._index is None:
            index: list[tuple[int, int, Stability]] = []
            total = 0
            for b in range(len(self._bundles)):
                lines, labels = self._lines(b)
                for k in range(len(lines["input_files.txt"])):
                    total += 1
                    stab = self._reader.stability(lines, labels, k)
                    if stab.stable or not self.skip_unstable:
                        index.append((b, k, stab))
            self._index, self._n_total = index, total
        return self._index

    @property
    def n_total(self) -> int:
        """Number of samples in the files, stable or not."""
        self._build_index()
        return self._n_total

    @property
    def n_bundles(self) -> int:
        """Number of tarballs (or extracted bundle folders)."""
        return len(self._bundles)

    def __len__(self) -> int:
        return len(self._build_index())

    @overload
    def __getitem__(self, k: int) -> DatanetSample: ...

    @overload
    def __getitem__(self, k: slice) -> list[DatanetSample]: ...

    def __getitem__(self, k: int | slice) -> DatanetSample | list[DatanetSample]:
        index = self._build_index()
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(index)))]
        if not isinstance(k, int | np.integer) or isinstance(k, bool):
            raise InvalidParameterError(f"dataset index must be an integer, got {k!r}")
        if not -len(index) <= k < len(index):
            raise IndexError(f"sample {k} out of range for a dataset of {len(index)} samples")
        b, line, stab = index[int(k)]
        lines, labels = self._lines(b)
        return self._reader.sample(self._bundles[b], lines, labels, line, stab)

    def __iter__(self) -> Iterator[DatanetSample]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"DatanetDataset({str(self.path)!r}, n_bundles={self.n_bundles})"
