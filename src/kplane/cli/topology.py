"""`kplane topology`: Bundled and synthetic topologies."""

from __future__ import annotations

import typer

app = typer.Typer(help="Bundled and synthetic topologies.", no_args_is_help=True)
