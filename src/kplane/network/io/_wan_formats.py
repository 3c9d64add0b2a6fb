"""Readers for the WAN formats of the risk-aware TE literature (part 2: Flexile, SNDlib, GraphML, FIGRET).

See :mod:`kplane.network.io._wan` for the result type :class:`WanNetwork` and the conventions.

Units:

- **Flexile** ``*_capa.tab`` / ``*_traffic.tab``: abstract units (B4: capacity 1); both are multiplied
  by ``unit`` (default 1e9: read as Gbit/s).
- **SNDlib** native: capacities and demand values in SNDlib's abstract units, multiplied by ``unit``
  (default 1e9: read as Gbit/s). A link's capacity is its pre-installed capacity when > 0, otherwise
  its first (smallest) module capacity — the capacity of one installed module.
- **Topology Zoo GraphML**: ``LinkSpeedRaw`` (bit/s) where an edge has it, otherwise
  ``default_capacity``; parallel edges merge into one link whose capacity is their sum.
- **FIGRET** ``<NAME>.json`` (networkx node-link, capacities in bit/s) and ``*.hist`` (one flattened
  ``n × n`` matrix per line, same unit as the capacities): ``unit`` (default 1.0) multiplies both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import FormatError
from kplane.network.io._wan import WanNetwork, _is_header, _lines, _num, _topology

__all__ = ["read_figret_topology", "read_flexile_topology", "read_graphml", "read_sndlib"]


# ---------------------------------------------------------------------------------------------- Flexile
def _flexile_file(path: Path, suffix: str) -> Path | None:
    if path.is_file():
        return path
    hits = sorted(path.glob(f"*_{suffix}.tab"))
    return hits[0] if hits else None


def read_flexile_topology(
    path: str | Path, *, unit: float = 1e9, traffic: bool = True, name: str | None = None
) -> WanNetwork:
    """Read a Flexile topology: ``<name>_capa.tab`` (``i j capacity``, 0-based) and its traffic.

    Parameters
    ----------
    path : str or Path
        The folder (``_data/b4``) or the ``*_capa.tab`` file.
    unit : float
        bit/s per file unit, for capacities and demands (default 1e9).
    traffic : bool
        Also read ``<name>_traffic.tab`` (``s t h tm``: source, target, class ``h``, volume ``tm``)
        when present; ``demands[h]`` is the matrix of class ``h`` (one class in the standard files).
    name : str, optional
        Topology name (default: the file stem without ``_capa``).

    Returns
    -------
    WanNetwork

    Raises
    ------
    FormatError
        Missing file, malformed row (names the field), duplicate link, traffic on unknown nodes.
    """
    path = Path(path)
    capa = _flexile_file(path, "capa")
    if capa is None:
        raise FormatError("no *_capa.tab file found", file=path)
    links: list[tuple[int, int]] = []
    caps: list[float] = []
    for k, (line, tok) in enumerate(_lines(capa)):
        if k == 0 and _is_header(tok):
            continue
        if len(tok) < 3:
            raise FormatError(f"expected 3 columns i j capacity, got {len(tok)}", file=capa, line=line)
        u = _num(tok[0], capa, line, "i", int)
        v = _num(tok[1], capa, line, "j", int)
        c = _num(tok[2], capa, line, "capacity")
        if u < 0 or v < 0:
            raise FormatError(
                "node numbers are 0-based and >= 0", file=capa, line=line, field="i" if u < 0 else "j"
            )
        if not c > 0:
            raise FormatError(f"capacity must be > 0, got {c}", file=capa, line=line, field="capacity")
        if (u, v) in links:
            raise FormatError(f"link {u}→{v} is listed twice", file=capa, line=line)
        links.append((u, v))
        caps.append(c * unit)
    if not links:
        raise FormatError("no links found", file=capa)
    n = max(max(e) for e in links) + 1
    stem = capa.stem[: -len("_capa")] if capa.stem.endswith("_capa") else capa.stem
    topo = _topology([str(i) for i in range(n)], links, caps, name or stem, capa, "flexile")
    meta: dict[str, Any] = {"files": [str(capa)], "unit_bps": float(unit)}
    dem = None
    tfile = capa.with_name(f"{stem}_traffic.tab")
    if traffic and tfile.is_file():
        entries: list[tuple[int, int, int, float]] = []
        for k, (line, tok) in enumerate(_lines(tfile)):
            if k == 0 and _is_header(tok):
                continue
            if len(tok) < 4:
                raise FormatError(f"expected 4 columns s t h tm, got {len(tok)}", file=tfile, line=line)
            s = _num(tok[0], tfile, line, "s", int)
            t = _num(tok[1], tfile, line, "t", int)
            h = _num(tok[2], tfile, line, "h", int)
            vol = _num(tok[3], tfile, line, "tm")
            if not (0 <= s < n and 0 <= t < n) or s == t:
                raise FormatError(
                    f"demand {s}→{t} names an unknown node or a self-pair (nodes 0..{n - 1})",
                    file=tfile,
                    line=line,
                    field="s",
                )
            if h < 0 or vol < 0:
                raise FormatError(
                    "class h and volume tm must be >= 0", file=tfile, line=line, field="h" if h < 0 else "tm"
                )
            entries.append((s, t, h, vol))
        n_h = max(e[2] for e in entries) + 1 if entries else 1
        dem = np.zeros((n_h, n, n))
        for s, t, h, vol in entries:
            dem[h, s, t] += vol * unit
        meta["files"].append(str(tfile))
    return WanNetwork(topo, demands=dem, source="flexile", metadata=meta)


# ---------------------------------------------------------------------------------------------- SNDlib
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


# ---------------------------------------------------------------------------------------------- FIGRET
def read_figret_topology(
    path: str | Path, *, unit: float = 1.0, demands: bool = True, name: str | None = None
) -> WanNetwork:
    """Read a FIGRET topology folder (``<NAME>.json`` node-link graph and ``train|test/*.hist`` TMs).

    Parameters
    ----------
    path : str or Path
        The folder (``Data/GEANT``) or its ``.json`` file.
    unit : float
        Multiplier to bit/s for capacities and demands (default 1.0: FIGRET's values are bit/s).
    demands : bool
        Also read every ``train/*.hist`` then ``test/*.hist`` file (sorted by name); the matrix
        ranges per file are listed in ``metadata["hist_files"]``.
    name : str, optional
        Topology name (default: the JSON stem).

    Returns
    -------
    WanNetwork

    Raises
    ------
    FormatError
        Missing/invalid JSON, a link without capacity, a ``.hist`` line with the wrong length.
    """
    path = Path(path)
    if path.is_dir():
        hits = sorted(path.glob("*.json"))
        if not hits:
            raise FormatError("no <NAME>.json topology in the folder", file=path)
        jfile, folder = hits[0], path
    else:
        jfile, folder = path, path.parent
    try:
        data = json.loads(jfile.read_text(encoding="utf-8"))
        raw_nodes = [nd["id"] for nd in data["nodes"]]
        raw_links = data.get("links", data.get("edges"))
        if raw_links is None:
            raise KeyError("links")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"not a node-link JSON graph ({exc})", file=jfile) from None
    index = {v: i for i, v in enumerate(raw_nodes)}
    links: list[tuple[int, int]] = []
    caps: list[float] = []
    for k, e in enumerate(raw_links):
        try:
            u, v, c = index[e["source"]], index[e["target"]], float(e["capacity"])
        except (KeyError, TypeError, ValueError):
            raise FormatError(
                f"link {k} needs source, target (known nodes) and a numeric capacity",
                file=jfile,
                field=f"links[{k}]",
            ) from None
        if not c > 0:
            raise FormatError(f"capacity must be > 0, got {c}", file=jfile, field=f"links[{k}].capacity")
        links.append((u, v))
        caps.append(c * unit)
    topo = _topology([str(v) for v in raw_nodes], links, caps, name or jfile.stem, jfile, "figret")
    meta: dict[str, Any] = {"files": [str(jfile)], "unit_bps": float(unit), "hist_files": []}
    dem = None
    if demands:
        n = topo.n_nodes
        mats: list[NDArray[np.float64]] = []
        for sub in ("train", "test"):
            for hist in sorted((folder / sub).glob("*.hist")):
                start = len(mats)
                for line, tok in _lines(hist):
                    if len(tok) != n * n:
                        raise FormatError(
                            f"expected {n * n} values ({n}×{n}), got {len(tok)}", file=hist, line=line
                        )
                    try:
                        vals = np.array(tok, dtype=np.float64).reshape(n, n)
                    except ValueError:
                        vals = np.array([_num(t, hist, line, "demand") for t in tok]).reshape(n, n)
                    if not np.isfinite(vals).all():
                        raise FormatError("demands must be finite", file=hist, line=line, field="demand")
                    if (vals < 0).any():
                        raise FormatError("demands must be >= 0", file=hist, line=line, field="demand")
                    np.fill_diagonal(vals, 0.0)
                    mats.append(vals * unit)
                meta["hist_files"].append({"file": str(hist), "first": start, "count": len(mats) - start})
        dem = np.stack(mats) if mats else None
    return WanNetwork(topo, demands=dem, source="figret", metadata=meta)
