"""ARROW's topology files: the IP layer, its fibre layer and the traffic matrices.

See :mod:`kplane.network.io._wan` for :class:`WanNetwork` and the unit conventions (capacity in
wavelengths × 100 Gbit/s; ``demand.txt`` read as Mbit/s by default).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from kplane.errors import FormatError
from kplane.network.io._wan import (
    FibreLayer,
    WanNetwork,
    _check_prob,
    _is_header,
    _lines,
    _node_names,
    _num,
    _topology,
    read_demand_rows,
)

__all__ = ["read_arrow_ip_topology"]


_LIST = re.compile(r"^\[\s*(\d+(?:\s*,\s*\d+)*)?\s*\]$")


def _int_list(tok: str, path: Path, line: int, fld: str) -> list[int]:
    m = _LIST.match(tok)
    if m is None:
        raise FormatError(f"expected a list such as [1,2,3], got {tok!r}", file=path, line=line, field=fld)
    return [int(x) for x in m.group(1).split(",")] if m.group(1) else []


def _read_optical(path: Path, names_file: Path | None) -> FibreLayer:
    fields = ("to_node", "from_node", "metric", "failure_prob")
    rows: list[tuple[int, int]] = []
    metric: list[float] = []
    prob: list[float] = []
    for k, (line, tok) in enumerate(_lines(path)):
        if k == 0 and _is_header(tok):
            continue
        if len(tok) < 4:
            raise FormatError(f"expected 4 columns {' '.join(fields)}, got {len(tok)}", file=path, line=line)
        u = _num(tok[0], path, line, fields[0], int)
        v = _num(tok[1], path, line, fields[1], int)
        if u < 1 or v < 1 or u == v:
            raise FormatError(f"bad fibre {u}→{v} (1-based, distinct ends)", file=path, line=line)
        rows.append((u - 1, v - 1))
        metric.append(_num(tok[2], path, line, fields[2]))
        prob.append(_check_prob(_num(tok[3], path, line, fields[3]), path, line, fields[3]))
    if not rows:
        raise FormatError("no fibres found", file=path)
    n = max(max(r) for r in rows) + 1
    names = _node_names(n, names_file)
    return FibreLayer(tuple(names), np.asarray(rows, dtype=np.int64), np.asarray(metric), np.asarray(prob))


def read_arrow_ip_topology(
    path: str | Path,
    *,
    ip_topo: int = 1,
    wavelength_capacity: float = 100e9,
    demand_unit: float = 1e6,
    demands: bool = True,
    name: str | None = None,
) -> WanNetwork:
    """Read an ARROW topology folder: the IP layer, its fibre layer and the traffic matrices.

    Files (ARROW's ``data/topology/<NAME>/`` layout): ``IP_topo_<k>/IP_topo_<k>.txt`` with a header
    and rows ``src dst index capacity fiberpath_index wavelength failure`` (1-based nodes; capacity
    in wavelengths; ``fiberpath_index`` a list of 1-based rows of ``optical_topo.txt``),
    ``optical_topo.txt`` (``to_node from_node metric failure_prob``), ``IP_nodes.txt``,
    ``optical_nodes.txt`` and ``demand.txt``.

    Parameters
    ----------
    path : str or Path
        The topology folder (``.../B4``), or its ``IP_topo_<k>.txt`` file.
    ip_topo : int
        Which ``IP_topo_<k>`` to read when ``path`` is a folder.
    wavelength_capacity : float
        bit/s per wavelength (ARROW: 100 Gbit/s).
    demand_unit : float
        bit/s per ``demand.txt`` unit (default 1e6: Mbit/s).
    demands : bool
        Also read ``demand.txt`` when present.
    name : str, optional
        Topology name (default: the folder name).

    Returns
    -------
    WanNetwork
        ``link_failure_prob`` (the ``failure`` column), ``link_fibres`` (0-based fibre rows),
        ``fibres`` (when ``optical_topo.txt`` exists) and ``demands``.

    Raises
    ------
    FormatError
        Missing file, malformed row (names the field), parallel IP links (``index`` > 1, which
        kplane's one-port-per-pair topology cannot hold), a fibre path naming an unknown fibre row.
    """
    path = Path(path)
    if path.is_dir():
        ip_file = path / f"IP_topo_{ip_topo}" / f"IP_topo_{ip_topo}.txt"
        folder = path
    else:
        ip_file = path
        folder = path.parent.parent
    if not ip_file.is_file():
        raise FormatError("ARROW IP topology file not found", file=ip_file)
    fields = ("src", "dst", "index", "capacity", "fiberpath_index", "wavelength", "failure")
    links: list[tuple[int, int]] = []
    caps: list[float] = []
    probs: list[float] = []
    paths: list[tuple[int, ...]] = []
    for k, (line, tok) in enumerate(_lines(ip_file)):
        if k == 0 and _is_header(tok):
            continue
        if len(tok) < 7:
            raise FormatError(
                f"expected 7 columns {' '.join(fields)}, got {len(tok)}", file=ip_file, line=line
            )
        u = _num(tok[0], ip_file, line, "src", int)
        v = _num(tok[1], ip_file, line, "dst", int)
        if u < 1 or v < 1:
            raise FormatError(
                "node numbers are 1-based", file=ip_file, line=line, field="src" if u < 1 else "dst"
            )
        idx = _num(tok[2], ip_file, line, "index", int)
        if idx != 1:
            raise FormatError(
                f"parallel IP link (index {idx}) is not supported: one link per ordered pair",
                file=ip_file,
                line=line,
                field="index",
            )
        wl = _num(tok[3], ip_file, line, "capacity")
        if not wl > 0:
            raise FormatError(
                f"capacity must be > 0 wavelengths, got {wl}", file=ip_file, line=line, field="capacity"
            )
        fp = _int_list(tok[4], ip_file, line, "fiberpath_index")
        _int_list(tok[5], ip_file, line, "wavelength")
        p = _check_prob(_num(tok[6], ip_file, line, "failure"), ip_file, line, "failure")
        if (u - 1, v - 1) in links:
            raise FormatError(f"link {u}→{v} is listed twice", file=ip_file, line=line)
        links.append((u - 1, v - 1))
        caps.append(wl * wavelength_capacity)
        probs.append(p)
        paths.append(tuple(x - 1 for x in fp))
    if not links:
        raise FormatError("no IP links found", file=ip_file)
    n = max(max(u, v) for u, v in links) + 1
    names = _node_names(n, folder / "IP_nodes.txt")
    topo = _topology(names, links, caps, name or folder.name, ip_file, "arrow")
    meta: dict[str, Any] = {
        "files": [str(ip_file)],
        "wavelength_capacity_bps": float(wavelength_capacity),
        "demand_unit_bps": float(demand_unit),
    }
    fibres = None
    optical = folder / "optical_topo.txt"
    if optical.is_file():
        fibres = _read_optical(optical, folder / "optical_nodes.txt")
        meta["files"].append(str(optical))
        for i, rows in enumerate(paths):
            bad = [r for r in rows if not 0 <= r < len(fibres.fibres)]
            if bad:
                raise FormatError(
                    f"IP link {i} ({links[i][0] + 1}→{links[i][1] + 1}) uses fibre row {bad[0] + 1}, but "
                    f"{optical.name} has {len(fibres.fibres)} rows",
                    file=ip_file,
                    field="fiberpath_index",
                )
    dem = None
    if demands and (folder / "demand.txt").is_file():
        dem, extra = read_demand_rows(folder / "demand.txt", topo.n_nodes, unit=demand_unit)
        meta["files"].append(str(folder / "demand.txt"))
        meta["demand_extra_values"] = extra
    return WanNetwork(
        topo,
        demands=dem,
        link_failure_prob=np.asarray(probs),
        link_fibres=tuple(paths),
        fibres=fibres,
        source="arrow",
        metadata=meta,
    )
