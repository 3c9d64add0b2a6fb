"""The manifest of a kplane dataset: ``manifest.json`` (schema ``kplane.dataset``).

It names the dataset's spec and lists its shards (name, index, first sample, sample count, sha256);
it is rewritten atomically after each shard, so it only ever lists complete shards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kplane.datasets._storage import SCHEMA_VERSION
from kplane.errors import FormatError, SchemaVersionError
from kplane.network._kpis import _jsonable
from kplane.utils import atomic_write_text

__all__ = ["MANIFEST", "MANIFEST_SCHEMA", "load_manifest", "save_manifest"]

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "kplane.dataset"


def load_manifest(root: str | Path) -> dict[str, Any]:
    """Read and check ``root/manifest.json``.

    Raises
    ------
    FormatError
        If it is missing or not a kplane dataset manifest.
    SchemaVersionError
        If it was written with another schema version.
    """
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise FormatError(f"not a kplane dataset: {MANIFEST} missing", file=str(Path(root)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"manifest is not valid JSON: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        raise FormatError(
            f"not a kplane dataset manifest (schema must be {MANIFEST_SCHEMA!r})",
            file=str(path),
            field="schema",
        )
    if data.get("version") != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"dataset schema version {data.get('version')!r}; this kplane reads version {SCHEMA_VERSION}",
            file=str(path),
            field="version",
        )
    for key, typ in (("shards", list), ("spec", dict)):
        if not isinstance(data.get(key), typ):
            raise FormatError(f"expected {typ.__name__}", file=str(path), field=key)
    for k, sh in enumerate(data["shards"]):
        for key in ("name", "index", "first_sample", "n_samples", "sha256"):
            if not isinstance(sh, dict) or key not in sh:
                raise FormatError("missing", file=str(path), field=f"shards[{k}].{key}")
    return data


def save_manifest(root: str | Path, manifest: Mapping[str, Any]) -> None:
    """Atomically write ``root/manifest.json`` (shards sorted by index)."""
    data = dict(manifest)
    data["shards"] = sorted(data["shards"], key=lambda s: s["index"])
    atomic_write_text(Path(root) / MANIFEST, json.dumps(_jsonable(data), indent=1) + "\n")
