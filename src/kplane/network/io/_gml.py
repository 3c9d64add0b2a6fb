"""GML topologies, as used by the public datanet (RouteNet / GNNet challenge) datasets.

Reading maps a GML graph to a :class:`~kplane.network.Topology`:

- nodes are ordered by their GML ``id``; the node name is the ``name`` attribute, else the ``label``,
  else ``str(id)`` (ids other than 0..n-1 are kept in ``metadata["gml_ids"]``, labels other than
  ``str(id)`` in ``metadata["gml_labels"]``);
  ``Longitude``/``Latitude`` node attributes become positions when every node has both.
- every ``edge`` is a directed link ``source → target`` (an undirected graph, ``directed 0``, gives
  two links per edge); links keep the file's edge order. ``bandwidth`` (bits per time unit, a number
  or a string such as ``"10000"`` or ``"10kbps"``) is the capacity in bit/s (1 time unit = 1 s).
- the output buffer of a link is its source node's ``queueSizes`` (packets; the first value when
  the node has one queue per QoS level) or ``bufferSizes`` (bits, divided by ``buffer_packet_size``).
- node scheduling attributes (``schedulingPolicy``, ``schedulingWeights``, ``queueSizes``,
  ``bufferSizes``, ``levelsQoS``) are kept per node in ``topology.metadata["scheduling"]``; edge
  ``port`` numbers in ``metadata["ports"]`` and ``weight`` in ``metadata["link_weights"]`` (aligned
  with link ids); a kplane ``propagationDelay`` edge attribute (seconds) is read when present.

Malformed files raise :class:`~kplane.errors.FormatError` with the file, the 1-based line and the
attribute at fault; a graph with two links for one ordered node pair raises
:class:`~kplane.errors.UnsupportedError` (kplane models one output port per ordered pair).
The writer is :mod:`kplane.network.io._gml_write`.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kplane.errors import FormatError, InvalidParameterError, InvalidScenarioError, UnsupportedError
from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.utils import parse_rate

__all__ = ["SCHEDULING_POLICIES", "parse_gml", "read_gml"]

SCHEDULING_POLICIES = ("FIFO", "SP", "WFQ", "DRR")
"""Per-node scheduling policies of the datanet graphs (kept as metadata)."""

_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<ws>[ \t\r\f\v]+)|(?P<comment>\#[^\n]*)|(?P<str>"[^"]*")|(?P<open>\[)|(?P<close>\])
    |(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.]))|(?P<key>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<bad>.)""",
    re.VERBOSE,
)


@dataclass
class _Item:
    key: str
    value: Any  # int | float | str | list[_Item]
    line: int


def _parse_tree(text: str, file: str) -> list[_Item]:
    """Parse GML text into a tree of ``(key, value, line)`` items; FormatError on bad syntax."""
    stack: list[list[_Item]] = [[]]
    opened: list[_Item] = []
    key: tuple[str, int] | None = None
    line = 1
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "nl":
            line += 1
            continue
        if kind in ("ws", "comment"):
            continue
        if kind == "bad":
            raise FormatError(f"unexpected character {tok!r}", file=file, line=line)
        if key is None:
            if kind == "close":
                if not opened:
                    raise FormatError("']' without a matching '['", file=file, line=line)
                stack.pop()
                opened.pop()
                continue
            if kind != "key":
                raise FormatError(f"expected an attribute name, got {tok!r}", file=file, line=line)
            key = (tok, line)
            continue
        name, kline = key
        key = None
        if kind == "open":
            item = _Item(name, [], kline)
            stack[-1].append(item)
            stack.append(item.value)
            opened.append(item)
        elif kind == "str":
            stack[-1].append(_Item(name, html.unescape(tok[1:-1]), kline))
            line += tok.count("\n")
        elif kind == "num":
            is_int = not any(c in tok for c in ".eE")
            stack[-1].append(_Item(name, int(tok) if is_int else float(tok), kline))
        else:
            raise FormatError(f"attribute {name!r} has no value (got {tok!r})", file=file, line=kline,
                              field=name)
    if key is not None:
        raise FormatError(f"attribute {key[0]!r} has no value", file=file, line=key[1], field=key[0])
    if opened:
        raise FormatError(f"'{opened[-1].key} [' is never closed", file=file, line=opened[-1].line,
                          field=opened[-1].key)
    return stack[0]


def _attrs(items: list[_Item], file: str, multi: tuple[str, ...] = ()) -> dict[str, _Item]:
    """Attributes of a block by name; repeated names (other than ``multi``) are an error."""
    out: dict[str, _Item] = {}
    for it in items:
        if it.key in multi:
            continue
        if it.key in out:
            raise FormatError(f"attribute {it.key!r} appears twice (first on line {out[it.key].line})",
                              file=file, line=it.line, field=it.key)
        out[it.key] = it
    return out


def _int(it: _Item, file: str, lo: int | None = None) -> int:
    v = it.value
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            v = None
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or (lo is not None and v < lo):
        want = "an integer" if lo is None else f"an integer >= {lo}"
        raise FormatError(f"{it.key} must be {want}, got {it.value!r}", file=file, line=it.line,
                          field=it.key)
    return v


def _real(it: _Item, file: str, lo: float = 0.0) -> float:
    v = it.value
    try:
        x = float(v.strip()) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and x >= lo):
        raise FormatError(f"{it.key} must be a finite number >= {lo:g}, got {v!r}", file=file,
                          line=it.line, field=it.key)
    return x


def _real_list(it: _Item, file: str, *, integer: bool = False, lo: float = 0.0) -> list[Any]:
    """A comma-separated list attribute such as ``"60,30,10"`` (or a single number)."""
    parts = str(it.value).split(",") if isinstance(it.value, str) else [str(it.value)]
    out: list[Any] = []
    for p in parts:
        try:
            x = float(p.strip())
        except ValueError:
            x = math.nan
        if not (math.isfinite(x) and x >= lo) or (integer and not x.is_integer()):
            kind = "integers" if integer else "numbers"
            raise FormatError(f"{it.key} must be comma-separated {kind} >= {lo:g}, got {it.value!r}",
                              file=file, line=it.line, field=it.key)
        out.append(int(x) if integer else x)
    return out


def _bandwidth(it: _Item, file: str) -> float:
    v = it.value
    if isinstance(v, str) and re.search(r"[A-Za-z]", v):
        try:
            return parse_rate(v)
        except InvalidParameterError:
            pass
        raise FormatError(f"bandwidth must be a rate in bits per time unit, got {v!r}", file=file,
                          line=it.line, field="bandwidth")
    cap = _real(it, file)
    if cap <= 0:
        raise FormatError(f"bandwidth (link capacity) must be > 0 bits per time unit, got {v!r}",
                          file=file, line=it.line, field="bandwidth")
    return cap


def _node_scheduling(a: dict[str, _Item], file: str, buffer_packet_size: float) -> tuple[dict, int | None]:
    """Scheduling metadata of one node and the queue size (packets) of its output ports."""
    sched: dict[str, Any] = {}
    levels = _int(a["levelsQoS"], file, lo=1) if "levelsQoS" in a else None
    if levels is not None:
        sched["levels_qos"] = levels
    if "schedulingPolicy" in a:
        pol = str(a["schedulingPolicy"].value).strip().upper()
        if pol not in SCHEDULING_POLICIES:
            raise FormatError(f"schedulingPolicy must be one of {list(SCHEDULING_POLICIES)}, got "
                              f"{a['schedulingPolicy'].value!r}", file=file,
                              line=a["schedulingPolicy"].line, field="schedulingPolicy")
        sched["policy"] = pol
    queue: int | None = None
    for key, name, integer in (("schedulingWeights", "weights", False), ("queueSizes", "queue_sizes", True),
                               ("bufferSizes", "buffer_sizes", False)):
        if key not in a:
            continue
        values = _real_list(a[key], file, integer=integer, lo=1 if integer else 0)
        if levels is not None and len(values) != levels:
            raise FormatError(f"{key} has {len(values)} value(s) but levelsQoS is {levels}", file=file,
                              line=a[key].line, field=key)
        sched[name] = values
    if sched.get("policy") in ("WFQ", "DRR") and "weights" not in sched:
        it = a["schedulingPolicy"]
        raise FormatError(f"a {sched['policy']} node needs schedulingWeights", file=file, line=it.line,
                          field="schedulingWeights")
    if "queue_sizes" in sched:
        queue = int(sched["queue_sizes"][0])
    elif "buffer_sizes" in sched:
        queue = max(1, int(sched["buffer_sizes"][0] // buffer_packet_size))
    return sched, queue


def _topology_from_tree(
    tree: list[_Item], file: str, name: str | None, buffer_packet_size: float
) -> Topology:
    graphs = [it for it in tree if it.key == "graph"]
    if len(graphs) != 1 or not isinstance(graphs[0].value, list):
        raise FormatError("expected exactly one 'graph [ ... ]' block", file=file,
                          line=graphs[1].line if len(graphs) > 1 else None, field="graph")
    g = graphs[0].value
    ga = _attrs(g, file, multi=("node", "edge"))
    directed = _int(ga["directed"], file, lo=0) != 0 if "directed" in ga else False
    nodes: dict[int, tuple[str, dict[str, _Item], int]] = {}
    odd_labels = False
    for it in g:
        if it.key != "node":
            continue
        if not isinstance(it.value, list):
            raise FormatError("node must be a '[ ... ]' block", file=file, line=it.line, field="node")
        a = _attrs(it.value, file)
        if "id" not in a:
            raise FormatError("node has no 'id'", file=file, line=it.line, field="id")
        nid = _int(a["id"], file)
        if nid in nodes:
            raise FormatError(f"node id {nid} appears twice (first on line {nodes[nid][2]})", file=file,
                              line=a["id"].line, field="id")
        label = a["name"] if "name" in a else a.get("label")
        nodes[nid] = (str(nid) if label is None else str(label.value), a, it.line)
        if "label" in a and str(a["label"].value) != str(nid):
            odd_labels = True
    if not nodes:
        raise FormatError("graph has no nodes", file=file, field="node")
    ids = sorted(nodes)
    index = {nid: i for i, nid in enumerate(ids)}
    names = [nodes[nid][0] for nid in ids]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        line = next(nodes[nid][2] for nid in ids if nodes[nid][0] == dup)
        raise FormatError(f"node label {dup!r} is used by more than one node", file=file, line=line,
                          field="label")

    scheduling: list[dict[str, Any]] = []
    node_queue: list[int | None] = []
    for nid in ids:
        sched, q = _node_scheduling(nodes[nid][1], file, buffer_packet_size)
        scheduling.append(sched)
        node_queue.append(q)
    positions = None
    if all("Longitude" in nodes[nid][1] and "Latitude" in nodes[nid][1] for nid in ids):
        positions = np.array([[_real(nodes[nid][1][k], file, lo=-math.inf) for k in ("Longitude", "Latitude")]
                              for nid in ids])

    links: list[tuple[int, int]] = []
    caps: list[float] = []
    ports: list[int | None] = []
    weights: list[float | None] = []
    delays: list[float] = []
    seen: dict[tuple[int, int], int] = {}
    port_seen: dict[tuple[int, int], int] = {}
    for it in g:
        if it.key != "edge":
            continue
        if not isinstance(it.value, list):
            raise FormatError("edge must be a '[ ... ]' block", file=file, line=it.line, field="edge")
        a = _attrs(it.value, file)
        ends = []
        for key in ("source", "target"):
            if key not in a:
                raise FormatError(f"edge has no {key!r}", file=file, line=it.line, field=key)
            v = _int(a[key], file)
            if v not in index:
                raise FormatError(f"edge {key} {v} is not a node id of this graph", file=file,
                                  line=a[key].line, field=key)
            ends.append(index[v])
        u, v = ends
        if u == v:
            raise FormatError(f"edge is a self-loop at node {names[u]!r}", file=file, line=it.line,
                              field="target")
        if "bandwidth" not in a:
            raise FormatError("edge has no 'bandwidth' (link capacity, bits per time unit)", file=file,
                              line=it.line, field="bandwidth")
        cap = _bandwidth(a["bandwidth"], file)
        port = _int(a["port"], file, lo=0) if "port" in a else None
        weight = _real(a["weight"], file) if "weight" in a else None
        delay = _real(a["propagationDelay"], file) if "propagationDelay" in a else 0.0
        pairs = [(u, v)] if directed else [(u, v), (v, u)]
        for uv in pairs:
            if uv in seen:
                raise UnsupportedError(
                    f"{file}:{it.line}: second link {names[uv[0]]}→{names[uv[1]]} (first on line "
                    f"{seen[uv]}); kplane models one output port per ordered node pair"
                )
            seen[uv] = it.line
            links.append(uv)
            caps.append(cap)
            weights.append(weight)
            delays.append(delay)
            ports.append(port if directed else None)
        if directed and port is not None:
            if (u, port) in port_seen:
                raise FormatError(f"node {names[u]!r} has two edges on port {port} (first on line "
                                  f"{port_seen[(u, port)]})", file=file, line=a["port"].line, field="port")
            port_seen[(u, port)] = it.line
    if not links:
        raise FormatError("graph has no edges", file=file, field="edge")

    queue: list[int] = [DEFAULT_QUEUE_SIZE if (q := node_queue[u]) is None else q for u, _ in links]
    meta: dict[str, Any] = {"source_format": "gml", "directed": directed}
    if ids != list(range(len(ids))):
        meta["gml_ids"] = ids
    if odd_labels:
        meta["gml_labels"] = [str(nodes[nid][1]["label"].value) if "label" in nodes[nid][1] else str(nid)
                              for nid in ids]
    if any(scheduling):
        meta["scheduling"] = scheduling
    if all(p is not None for p in ports):
        meta["ports"] = [int(p) for p in ports]  # type: ignore[arg-type]
    if all(w is not None for w in weights):
        meta["link_weights"] = [float(w) for w in weights]  # type: ignore[arg-type]
    title = name
    if title is None:
        title = str(ga["label"].value) if "label" in ga else (
            str(ga["name"].value) if "name" in ga else Path(file).stem)
    try:
        return Topology.from_edges(names, links, caps, queue_size=queue, propagation_delay=delays,
                                   positions=positions, name=title, metadata=meta)
    except InvalidScenarioError as exc:
        raise FormatError(str(exc), file=file) from None


def read_gml(
    path: str | Path, *, name: str | None = None, buffer_packet_size: float = 1000.0
) -> Topology:
    """Read a GML graph (datanet style) as a :class:`~kplane.network.Topology`.

    Parameters
    ----------
    path : str or Path
        The GML file.
    name : str, optional
        Topology name; default: the graph's ``label``/``name`` attribute, else the file stem.
    buffer_packet_size : float
        Bits per packet used to turn a ``bufferSizes`` attribute (bits) into a queue size in packets
        when a node has no ``queueSizes``. Default 1000 bits (the mean of RouteNet's 300/1700-bit
        packets).

    Returns
    -------
    Topology
        Capacity in bit/s (``bandwidth`` in bits per time unit, 1 time unit = 1 s), queue sizes in
        packets, scheduling/port/weight attributes in ``metadata`` (see the module docstring).

    Raises
    ------
    FormatError
        Malformed GML or attribute values (file, line, field named).
    UnsupportedError
        Two links for one ordered node pair.
    """
    path = Path(path)
    if not buffer_packet_size > 0:
        raise InvalidParameterError(f"buffer_packet_size must be > 0 bits, got {buffer_packet_size!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text: {exc}", file=path) from None
    return parse_gml(text, file=str(path), name=name, buffer_packet_size=buffer_packet_size)


def parse_gml(
    text: str, *, file: str = "<gml>", name: str | None = None, buffer_packet_size: float = 1000.0
) -> Topology:
    """Like :func:`read_gml`, from GML text (``file`` names it in error messages)."""
    return _topology_from_tree(_parse_tree(text, file), file, name, buffer_packet_size)
