"""`kplane whatif routing|upgrade`, `kplane reproduce fig3|table2`, `kplane bench whatif`."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app, main

runner = CliRunner()

ROUTING_QUEUEING = ["whatif", "routing", "-t", "nsfnet", "-i", "12", "--model", "queueing"]
"""`kplane whatif routing` on NSFNET at TI 12 kbit/s with the (fast) queueing model."""


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture(scope="module")
def models_available() -> None:
    try:
        from kplane.queueing import MM1bModel  # noqa: F401
        from kplane.sim import Simulator  # noqa: F401
    except ImportError:
        pytest.skip("the queueing model or the simulator is not installed")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["whatif", "routing", "-t", "nsfnet", "-i", "12", "--model", "magic"],
            "unknown model 'magic'; valid: bundled, queueing, sim or the path",
        ),
        (["whatif", "routing", "-i", "12"], "a scenario is needed"),
        (["whatif", "routing", "-t", "nsfnet", "-i", "12", "--baselines", "best"], "unknown baseline"),
        (["whatif", "upgrade", "-t", "nsfnet", "-i", "12", "--model", "x.pt"], "unknown model 'x.pt'"),
        (["reproduce", "fig3", "--ti", "16..11"], "--ti '16..11' not understood"),
        (["reproduce", "fig3", "--tms", "0", "--model", "queueing"], "--tms and --candidates must be >= 1"),
    ],
)
def test_bad_input_is_one_line_error(monkeypatch, capsys, args, match):
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert match in " ".join(err.split())
    assert "Traceback" not in err


def test_bad_policy_file(monkeypatch, capsys, tmp_path, models_available):
    bad = tmp_path / "p.json"
    bad.write_text('{"constraints": [{"metric": "latency", "bound": 1}]}')
    code, _, err = run_main(monkeypatch, capsys, *ROUTING_QUEUEING, "--policy", str(bad))
    assert code == 2 and "p.json" in err and "metric 'latency' is not known" in " ".join(err.split())


def test_routing_json_small(tmp_path, models_available):
    res = runner.invoke(
        app,
        [
            "whatif",
            "routing",
            "-t",
            "nsfnet",
            "-i",
            "14",
            "--model",
            "queueing",
            "--candidates",
            "6",
            "--duration",
            "300",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["model"] == "queueing" and data["n_candidates"] == 6
    ch = data["chosen"]
    assert ch["selection"]["rule"] in ("all_met", "minimised", "relaxed")
    assert ch["selection"]["explanation"]
    assert len(ch["routing"]) == 182 and ch["routing"][0]["nodes"][0] == ch["routing"][0]["src"]
    assert ch["predicted_paths"]["schema"] == "kplane.pathkpis"
    assert ch["simulated"]["mean_delay"] > 0
    assert set(data["baselines"]) == {"sp_average", "balanced", "optimal"}


def test_routing_table_with_policy_file(tmp_path, models_available):
    pol = tmp_path / "policy.json"
    pol.write_text(
        json.dumps(
            {
                "constraints": [
                    {"metric": "loss_ratio", "aggregate": "max", "bound": 0.5, "on_infeasible": "minimise"}
                ],
                "objective": {"metric": "mean_delay", "aggregate": "p90"},
            }
        )
    )
    res = runner.invoke(
        app,
        [*ROUTING_QUEUEING, "-n", "4", "--duration", "300", "--baselines", "balanced", "--policy", str(pol)],
    )
    assert res.exit_code == 0, res.output
    assert "max loss_ratio < 0.5" in res.output and "balanced" in res.output


def test_infeasible_policy_answers_with_the_fallback(tmp_path, models_available):
    pol = tmp_path / "never.json"
    pol.write_text(
        json.dumps({"constraints": [{"metric": "mean_delay", "bound": 0.0, "on_infeasible": "minimise"}]})
    )
    args = [*ROUTING_QUEUEING, "-n", "4", "--duration", "300"]
    res = runner.invoke(app, [*args, "--baselines", "none", "--policy", str(pol), "--json"])
    assert res.exit_code == 0, res.output
    sel = json.loads(res.stdout)["chosen"]["selection"]
    assert sel["rule"] == "minimised" and sel["n_meeting_all_constraints"] == 0
    assert "no candidate meets mean mean_delay < 0" in sel["explanation"]


def test_upgrade_json_small(tmp_path, models_available):
    from kplane.network.generators import routenet_scenario
    from kplane.network.io import save_scenario

    path = tmp_path / "s.json"
    save_scenario(routenet_scenario("nsfnet", 15, seed=3), path)
    res = runner.invoke(
        app,
        [
            "whatif",
            "upgrade",
            "--scenario",
            str(path),
            "--model",
            "queueing",
            "-n",
            "2",
            "--duration",
            "300",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["placement"]["n_links_tried"] == 70
    assert data["placement"]["link"]["capacity"] == 10e3
    assert data["baseline"]["new_capacity"] in (40e3, 100e3)
    assert {"original", "placement", "baseline"} <= set(data)


def test_reproduce_fig3_quick_is_resumable(tmp_path, models_available):
    out = tmp_path / "fig3"
    args = [
        "reproduce",
        "fig3",
        "--quick",
        "--ti",
        "13,16",
        "--tms",
        "1",
        "-n",
        "4",
        "--duration",
        "300",
        "--model",
        "queueing",
        "-o",
        str(out),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (out / "fig3.png").stat().st_size > 1000
    rows = (out / "fig3.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 4  # header + 2 TMs × 4 optimizers
    assert "gap to optimal" in (out / "fig3-summary.md").read_text()
    again = runner.invoke(app, args)  # resumes: nothing recomputed, same rows
    assert again.exit_code == 0 and (out / "fig3.csv").read_text().splitlines() == rows
    other = runner.invoke(app, [*args[:-2], "--seed", "5", "-o", str(out)])
    assert other.exit_code != 0 and "other settings" in str(other.exception)


def test_reproduce_table2_quick(tmp_path, models_available):
    out = tmp_path / "t2"
    res = runner.invoke(
        app,
        [
            "reproduce",
            "table2",
            "--quick",
            "--scenarios",
            "1",
            "-n",
            "2",
            "--duration",
            "300",
            "--model",
            "queueing",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "rel. delay" in (out / "table2.md").read_text()


def test_bench_whatif_json(models_available):
    res = runner.invoke(
        app, ["bench", "whatif", "--model", "queueing", "-n", "8", "--repeats", "1", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["results"][0]["model"] == "queueing" and data["results"][0]["n_candidates"] == 8


def test_help_lists_commands():
    res = runner.invoke(app, ["whatif", "--help"])
    assert res.exit_code == 0 and "routing" in res.output and "upgrade" in res.output
    res = runner.invoke(app, ["reproduce", "--help"])
    assert res.exit_code == 0 and "fig3" in res.output and "table2" in res.output


def test_kplane_warnings_are_summarised(capsys):
    import warnings

    from kplane.cli.whatif import summarised_warnings
    from kplane.errors import KplaneWarning

    with summarised_warnings():
        for i in range(3):
            warnings.warn(f"scenario {i} is outside the training range", KplaneWarning, stacklevel=1)
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("warning (KplaneWarning)") == 1
    assert "scenario 0 is outside the training range (and 2 more like it)" in err
