"""Parquet shards of a kplane dataset (schema ``kplane.dataset``, version 1).

A dataset directory holds ``manifest.json`` (:mod:`._manifest`) and ``shard-NNNNN.parquet`` files.
Each shard row is one sample (:mod:`._rows`): the scenario (topology, routing, traffic) and its
labels (per-path delay statistics, loss, packet counts; per-link utilisation, loss and occupancy).
Per-path and per-link values are list columns in routing / link order; ``path_links`` is a list of
lists (the links of each path in traversal order). Every column and its unit is listed in
:data:`COLUMNS` and in ``docs/datasets.md``.

Shards are written whole into memory, hashed (sha256) and renamed into place
(:func:`kplane.utils.atomic_write_bytes`), so a shard file is either complete or absent. A shard's
bytes depend only on its samples (no timestamps), so regenerating a shard reproduces its hash.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kplane.errors import FormatError, SchemaVersionError
from kplane.network import (
    PERCENTILE_LEVELS,
)
from kplane.utils import atomic_write_bytes

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "read_shard",
    "serialize_shard",
    "shard_name",
    "sha256_file",
    "table_schema",
]

SCHEMA_VERSION = 1
"""Version of the shard columns and of the manifest layout."""

_I32, _I64, _F64, _STR = pa.int32(), pa.int64(), pa.float64(), pa.string()
_PCT = tuple(f"delay_p{lv}" for lv in PERCENTILE_LEVELS)

# name -> (arrow type, unit, description)
COLUMNS: dict[str, tuple[pa.DataType, str, str]] = {
    "sample_id": (_I64, "", "position of the sample in the spec's plan (global, stable)"),
    "split": (_STR, "", "split label of the topology entry: train, validation or test"),
    "topology": (
        _STR,
        "",
        "topology name (bundled name, <generator>-<n>-<entry>.<instance>, file stem or label)",
    ),
    "topology_entry": (_I32, "", "index of the [[topologies]] entry in the spec"),
    "topology_instance": (_I32, "", "instance of that entry (generators draw several)"),
    "routing_variant": (_I32, "", "routing variant of the instance (0 = shortest path)"),
    "intensity": (_F64, "kbit/s", "traffic intensity TI of RouteNet eq. 8 (NaN for the gravity model)"),
    "traffic_seed": (_I64, "", "seed of the traffic matrix"),
    "sim_seed": (_I64, "", "seed of the simulation"),
    "duration": (_F64, "s", "simulated time, warm-up included"),
    "warmup": (_F64, "s", "simulated time excluded from the statistics"),
    "node_names": (pa.list_(_STR), "", "node names; node i is node_names[i]"),
    "link_src": (pa.list_(_I32), "", "source node of each directed link"),
    "link_dst": (pa.list_(_I32), "", "destination node of each directed link"),
    "capacity": (pa.list_(_F64), "bit/s", "link capacity"),
    "queue_size": (pa.list_(_I32), "packets", "buffer of the link's output port"),
    "propagation_delay": (pa.list_(_F64), "s", "link propagation delay"),
    "path_src": (pa.list_(_I32), "", "source node of each path (routing order)"),
    "path_dst": (pa.list_(_I32), "", "destination node of each path"),
    "path_links": (pa.list_(pa.list_(_I32)), "", "link ids of each path in traversal order"),
    "offered_rate": (pa.list_(_F64), "bit/s", "mean offered rate of each path's flow"),
    "path_size_class": (pa.list_(_I32), "", "packet-size distribution of each path's flow"),
    "path_tos": (pa.list_(_I32), "", "type-of-service class of each path's flow"),
    "packet_sizes": (pa.list_(pa.list_(_F64)), "bits", "sizes of each packet-size distribution"),
    "packet_probs": (pa.list_(pa.list_(_F64)), "", "probabilities of those sizes"),
    "arrival": (_STR, "", "arrival process of every flow (poisson)"),
    "mean_delay": (pa.list_(_F64), "s", "mean end-to-end delay of delivered packets (NaN: none)"),
    "jitter": (pa.list_(_F64), "s^2", "variance of the end-to-end delay"),
    "mean_log_delay": (pa.list_(_F64), "ln s", "mean of ln(delay / 1 s)"),
    **{
        c: (pa.list_(_F64), "s", f"{lv}th percentile of the delay")
        for c, lv in zip(_PCT, PERCENTILE_LEVELS, strict=True)
    },
    "mean_delay_ci": (pa.list_(_F64), "s", "half-width of a 95% batch-means confidence interval"),
    "loss_ratio": (pa.list_(_F64), "", "dropped / (delivered + dropped) packets of the path"),
    "delivered": (pa.list_(_F64), "packets", "packets delivered in the measurement window"),
    "dropped": (pa.list_(_F64), "packets", "packets dropped in the measurement window"),
    "link_utilisation": (pa.list_(_F64), "", "fraction of the window the link transmitted"),
    "link_loss_ratio": (pa.list_(_F64), "", "drops / arrivals at the link's port (NaN: no arrival)"),
    "link_mean_occupancy": (pa.list_(_F64), "packets", "time-average packets at the port (in service incl.)"),
    "link_mean_busy_occupancy": (
        pa.list_(_F64),
        "packets",
        "time-average packets at the port while it is busy (NaN: never busy)",
    ),
    "link_arrivals": (pa.list_(_F64), "packets", "packets that arrived at the port in the window"),
    "link_drops": (pa.list_(_F64), "packets", "packets dropped at the port in the window"),
    "n_events": (_I64, "", "events the simulator processed"),
    "n_packets": (_I64, "", "packets the simulator generated"),
}
"""Every shard column: arrow type, unit and meaning (the documented schema)."""

_PATH_FLOATS = (
    "mean_delay",
    "jitter",
    "mean_log_delay",
    *_PCT,
    "mean_delay_ci",
    "loss_ratio",
    "delivered",
    "dropped",
)
_LINK_STATS = {
    "link_utilisation": "utilisation",
    "link_loss_ratio": "loss_ratio",
    "link_mean_occupancy": "mean_occupancy",
    "link_mean_busy_occupancy": "mean_busy_occupancy",
    "link_arrivals": "arrivals",
    "link_drops": "drops",
}
_META_COLUMNS = (
    "sample_id",
    "split",
    "topology",
    "topology_entry",
    "topology_instance",
    "routing_variant",
    "intensity",
    "traffic_seed",
    "sim_seed",
    "duration",
    "warmup",
    "n_events",
    "n_packets",
)
"""The scalar columns that describe a sample (its ``metadata`` in :func:`row_to_sample`)."""
_INFO_COLUMNS = tuple(k for k in _META_COLUMNS if k != "topology")
"""The scalar columns :func:`sample_to_row` takes from ``info`` (``topology`` is the scenario's name)."""
_SCENARIO_META = (
    "sample_id",
    "split",
    "topology",
    "routing_variant",
    "intensity",
    "traffic_seed",
    "sim_seed",
)
"""The columns kept in the rebuilt scenario's ``metadata``."""


def table_schema() -> pa.Schema:
    """The arrow schema of a shard, with ``kplane.schema``/``kplane.schema_version`` metadata."""
    return pa.schema(
        [pa.field(k, t) for k, (t, _, _) in COLUMNS.items()],
        metadata={"kplane.schema": "kplane.dataset.shard", "kplane.schema_version": str(SCHEMA_VERSION)},
    )


def shard_name(index: int) -> str:
    """File name of shard ``index`` (``shard-00042.parquet``)."""
    return f"shard-{index:05d}.parquet"


# ---------------------------------------------------------------------------------------------- tables
def _list_array(values: Sequence[np.ndarray], typ: pa.DataType) -> pa.Array:
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = np.concatenate([np.asarray(v) for v in values]) if values else np.zeros(0)
    inner = (
        pa.array(flat, type=typ.value_type)
        if not pa.types.is_string(typ.value_type)
        else pa.array([str(x) for x in flat], type=_STR)
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), inner)


def _nested(pairs: Sequence[tuple[np.ndarray, np.ndarray]], typ: pa.DataType) -> pa.Array:
    """list<list<T>> from per-row (flat values, offsets) pairs."""
    inner_type = typ.value_type.value_type
    flat = np.concatenate([v for v, _ in pairs]) if pairs else np.zeros(0)
    inner_offsets, outer, base, count = [np.zeros(1, dtype=np.int64)], [0], 0, 0
    for v, off in pairs:
        inner_offsets.append(np.asarray(off[1:], dtype=np.int64) + base)
        base += len(v)
        count += len(off) - 1
        outer.append(count)
    inner = pa.ListArray.from_arrays(
        pa.array(np.concatenate(inner_offsets).astype(np.int32)), pa.array(flat, type=inner_type)
    )
    return pa.ListArray.from_arrays(pa.array(np.asarray(outer, dtype=np.int32)), inner)


def rows_to_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """A shard table from rows of :func:`sample_to_row` (in the given order)."""
    cols: dict[str, pa.Array] = {}
    for name, (typ, _, _) in COLUMNS.items():
        vals = [r[name] for r in rows]
        if name == "path_links":
            cols[name] = _nested(vals, typ)
        elif name in ("packet_sizes", "packet_probs"):
            pairs = []
            for dists in vals:
                lens = [len(d) for d in dists]
                pairs.append(
                    (
                        np.concatenate(dists).astype(np.float64),
                        np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
                    )
                )
            cols[name] = _nested(pairs, typ)
        elif pa.types.is_list(typ):
            cols[name] = _list_array(vals, typ)
        else:
            cols[name] = pa.array(vals, type=typ)
    return pa.Table.from_arrays(list(cols.values()), schema=table_schema())


def serialize_shard(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The Parquet bytes of a shard (zstd, one row group; deterministic for the same rows)."""
    buf = io.BytesIO()
    pq.write_table(
        rows_to_table(rows), buf, compression="zstd", row_group_size=max(1, len(rows)), write_statistics=False
    )
    return buf.getvalue()


def write_shard(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> tuple[str, int]:
    """Write a shard atomically; return its sha256 (hex) and size in bytes."""
    data = serialize_shard(rows)
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest(), len(data)


def sha256_file(path: str | Path) -> str:
    """sha256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_shard(
    path: str | Path, *, sha256: str | None = None, columns: Sequence[str] | None = None
) -> pa.Table:
    """Read a shard, checking its hash (when given) and its schema.

    Raises
    ------
    FormatError
        If the file is missing, its hash differs from ``sha256`` (corrupted or replaced), it is not
        valid Parquet, or its columns are not the kplane schema; the message names the shard.
    SchemaVersionError
        If the shard was written with another schema version.
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError("shard missing", file=str(path))
    data = path.read_bytes()
    if sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise FormatError(
                f"shard corrupted: sha256 {got[:12]}… differs from the manifest's "
                f"{sha256[:12]}…; run `kplane dataset generate` again to regenerate it",
                file=str(path),
            )
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.schema_arrow.metadata or {}
        version = meta.get(b"kplane.schema_version")
        if version is None or meta.get(b"kplane.schema") != b"kplane.dataset.shard":
            raise FormatError("not a kplane dataset shard (no kplane.schema metadata)", file=str(path))
        if int(version) != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"shard schema version {int(version)}; this kplane reads version {SCHEMA_VERSION}",
                file=str(path),
            )
        table = pf.read(columns=list(columns) if columns is not None else None)
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"shard unreadable: {exc}", file=str(path)) from None
    want = table_schema()
    for name in columns if columns is not None else COLUMNS:
        if name not in table.column_names or not table.schema.field(name).type.equals(want.field(name).type):
            raise FormatError(
                f"shard column {name!r} missing or of the wrong type", file=str(path), field=name
            )
    return table
