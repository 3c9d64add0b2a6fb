"""The dataset manifest: atomic round trip, shard order, schema and version checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kplane.datasets import SCHEMA_VERSION
from kplane.datasets._manifest import load_manifest, save_manifest
from kplane.errors import FormatError, SchemaVersionError


def _manifest() -> dict[str, Any]:
    return {
        "schema": "kplane.dataset",
        "version": SCHEMA_VERSION,
        "spec": {"name": "x"},
        "shards": [
            {"name": "shard-00001.parquet", "index": 1, "first_sample": 2, "n_samples": 2, "sha256": "ab"},
            {"name": "shard-00000.parquet", "index": 0, "first_sample": 0, "n_samples": 2, "sha256": "cd"},
        ],
    }


def test_manifest_round_trip_sorted(tmp_path: Path) -> None:
    save_manifest(tmp_path, _manifest())
    m = load_manifest(tmp_path)
    assert [s["index"] for s in m["shards"]] == [0, 1]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"schema": "other"}, FormatError, "not a kplane dataset manifest"),
        ({"version": 99}, SchemaVersionError, "schema version 99"),
        ({"shards": {}}, FormatError, "field 'shards'"),
        ({"shards": [{"name": "a"}]}, FormatError, r"field 'shards\[0\].index'"),
    ],
)
def test_bad_manifests(tmp_path: Path, change: dict[str, Any], error: type, message: str) -> None:
    m = _manifest()
    m.update(change)
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(error, match=message):
        load_manifest(tmp_path)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not a kplane dataset: manifest.json missing"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(FormatError, match="not valid JSON"):
        load_manifest(tmp_path)
