"""`kplane data inspect`: counts, sizes and ranges of the public datanet samples; JSON; errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kplane.cli.main import app
from kplane.network import PathKPIs, Routing, Scenario, Topology, Traffic
from kplane.network.io import write_datanet

runner = CliRunner()


def _inspect_json(path: Path) -> dict:
    res = runner.invoke(app, ["data", "inspect", str(path), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_inspect_fifo_json(shared_data: Path) -> None:
    info = _inspect_json(shared_data / "omnetpp" / "fifo-30node-train")
    assert info["samples"] == {"total": 50, "stable": 50, "unstable": 0}
    assert info["n_bundles"] == 2
    assert [(t["n_nodes"], t["n_links"], t["n_samples"]) for t in info["topologies"]] == [(30, 136, 50)]
    assert info["routing_formats"] == {"node_paths": 50}
    assert info["scheduling_policies"] == {"FIFO": 50}
    assert info["queue_size_packets"] == [32]
    assert info["capacity_bps"]["values"] == [10e3, 25e3, 40e3, 100e3]
    assert info["packet_sizes"] == [{"sizes": [300.0, 1700.0], "probs": [0.5, 0.5]}]
    assert info["labels"]["n_paths"] == 50 * 870
    wall = info["wall_time_s"]
    assert wall["n"] == 50 and wall["min"] <= wall["median"] <= wall["max"]
    assert 40 * 50 < wall["total"] < 180 * 50  # OMNeT++ spent about 40–180 s per sample
    assert 0 < info["labels"]["mean_delay_s"]["min"] < info["labels"]["mean_delay_s"]["max"]
    assert 0 <= info["labels"]["loss_ratio"]["min"] <= info["labels"]["loss_ratio"]["max"] <= 1
    assert info["link_utilisation"]["max"] <= 1.0


def test_inspect_sched_json(shared_data: Path) -> None:
    info = _inspect_json(shared_data / "omnetpp" / "sched-nsfnet-geant2-train")
    assert info["samples"] == {"total": 400, "stable": 400, "unstable": 0}
    assert [(t["n_nodes"], t["n_links"], t["n_samples"]) for t in info["topologies"]] == [
        (14, 42, 199), (24, 74, 201)]
    assert info["routing_formats"] == {"port_matrix": 400}
    assert set(info["scheduling_policies"]) == {"WFQ", "SP", "DRR"}
    assert info["tos"] == [0, 1, 2]
    assert info["labels"]["n_paths"] == 199 * 182 + 201 * 552
    assert info["link_utilisation"] is None


def _tiny(tmp_path: Path, flip: bool = False) -> Path:
    topo = Topology.from_edges(["0", "1"], [(0, 1), (1, 0)], capacity=[10e3, 40e3], queue_size=8)
    routing = Routing.from_link_paths({(0, 1): [0], (1, 0): [1]})
    scenario = Scenario(topology=topo, routing=routing, traffic=Traffic(rate=[[0.0, 500.0], [800.0, 0.0]]))
    kpis = PathKPIs(pairs=routing.pairs, mean_delay=[0.1, 0.2], jitter=[0.01, 0.02], loss_ratio=[0.0, 0.5],
                    delivered=[500.0, 400.0], dropped=[0.0, 400.0])
    tar = write_datanet([(scenario, kpis)] * 3, tmp_path, sim_time=1000.0)
    if flip:
        import tarfile

        with tarfile.open(tar) as t:
            t.extractall(tmp_path / "x", filter="data")
        tar.unlink()
        stab = tmp_path / "x" / "results_kplane" / "stability.txt"
        lines = stab.read_text().split("\n")
        lines[1] = lines[1].replace("OK", "NOK")
        stab.write_text("\n".join(lines))
    return tmp_path


def test_inspect_counts_unstable_samples(tmp_path: Path) -> None:
    info = _inspect_json(_tiny(tmp_path, flip=True))
    assert info["samples"] == {"total": 3, "stable": 2, "unstable": 1}
    assert info["labels"]["n_paths"] == 4
    assert info["labels"]["loss_ratio"]["max"] == 0.5 and info["labels"]["lossy_path_fraction"] == 0.5
    assert info["traffic"]["pair_rate_bps"] == {"min": 500.0, "max": 800.0, "mean": 650.0, "n": 4}
    assert info["wall_time_s"] is None and info["sim_time_s"]["min"] == 1000.0


def test_inspect_table(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "inspect", str(_tiny(tmp_path))])
    assert res.exit_code == 0, res.output
    for text in ("3 (3 stable, 0 unstable)", "node_paths", "10 kbit/s, 40 kbit/s", "8 packets", "topologies"):
        assert text in res.stdout, text


def test_inspect_errors_are_one_line(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("kplane")
    if not exe.exists():
        pytest.skip("kplane entry point not installed in this environment")
    out = subprocess.run([str(exe), "data", "inspect", str(tmp_path / "missing")], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "Traceback" not in out.stderr
    _tiny(tmp_path)
    (tmp_path / "results_kplane.tar.gz").write_bytes(np.zeros(10, dtype=np.uint8).tobytes())
    out = subprocess.run([str(exe), "data", "inspect", str(tmp_path)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 2 and "not a readable .tar.gz archive" in out.stderr
    assert "Traceback" not in out.stderr
