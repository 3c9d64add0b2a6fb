"""Line parsers of the datanet files (one line = one sample), with file/line/field in every error.

Units are converted here: time units (tu) → seconds, bits per tu → bit/s, kbit/tu → bit/s
(1 tu = 1 s). An exact ``-1`` in a label field is the format's "no value" mark and becomes NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kplane.errors import FormatError, KplaneError, UnsupportedError
from kplane.network._topology import Topology
from kplane.network._traffic import PacketSizeDistribution

__all__ = [
    "Stability",
    "TrafficRow",
    "Where",
    "parse_input_line",
    "parse_link_usage_line",
    "parse_stability_line",
    "parse_traffic_line",
]

TIME_DISTRIBUTIONS = {0: "Poisson (exponential)", 1: "deterministic (CBR)", 2: "uniform", 3: "normal",
                      4: "ON-OFF", 5: "PPBP", 6: "trace", 7: "external"}
SIZE_DISTRIBUTIONS = {0: "deterministic", 1: "uniform", 2: "binomial", 3: "generic", 4: "trace"}
RESULT_FIELDS = ("AvgBw", "PktsGen", "PktsDrop", "AvgDelay", "AvgLnDelay", "p10", "p20", "p50", "p80",
                 "p90", "Jitter")
LINK_FIELDS = ("utilisation", "loss_ratio", "mean_packet_size")
QUEUE_FIELDS = ("utilisation", "loss_ratio", "mean_occupancy", "max_occupancy", "mean_packet_size")
_REL = 1e-3  # tolerance of consistency checks between redundant printed fields (6 significant digits)


@dataclass(frozen=True)
class Where:
    """A position in a dataset file: ``file`` (``tarball:member`` or a path) and a 1-based line."""

    file: str
    line: int | None = None

    def error(self, message: str, field: str | None = None) -> FormatError:
        return FormatError(message, file=self.file, line=self.line, field=field)

    def unsupported(self, message: str) -> UnsupportedError:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return UnsupportedError(f"{where}: {message}")


def _number(tok: str, where: Where, field: str) -> float:
    try:
        x = float(tok)
    except ValueError:
        raise where.error(f"expected a number, got {tok!r}", field) from None
    if not math.isfinite(x):
        raise where.error(f"must be a finite number, got {tok!r}", field)
    return x


def _nonneg(tok: str, where: Where, field: str, *, mask: bool = False) -> float:
    """A number >= 0; with ``mask`` an exact -1 is accepted and returned as NaN."""
    x = _number(tok, where, field)
    if mask and x == -1:
        return math.nan
    if x < 0:
        extra = " (or -1 for no value)" if mask else ""
        raise where.error(f"must be >= 0{extra}, got {tok!r}", field)
    return x


def _integer(tok: str, where: Where, field: str, lo: int | None = None) -> int:
    x = _number(tok, where, field)
    if not x.is_integer() or (lo is not None and x < lo):
        want = "an integer" if lo is None else f"an integer >= {lo}"
        raise where.error(f"must be {want}, got {tok!r}", field)
    return int(x)


def _split_body(line: str, where: Where, n_entries: int, what: str) -> tuple[str, list[str]]:
    """Split ``header|e;e;...;e;`` into the header and exactly ``n_entries`` entries."""
    parts = line.split("|")
    if len(parts) != 2:
        raise where.error(f"expected 'header|entries' with one '|', found {len(parts) - 1}", "line")
    return parts[0], _entries(parts[1], where, n_entries, what)


def _entries(body: str, where: Where, n_entries: int, what: str) -> list[str]:
    if not body.endswith(";"):
        raise where.error("line must end with ';' (is it truncated?)", "line")
    entries = body[:-1].split(";")
    if len(entries) != n_entries:
        raise where.error(f"expected {n_entries} {what} entries (n·n for the graph's nodes), got "
                          f"{len(entries)}", "line")
    return entries


# ---------------------------------------------------------------------------------------- input files
def parse_input_line(line: str, where: Where) -> tuple[int, str, str]:
    """``sample_id;graph_file;routing_file`` → ``(sample_id, graph_file, routing_file)``."""
    parts = line.split(";")
    if len(parts) == 4:
        raise where.unsupported("per-sample link bandwidth files (a 4th input_files field) are not "
                                "supported")
    if len(parts) != 3:
        raise where.error(f"expected 'sample_id;graph_file;routing_file', got {line!r}", "line")
    sid = _integer(parts[0], where, "sample_id", lo=0)
    names = []
    for tok, fld in ((parts[1], "graph_file"), (parts[2], "routing_file")):
        tok = tok.strip()
        if not tok or "/" in tok or "\\" in tok or tok in (".", ".."):
            raise where.error(f"must be a plain file name, got {tok!r}", fld)
        names.append(tok)
    return sid, names[0], names[1]


# ---------------------------------------------------------------------------------------- stability
@dataclass(frozen=True)
class Stability:
    """One ``stability.txt`` line: simulated time [s], flag, and what the simulator recorded."""

    sim_time: float
    stable: bool
    flag: str
    criterion: float
    memory_kb: float | None
    wall_time_s: float | None


def parse_stability_line(line: str, where: Where) -> Stability:
    """``simTime;criterion;OK;Mem(KB):m;Time(s):t`` (any flag but ``OK`` = unstable)."""
    parts = line.split(";")
    if len(parts) < 3:
        raise where.error(f"expected 'simTime;value;flag[;Mem(KB):m;Time(s):t]', got {line!r}", "line")
    sim_time = _number(parts[0], where, "simTime")
    if sim_time <= 0:
        raise where.error(f"simulated time must be > 0 time units, got {parts[0]!r}", "simTime")
    criterion = _number(parts[1], where, "stability value")
    flag = parts[2].strip()
    if not flag or ":" in flag:
        raise where.error(f"expected a stability flag such as 'OK', got {parts[2]!r}", "flag")
    extra: dict[str, float] = {}
    for tok in parts[3:]:
        key, sep, val = tok.partition(":")
        if not sep:
            raise where.error(f"expected 'name:value', got {tok!r}", tok)
        if key in extra:
            raise where.error(f"{key} appears twice", key)
        extra[key] = _nonneg(val, where, key)
    return Stability(sim_time=sim_time, stable=flag == "OK", flag=flag, criterion=criterion,
                     memory_kb=extra.get("Mem(KB)"), wall_time_s=extra.get("Time(s)"))


# ---------------------------------------------------------------------------------------- traffic
@dataclass
class TrafficRow:
    """One ``traffic.txt`` line, converted: rates in bit/s, size classes, ToS (all (n, n))."""

    max_avg_lambda: float
    rate: NDArray[np.float64]
    size_class: NDArray[np.int64]
    tos: NDArray[np.int64]
    packet_sizes: list[PacketSizeDistribution]
    n_flows: NDArray[np.int64]


def _size_distribution(f: list[str], at: int, where: Where, fld: str) -> tuple[tuple, int]:
    """Parse the size distribution starting at ``f[at]``; return (key, index after it)."""
    if len(f) < at + 2:
        raise where.error("flow ends before its packet-size distribution", fld)
    sd = _integer(f[at], where, f"{fld} sizeDist")
    avg = _nonneg(f[at + 1], where, f"{fld} AvgPktSize")
    if sd == 0:
        sizes, probs, end = [avg], [1.0], at + 2
    elif sd == 2:
        if len(f) < at + 4:
            raise where.error("binomial size distribution needs PktSize1 and PktSize2", fld)
        sizes = [_nonneg(f[at + 2], where, f"{fld} PktSize1"), _nonneg(f[at + 3], where, f"{fld} PktSize2")]
        probs, end = [0.5, 0.5], at + 4
    elif sd == 3:
        k = _integer(f[at + 2], where, f"{fld} NumCandidates", lo=1) if len(f) > at + 2 else 0
        end = at + 3 + 2 * k
        if k == 0 or len(f) < end:
            raise where.error("generic size distribution needs NumCandidates and size/prob pairs", fld)
        sizes = [_nonneg(f[at + 3 + 2 * j], where, f"{fld} Size_{j}") for j in range(k)]
        probs = [_nonneg(f[at + 4 + 2 * j], where, f"{fld} Prob_{j}") for j in range(k)]
        if abs(sum(probs) - 1.0) > _REL:
            raise where.error(f"size probabilities must sum to 1, got {sum(probs):g}", fld)
        probs = [p / sum(probs) for p in probs]
    else:
        name = SIZE_DISTRIBUTIONS.get(sd, f"code {sd}")
        raise where.unsupported(f"{fld}: packet-size distribution {name} (sizeDist {sd}) is not "
                                "supported; kplane reads deterministic (0), binomial (2) and generic (3)")
    if any(s <= 0 for s in sizes):
        raise where.error(f"packet sizes must be > 0 bits, got {sizes}", fld)
    mean = sum(s * p for s, p in zip(sizes, probs, strict=True))
    if abs(mean - avg) > _REL * max(mean, 1.0):
        raise where.error(f"AvgPktSize {avg:g} differs from the mean {mean:g} of the packet sizes", fld)
    return (tuple(sizes), tuple(probs)), end


def parse_traffic_line(line: str, n: int, where: Where) -> TrafficRow:
    """``maxAvgLambda|flow;flow;...;`` with n·n entries (index s·n + d), flows split by ``:``.

    Several flows of one pair are summed when they share the (Poisson) arrival, size distribution
    and ToS; otherwise :class:`UnsupportedError`.
    """
    head, entries = _split_body(line, where, n * n, "traffic")
    max_lambda = _nonneg(head, where, "maxAvgLambda")
    fast = _fast_traffic(entries, n, where)
    if fast is not None:
        return TrafficRow(max_lambda, *fast)
    rate = np.zeros((n, n))
    size_class = np.zeros((n, n), dtype=np.int64)
    tos = np.zeros((n, n), dtype=np.int64)
    n_flows = np.zeros((n, n), dtype=np.int64)
    classes: dict[tuple, int] = {}
    for idx, entry in enumerate(entries):
        s, d = divmod(idx, n)
        key_seen: tuple | None = None
        for j, flow in enumerate(entry.split(":")):
            fld = f"pair {s}→{d} flow {j}"
            f = flow.split(",")
            td = _integer(f[0], where, f"{fld} timeDist")
            if td == -1:
                for tok in f[1:]:
                    _number(tok, where, fld)
                if j > 0 or ":" in entry:
                    raise where.error("a pair without traffic (timeDist -1) cannot list other flows", fld)
                continue
            if td != 0:
                name = TIME_DISTRIBUTIONS.get(td, f"code {td}")
                raise where.unsupported(f"{fld}: arrival process {name} (timeDist {td}) is not supported; "
                                        "kplane reads Poisson flows (timeDist 0)")
            if s == d:
                raise where.error("traffic from a node to itself", fld)
            if len(f) < 5:
                raise where.error(f"Poisson flow needs at least 5 fields, got {len(f)}", fld)
            eq = _nonneg(f[1], where, f"{fld} EqLambda")
            pkts = _nonneg(f[2], where, f"{fld} AvgPktsLambda")
            if not _number(f[3], where, f"{fld} ExpMaxFactor") > 0:
                raise where.error(f"ExpMaxFactor must be > 0, got {f[3]!r}", f"{fld} ExpMaxFactor")
            dist, end = _size_distribution(f, 4, where, fld)
            if len(f) != end + 1:
                raise where.error(f"expected {end + 1} fields (ending with ToS), got {len(f)}", fld)
            tos_v = _integer(f[end], where, f"{fld} ToS", lo=0)
            mean = sum(a * b for a, b in zip(*dist, strict=True))
            if abs(pkts * mean - eq) > _REL * max(eq, 1.0):
                raise where.error(f"EqLambda {eq:g} bit/tu differs from AvgPktsLambda × mean size "
                                  f"{pkts * mean:g}", fld)
            key = (dist, tos_v)
            if key_seen is not None and key != key_seen:
                raise where.unsupported(f"{fld}: pair {s}→{d} has flows with different packet sizes or "
                                        "ToS; kplane models one traffic class per pair")
            key_seen = key
            rate[s, d] += eq
            size_class[s, d] = classes.setdefault(dist, len(classes))
            tos[s, d] = tos_v
            n_flows[s, d] += 1
    if not classes:
        classes[((1000.0,), (1.0,))] = 0  # no traffic at all: any distribution
    sizes = [PacketSizeDistribution(np.array(k[0]), np.array(k[1])) for k in classes]
    return TrafficRow(max_lambda, rate, size_class, tos, sizes, n_flows)


def _fast_traffic(entries: list[str], n: int, where: Where) -> tuple | None:
    """Vectorised parse of the common case (one Poisson flow per pair, one size distribution, no
    traffic on the diagonal only). Returns None whenever anything differs or looks wrong, and
    :func:`parse_traffic_line` then parses field by field (and reports the error precisely)."""
    off = ~np.eye(n, dtype=bool).ravel()
    try:
        rows = [e.split(",") for e in entries]
        diag = [float(t) for i in range(0, n * n, n + 1) for t in rows[i]]
        first = rows[1 if n > 1 else 0]
        spec = first[4:-1]
        length = len(first)
        if any(":" in e for e in entries) or length < 7:
            return None
        cols = [rows[i] for i in np.flatnonzero(off)]
        if any(len(r) != length or r[4:-1] != spec for r in cols):
            return None
        if any(float(rows[i][0]) != -1 for i in range(0, n * n, n + 1)):
            return None
        head = np.array([[float(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[-1])] for r in cols])
    except ValueError:
        return None
    if not (np.isfinite(head).all() and np.isfinite(diag).all()):
        return None
    td, eq, pkts, emf, tos_v = head.T
    if (td != 0).any() or (eq < 0).any() or (pkts < 0).any() or (emf <= 0).any():
        return None
    if (tos_v < 0).any() or (tos_v != np.round(tos_v)).any():
        return None
    try:
        dist, end = _size_distribution(first, 4, where, "pair 0→1 flow 0")
    except KplaneError:
        return None
    if end + 1 != length:
        return None
    mean = sum(a * b for a, b in zip(*dist, strict=True))
    if (np.abs(pkts * mean - eq) > _REL * np.maximum(eq, 1.0)).any():
        return None
    rate = np.zeros(n * n)
    rate[off] = eq
    tos = np.zeros(n * n, dtype=np.int64)
    tos[off] = tos_v.astype(np.int64)
    size = PacketSizeDistribution(np.array(dist[0]), np.array(dist[1]))
    return (rate.reshape(n, n), np.zeros((n, n), dtype=np.int64), tos.reshape(n, n), [size],
            off.reshape(n, n).astype(np.int64))


# ---------------------------------------------------------------------------------------- link usage
def parse_link_usage_line(line: str, topology: Topology, where: Where) -> dict[str, NDArray[np.float64]]:
    """``linkUsage.txt``: n·n entries (``-1`` where there is no port); per port utilisation, loss ratio,
    mean packet size, then per QoS queue utilisation, loss, mean occupancy, max occupancy, mean packet
    size. Returns (n_links,) arrays aligned with link ids (NaN where a link has no entry) and
    (n_links, n_queues) ``queue_*`` arrays.
    """
    n = topology.n_nodes
    entries = _entries(line, where, n * n, "link usage")
    m = topology.n_links
    port = np.full((m, len(LINK_FIELDS)), np.nan)
    queues: dict[int, list[float]] = {}
    for idx, entry in enumerate(entries):
        s, d = divmod(idx, n)
        fld = f"port {s}→{d}"
        if entry.strip() == "-1":
            continue
        if not topology.has_link(s, d):
            raise where.error(f"statistics for {s}→{d}, which is not a link of graph {topology.name!r}", fld)
        f = entry.split(",")
        if len(f) < 8 or (len(f) - 3) % 5:
            raise where.error(f"expected 3 + 5·k fields (k QoS queues), got {len(f)}", fld)
        vals = [_nonneg(t, where, fld) for t in f]
        for k in list(range(0, 2)) + [3 + 5 * q + i for q in range((len(f) - 3) // 5) for i in (0, 1)]:
            if vals[k] > 1 + 1e-6:
                raise where.error(f"utilisation and loss must be in [0, 1], got {f[k]}", fld)
        lid = topology.link_id(s, d)
        port[lid] = vals[:3]
        queues[lid] = vals[3:]
    nq = max((len(v) // 5 for v in queues.values()), default=1)
    q = np.full((m, nq, len(QUEUE_FIELDS)), np.nan)
    for lid, vals in queues.items():
        arr = np.array(vals).reshape(-1, len(QUEUE_FIELDS))
        q[lid, : arr.shape[0]] = arr
    with np.errstate(all="ignore"):
        mean_occ = np.where(np.isnan(q[:, :, 2]).all(axis=1), np.nan, np.nansum(q[:, :, 2], axis=1))
        max_occ = np.where(np.isnan(q[:, :, 3]).all(axis=1), np.nan, np.nanmax(
            np.where(np.isnan(q[:, :, 3]), -np.inf, q[:, :, 3]), axis=1))
    out = {"utilisation": port[:, 0], "loss_ratio": port[:, 1], "mean_packet_size": port[:, 2],
           "mean_occupancy": mean_occ, "max_occupancy": max_occ}
    for i, name in enumerate(QUEUE_FIELDS):
        out[f"queue_{name}"] = q[:, :, i]
    return out
