"""Readers for the tunnel and scenario files of TeaVaR/YATES, Flexile, FIGRET and ARROW.

All return kplane objects on a given :class:`~kplane.network.Topology` (read with the matching
:mod:`kplane.network.io` reader, so that node numbering agrees). Malformed lines raise
:class:`~kplane.errors.FormatError` (file, line, field); a tunnel over a link the topology lacks is a
``FormatError`` too.

- YATES / TeaVaR ``paths/<SCHEME>``: blocks ``h1 -> h2 :`` followed by ``[(h1,s1), (s1,s2), (s2,h2)] @ w``
  lines; ``h<i>`` is the host at switch ``s<i>``; switches are matched to node names.
- Flexile ``*_tunnel.tab``: ``s t k edges`` with edges ``0-2,2-3`` (0-based nodes).
- FIGRET ``tunnels.txt``: ``s d:n0-n1-...-nk,n0-...`` (node sequences, comma-separated).
- ARROW ``tunnels_edges.txt``: ``Flow: (1, 2) and Tunnel: [(1, 4, 1), (4, 2, 1)]`` (1-based nodes).
- Flexile ``*_scenario.tab``: ``<failed edges u-v,...|no> <probability>``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from kplane.errors import FormatError, InvalidParameterError
from kplane.network._topology import Topology
from kplane.te._scenarios import ScenarioSet
from kplane.te._tunnelset import TunnelSet

__all__ = [
    "read_arrow_scenarios",
    "read_arrow_tunnels",
    "read_figret_tunnels",
    "read_flexile_scenarios",
    "read_flexile_tunnels",
    "read_yates_paths",
]

_Paths = dict[tuple[int, int], list[list[int]]]


def _text(path: Path) -> list[str]:
    if not path.is_file():
        raise FormatError("file not found", file=path)
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _links(topology: Topology, nodes: list[int], path: Path, line: int) -> list[int]:
    out = []
    for a, b in zip(nodes[:-1], nodes[1:], strict=True):
        if not topology.has_link(a, b):
            names = topology.node_names
            an = names[a] if 0 <= a < len(names) else str(a)
            bn = names[b] if 0 <= b < len(names) else str(b)
            raise FormatError(
                f"tunnel uses link {an}→{bn}, which topology {topology.name!r} lacks",
                file=path,
                line=line,
                field="tunnel",
            )
        out.append(topology.link_id(a, b))
    return out


def _finish(paths: _Paths, max_per_flow: int | None, topology: Topology, path: Path) -> TunnelSet:
    if max_per_flow is not None:
        paths = {k: v[:max_per_flow] for k, v in paths.items()}
    for s, d in paths:
        if not (0 <= s < topology.n_nodes and 0 <= d < topology.n_nodes) or s == d:
            raise FormatError(f"flow {s}→{d} is not a pair of distinct topology nodes", file=path)
    ts = TunnelSet.from_paths(paths)
    ts.check(topology)
    return ts


def read_yates_paths(path: str | Path, topology: Topology, *, max_per_flow: int | None = None) -> TunnelSet:
    """Read a YATES/TeaVaR path file (``paths/FFC``, ``paths/SMORE``, ...).

    Parameters
    ----------
    path : str or Path
        The path file.
    topology : Topology
        Its topology (node names ``s1``, ``s2``, ... as in TeaVaR's ``nodes.txt``).
    max_per_flow : int, optional
        Keep at most this many tunnels per flow (in file order).

    Returns
    -------
    TunnelSet
        Flows in sorted pair order, tunnels in file order (duplicate paths dropped).
    """
    path = Path(path)
    header = re.compile(r"^\s*h(\S+)\s*->\s*h(\S+)\s*:\s*$")
    hop = re.compile(r"\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)")
    index = {name: i for i, name in enumerate(topology.node_names)}
    paths: _Paths = {}
    current: tuple[int, int] | None = None

    def node(name: str, line: int) -> int:
        if name in index:
            return index[name]
        raise FormatError(f"unknown node {name!r}", file=path, line=line, field="path")

    for i, raw in enumerate(_text(path), start=1):
        s = raw.strip()
        if not s:
            continue
        m = header.match(s)
        if m:
            current = (node(f"s{m.group(1)}", i), node(f"s{m.group(2)}", i))
            paths.setdefault(current, [])
            continue
        if not s.startswith("["):
            raise FormatError("expected 'h<i> -> h<j> :' or '[(a,b), ...] @ weight'", file=path, line=i)
        if current is None:
            raise FormatError("a path before any 'h<i> -> h<j> :' header", file=path, line=i)
        hops = hop.findall(s.split("@")[0])
        seq = [b for a, b in hops if not b.startswith("h")]
        if not hops or not seq:
            raise FormatError("a path needs at least one switch hop", file=path, line=i, field="path")
        nodes = [node(x, i) for x in seq]
        if (nodes[0], nodes[-1]) != current:
            raise FormatError("path does not join the header's switches", file=path, line=i, field="path")
        if len(nodes) < 2:
            continue
        links = _links(topology, nodes, path, i)
        if links not in paths[current]:
            paths[current].append(links)
    return _finish({k: v for k, v in paths.items() if v}, max_per_flow, topology, path)


def read_flexile_tunnels(
    path: str | Path, topology: Topology, *, max_per_flow: int | None = None
) -> TunnelSet:
    """Read a Flexile ``*_tunnel.tab`` (``s t k edges``; edges ``u-v,v-w``; 0-based nodes)."""
    path = Path(path)
    paths: _Paths = {}
    for i, raw in enumerate(_text(path), start=1):
        tok = raw.split()
        if not tok or (i == 1 and not tok[0].isdigit()):
            continue
        if len(tok) < 4:
            raise FormatError(f"expected s t k edges, got {len(tok)} columns", file=path, line=i)
        try:
            s, d = int(tok[0]), int(tok[1])
            hops = [tuple(int(x) for x in h.split("-")) for h in tok[3].split(",")]
        except ValueError:
            raise FormatError(
                "expected integers and edges like 0-2,2-3", file=path, line=i, field="edges"
            ) from None
        if any(len(h) != 2 for h in hops) or any(
            a[1] != b[0] for a, b in zip(hops[:-1], hops[1:], strict=True)
        ):
            raise FormatError("edges must be a contiguous list u-v,v-w", file=path, line=i, field="edges")
        nodes = [hops[0][0]] + [h[1] for h in hops]
        if (nodes[0], nodes[-1]) != (s, d):
            raise FormatError("edges do not join s and t", file=path, line=i, field="edges")
        paths.setdefault((s, d), []).append(_links(topology, nodes, path, i))
    return _finish(paths, max_per_flow, topology, path)


def read_figret_tunnels(
    path: str | Path, topology: Topology, *, max_per_flow: int | None = None
) -> TunnelSet:
    """Read a FIGRET ``tunnels.txt`` (``s d:n0-n1-...,...``; node ids as in the FIGRET JSON)."""
    path = Path(path)
    index = {name: i for i, name in enumerate(topology.node_names)}
    paths: _Paths = {}
    for i, raw in enumerate(_text(path), start=1):
        s = raw.strip()
        if not s:
            continue
        head, sep, body = s.partition(":")
        ends = head.split()
        if not sep or len(ends) != 2:
            raise FormatError("expected 's d:path,path,...'", file=path, line=i)
        try:
            key = (index[ends[0]], index[ends[1]])
            seqs = [[index[x] for x in p.split("-")] for p in body.split(",") if p]
        except KeyError as exc:
            raise FormatError(f"unknown node {exc.args[0]!r}", file=path, line=i, field="path") from None
        for nodes in seqs:
            if (nodes[0], nodes[-1]) != key:
                raise FormatError("a path does not join the pair's nodes", file=path, line=i, field="path")
            paths.setdefault(key, []).append(_links(topology, nodes, path, i))
    return _finish(paths, max_per_flow, topology, path)


def read_arrow_tunnels(path: str | Path, topology: Topology, *, max_per_flow: int | None = None) -> TunnelSet:
    """Read an ARROW ``tunnels_edges.txt`` (``Flow: (s, d) and Tunnel: [(u, v, idx), ...]``, 1-based).

    ``path`` may be the file or its ``tunnels_*`` folder.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "tunnels_edges.txt"
    line_re = re.compile(r"^Flow:\s*\((\d+),\s*(\d+)\)\s*and\s*Tunnel:\s*\[(.*)\]\s*$")
    hop = re.compile(r"\((\d+),\s*(\d+),\s*(\d+)\)")
    paths: _Paths = {}
    for i, raw in enumerate(_text(path), start=1):
        s = raw.strip()
        if not s:
            continue
        m = line_re.match(s)
        if m is None:
            raise FormatError("expected 'Flow: (s, d) and Tunnel: [(u, v, i), ...]'", file=path, line=i)
        key = (int(m.group(1)) - 1, int(m.group(2)) - 1)
        hops = [(int(a) - 1, int(b) - 1) for a, b, _ in hop.findall(m.group(3))]
        if not hops:
            continue
        if any(a[1] != b[0] for a, b in zip(hops[:-1], hops[1:], strict=True)):
            raise FormatError("tunnel hops are not contiguous", file=path, line=i, field="tunnel")
        nodes = [hops[0][0]] + [h[1] for h in hops]
        if (nodes[0], nodes[-1]) != key:
            raise FormatError("tunnel does not join the flow's nodes", file=path, line=i, field="tunnel")
        paths.setdefault(key, []).append(_links(topology, nodes, path, i))
    return _finish(paths, max_per_flow, topology, path)


def read_flexile_scenarios(
    path: str | Path, topology: Topology, tunnels: TunnelSet, *, uncovered: str = "renormalised"
) -> ScenarioSet:
    """Read a Flexile ``*_scenario.tab``: ``<u-v,v-u,...|no> <probability>`` per line.

    ``no`` is the healthy scenario. Flexile lists both directions of a failed link, so survival is
    computed without the bidirectional rule. Uncovered mass (1 - Σp) is renormalised (default) or
    put on an all-links-failed scenario (``uncovered="all_failed"``).

    Raises
    ------
    FormatError
        Malformed line, a probability outside [0, 1], a link the topology lacks, no healthy line.
    """
    path = Path(path)
    fe: list[list[int]] = []
    probs: list[float] = []
    for i, raw in enumerate(_text(path), start=1):
        tok = raw.split()
        if not tok:
            continue
        if len(tok) != 2:
            raise FormatError("expected '<failed edges|no> <probability>'", file=path, line=i)
        try:
            p = float(tok[1])
        except ValueError:
            raise FormatError(
                f"expected a probability, got {tok[1]!r}", file=path, line=i, field="probability"
            ) from None
        if not 0 <= p <= 1:
            raise FormatError(
                f"probability must lie in [0, 1], got {p}", file=path, line=i, field="probability"
            )
        edges: list[int] = []
        if tok[0] != "no":
            for h in tok[0].split(","):
                try:
                    a, b = (int(x) for x in h.split("-"))
                except ValueError:
                    raise FormatError(
                        f"expected an edge u-v, got {h!r}", file=path, line=i, field="edges"
                    ) from None
                if not topology.has_link(a, b):
                    raise FormatError(
                        f"scenario references link {a}→{b}, which the topology lacks",
                        file=path,
                        line=i,
                        field="edges",
                    )
                edges.append(topology.link_id(a, b))
        fe.append(edges)
        probs.append(p)
    if not any(len(e) == 0 for e in fe):
        raise FormatError("no healthy ('no') scenario", file=path)
    p_arr = np.asarray(probs)
    mass = 1.0 - float(p_arr.sum())
    return _complete(topology, tunnels, fe, p_arr, mass, uncovered, {"source": f"flexile:{path}"})


def _complete(
    topology: Topology,
    tunnels: TunnelSet,
    fe: list[list[int]],
    p: np.ndarray,
    mass: float,
    uncovered: str,
    metadata: dict,
) -> ScenarioSet:
    if uncovered not in ("renormalised", "all_failed"):
        raise InvalidParameterError(f"uncovered must be 'renormalised' or 'all_failed', got {uncovered!r}")
    if uncovered == "all_failed" and mass > 0:
        fe = fe + [list(range(topology.n_links))]
        p = np.concatenate([p, [mass]])
    else:
        p = p / p.sum()
    return ScenarioSet.from_failed_edges(
        topology,
        tunnels,
        fe,
        p,
        uncovered=uncovered if mass > 0 else "none",
        uncovered_mass=max(mass, 0.0),
        add_healthy=True,
        metadata=metadata,
    )


def read_arrow_scenarios(path: str | Path, topology: Topology, tunnels: TunnelSet) -> ScenarioSet:
    """Read ARROW scenarios decoded to text: ``prob <TAB> IP-link up-bitmap [<TAB> fibre up-bitmap]``.

    Lines starting with ``#`` are comments. The IP bitmap has one 0/1 per link of ``topology`` (the
    order of ``IP_topo_*.txt``); the failed fibre rows (0-based) become ``failed_elements``. ARROW
    renormalised the probabilities already (``uncovered="none"`` is recorded, with a note).

    Raises
    ------
    FormatError
        A bitmap of the wrong length or with values other than 0/1, a bad probability, no healthy line.
    """
    path = Path(path)
    fe: list[list[int]] = []
    els: list[list[int]] = []
    probs: list[float] = []
    m = topology.n_links
    for i, raw in enumerate(_text(path), start=1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        cols = s.split("\t")
        try:
            p = float(cols[0])
            ip = [int(v) for v in cols[1].split()]
            fib = [int(v) for v in cols[2].split()] if len(cols) > 2 else []
        except (ValueError, IndexError):
            raise FormatError("expected 'prob<TAB>IP bitmap[<TAB>fibre bitmap]'", file=path, line=i) from None
        if len(ip) != m or any(v not in (0, 1) for v in ip):
            raise FormatError(
                f"IP bitmap must have {m} values of 0/1, got {len(ip)}", file=path, line=i, field="ip_bitmap"
            )
        if not 0 <= p <= 1:
            raise FormatError(f"probability must lie in [0, 1], got {p}", file=path, line=i, field="prob")
        fe.append([e for e, v in enumerate(ip) if v == 0])
        els.append([e for e, v in enumerate(fib) if v == 0])
        probs.append(p)
    if not any(len(e) == 0 for e in fe):
        raise FormatError("no healthy scenario (all-ones bitmap)", file=path)
    return ScenarioSet.from_failed_edges(
        topology,
        tunnels,
        fe,
        np.asarray(probs) / sum(probs),
        failed_elements=els,
        element_kind="fibre-row",
        add_healthy=True,
        metadata={"source": f"arrow:{path}", "note": "probabilities renormalised by ARROW"},
    )
