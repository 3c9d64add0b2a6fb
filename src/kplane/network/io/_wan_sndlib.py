"""Readers for the WAN formats of the risk-aware TE literature (part 3: SNDlib native, Topology Zoo GraphML).

Units:

- **SNDlib** native: capacities and demand values in SNDlib's abstract units, multiplied by ``unit``
  (default 1e9: read as Gbit/s). A link's capacity is its pre-installed capacity when > 0, otherwise
  its first (smallest) module capacity — the capacity of one installed module.
- **Topology Zoo GraphML**: ``LinkSpeedRaw`` (bit/s) where an edge has it, otherwise
  ``default_capacity``; parallel edges merge into one link whose capacity is their sum.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from kplane.errors import FormatError
from kplane.network.io._wan import WanNetwork, _num, _topology

__all__ = ["read_graphml", "read_sndlib"]


_SND_NODE = re.compile(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)")
_SND_LINK = re.compile(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)\s*(.*)$")
_SND_MODULES = re.compile(r"\(([^()]*)\)\s*$")


def _sections(path: Path) -> dict[str, list[tuple[int, str]]]:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    out: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for i, raw in enumerate(text, start=1):
        s = raw.split("#", 1)[0].strip()
        if not s or s.startswith("?"):
            continue
        m = re.match(r"^([A-Z_]+)\s*\($", s)
        if current is None and m:
            current = m.group(1)
            out[current] = []
            continue
        if current is not None and s == ")":
            current = None
            continue
        if current is not None:
            out[current].append((i, s))
        else:
            raise FormatError(f"unexpected text outside a section: {s[:40]!r}", file=path, line=i)
    if current is not None:
        raise FormatError(f"section {current} is not closed with ')'", file=path)
    return out


def read_sndlib(
    path: str | Path, *, unit: float = 1e9, directed_demands: bool = True, name: str | None = None
) -> WanNetwork:
    """Read an SNDlib native-format network (``NODES``, ``LINKS``, ``DEMANDS`` sections).

    Each link becomes two directed links with the same capacity (pre-installed capacity if > 0, else
    the first module capacity), in ``unit`` bit/s per SNDlib unit. Each demand ``(s t) value`` is a
    flow ``s → t``; with ``directed_demands=False`` the value is split equally over both directions.

    Parameters
    ----------
    path : str or Path
        The ``.txt`` file (e.g. ``germany50.txt``).
    unit : float
        bit/s per SNDlib unit (default 1e9).
    directed_demands : bool
        Read demands as directed (default) or split them over both directions.
    name : str, optional
        Topology name (default: the file stem).

    Returns
    -------
    WanNetwork
        Topology with node positions (longitude, latitude) and one traffic matrix.

    Raises
    ------
    FormatError
        A missing section, a malformed node/link/demand line (names the field), an unknown node.
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError("SNDlib file not found", file=path)
    sec = _sections(path)
    for need in ("NODES", "LINKS"):
        if need not in sec:
            raise FormatError(f"no {need} section", file=path)
    names: list[str] = []
    pos: list[tuple[float, float]] = []
    for line, s in sec["NODES"]:
        m = _SND_NODE.match(s)
        if m is None:
            raise FormatError(
                "expected '<node_id> ( <longitude> <latitude> )'", file=path, line=line, field="node"
            )
        names.append(m.group(1))
        pos.append((_num(m.group(2), path, line, "longitude"), _num(m.group(3), path, line, "latitude")))
    index = {nm: i for i, nm in enumerate(names)}
    if len(index) != len(names):
        raise FormatError("node names must be unique", file=path, field="node")

    def node(tok: str, line: int, fld: str) -> int:
        if tok not in index:
            raise FormatError(f"unknown node {tok!r}", file=path, line=line, field=fld)
        return index[tok]

    links: list[tuple[int, int]] = []
    caps: list[float] = []
    for line, s in sec["LINKS"]:
        m = _SND_LINK.match(s)
        if m is None:
            raise FormatError(
                "expected '<link_id> ( <source> <target> ) ...'", file=path, line=line, field="link"
            )
        u, v = node(m.group(2), line, "source"), node(m.group(3), line, "target")
        rest = m.group(4)
        head = rest.split("(", 1)[0].split()
        pre = _num(head[0], path, line, "pre_installed_capacity") if head else 0.0
        mods = _SND_MODULES.search(rest)
        mod_vals = mods.group(1).split() if mods else []
        if pre > 0:
            cap = pre
        elif len(mod_vals) >= 2:
            cap = min(_num(mod_vals[j], path, line, "module_capacity") for j in range(0, len(mod_vals), 2))
        else:
            raise FormatError(
                "link has neither pre-installed capacity nor a module",
                file=path,
                line=line,
                field="pre_installed_capacity",
            )
        if not cap > 0 or u == v:
            raise FormatError(
                "capacity must be > 0 and the ends distinct", file=path, line=line, field="link"
            )
        for a, b in ((u, v), (v, u)):
            if (a, b) in links:
                raise FormatError(f"link {names[a]}–{names[b]} is listed twice", file=path, line=line)
            links.append((a, b))
            caps.append(cap * unit)
    topo = _topology(names, links, caps, name or path.stem, path, "sndlib")
    topo = topo.replace(positions=np.asarray(pos))
    n = len(names)
    dem = np.zeros((1, n, n))
    for line, s in sec.get("DEMANDS", []):
        m = _SND_LINK.match(s)
        if m is None:
            raise FormatError(
                "expected '<demand_id> ( <source> <target> ) <unit> <value> ...'",
                file=path,
                line=line,
                field="demand",
            )
        a, b = node(m.group(2), line, "source"), node(m.group(3), line, "target")
        rest = m.group(4).split()
        if len(rest) < 2:
            raise FormatError(
                "expected <routing_unit> <demand_value>", file=path, line=line, field="demand_value"
            )
        val = _num(rest[1], path, line, "demand_value")
        if val < 0 or a == b:
            raise FormatError(
                "demand must be >= 0 between distinct nodes", file=path, line=line, field="demand_value"
            )
        if directed_demands:
            dem[0, a, b] += val * unit
        else:
            dem[0, a, b] += val * unit / 2
            dem[0, b, a] += val * unit / 2
    meta = {"files": [str(path)], "unit_bps": float(unit), "directed_demands": directed_demands}
    return WanNetwork(topo, demands=dem if "DEMANDS" in sec else None, source="sndlib", metadata=meta)


# ---------------------------------------------------------------------------------------------- GraphML
def read_graphml(
    path: str | Path,
    *,
    default_capacity: float = 10e9,
    largest_component: bool = True,
    name: str | None = None,
) -> WanNetwork:
    """Read a Topology Zoo GraphML file.

    Undirected edges become two directed links; self-loops are dropped; parallel edges merge into one
    link whose capacity is the sum of theirs. An edge's capacity is its ``LinkSpeedRaw`` (bit/s) when
    present, else ``default_capacity``. Node names are the ``label`` attributes (a repeated label gets
    ``#<id>`` appended); positions are (Longitude, Latitude) when every node has them.

    Parameters
    ----------
    path : str or Path
        The ``.graphml`` file.
    default_capacity : float
        bit/s for edges without ``LinkSpeedRaw`` (default 10 Gbit/s).
    largest_component : bool
        Keep only the largest connected component (dropped nodes are listed in the metadata).
    name : str, optional
        Topology name (default: the file stem).

    Returns
    -------
    WanNetwork

    Raises
    ------
    FormatError
        A file that is not valid GraphML, or a non-numeric ``LinkSpeedRaw``.
    """
    import networkx as nx

    path = Path(path)
    if not path.is_file():
        raise FormatError("GraphML file not found", file=path)
    if not default_capacity > 0:
        raise FormatError(f"default_capacity must be > 0 bit/s, got {default_capacity}", file=path)
    try:
        g = nx.read_graphml(path)
    except Exception as exc:  # networkx raises several types (ParseError, NetworkXError, KeyError)
        raise FormatError(f"not a readable GraphML file: {exc}", file=path) from None
    simple = nx.Graph()
    simple.add_nodes_from(g.nodes(data=True))
    for u, v, data in g.edges(data=True):
        if u == v:
            continue
        raw = data.get("LinkSpeedRaw")
        try:
            cap = float(raw) if raw is not None else float(default_capacity)
        except (TypeError, ValueError):
            raise FormatError(
                f"LinkSpeedRaw {raw!r} of edge {u}–{v} is not a number", file=path, field="LinkSpeedRaw"
            ) from None
        if not cap > 0:
            cap = float(default_capacity)
        if simple.has_edge(u, v):
            simple[u][v]["capacity"] += cap
        else:
            simple.add_edge(u, v, capacity=cap)
    dropped: list[str] = []
    if largest_component and simple.number_of_nodes():
        keep = max(nx.connected_components(simple), key=len)
        dropped = [str(v) for v in simple.nodes if v not in keep]
        simple = simple.subgraph(keep).copy()
    nodes = list(simple.nodes)
    labels = [str(simple.nodes[v].get("label", v)) for v in nodes]
    names = [f"{lb}#{v}" if labels.count(lb) > 1 else lb for lb, v in zip(labels, nodes, strict=True)]
    index = {v: i for i, v in enumerate(nodes)}
    links: list[tuple[int, int]] = []
    caps: list[float] = []
    for u, v, data in simple.edges(data=True):
        for a, b in ((u, v), (v, u)):
            links.append((index[a], index[b]))
            caps.append(data["capacity"])
    if not links:
        raise FormatError("the graph has no edges", file=path)
    topo = _topology(names, links, caps, name or path.stem, path, "graphml")
    lon = [simple.nodes[v].get("Longitude") for v in nodes]
    lat = [simple.nodes[v].get("Latitude") for v in nodes]
    if all(x is not None for x in lon + lat):
        topo = topo.replace(positions=np.column_stack([np.asarray(lon, float), np.asarray(lat, float)]))
    meta = {"files": [str(path)], "default_capacity_bps": float(default_capacity), "dropped_nodes": dropped}
    return WanNetwork(topo, source="graphml", metadata=meta)
