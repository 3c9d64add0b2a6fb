"""Atomic writes: content, permissions, and no leftovers on failure."""

from __future__ import annotations

import os
import stat

import pytest

from kplane.utils import atomic_write, atomic_write_text


def test_atomic_write_text_uses_umask_permissions(tmp_path) -> None:
    target = tmp_path / "out.json"
    old = os.umask(0o022)
    try:
        atomic_write_text(target, "{}\n")
    finally:
        os.umask(old)
    assert target.read_text() == "{}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_atomic_write_failure_leaves_no_file(tmp_path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
