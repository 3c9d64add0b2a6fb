"""Entry point of the ``kplane`` command. Errors print one readable line, never a traceback."""

from __future__ import annotations

import sys

import typer

from kplane import __version__
from kplane.cli import (
    bench,
    data,
    dataset,
    predict,
    routenet,
    routenet_bench,  # noqa: F401  (registers bench routenet)
    scenario,
    sim,
    te,
    te_neural,  # noqa: F401  (registers te optimize/train, bench te, reproduce neurorisk)
    topology,
)
from kplane.cli import reproduce as reproduce_cli
from kplane.cli import whatif as whatif_cli
from kplane.cli._common import err_console
from kplane.errors import KplaneError

app = typer.Typer(
    name="kplane",
    help="kplane: the open knowledge plane for networks (simulate, predict, optimise).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(topology.app, name="topology")
app.add_typer(scenario.app, name="scenario")
app.add_typer(data.app, name="data")
app.add_typer(sim.app, name="sim")
app.add_typer(dataset.app, name="dataset")
app.add_typer(routenet.app, name="routenet")
app.command("predict")(predict.predict_command)
app.add_typer(te.app, name="te")
app.add_typer(bench.app, name="bench")
app.add_typer(whatif_cli.app, name="whatif")
app.add_typer(reproduce_cli.app, name="reproduce")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kplane {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """kplane: the open knowledge plane for networks."""


def main() -> None:
    """Run the CLI; turn kplane errors (and missing files) into one line and exit code 2."""
    try:
        app()
    except KplaneError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except FileNotFoundError as exc:
        err_console.print(f"[bold red]error:[/] {exc.filename}: no such file", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
