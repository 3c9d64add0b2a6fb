"""The instance and objective options shared by `kplane te instance|solve|optimize`."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from kplane.cli._te_options import InstanceSource, ObjectiveChoice, instance_options
from kplane.cli.main import app
from kplane.errors import InvalidParameterError

BUILD_FLAGS = [
    "--topology",
    "--from-files",
    "--format",
    "--tunnels",
    "--tunnel-file",
    "--tunnel-format",
    "--tm-index",
    "--demand-scale",
    "--target-load",
    "--capacity",
    "--failure-model",
    "--weibull-shape",
    "--weibull-scale",
    "--cutoff",
    "--k-failures",
    "--keep-disconnecting",
    "--uncovered",
    "--bidirectional-tunnels",
    "--scenario-file",
    "--seed",
    "--name",
]
OBJECTIVE_FLAGS = ["--objective", "--beta", "--form", "--aggregate", "--weighting"]


def _flags(*path: str) -> list[str]:
    cmd = typer.main.get_command(app)
    ctx = typer.Context(cmd)
    for name in path:
        cmd = cmd.get_command(ctx, name)  # type: ignore[attr-defined]
    return [p.opts[0] for p in cmd.params]


@pytest.mark.parametrize(
    ("path", "head"),
    [
        (("te", "instance"), BUILD_FLAGS + ["--export"]),
        (("te", "solve"), ["--instance", *BUILD_FLAGS, *OBJECTIVE_FLAGS, "--time-limit"]),
        (("te", "optimize"), ["--instance", *BUILD_FLAGS, *OBJECTIVE_FLAGS, "--method"]),
    ],
)
def test_commands_offer_the_shared_options_in_order(path, head) -> None:
    assert _flags(*path)[: len(head)] == head


def test_source_and_goal_are_assembled() -> None:
    seen = {}

    @instance_options(file=True, objective=True)
    def cmd(source: InstanceSource, goal: ObjectiveChoice, extra: int = typer.Option(1, "--extra")) -> None:
        seen.update(source=source, goal=goal, extra=extra)

    test_app = typer.Typer()
    test_app.command()(cmd)
    res = CliRunner().invoke(test_app, ["--topology", "abilene", "--beta", "0.9", "--extra", "4"])
    assert res.exit_code == 0, res.output
    assert seen["extra"] == 4 and seen["source"].file is None
    assert seen["source"].options["topology"] == "abilene" and seen["source"].options["cutoff"] == 1e-4
    assert seen["goal"] == ObjectiveChoice("teavar", 0.9, "mean", "max", "flow")
    assert seen["goal"].make().beta == 0.9


def test_source_refuses_both_and_non_finite(tmp_path) -> None:
    with pytest.raises(InvalidParameterError, match="not both"):
        InstanceSource(tmp_path / "i.json", {"topology": "abilene", "from_files": None}).load()
    with pytest.raises(InvalidParameterError, match="--target-load must be a finite number, got nan"):
        InstanceSource(
            None, {"demand_scale": 1.0, "target_load": float("nan"), "cutoff": 1e-3}
        ).check_finite()
