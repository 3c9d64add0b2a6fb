"""Fixtures for the dataset tests: spec files and a tiny dataset generated once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from datasets_helpers import tiny_spec, toml_text


@pytest.fixture
def spec_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``spec_file(**changes)`` writes the tiny spec (with changes) as TOML and returns its path."""

    def make(name: str = "spec.toml", **changes: Any) -> Path:
        path = tmp_path / name
        path.write_text(toml_text(tiny_spec(**changes)), encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny spec generated once (serially) for read-only tests."""
    from kplane.datasets import generate

    out = tmp_path_factory.mktemp("tiny") / "data"
    generate(tiny_spec(), out, workers=1)
    return out
