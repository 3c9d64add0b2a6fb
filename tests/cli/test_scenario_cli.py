"""`kplane scenario new|show`: the demo commands, options, JSON output and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kplane.cli.main import app, main
from kplane.network.generators import perturbed_weights, routenet_scenario, shortest_path_routing
from kplane.network.io import load_scenario
from kplane.network.topologies import load_topology

runner = CliRunner()


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_demo_commands(tmp_path: Path) -> None:
    out = tmp_path / "demo-scenario.json"
    res = runner.invoke(
        app,
        [
            "scenario",
            "new",
            "--topology",
            "nsfnet",
            "--traffic-intensity",
            "12",
            "--seed",
            "1",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "182 paths" in res.output
    sc = load_scenario(out)
    ref = routenet_scenario("nsfnet", 12, seed=1)
    np.testing.assert_array_equal(sc.traffic.rate, ref.traffic.rate)
    np.testing.assert_array_equal(sc.routing.link_ids, ref.routing.link_ids)
    assert sc.metadata["routing"] == "sp" and sc.metadata["intensity"] == 12.0

    show = runner.invoke(app, ["scenario", "show", str(out)])
    assert show.exit_code == 0, show.output
    for text in ("nsfnet", "182", "total traffic", "utilisation", "hops", "Busiest links"):
        assert text in show.output

    js = runner.invoke(app, ["scenario", "show", str(out), "--json"])
    info = json.loads(js.stdout)
    assert info["n_paths"] == 182 and info["n_nodes"] == 14 and info["n_links"] == 42
    assert info["total_traffic_bps"] == pytest.approx(ref.traffic.total_rate)
    assert info["utilisation"]["max"] == pytest.approx(float(ref.utilisation().max()))
    assert info["hops"]["mean"] == pytest.approx(float(ref.routing.hops.mean()))
    assert info["busiest_links"][0]["utilisation"] == pytest.approx(info["utilisation"]["max"])


def test_perturbed_routing_and_capacities(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = runner.invoke(
        app,
        [
            "scenario",
            "new",
            "-t",
            "nsfnet",
            "-i",
            "14",
            "-s",
            "3",
            "--routing",
            "perturbed:5",
            "--capacities",
            "10kbps,40kbps",
            "--queue-size",
            "16",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    topo = load_topology("nsfnet")
    expected = shortest_path_routing(topo, perturbed_weights(topo, 6, seed=3)[5])
    np.testing.assert_array_equal(sc.routing.link_ids, expected.link_ids)
    assert set(np.unique(sc.topology.capacity)) <= {10e3, 40e3}
    assert (sc.topology.queue_size == 16).all()
    assert sc.metadata["routing"] == "perturbed:5" and sc.metadata["capacities"] == "10kbps,40kbps"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "nsfnet", "-i", "-3"], "--traffic-intensity must be >= 0 kbit/s, got -3.0"),
        (["-t", "nsfnetx", "-i", "10"], "unknown topology 'nsfnetx'; valid:"),
        (["-t", "nsfnet", "-i", "10", "--routing", "ecmp"], "routing 'ecmp' not understood; valid: 'sp'"),
        (
            ["-t", "nsfnet", "-i", "10", "--routing", "perturbed:x"],
            "K in 'perturbed:K' must be an integer >= 0",
        ),
        (["-t", "nsfnet", "-i", "10", "--capacities", "fast"], "capacities 'fast' not understood"),
        (
            ["-t", "nsfnet", "-i", "10", "--queue-size", "0"],
            "queue_size must be a whole number of packets >= 1",
        ),
    ],
)
def test_new_errors(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "x.json"
    code, _, err = run_main(monkeypatch, capsys, "scenario", "new", *args, "-o", str(out))
    assert code == 2
    assert message in err.replace("\n", " ")
    assert "Traceback" not in err
    assert not out.exists()


def test_show_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "scenario", "show", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read scenario file" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "kplane.scenario", "version": 9}))
    code, _, err = run_main(monkeypatch, capsys, "scenario", "show", str(bad))
    assert code == 2 and "version 9" in err
