"""RouteNet checkpoint files: weights + features + provenance + metrics (a model card), one file.

Format (``torch.save`` of plain containers and tensors, loaded with ``weights_only=True``)::

    {"schema": "kplane.routenet", "schema_version": 1,
     "kplane_version": str, "torch_version": str, "created": ISO-8601 UTC,
     "model": {"heads": [[str]], "hparams": {...}, "path_features": int, "link_features": int,
               "state_dict": {name: tensor}},
     "scaler": FeatureScaler.to_dict(),
     "training": {"settings": {...}, "dataset": {"manifest_hash", "source", "n_samples", ...},
                  "steps": int, "epochs": float, "wall_time_s": float},
     "metrics": {"validation": {...}, "train": {...}}}

Writes are atomic: a reader never sees a half-written checkpoint.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from kplane.errors import FormatError, SchemaVersionError
from kplane.utils import atomic_write_bytes

__all__ = ["CHECKPOINT_SCHEMA", "CHECKPOINT_SCHEMA_VERSION", "load_checkpoint", "save_checkpoint"]

CHECKPOINT_SCHEMA = "kplane.routenet"
CHECKPOINT_SCHEMA_VERSION = 1


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Atomically write ``payload`` (schema fields and versions are added) to ``path``."""
    from kplane import __version__

    data = {
        "schema": CHECKPOINT_SCHEMA,
        "schema_version": CHECKPOINT_SCHEMA_VERSION,
        "kplane_version": __version__,
        "torch_version": str(torch.__version__),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **payload,
    }
    buf = io.BytesIO()
    torch.save(data, buf)
    atomic_write_bytes(path, buf.getvalue())


def read_torch_file(path: str | Path, *, what: str) -> dict[str, Any]:
    """``torch.load(path, weights_only=True)`` with kplane errors for missing or foreign files."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
        raise FormatError(f"not a kplane {what} file ({type(exc).__name__}: {exc})".splitlines()[0],
                          file=path) from None
    if not isinstance(data, dict):
        raise FormatError(f"not a kplane {what} file (top level is {type(data).__name__})", file=path)
    return data


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    FormatError
        If it is not a kplane RouteNet checkpoint or lacks a required part.
    SchemaVersionError
        If it was written with another checkpoint schema version.
    """
    data = read_torch_file(path, what="RouteNet checkpoint")
    if data.get("schema") != CHECKPOINT_SCHEMA:
        raise FormatError(
            f"not a kplane RouteNet checkpoint: schema is {data.get('schema')!r}, expected "
            f"{CHECKPOINT_SCHEMA!r}",
            file=path,
            field="schema",
        )
    version = data.get("schema_version")
    if version != CHECKPOINT_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"checkpoint schema version {version!r} is not supported; this kplane reads version "
            f"{CHECKPOINT_SCHEMA_VERSION} (written by kplane {data.get('kplane_version', '?')})",
            file=path,
            field="schema_version",
        )
    for key in ("model", "scaler"):
        if key not in data:
            raise FormatError(f"checkpoint lacks its {key!r} part", file=path, field=key)
    return data
