"""`kplane routenet`: RouteNet: train, evaluate."""

from __future__ import annotations

import typer

app = typer.Typer(help="RouteNet: train, evaluate.", no_args_is_help=True)
