"""Readers for the WAN formats of the risk-aware TE literature (part 1: result types, TeaVaR).

ARROW: :mod:`kplane.network.io._wan_arrow`; Flexile and FIGRET: :mod:`kplane.network.io._wan_formats`;
SNDlib and GraphML: :mod:`kplane.network.io._wan_sndlib`.

Each reader returns a :class:`WanNetwork`: a :class:`~kplane.network.Topology` (capacities in bit/s,
default queue sizes, which TE ignores) plus what else the format carries — traffic matrices (bit/s),
per-link failure probabilities, the fibre layer and each IP link's fibre path. Malformed input raises
:class:`~kplane.errors.FormatError` naming the file, the 1-based line and the field.

Units (the files carry none, or their own):

- **TeaVaR** ``topology.txt`` / ``demand.txt``: abstract units shared by capacities and demands; both
  are multiplied by ``unit`` (bit/s per file unit, default 1e6: read as Mbit/s). Only the ratio of
  demand to capacity matters to a TE instance.
- **ARROW** ``IP_topo_*.txt``: capacity in wavelengths; ARROW's own convention is 100 Gbit/s per
  wavelength (``wavelength_capacity=100e9``). ``demand.txt`` values are multiplied by
  ``demand_unit`` (default 1e6: read as Mbit/s). ARROW's experiments use ``1e9 * scale / 12000``
  (``demand_downscale = 12000``, scale 1–6).

Traffic-matrix rows (TeaVaR/ARROW ``demand.txt``): one matrix per line, row-major with the diagonal.
Following TeaVaR and ARROW, the first ``n²`` values of a line form the ``n × n`` matrix of an
``n``-node topology (IBM's file has 18² values per line for 17 nodes; the first 17² are used — the
number of extra values is recorded in ``metadata["demand_extra_values"]``). The diagonal is set to 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import FormatError, InvalidScenarioError
from kplane.network._topology import Topology

__all__ = [
    "FibreLayer",
    "WanNetwork",
    "read_demand_rows",
    "read_teavar_topology",
]


# ---------------------------------------------------------------------------------------------- types
@dataclass(frozen=True, eq=False)
class FibreLayer:
    """The optical layer under an IP topology (ARROW ``optical_topo.txt``).

    Parameters
    ----------
    node_names : tuple of str
        Optical node names (node ``i`` is ``node_names[i]``).
    fibres : ndarray of shape (n_rows, 2)
        Directed fibre rows ``(src, dst)`` in file order (0-based node indices).
    metric : ndarray of shape (n_rows,)
        Routing metric of each row (e.g. length).
    failure_prob : ndarray of shape (n_rows,)
        Failure probability column of each row.

    Notes
    -----
    Fibres fail bidirectionally: rows ``u→v`` and ``v→u`` are one physical fibre. :attr:`group` maps
    every row to its undirected fibre, numbered in order of first appearance (ARROW's order); the
    probability of an undirected fibre is that of its first row (:attr:`fibre_prob`).
    """

    node_names: tuple[str, ...]
    fibres: NDArray[np.int64]
    metric: NDArray[np.float64]
    failure_prob: NDArray[np.float64]

    @cached_property
    def group(self) -> NDArray[np.int64]:
        """(n_rows,) index of the undirected fibre of each directed row (first-appearance order)."""
        seen: dict[tuple[int, int], int] = {}
        out = np.empty(len(self.fibres), dtype=np.int64)
        for i, (u, v) in enumerate(self.fibres.tolist()):
            key = (min(u, v), max(u, v))
            out[i] = seen.setdefault(key, len(seen))
        return out

    @property
    def n_fibres(self) -> int:
        """Number of undirected fibres."""
        return int(self.group.max()) + 1 if len(self.group) else 0

    @cached_property
    def fibre_prob(self) -> NDArray[np.float64]:
        """(n_fibres,) failure probability of each undirected fibre (its first row's value)."""
        first = np.full(self.n_fibres, -1, dtype=np.int64)
        for i, g in enumerate(self.group.tolist()):
            if first[g] < 0:
                first[g] = i
        return self.failure_prob[first]


@dataclass(frozen=True, eq=False)
class WanNetwork:
    """A WAN topology read from a file, with what else the format carries.

    Parameters
    ----------
    topology : Topology
        Nodes and directed links; capacities in bit/s.
    demands : ndarray of shape (n_matrices, n_nodes, n_nodes), optional
        Traffic matrices in bit/s (zero diagonal).
    link_failure_prob : ndarray of shape (n_links,), optional
        Per-link failure probability given by the file.
    link_fibres : tuple of tuple of int, optional
        For each link, the 0-based fibre *rows* of :attr:`fibres` it is routed over.
    fibres : FibreLayer, optional
        The optical layer.
    source : str
        The format (``"teavar"``, ``"arrow"``, ``"flexile"``, ``"sndlib"``, ``"graphml"``, ``"figret"``).
    metadata : mapping
        Files read, unit conversions applied, notes.
    """

    topology: Topology
    demands: NDArray[np.float64] | None = None
    link_failure_prob: NDArray[np.float64] | None = None
    link_fibres: tuple[tuple[int, ...], ...] | None = None
    fibres: FibreLayer | None = None
    source: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def n_matrices(self) -> int:
        """Number of traffic matrices (0 when the format carries none)."""
        return 0 if self.demands is None else int(self.demands.shape[0])

    def link_fibre_groups(self) -> tuple[tuple[int, ...], ...]:
        """For each link, the undirected fibres (indices into ``fibres.fibre_prob``) it rides on.

        Raises
        ------
        InvalidScenarioError
            If the network has no fibre layer.
        """
        if self.fibres is None or self.link_fibres is None:
            raise InvalidScenarioError(f"{self.topology.name!r} has no fibre layer")
        g = self.fibres.group
        return tuple(tuple(sorted({int(g[r]) for r in rows})) for rows in self.link_fibres)


# ---------------------------------------------------------------------------------------------- parsing
def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, whitespace tokens) of every non-blank, non-comment line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except IsADirectoryError:
        raise FormatError("expected a file, got a directory", file=path) from None
    for i, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        yield i, s.split()


def _num(tok: str, path: Path, line: int, fld: str, kind: type = float) -> Any:
    try:
        value = kind(tok) if kind is float else int(tok)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise FormatError(f"expected {what}, got {tok!r}", file=path, line=line, field=fld) from None
    if kind is float and not np.isfinite(value):
        raise FormatError(f"expected a finite number, got {tok!r}", file=path, line=line, field=fld)
    return value


def _is_header(tokens: Sequence[str]) -> bool:
    try:
        float(tokens[0])
    except ValueError:
        return True
    return False


def _read_names(path: Path) -> list[str]:
    """Node names, one per line, after an optional header (TeaVaR ``nodes.txt``, ARROW ``IP_nodes.txt``)."""
    rows = list(_lines(path))
    if rows and rows[0][1][0].lower().startswith("string_node"):
        rows = rows[1:]
    return [" ".join(tokens) for _, tokens in rows]


def _check_prob(p: float, path: Path, line: int, fld: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise FormatError(f"a probability must lie in [0, 1], got {p}", file=path, line=line, field=fld)
    return p


def _node_names(n: int, names_file: Path | None) -> list[str]:
    if names_file is not None and names_file.is_file():
        names = _read_names(names_file)
        if len(names) >= n:
            return names
        raise FormatError(f"lists {len(names)} node names but the links use nodes up to {n}", file=names_file)
    return [str(i + 1) for i in range(n)]


def read_demand_rows(
    path: str | Path, n_nodes: int, *, unit: float = 1e6, rows: Sequence[int] | None = None
) -> tuple[NDArray[np.float64], int]:
    """Read TeaVaR/ARROW traffic matrices: one row-major ``n × n`` matrix per line.

    Parameters
    ----------
    path : str or Path
        ``demand.txt``.
    n_nodes : int
        Number of nodes ``n`` of the topology.
    unit : float
        bit/s per file unit.
    rows : sequence of int, optional
        0-based matrix indices to keep (default: all).

    Returns
    -------
    demands : ndarray of shape (n_matrices, n_nodes, n_nodes)
        bit/s, zero diagonal.
    extra : int
        Values per line beyond ``n²`` (ignored, as TeaVaR and ARROW do).

    Raises
    ------
    FormatError
        A line with fewer than ``n²`` values, a non-number or a negative value.
    """
    path = Path(path)
    need = n_nodes * n_nodes
    mats: list[NDArray[np.float64]] = []
    extra = 0
    for line, tokens in _lines(path):
        if len(tokens) < need:
            raise FormatError(
                f"a traffic-matrix line needs {need} values ({n_nodes}×{n_nodes}), got {len(tokens)}",
                file=path,
                line=line,
            )
        extra = max(extra, len(tokens) - need)
        try:
            vals = np.array(tokens[:need], dtype=np.float64)
        except ValueError:
            for t in tokens[:need]:
                _num(t, path, line, "demand")
            raise FormatError("expected numbers", file=path, line=line, field="demand") from None
        if not np.all(np.isfinite(vals)) or (vals < 0).any():
            j = int(np.flatnonzero(~np.isfinite(vals) | (vals < 0))[0])
            raise FormatError(
                f"demand {j // n_nodes + 1}→{j % n_nodes + 1} must be finite and >= 0, got {vals[j]}",
                file=path,
                line=line,
                field="demand",
            )
        m = vals.reshape(n_nodes, n_nodes) * float(unit)
        np.fill_diagonal(m, 0.0)
        mats.append(m)
    if not mats:
        raise FormatError("no traffic matrix found", file=path)
    out = np.stack(mats)
    if rows is not None:
        idx = [int(r) for r in rows]
        bad_rows = [r for r in idx if not 0 <= r < len(out)]
        if bad_rows:
            raise FormatError(
                f"traffic matrix {bad_rows[0]} requested, the file has {len(out)} (0..{len(out) - 1})",
                file=path,
            )
        out = out[idx]
    return out, extra


# ---------------------------------------------------------------------------------------------- TeaVaR
def read_teavar_topology(
    path: str | Path, *, unit: float = 1e6, demands: bool = True, name: str | None = None
) -> WanNetwork:
    """Read a TeaVaR topology folder (``topology.txt``, optional ``nodes.txt`` and ``demand.txt``).

    ``topology.txt`` has a header and rows ``to_node from_node capacity prob_failure`` with 1-based
    node numbers (0-based when a row uses node 0, as TeaVaR's XNet does; ``prob_failure`` may be
    absent on every row, then ``link_failure_prob`` is None); every row is one directed link from the
    first to the second node (both directions are listed). Capacities and demands are multiplied by
    ``unit`` (bit/s per file unit).

    Parameters
    ----------
    path : str or Path
        The folder, or its ``topology.txt``.
    unit : float
        bit/s per file unit, for capacities and demands alike (default 1e6: Mbit/s).
    demands : bool
        Also read ``demand.txt`` when present.
    name : str, optional
        Topology name (default: the folder name).

    Returns
    -------
    WanNetwork
        With ``link_failure_prob`` from the ``prob_failure`` column and, when read, ``demands``.

    Raises
    ------
    FormatError
        Missing file, malformed row (names the field), node number < 1, duplicate link.
    """
    path = Path(path)
    topo_file = path / "topology.txt" if path.is_dir() else path
    folder = topo_file.parent
    if not topo_file.is_file():
        raise FormatError("TeaVaR topology file not found", file=topo_file)
    fields = ("to_node", "from_node", "capacity", "prob_failure")
    rows: list[tuple[int, int, int, float, float | None]] = []
    for k, (line, tok) in enumerate(_lines(topo_file)):
        if k == 0 and _is_header(tok):
            continue
        if len(tok) < 3:
            raise FormatError(
                f"expected columns {' '.join(fields)}, got {len(tok)}",
                file=topo_file,
                line=line,
                field=fields[len(tok)] if tok else fields[0],
            )
        u = _num(tok[0], topo_file, line, fields[0], int)
        v = _num(tok[1], topo_file, line, fields[1], int)
        for val, fld in ((u, fields[0]), (v, fields[1])):
            if val < 0:
                raise FormatError(
                    f"node numbers must be >= 0, got {val}", file=topo_file, line=line, field=fld
                )
        c = _num(tok[2], topo_file, line, fields[2])
        if not c > 0:
            raise FormatError(f"capacity must be > 0, got {c}", file=topo_file, line=line, field=fields[2])
        p = (
            _check_prob(_num(tok[3], topo_file, line, fields[3]), topo_file, line, fields[3])
            if len(tok) > 3
            else None
        )
        rows.append((line, u, v, c, p))
    if not rows:
        raise FormatError("no links found", file=topo_file)
    has_p = [r[4] is not None for r in rows]
    if any(has_p) and not all(has_p):
        line = rows[has_p.index(False)][0]
        raise FormatError(
            "prob_failure is given on some rows only", file=topo_file, line=line, field=fields[3]
        )
    base = 0 if min(min(r[1], r[2]) for r in rows) == 0 else 1  # TeaVaR's XNet numbers nodes from 0
    links: list[tuple[int, int]] = []
    caps: list[float] = []
    for line, u, v, c, _ in rows:
        if (u - base, v - base) in links:
            raise FormatError(f"link {u}→{v} is listed twice", file=topo_file, line=line)
        links.append((u - base, v - base))
        caps.append(c * unit)
    probs = np.asarray([r[4] for r in rows], dtype=np.float64) if all(has_p) else None
    n = max(max(u, v) for u, v in links) + 1
    names = _node_names(n, folder / "nodes.txt")
    topo = _topology(names, links, caps, name or folder.name, topo_file, "teavar")
    meta: dict[str, Any] = {"files": [str(topo_file)], "unit_bps": float(unit), "node_numbering": base}
    dem = None
    if demands and (folder / "demand.txt").is_file():
        dem, extra = read_demand_rows(folder / "demand.txt", topo.n_nodes, unit=unit)
        meta["files"].append(str(folder / "demand.txt"))
        meta["demand_extra_values"] = extra
    return WanNetwork(topo, demands=dem, link_failure_prob=probs, source="teavar", metadata=meta)


def _topology(
    names: Sequence[str],
    links: Sequence[tuple[int, int]],
    caps: Sequence[float],
    name: str,
    file: Path,
    source: str,
) -> Topology:
    try:
        return Topology.from_edges(
            list(names), links, caps, name=name, metadata={"source": f"{source}:{file}"}
        )
    except InvalidScenarioError as exc:
        raise FormatError(str(exc), file=file) from None
