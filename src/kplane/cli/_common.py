"""Shared CLI plumbing: consoles, JSON output, progress bars, one-line errors."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from kplane.network._kpis import _jsonable

__all__ = ["console", "emit_json", "err_console", "fmt_number", "progress_bar"]

console = Console()
err_console = Console(stderr=True)


def fmt_number(x: float | None, scale: float = 1.0, digits: int = 4, missing: str = "-") -> str:
    """``x × scale`` with ``digits`` significant digits for a table cell; ``missing`` for None/NaN/inf."""
    return missing if x is None or not math.isfinite(x) else f"{x * scale:.{digits}g}"


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (numpy values converted; NaN → null)."""
    sys.stdout.write(json.dumps(_jsonable(obj), indent=1) + "\n")


@contextmanager
def progress_bar(transient: bool = False) -> Iterator[Progress]:
    """A rich progress bar on stderr with count, rate-friendly elapsed time and ETA."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    ) as progress:
        yield progress
