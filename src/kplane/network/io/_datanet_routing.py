"""Routing files of the datanet format: node paths (2021+) and output-port matrices (2020)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kplane.errors import FormatError
from kplane.network._routing import Routing
from kplane.network._topology import Topology
from kplane.network.io._datanet_parse import Where, _integer

__all__ = ["parse_routing"]


def _node_path_routing(lines: Sequence[str], topology: Topology, file: str) -> Routing:
    n = topology.n_nodes
    paths: dict[tuple[int, int], list[int]] = {}
    first: dict[tuple[int, int], int] = {}
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        where = Where(file, k + 1)
        nodes = [_integer(t, where, "path", lo=0) for t in line.split(";")]
        if len(nodes) < 2:
            raise where.error(f"a path needs at least 2 nodes, got {line!r}", "path")
        if max(nodes) >= n:
            raise where.error(f"node {max(nodes)} is not in graph {topology.name!r} (0..{n - 1})", "path")
        if len(set(nodes)) != len(nodes):
            raise where.error(f"path {line!r} visits a node twice", "path")
        for u, v in zip(nodes[:-1], nodes[1:], strict=True):
            if not topology.has_link(u, v):
                raise where.error(f"path {line!r} uses link {u}→{v}, which is not in graph "
                                  f"{topology.name!r}", "path")
        pair = (nodes[0], nodes[-1])
        if pair in first:
            raise where.error(f"second path for pair {pair[0]}→{pair[1]} (first on line {first[pair]})",
                              "path")
        first[pair] = k + 1
        paths[pair] = [topology.link_id(u, v) for u, v in zip(nodes[:-1], nodes[1:], strict=True)]
    _require_all_pairs(paths, n, file)
    return Routing.from_link_paths(paths)


def _require_all_pairs(paths: dict[tuple[int, int], list[int]], n: int, file: str) -> None:
    if len(paths) != n * (n - 1):
        s, d = next((s, d) for s in range(n) for d in range(n) if s != d and (s, d) not in paths)
        raise FormatError(f"no path for pair {s}→{d} (datanet routings hold all n·(n-1) pairs)",
                          file=file, field="path")


def _port_matrix_routing(lines: Sequence[str], topology: Topology, file: str) -> Routing:
    n = topology.n_nodes
    ports = topology.metadata.get("ports")
    if ports is None:
        raise FormatError(f"graph {topology.name!r} has no edge 'port' attributes to follow the "
                          "port-matrix routing", file=file, field="port")
    out_port = {(int(topology.links[i, 0]), int(p)): i for i, p in enumerate(ports)}
    rows = [ln for ln in lines if ln.strip()]
    if len(rows) != n:
        raise FormatError(f"port-matrix routing needs {n} rows (one per node), got {len(rows)}", file=file,
                          line=len(rows) + 1 if len(rows) < n else n + 1, field="row")
    table = np.zeros((n, n), dtype=np.int64)
    for k, line in enumerate(rows):
        where = Where(file, k + 1)
        cells = line.split(",")
        if cells and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) != n:
            raise where.error(f"expected {n} output ports, got {len(cells)}", "row")
        for j, tok in enumerate(cells):
            p = _integer(tok, where, f"port to {j}", lo=-1)
            if (p == -1) != (j == k):
                raise where.error("-1 belongs on the diagonal only" if p == -1 else
                                  f"diagonal entry must be -1, got {tok!r}", f"port to {j}")
            table[k, j] = p
    paths: dict[tuple[int, int], list[int]] = {}
    for s in range(n):
        for d in range(n):
            if s == d:
                continue
            node, links = s, []
            while node != d:
                port = int(table[node, d])
                lid = out_port.get((node, port))
                if lid is None:
                    raise FormatError(f"node {node} has no output port {port} in graph {topology.name!r} "
                                      f"(path {s}→{d})", file=file, line=node + 1, field=f"port to {d}")
                links.append(lid)
                node = int(topology.links[lid, 1])
                if len(links) >= n:
                    raise FormatError(f"the ports for destination {d} loop (path from {s})", file=file,
                                      line=s + 1, field=f"port to {d}")
            paths[(s, d)] = links
    return Routing.from_link_paths(paths)


def parse_routing(lines: Sequence[str], topology: Topology, file: str) -> tuple[Routing, str]:
    """Decode a routing file: node paths (``0;13;1`` per line, 2021+) or an n×n output-port matrix
    (2020; followed through the graph's ``port`` attributes). Returns the routing and its format
    (``"node_paths"`` or ``"port_matrix"``)."""
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise FormatError("routing file is empty", file=file, line=1)
    if ";" in first or "," not in first:
        return _node_path_routing(lines, topology, file), "node_paths"
    return _port_matrix_routing(lines, topology, file), "port_matrix"
