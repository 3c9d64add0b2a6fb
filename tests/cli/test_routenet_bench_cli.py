"""`kplane bench routenet`: the numbers it reports and how they relate."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app
from kplane.errors import InvalidParameterError


def test_bench_routenet_json() -> None:
    res = CliRunner().invoke(app, ["bench", "routenet", "--threads", "1", "--nodes", "20", "--repeats", "1",
                                   "--train-steps", "1", "--sim-time", "400", "--json"])
    assert res.exit_code == 0, (res.output, res.exception)
    d = json.loads(res.stdout)
    assert d["infer_paths"] == 20 * 19 and d["infer_s"] > 0 and d["train_samples_per_s_nsfnet"] > 0
    assert d["sim_time_s"] == 400.0 and d["sim_packets"] > 0
    assert d["speedup_vs_sim"] == pytest.approx(d["sim_wall_s"] / d["infer_s"])
    # labels as precise as NSFNET's: the duration giving the median path NSFNET's packet count
    ratio = d["sim_nsfnet_packets_per_path_median"] / d["sim_packets_per_path_median"]
    assert d["sim_same_precision_time_s"] == pytest.approx(400.0 * ratio)
    assert d["sim_same_precision_wall_s"] == pytest.approx(d["sim_wall_s"] * ratio)
    assert "packets on the median path" in d["sim_note"]


def test_bench_routenet_refuses_a_simulation_without_packets() -> None:
    res = CliRunner().invoke(app, ["bench", "routenet", "--threads", "1", "--nodes", "20", "--repeats", "1",
                                   "--train-steps", "1", "--sim-time", "0.05", "--json"])
    assert isinstance(res.exception, InvalidParameterError)
    assert "sim_time 0.05 s is too short: the median path" in str(res.exception)
