"""`kplane te optimize`, `kplane te train`, `kplane reproduce neurorisk` (argument handling)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app
from kplane.errors import InvalidParameterError, SchemaVersionError

runner = CliRunner()
TINY = [
    "--topology",
    "abilene",
    "--failure-model",
    "link",
    "--weibull-scale",
    "0.01",
    "--cutoff",
    "1e-3",
    "--target-load",
    "1.5",
]


def _json(result) -> dict:
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    out = tmp_path_factory.mktemp("pol") / "tiny.json"
    res = runner.invoke(
        app,
        [
            "te",
            "train",
            "--network",
            "abilene",
            "--tms",
            "0",
            "--val-tms",
            "1",
            "--loads",
            "1",
            "--configs",
            "1e-2/0.01",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--iterations",
            "2",
            "--objective",
            "teavar",
            "-o",
            str(out),
            "--json",
        ],
    )
    summary = _json(res)
    assert summary["n_train"] == 1 and summary["epochs_run"] == 1
    assert out.is_file() and out.with_name("tiny.card.json").is_file()
    return out


def test_optimize_with_policy_and_solver(policy, tmp_path) -> None:
    alloc = tmp_path / "a.json"
    out = _json(
        runner.invoke(
            app,
            [
                "te",
                "optimize",
                *TINY,
                "--policy",
                str(policy),
                "--iterations",
                "3",
                "--threads",
                "1",
                "--compare-solver",
                "--allocation-out",
                str(alloc),
                "--json",
            ],
        )
    )
    for key in ("objective_value", "throughput", "time_s", "relative_error"):
        assert key in out
    assert out["iterations"] == 3 and out["max_utilisation"] <= 1.0
    assert json.loads(alloc.read_text())["n_tunnels"] == out["n_tunnels"]


@pytest.mark.parametrize("method", ["sp", "ecmp"])
def test_optimize_baselines(method: str) -> None:
    out = _json(
        runner.invoke(app, ["te", "optimize", *TINY, "--method", method, "--objective", "expected", "--json"])
    )
    assert out["method"] == method and 0 <= out["objective_value"] <= 1


def test_optimize_refuses_nan_and_wrong_method(policy) -> None:
    res = runner.invoke(app, ["te", "optimize", *TINY, "--method", "sp", "--demand-scale", "nan"])
    assert isinstance(res.exception, InvalidParameterError) and "finite" in str(res.exception)
    res = runner.invoke(app, ["te", "optimize", *TINY, "--method", "ls", "--policy", str(policy)])
    assert isinstance(res.exception, InvalidParameterError) and "trained for method 'gr'" in str(
        res.exception
    )
    res = runner.invoke(app, ["te", "optimize", *TINY, "--method", "br"])
    assert isinstance(res.exception, InvalidParameterError) and "no bundled policy" in str(res.exception)


def test_optimize_refuses_other_schema(policy, tmp_path) -> None:
    doc = json.loads(policy.read_text())
    doc["schema_version"] = 7
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps(doc))
    res = runner.invoke(app, ["te", "optimize", *TINY, "--policy", str(bad)])
    assert isinstance(res.exception, SchemaVersionError) and "version 7" in str(res.exception)


def test_reproduce_argument_checks() -> None:
    res = runner.invoke(app, ["reproduce", "neurorisk", "--table", "5"])
    assert isinstance(res.exception, InvalidParameterError)
    res = runner.invoke(app, ["reproduce", "neurorisk"])
    assert isinstance(res.exception, InvalidParameterError) and "exactly one" in str(res.exception)


def test_bench_te_on_a_bundled_topology(policy) -> None:
    out = _json(
        runner.invoke(
            app,
            ["bench", "te", "--topologies", "abilene", "--policy", str(policy), "--repeats", "1", "--json"],
        )
    )
    (row,) = out["rows"]
    assert row["topology"] == "abilene" and row["solver_status"] == "optimal"
    for key in ("neurorisk_1_thread_s", "neurorisk_all_threads_s", "solver_time_s", "relative_error"):
        assert row[key] >= 0


def test_bench_te_on_an_instance_file(policy, tmp_path) -> None:
    inst = tmp_path / "tiny.json"
    res = runner.invoke(app, ["te", "instance", *TINY, "--export", str(inst)])
    assert res.exit_code == 0, res.output
    out = _json(
        runner.invoke(
            app,
            ["bench", "te", "--topologies", "", "--instance", str(inst), "--policy", str(policy),
             "--objective", "expected", "--repeats", "1", "--threads", "1", "--json"],
        )
    )
    (row,) = out["rows"]
    assert row["topology"] == "tiny.json" and row["solver_status"] == "optimal"
    assert row["speedup"] == pytest.approx(row["solver_time_s"] / row["neurorisk_1_thread_s"])
    assert row["neurorisk_all_threads_s"] == row["neurorisk_1_thread_s"]  # --threads 1: one measurement


def test_reproduce_needs_the_data(tmp_path) -> None:
    res = runner.invoke(app, ["reproduce", "neurorisk", "--table", "8", "--data", str(tmp_path)])
    assert isinstance(res.exception, InvalidParameterError) and "no te/ folder" in str(res.exception)


def test_optimize_finetune_flag(policy) -> None:
    base = [*TINY, "--policy", str(policy), "--threads", "1", "--objective", "expected", "--json"]
    plain = _json(runner.invoke(app, ["te", "optimize", *base]))
    tuned = _json(runner.invoke(app, ["te", "optimize", *base, "--finetune", "6", "--finetune-lr", "0.05"]))
    assert plain["info"]["finetune_steps"] == 0 and "finetune" not in plain["info"]
    assert tuned["info"]["finetune_steps"] == 6 and tuned["info"]["finetune"]["lr"] == 0.05
    assert tuned["objective_value"] <= plain["objective_value"] + 1e-12
    assert tuned["max_utilisation"] <= 1.0
    again = _json(runner.invoke(app, ["te", "optimize", *base, "--finetune", "6", "--finetune-lr", "0.05"]))
    assert again["objective_value"] == tuned["objective_value"]
    both = _json(runner.invoke(app, ["te", "optimize", *base, "--finetune", "6", "--refine", "2"]))
    assert both["info"]["refine"] == 2 and both["max_utilisation"] <= 1.0


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--finetune", "-1"], "--finetune must be >= 0 steps, got -1"),
        (["--finetune", "3", "--finetune-lr", "nan"], "--finetune-lr must be a finite number > 0, got nan"),
        (["--finetune", "3", "--finetune-lr", "0"], "--finetune-lr must be a finite number > 0"),
        (["--finetune", "3", "--method", "sp"], "applies to the learned methods"),
        (["--refine", "-1"], "--refine must be >= 0 rounds"),
    ],
)
def test_optimize_refuses_bad_finetune(policy, extra, match) -> None:
    res = runner.invoke(app, ["te", "optimize", *TINY, "--policy", str(policy), *extra])
    assert res.exit_code != 0
    assert isinstance(res.exception, InvalidParameterError) and match in str(res.exception)


def test_bench_te_finetune_columns(policy) -> None:
    args = ["bench", "te", "--topologies", "abilene", "--policy", str(policy), "--repeats", "1"]
    out = _json(runner.invoke(app, [*args, "--finetune", "4", "--json"]))
    (row,) = out["rows"]
    assert row["finetune_steps"] == 4 and row["finetune_1_thread_s"] > 0
    assert row["finetune_relative_error"] <= row["relative_error"] + 1e-12
    res = runner.invoke(app, [*args, "--finetune", "-2"])
    assert isinstance(res.exception, InvalidParameterError) and "--finetune" in str(res.exception)
    res = runner.invoke(app, ["reproduce", "neurorisk", "--table", "3", "--finetune", "-2"])
    assert isinstance(res.exception, InvalidParameterError) and "--finetune" in str(res.exception)


def test_bench_te_threads(policy) -> None:
    args = ["bench", "te", "--topologies", "abilene", "--policy", str(policy), "--repeats", "1"]
    (row,) = _json(runner.invoke(app, [*args, "--no-solver", "--threads", "1", "--json"]))["rows"]
    assert row["threads_all"] == 1 and row["neurorisk_all_threads_s"] == row["neurorisk_1_thread_s"]
    assert "solver_time_s" not in row and "relative_error" not in row
    res = runner.invoke(app, [*args, "--threads", "0"])
    assert isinstance(res.exception, InvalidParameterError)
    assert "--threads must be >= 1, got 0" in str(res.exception)
