"""`kplane scenario`: Build, show and convert scenarios (kplane.scenario JSON)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build, show and convert scenarios (kplane.scenario JSON).", no_args_is_help=True)
