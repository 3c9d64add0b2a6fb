"""Readers for the WAN formats of the risk-aware TE literature (part 2: Flexile, FIGRET).

See :mod:`kplane.network.io._wan` for the result type :class:`WanNetwork` and the conventions.

Units:

- **Flexile** ``*_capa.tab`` / ``*_traffic.tab``: abstract units (B4: capacity 1); both are multiplied
  by ``unit`` (default 1e9: read as Gbit/s).
- **FIGRET** ``<NAME>.json`` (networkx node-link, capacities in bit/s) and ``*.hist`` (one flattened
  ``n × n`` matrix per line, same unit as the capacities): ``unit`` (default 1.0) multiplies both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import FormatError
from kplane.network.io._wan import WanNetwork, _is_header, _lines, _num, _topology

__all__ = ["read_figret_topology", "read_flexile_topology"]


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
