"""`kplane sim run|compare|validate` and `kplane bench sim`."""

from __future__ import annotations

import json
import sys

import pytest

from kplane.cli.main import main
from kplane.network.generators import routenet_scenario
from kplane.network.io import save_scenario
from kplane.network.topologies import load_topology


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "nsf.json"
    save_scenario(routenet_scenario(load_topology("nsfnet", seed=1), 10, seed=2), path)
    return path


def test_run_json_has_the_pathkpis_shape_plus_links_and_timing(monkeypatch, capsys, scenario_file):
    code, out, _ = run_main(monkeypatch, capsys, "sim", "run", "--scenario", str(scenario_file),
                            "--duration", "500", "--seed", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "kplane.pathkpis" and len(data["paths"]) == 182
    row = data["paths"][0]
    assert {"src", "dst", "mean_delay", "jitter", "loss_ratio", "percentiles", "delivered"} <= set(row)
    assert len(data["links"]) == 42 and "utilisation" in data["links"][0]
    assert data["wall_time_s"] > 0 and data["run"]["seed"] == 3 and data["run"]["duration"] == 500


def test_run_table_and_compare(monkeypatch, capsys, scenario_file):
    code, out, _ = run_main(monkeypatch, capsys, "sim", "run", "--scenario", str(scenario_file),
                            "--duration", "300", "--limit", "3")
    assert code == 0 and "packets" in out and "events" in out
    code, out, _ = run_main(monkeypatch, capsys, "sim", "compare", "--scenario", str(scenario_file),
                            "--duration", "300", "--json")
    data = json.loads(out)
    assert code == 0 and {"simulator", "queueing", "queueing_vs_simulator"} <= set(data)
    assert 0 < data["queueing_vs_simulator"]["delay_mape"] < 1


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["sim", "run"], "give exactly one of --scenario FILE or --datanet DIR --sample K"),
        (["sim", "run", "--scenario", "missing.json"], "missing.json"),
        (["sim", "run", "--scenario", "{f}", "--duration", "10", "--warmup", "20"],
         "must be longer than the warm-up"),
        (["sim", "run", "--scenario", "{f}", "--sample", "1"], "--sample applies to --datanet only"),
        (["bench", "sim", "--repeat", "0"], "--repeat must be >= 1"),
    ],
)
def test_bad_input_is_one_line_error(monkeypatch, capsys, scenario_file, args, match):
    args = [a.replace("{f}", str(scenario_file)) for a in args]
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert match in " ".join(err.split())
    assert "Traceback" not in err


def test_validate_and_run_a_datanet_sample(monkeypatch, capsys, shared_data):
    path = shared_data / "omnetpp" / "fifo-30node-train"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    code, out, _ = run_main(monkeypatch, capsys, "sim", "validate", "--datanet", str(path), "--samples", "1",
                            "--json")
    assert code == 0
    data = json.loads(out)
    keys = {"delay_mape", "jitter_mape", "loss_mae", "samples", "kplane_wall_s", "recorded_wall_s"}
    assert keys <= set(data)
    assert data["delay_mape"] < 0.05 and data["recorded_wall_s"] == 182.0 and len(data["samples"]) == 1
    code, _, err = run_main(monkeypatch, capsys, "sim", "run", "--datanet", str(path), "--sample", "99")
    assert code == 2 and "--sample must be in 0..49" in err


def test_bench_sim_json(monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "bench", "sim", "--duration", "200", "--repeat", "1",
                            "--no-ns3", "--json")
    assert code == 0
    data = json.loads(out)
    sim = data["simulator"]
    assert sim["packets_per_s"] > 0 and sim["events_per_s"] > 0 and sim["paper_sample_wall_s"] > 0
    assert data["queueing"]["n_paths"] == 2450 and data["queueing"]["wall_ms"] > 0
    assert data["ns3"]["available"] is False and "disabled" in data["ns3"]["reason"]
