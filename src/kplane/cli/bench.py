"""`kplane bench`: Benchmarks that print numbers (speed, accuracy)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Benchmarks that print numbers (speed, accuracy).", no_args_is_help=True)
