"""`kplane dataset`: Generate, inspect, verify and export RouteNet training datasets."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Generate, inspect, verify and export RouteNet training datasets.", no_args_is_help=True
)
