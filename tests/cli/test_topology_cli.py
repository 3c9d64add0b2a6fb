"""`kplane topology list|show`: tables, JSON and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app, main
from kplane.network.generators import routenet_scenario
from kplane.network.io import save_scenario

runner = CliRunner()


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point (error handling included); return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_list_table() -> None:
    res = runner.invoke(app, ["topology", "list"])
    assert res.exit_code == 0, res.output
    assert "nsfnet" in res.output and "tatanld" in res.output
    assert "sndlib/nobel-us" in res.output


def test_list_json() -> None:
    res = runner.invoke(app, ["topology", "list", "--json"])
    assert res.exit_code == 0
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert (rows["nsfnet"]["n_nodes"], rows["nsfnet"]["n_edges"], rows["nsfnet"]["n_links"]) == (14, 21, 42)
    assert (rows["geant"]["n_nodes"], rows["geant"]["n_edges"]) == (22, 36)


def test_show_json() -> None:
    res = runner.invoke(app, ["topology", "show", "nsfnet", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert (info["n_nodes"], info["n_edges"], info["n_links"]) == (14, 21, 42)
    assert info["diameter_hops"] == 3 and info["strongly_connected"]
    assert info["out_degree"] == {"min": 2, "mean": 3.0, "max": 4}
    assert len(info["links"]) == 42 and info["links"][0]["src_name"] == "Palo-Alto"
    assert sum(info["capacity_bps"]["counts"].values()) == 42
    assert info["nodes"][0]["pos"] == [-122.07, 37.25]


def test_show_table_and_options() -> None:
    res = runner.invoke(app, ["topology", "show", "nsfnet", "--capacities", "40kbps", "--summary"])
    assert res.exit_code == 0, res.output
    assert "diameter" in res.output and "3 hops" in res.output
    assert "40 kbit/s × 42" in res.output
    assert "Palo-Alto" not in res.output  # --summary: no node table
    full = runner.invoke(app, ["topology", "show", "abilene"])
    assert full.exit_code == 0 and "Links" in full.output and "Nodes" in full.output


def test_show_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "sc.json"
    save_scenario(routenet_scenario("polska", 5, seed=0), path)
    res = runner.invoke(app, ["topology", "show", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n_nodes"] == 12


def test_unknown_topology_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "topology", "show", "arpanet")
    assert code == 2
    assert "unknown topology 'arpanet'; valid:" in err and "nsfnet" in err
    assert "Traceback" not in err and out == ""
