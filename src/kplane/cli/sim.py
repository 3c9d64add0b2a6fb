"""`kplane sim`: Packet-level simulation (ground truth)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Packet-level simulation (ground truth).", no_args_is_help=True)
