"""`kplane data`: Inspect public datanet (RouteNet/GNNet challenge) datasets."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect public datanet (RouteNet/GNNet challenge) datasets.", no_args_is_help=True)
