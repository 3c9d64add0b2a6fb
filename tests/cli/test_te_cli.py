"""`kplane te instance|solve|evaluate` and `kplane bench te-solvers`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kplane.cli.main import main


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path, monkeypatch, capsys) -> dict[str, Path]:
    inst = tmp_path / "instance.json"
    code, out, _ = run(
        monkeypatch,
        capsys,
        "te",
        "instance",
        "--topology",
        "abilene",
        "--cutoff",
        "1e-3",
        "--seed",
        "1",
        "--export",
        str(inst),
        "--json",
    )
    assert code == 0, out
    info = json.loads(out)
    assert info["n_tunnels"] > 0 and info["export"] == str(inst)
    return {"instance": inst, "dir": tmp_path}


def test_instance_solve_evaluate(files, monkeypatch, capsys) -> None:
    inst, alloc = files["instance"], files["dir"] / "alloc.json"
    data = json.loads(inst.read_text())
    for key in ("nodes", "edges", "demands", "tunnels", "scenarios"):
        assert key in data
    assert set(data["scenarios"][0]) == {"prob", "failed_edges"}
    code, out, err = run(
        monkeypatch,
        capsys,
        "te",
        "solve",
        "--instance",
        str(inst),
        "--objective",
        "teavar",
        "--beta",
        "0.9",
        "--json",
        "--allocation-out",
        str(alloc),
    )
    assert code == 0, err
    res = json.loads(out)
    for key in ("objective", "objective_value", "throughput", "status", "time_s"):
        assert key in res
    assert res["status"] == "optimal" and res["objective"] == "teavar"
    assert res["throughput"] == pytest.approx(res["total_demand"] * (1 - res["objective_value"]))
    assert len(json.loads(alloc.read_text())["x"]) == res["n_tunnels"]
    code, out, err = run(
        monkeypatch,
        capsys,
        "te",
        "evaluate",
        "--instance",
        str(inst),
        "--allocation",
        str(alloc),
        "--beta",
        "0.9",
        "--json",
    )
    assert code == 0, err
    ev = json.loads(out)
    assert ev["loss"]["cvar"] == pytest.approx(res["objective_value"], abs=1e-9)
    assert ev["feasible"] is True and set(ev["availability"]) >= {"scenario", "flow", "bandwidth"}
    # replay on another scenario set of the same network
    other = files["dir"] / "other.json"
    assert (
        run(
            monkeypatch,
            capsys,
            "te",
            "instance",
            "--topology",
            "abilene",
            "--cutoff",
            "1e-4",
            "--seed",
            "2",
            "--export",
            str(other),
        )[0]
        == 0
    )
    code, out, err = run(
        monkeypatch,
        capsys,
        "te",
        "evaluate",
        "--instance",
        str(inst),
        "--allocation",
        str(alloc),
        "--scenarios",
        str(other),
        "--reroute",
        "proportional",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["n_scenarios"] == len(json.loads(other.read_text())["scenarios"])
    # human-readable output
    code, out, _ = run(monkeypatch, capsys, "te", "solve", "--instance", str(inst), "--objective", "expected")
    assert code == 0 and "expected" in out and "throughput" in out


def test_solve_from_files_quantile_reports_gap(shared_data, monkeypatch, capsys) -> None:
    b4 = shared_data / "te/arrow/data/topology/B4"
    code, out, err = run(
        monkeypatch,
        capsys,
        "te",
        "solve",
        "--from-files",
        str(b4),
        "--cutoff",
        "1e-3",
        "--objective",
        "quantile",
        "--beta",
        "0.9",
        "--aggregate",
        "mean",
        "--time-limit",
        "60",
        "--json",
    )
    assert code == 0, err
    res = json.loads(out)
    assert res["mip_gap"] is not None and res["status"] in ("optimal", "time_limit")
    assert res["n_tunnels"] == 396


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["te", "solve", "--topology", "abilene", "--objective", "greedy"],
            "unknown objective 'greedy'; valid: ffc, teavar, quantile, expected, nominal",
        ),
        (["te", "solve", "--topology", "abilene", "--beta", "1.5"], "beta must lie strictly between 0 and 1"),
        (["te", "instance", "--topology", "atlantis"], "unknown topology 'atlantis'; valid: "),
        (["te", "instance"], "give exactly one of --topology NAME or --from-files PATH"),
        (
            ["te", "instance", "--topology", "abilene", "--failure-model", "quake"],
            "unknown failure model 'quake'",
        ),
        (["te", "instance", "--topology", "abilene", "--uncovered", "spread"], "uncovered must be one of"),
        (["te", "instance", "--topology", "abilene", "--cutoff", "2"], r"cutoff must lie in \(0, 1\)"),
        (["te", "instance", "--from-files", "/nonexistent/x"], "no such file or folder"),
        (["bench", "te-solvers", "--objectives", "fastest"], "unknown objective 'fastest'"),
        (["bench", "te-solvers", "--cutoffs", "x"], "--cutoffs must be comma-separated numbers"),
    ],
)
def test_bad_input_is_one_line_error(monkeypatch, capsys, args, match) -> None:
    import re

    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert re.search(match, " ".join(err.split())), err
    assert "Traceback" not in err


def test_bad_files_are_one_line_errors(files, monkeypatch, capsys) -> None:
    inst, d = files["instance"], files["dir"]
    data = json.loads(inst.read_text())
    data["demands"][0][2] = -1.0
    neg = d / "neg.json"
    neg.write_text(json.dumps(data))
    code, _, err = run(monkeypatch, capsys, "te", "solve", "--instance", str(neg))
    assert code == 2 and "must be finite and >= 0 bit/s, got -1.0" in " ".join(err.split())
    scen = d / "scen.json"
    scen.write_text(
        json.dumps({"scenarios": [{"prob": 1.0, "failed_edges": []}, {"prob": 0.0, "failed_edges": [999]}]})
    )
    alloc = d / "a.json"
    alloc.write_text(json.dumps({"x": [0.0] * len(json.loads(inst.read_text())["tunnels"])}))
    code, _, err = run(
        monkeypatch,
        capsys,
        "te",
        "evaluate",
        "--instance",
        str(inst),
        "--allocation",
        str(alloc),
        "--scenarios",
        str(scen),
    )
    assert code == 2 and "unknown link 999" in " ".join(err.split())
    short = d / "short.json"
    short.write_text(json.dumps({"x": [0.1]}))
    code, _, err = run(
        monkeypatch, capsys, "te", "evaluate", "--instance", str(inst), "--allocation", str(short)
    )
    assert code == 2 and "x has 1 split ratios" in " ".join(err.split())


def test_bench_te_solvers_json(shared_data, monkeypatch, capsys) -> None:
    code, out, err = run(
        monkeypatch,
        capsys,
        "bench",
        "te-solvers",
        "--topologies",
        "b4",
        "--objectives",
        "teavar,expected",
        "--cutoffs",
        "1e-3",
        "--data",
        str(shared_data),
        "--json",
    )
    assert code == 0, err
    res = json.loads(out)
    assert len(res["records"]) == 2
    for r in res["records"]:
        assert r["status"] == "optimal" and r["n_tunnels"] == 396 and r["time_s"] > 0
    assert "teavar-b4" in res["teavar_gurobi_times"]
