"""`kplane te`: Risk-aware traffic engineering."""

from __future__ import annotations

import typer

app = typer.Typer(help="Risk-aware traffic engineering.", no_args_is_help=True)
