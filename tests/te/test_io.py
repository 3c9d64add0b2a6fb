"""Instance, scenario and allocation JSON: round trips and errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kplane.errors import FormatError, SchemaVersionError
from kplane.te import (
    load_allocation,
    load_instance,
    load_scenarios,
    save_allocation,
    save_instance,
    save_scenarios,
    solve,
)
from kplane.te._io import instance_to_dict

from .oracles import random_instance, triangle


def test_instance_round_trip(tmp_path: Path) -> None:
    inst = random_instance(4, n_scen=6, k=3)
    path = save_instance(inst, tmp_path / "i.json")
    back = load_instance(path)
    assert back.topology.node_names == inst.topology.node_names
    assert np.array_equal(back.topology.links, inst.topology.links)
    assert np.array_equal(back.topology.capacity, inst.topology.capacity)
    assert np.array_equal(back.demand, inst.demand)
    assert np.array_equal(back.tunnels.edge_ids, inst.tunnels.edge_ids)
    assert np.array_equal(back.scenarios.survival, inst.scenarios.survival)
    assert np.allclose(back.scenarios.prob, inst.scenarios.prob)
    d = json.loads(path.read_text())
    assert d["schema"] == "kplane.te.instance" and d["version"] == 1
    assert d["edges"][0] == [
        int(inst.topology.links[0, 0]),
        int(inst.topology.links[0, 1]),
        float(inst.topology.capacity[0]),
    ]
    assert d["tunnels"][0][0] == 0 and d["scenarios"][0] == {
        "prob": d["scenarios"][0]["prob"],
        "failed_edges": [],
    }
    assert solve(back, "teavar").objective_value == pytest.approx(solve(inst, "teavar").objective_value)


def test_scenarios_and_allocation_files(tmp_path: Path) -> None:
    inst = random_instance(5, n_scen=5)
    other = random_instance(5, n_scen=3)
    save_scenarios(other.scenarios, tmp_path / "s.json")
    s = load_scenarios(tmp_path / "s.json", inst)
    assert s.n_scenarios == 3
    save_instance(other, tmp_path / "o.json")
    assert (
        load_scenarios(tmp_path / "o.json", inst).n_scenarios == 3
    )  # an instance file is a scenario file too
    x = np.arange(inst.n_tunnels) / 10
    save_allocation(x, tmp_path / "a.json", objective="teavar")
    assert np.array_equal(load_allocation(tmp_path / "a.json", inst), x)
    (tmp_path / "plain.json").write_text(json.dumps({"x": x.tolist()}))
    assert np.array_equal(load_allocation(tmp_path / "plain.json"), x)


def _write(tmp_path: Path, data: dict, name: str = "f.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def test_scenario_file_with_unknown_link(tmp_path: Path) -> None:
    inst = triangle()
    bad = {
        "schema": "kplane.te.scenarios",
        "version": 1,
        "scenarios": [{"prob": 0.9, "failed_edges": []}, {"prob": 0.1, "failed_edges": [2, 17]}],
    }
    with pytest.raises(
        FormatError, match=r"scenarios\[1\].failed_edges.*unknown link 17; the topology has 6 links"
    ):
        load_scenarios(_write(tmp_path, bad), inst)


@pytest.mark.parametrize(
    ("mutate", "exc", "match"),
    [
        (lambda d: d.update(version=7), SchemaVersionError, "version 7 cannot be read"),
        (lambda d: d.update(schema="kplane.scenario"), FormatError, "schema 'kplane.scenario'"),
        (
            lambda d: d["demands"][1].__setitem__(2, -5.0),
            FormatError,
            "must be finite and >= 0 bit/s, got -5.0",
        ),
        (lambda d: d.pop("tunnels"), FormatError, "missing key 'tunnels'"),
        (lambda d: d["tunnels"].__setitem__(0, [9, [0]]), FormatError, r"tunnels\[0\]\[0\].*flow index 9"),
        (lambda d: d["edges"].__setitem__(0, [0, 1]), FormatError, r"edges\[0\].*\[u, v, capacity\]"),
        (lambda d: d["scenarios"][0].__setitem__("prob", 0.5), FormatError, "must sum to 1"),
        (
            lambda d: d.__setitem__("tunnels", [t for t in d["tunnels"] if t[0] != 1]),
            FormatError,
            "has demand .* but no tunnel",
        ),
    ],
)
def test_bad_instance_files(tmp_path: Path, mutate, exc, match) -> None:
    d = instance_to_dict(triangle())
    mutate(d)
    with pytest.raises(exc, match=match):
        load_instance(_write(tmp_path, d))


def test_bad_allocation_and_json(tmp_path: Path) -> None:
    inst = triangle()
    with pytest.raises(FormatError, match="x has 2 split ratios, the instance has 4 tunnels"):
        load_allocation(_write(tmp_path, {"x": [0.1, 0.2]}), inst)
    with pytest.raises(FormatError, match=r"x\[1\].*got -0.2"):
        load_allocation(_write(tmp_path, {"x": [0.1, -0.2, 0, 0]}), inst)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        load_instance(tmp_path / "broken.json")
    with pytest.raises(FormatError, match="file not found"):
        load_instance(tmp_path / "missing.json")
