"""`kplane routenet train|evaluate|info`, `kplane predict`."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from kplane.cli.main import main
from kplane.network import PathKPIs, Routing, Scenario, Topology, Traffic
from kplane.network.io import save_scenario, write_datanet

TINY = ["--path-dim", "8", "--link-dim", "8", "--iterations", "2", "--readout-units", "16", "--threads", "1"]


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    """Arguments of `kplane routenet train` on ``data`` writing ``out``, with a tiny model."""
    return ["routenet", "train", "--data", str(data), "-o", str(out), *extra, *TINY]


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ring_scenario(seed: int) -> Scenario:
    """A 5-node ring with two chords, all pairs routed by hop count."""
    g = nx.cycle_graph(5)
    g.add_edges_from([(0, 2), (1, 3)])
    d = g.to_directed()
    edges = sorted(d.edges())
    rng = np.random.default_rng(seed)
    topo = Topology.from_edges(
        [f"r{i}" for i in range(5)], edges, capacity=rng.choice([10e3, 40e3], len(edges)), name="ring5"
    )
    paths = dict(nx.all_pairs_shortest_path(d))
    routing = Routing.from_node_paths(
        topo, {(s, t): paths[s][t] for s in range(5) for t in range(5) if s != t}
    )
    rate = rng.uniform(0.1, 1.0, (5, 5)) * 3e3
    np.fill_diagonal(rate, 0.0)
    return Scenario(topo, routing, Traffic(rate=rate), name=f"ring-{seed}")


def labels(sc: Scenario, sim_time: float = 100.0) -> PathKPIs:
    rho = np.minimum(sc.utilisation(), 0.9)
    delay = 1000.0 / sc.topology.capacity / (1 - rho)
    pid = sc.routing.path_index()
    md = np.bincount(pid, weights=delay[sc.routing.link_ids])
    loss = np.clip(md / md.max() * 0.05, 0, 1)
    pkts = sc.path_rate() / 1000.0 * sim_time
    return PathKPIs(
        pairs=sc.routing.pairs,
        mean_delay=md,
        jitter=md**2,
        loss_ratio=loss,
        mean_log_delay=np.log(md),
        delivered=np.round(pkts * (1 - loss)),
        dropped=np.round(pkts * loss),
    )


@pytest.fixture(scope="module")
def datanet_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dn")
    write_datanet([(sc, labels(sc)) for sc in (ring_scenario(i) for i in range(6))], root, sim_time=100.0)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory, datanet_dir) -> Path:
    out = tmp_path_factory.mktemp("model") / "m.pt"
    argv = ["kplane", *train_args(datanet_dir, out, "--max-steps", "4", "--batch-size", "2", "--json")]
    old = sys.argv
    sys.argv = argv
    try:
        main()
    except SystemExit as exc:  # pragma: no cover - a failure is reported by the tests using it
        assert exc.code in (0, None)
    finally:
        sys.argv = old
    return out


def test_train_writes_a_model_with_its_card(trained, capsys) -> None:
    assert trained.is_file() and (trained.parent / "m.pt.state").is_file()
    capsys.readouterr()


def test_train_log_resume_and_card(monkeypatch, capsys, datanet_dir, tmp_path) -> None:
    out = tmp_path / "r.pt"
    log = tmp_path / "log.csv"
    base = train_args(
        datanet_dir,
        out,
        "--batch-size",
        "2",
        "--log-csv",
        str(log),
        "--checkpoint-every",
        "1",
        "--log-every",
        "1",
    )
    code, stdout, err = run_main(monkeypatch, capsys, *base, "--max-steps", "2", "--json")
    assert code == 0, err
    card = json.loads(stdout)
    assert card["training"]["steps"] == 2
    assert card["training"]["dataset"]["format"] == "datanet"
    assert len(card["training"]["dataset"]["manifest_hash"]) == 64
    assert card["training"]["dataset"]["validation"]["held_out_fraction"] == pytest.approx(0.1)
    code, stdout, err = run_main(monkeypatch, capsys, *base, "--max-steps", "3", "--resume", "--json")
    assert code == 0, err
    assert json.loads(stdout)["training"]["steps"] == 3
    with log.open() as fh:
        assert [int(r["step"]) for r in csv.DictReader(fh)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--resume"], "no training state"),  # nothing to resume from
        (["--heads", "normal+poisson"], "unknown head 'poisson'"),
    ],
)
def test_bad_train_options_are_clear_errors(monkeypatch, capsys, datanet_dir, tmp_path, extra, match) -> None:
    code, _, err = run_main(monkeypatch, capsys, *train_args(datanet_dir, tmp_path / "x.pt", *extra))
    assert code == 2 and match in err and "Traceback" not in err


def test_info_and_evaluate(monkeypatch, capsys, trained, datanet_dir) -> None:
    code, out, _ = run_main(monkeypatch, capsys, "routenet", "info", str(trained), "--json")
    assert code == 0
    card = json.loads(out)
    assert card["heads"] == [["gamma", "jitter", "binomial"]] and card["hparams"]["iterations"] == 2
    assert card["training"]["command"].startswith("kplane routenet train --data ")
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "routenet",
        "evaluate",
        "--data",
        str(datanet_dir),
        "--model",
        str(trained),
        "--json",
    )
    assert code == 0
    m = json.loads(out)
    assert m["samples"] == 6 and m["paths"] == 6 * 20 and m["delay_mre"] > 0 and m["delay_paths"] == 6 * 20
    for key in ("jitter_mre", "drops_mre", "delay_mape", "delay_r2", "delay_pearson", "loss_corr"):
        assert key in m and key in m["queueing"]
    assert m["delay_mape"] == pytest.approx(100 * m["delay_mre"])
    # the labels are an M/M/1-like formula: the queueing model is not exact but is far from random
    assert m["queueing"]["delay_pearson"] > 0.5


def test_evaluate_records_metrics_in_the_card(monkeypatch, capsys, trained, datanet_dir, tmp_path) -> None:
    model = tmp_path / "copy.pt"
    model.write_bytes(trained.read_bytes())
    args = ["routenet", "evaluate", "--datanet", str(datanet_dir), "--model", str(model)]
    code, _, err = run_main(monkeypatch, capsys, *args, "--record", "test", "--limit", "2")
    assert code == 0, err
    code, out, _ = run_main(monkeypatch, capsys, "routenet", "info", str(model), "--json")
    card = json.loads(out)
    assert card["metrics"]["test"]["samples"] == 2 and "queueing" in card["metrics"]["test"]
    assert "validation" in card["metrics"]  # the training metrics are kept
    code, _, err = run_main(monkeypatch, capsys, *args, "--record", "no good")
    assert code == 2 and "--record needs" in err


def test_evaluate_plots_and_datanet_option(monkeypatch, capsys, trained, datanet_dir, tmp_path) -> None:
    args = ["routenet", "evaluate", "--datanet", str(datanet_dir), "--model", str(trained)]
    code, out, err = run_main(monkeypatch, capsys, *args, "--plots", str(tmp_path / "figs"), "--limit", "3")
    assert code == 0, err
    assert "RouteNet" in out and "M/M/1/b" in out and "delay" in out
    for name in ("relative_error_cdf.png", "scatter.png"):
        png = (tmp_path / "figs" / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
    code, out, err = run_main(monkeypatch, capsys, *args, "--no-baseline", "--json")
    assert code == 0 and "queueing" not in json.loads(out)
    code, _, err = run_main(monkeypatch, capsys, *args, "--data", str(datanet_dir))
    assert code == 2 and "exactly one of --data" in err


def test_calibrate_stores_the_corrections(monkeypatch, capsys, trained, datanet_dir, tmp_path) -> None:
    model = tmp_path / "cal.pt"
    model.write_bytes(trained.read_bytes())
    args = ["routenet", "calibrate", "--model", str(model), "--data", str(datanet_dir)]
    code, out, err = run_main(monkeypatch, capsys, *args, "--limit", "4", "--json")
    assert code == 0, err
    cal = json.loads(out)
    assert cal["delay"] > 0 and cal["jitter"] > 0 and cal["fitted_on"]["samples"] == 4
    assert cal["fitted_on"]["after"]["delay_mre"] <= cal["fitted_on"]["before"]["delay_mre"] + 1e-12
    code, out, _ = run_main(monkeypatch, capsys, "routenet", "info", str(model))
    assert code == 0 and "calibration: delay ×" in out
    # evaluating on the same samples: the calibrated delay MRE is the one the fit reported
    code, out, _ = run_main(monkeypatch, capsys, "routenet", "evaluate", "--datanet", str(datanet_dir),
                            "--model", str(model), "--limit", "4", "--no-baseline", "--json")
    assert json.loads(out)["delay_mre"] == pytest.approx(cal["fitted_on"]["after"]["delay_mre"], rel=1e-9)
    code, _, err = run_main(monkeypatch, capsys, *args, "--limit", "0")
    assert code == 2 and "--limit must be" in err
    code, _, err = run_main(monkeypatch, capsys, "routenet", "calibrate", "--model", "bundled", "--data",
                            str(datanet_dir))
    assert code == 2 and "--model must be a model file" in err
    from kplane.routenet import bundled_weights

    code, _, err = run_main(monkeypatch, capsys, "routenet", "calibrate", "--model", str(bundled_weights()),
                            "--data", str(datanet_dir))
    assert code == 2 and "not the shipped weights" in err  # the installed file is never rewritten
    code, _, err = run_main(monkeypatch, capsys, *args, "--split", "test")
    assert code == 2 and "--split needs a kplane dataset" in err


def test_evaluate_noise_floor(monkeypatch, capsys, trained, datanet_dir) -> None:
    args = ["routenet", "evaluate", "--datanet", str(datanet_dir), "--model", str(trained), "--limit", "3"]
    code, out, err = run_main(monkeypatch, capsys, *args, "--noise-floor", "2", "--json")
    assert code == 0, err
    floor = json.loads(out)["noise_floor"]
    # the labels are a formula, not a simulation: the simulator disagrees with them, but finitely
    assert floor["samples"] == 2 and floor["paths"] == 2 * 20 and 0 < floor["delay_mre"] < 10
    code, out, err = run_main(monkeypatch, capsys, *args, "--noise-floor", "1")
    assert code == 0 and "noise floor" in out
    code, _, err = run_main(monkeypatch, capsys, *args, "--noise-floor", "-1")
    assert code == 2 and "--noise-floor must be" in err


def test_predict_datanet_json(monkeypatch, capsys, trained, datanet_dir) -> None:
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "predict",
        "--datanet",
        str(datanet_dir),
        "--sample",
        "1",
        "--model",
        str(trained),
        "--json",
        "--mc-samples",
        "4",
    )
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "kplane.pathkpis" and len(data["paths"]) == 20
    row = data["paths"][0]
    assert row["src"] == "r0" and row["mean_delay"] > 0 and row["mean_delay_ci"] > 0


def test_predict_scenario_table(monkeypatch, capsys, trained, tmp_path) -> None:
    path = tmp_path / "s.json"
    save_scenario(ring_scenario(9), path)
    code, out, err = run_main(
        monkeypatch, capsys, "predict", "--scenario", str(path), "--model", str(trained), "--limit", "5"
    )
    assert code == 0, err
    assert "RouteNet prediction (20 paths)" in out and "r0" in out


def test_predict_compare_runs_simulator_and_queueing(monkeypatch, capsys, trained, tmp_path) -> None:
    path = tmp_path / "s.json"
    save_scenario(ring_scenario(9), path)
    args = ["predict", "--scenario", str(path), "--model", str(trained), "--compare", "--duration", "300"]
    code, out, err = run_main(monkeypatch, capsys, *args, "--json")
    assert code == 0, err
    data = json.loads(out)
    cmp = data["comparison"]
    assert cmp["paths"] == 20 and cmp["duration_s"] == 300 and cmp["simulator_time_s"] > 0
    for name in ("routenet", "queueing"):
        assert cmp[name]["time_s"] > 0 and cmp[name]["speedup_vs_simulator"] > 0
        assert 0 <= cmp[name]["delay_mape"] < 10 and np.isfinite(cmp[name]["loss_mae"])
    assert len(data["simulator"]["paths"]) == len(data["routenet"]["paths"]) == 20
    code, out, err = run_main(monkeypatch, capsys, *args, "--limit", "3")
    assert code == 0, err
    assert "simulated" in out and "against the simulator" in out and "M/M/1/b" in out
    code, _, err = run_main(monkeypatch, capsys, *args[:-2], "--duration", "-1")
    assert code == 2 and "--duration" in err


def test_predict_errors(monkeypatch, capsys, trained, tmp_path) -> None:
    path = tmp_path / "s.json"
    save_scenario(ring_scenario(9), path)
    code, out, err = run_main(monkeypatch, capsys, "predict", "--scenario", str(path), "--json")
    assert code == 0, err  # the bundled weights are the default
    assert len(json.loads(out)["paths"]) == 20
    code, _, err = run_main(monkeypatch, capsys, "predict", "--model", str(trained))
    assert code == 2 and "exactly one of --scenario" in err
    code, _, err = run_main(
        monkeypatch, capsys, "predict", "--scenario", str(path), "--model", str(tmp_path / "none.pt")
    )
    assert code == 2 and "none.pt" in err


def test_train_on_a_kplane_dataset_uses_its_split_labels(monkeypatch, capsys, tmp_path) -> None:
    from kplane.datasets import DatasetSpec, generate

    spec = DatasetSpec.from_dict(
        {
            "name": "rn-cli",
            "seed": 3,
            "samples_per_topology": 2,
            "shard_size": 2,
            "simulation": {"duration": 100.0, "warmup": 10.0},
            "traffic": {"intensity": [6.0, 10.0]},
            "routing": {"variants": 1},
            "topologies": [
                {"generator": "waxman", "n_nodes": [5, 6], "count": 2, "split": "train"},
                {"generator": "waxman", "n_nodes": [5, 6], "count": 1, "split": "validation"},
                {"generator": "waxman", "n_nodes": [7, 7], "count": 1, "split": "test"},
            ],
        }
    )
    generate(spec, tmp_path / "ds", workers=1)
    out = tmp_path / "k.pt"
    code, stdout, err = run_main(
        monkeypatch,
        capsys,
        "routenet",
        "train",
        "--data",
        str(tmp_path / "ds"),
        "-o",
        str(out),
        "--max-steps",
        "2",
        "--batch-size",
        "2",
        "--json",
        *TINY,
    )
    assert code == 0, err
    card = json.loads(stdout)
    ds = card["training"]["dataset"]
    assert ds["format"] == "kplane" and ds["n_samples"] == 4  # the 'train' split only
    assert ds["validation"] == {"held_out": "the dataset's validation split", "n_samples": 2}
    manifest = (tmp_path / "ds" / "manifest.json").read_bytes()
    assert ds["manifest_hash"] == hashlib.sha256(manifest).hexdigest()
    code, stdout, err = run_main(
        monkeypatch,
        capsys,
        "routenet",
        "evaluate",
        "--data",
        str(tmp_path / "ds"),
        "--model",
        str(out),
        "--split",
        "test",
        "--json",
    )
    assert code == 0, err
    assert json.loads(stdout)["samples"] == 2 and json.loads(stdout)["split"] == "test"
