"""Scenario JSON (kplane.scenario v1): round trip, schema-version refusal, error paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kplane.errors import FormatError, InvalidScenarioError, SchemaVersionError
from kplane.network import PacketSizeDistribution, Routing, Scenario, Traffic
from kplane.network.generators import perturbed_routings, routenet_scenario
from kplane.network.io import load_scenario, save_scenario, scenario_from_dict, scenario_to_dict
from kplane.network.topologies import load_topology


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    topo = load_topology("nsfnet", queue_size=[16, 32, 64], seed=3, propagation_delay=True)
    routing = perturbed_routings(topo, 3, seed=2)[2]
    return routenet_scenario(topo, 13.5, seed=7, routing=routing)


def _assert_same(a: Scenario, b: Scenario) -> None:
    ta, tb = a.topology, b.topology
    assert ta.node_names == tb.node_names and ta.name == tb.name
    for f in ("links", "capacity", "queue_size", "propagation_delay", "positions"):
        np.testing.assert_array_equal(getattr(ta, f), getattr(tb, f))
    for f in ("pairs", "link_ids", "offsets"):
        np.testing.assert_array_equal(getattr(a.routing, f), getattr(b.routing, f))
    np.testing.assert_array_equal(a.traffic.rate, b.traffic.rate)  # exact: JSON floats round-trip
    np.testing.assert_array_equal(a.traffic.size_class, b.traffic.size_class)
    np.testing.assert_array_equal(a.traffic.tos, b.traffic.tos)
    assert [d.to_dict() for d in a.traffic.packet_sizes] == [d.to_dict() for d in b.traffic.packet_sizes]
    assert a.name == b.name and dict(a.metadata) == dict(b.metadata)


def test_round_trip_real_scenario(scenario: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "sc.json"
    save_scenario(scenario, path)
    back = load_scenario(path)
    _assert_same(scenario, back)
    assert back.metadata["intensity"] == 13.5
    assert back.topology.metadata["key"] == "sndlib/nobel-us"
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temporary file


def test_round_trip_keeps_unsorted_path_order_and_classes(tmp_path: Path) -> None:
    topo = load_topology("polska")
    n = topo.n_nodes
    base = routenet_scenario(topo, 5, seed=1)
    order = np.arange(base.n_paths)[::-1]  # reversed pair order
    r = base.routing
    paths = [r.path(i) for i in order]
    routing = Routing(
        pairs=r.pairs[order],
        link_ids=np.concatenate(paths),
        offsets=np.concatenate([[0], np.cumsum([len(p) for p in paths])]),
    )
    size_class = np.zeros((n, n), dtype=int)
    size_class[0, 1] = 1
    tos = np.zeros((n, n), dtype=int)
    tos[2, 3] = 2
    traffic = Traffic(
        rate=base.traffic.rate,
        packet_sizes=(PacketSizeDistribution.binomial(), PacketSizeDistribution.deterministic(1500)),
        size_class=size_class,
        tos=tos,
    )
    sc = base.replace(routing=routing, traffic=traffic)
    save_scenario(sc, tmp_path / "u.json")
    _assert_same(sc, load_scenario(tmp_path / "u.json"))


def test_refuses_other_schema_version(scenario: Scenario) -> None:
    d = scenario_to_dict(scenario)
    d["version"] = 2
    with pytest.raises(
        SchemaVersionError, match="expected schema 'kplane.scenario' version 1, got .* version 2"
    ):
        scenario_from_dict(d, file="x.json")
    d["version"], d["schema"] = 1, "other.thing"
    with pytest.raises(SchemaVersionError, match="'other.thing'"):
        scenario_from_dict(d)


def _mutate(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    d = copy.deepcopy(d)
    obj: Any = d
    keys = path.replace("]", "").replace("[", ".").split(".")
    for k in keys[:-1]:
        obj = obj[int(k)] if k.isdigit() else obj[k]
    last = keys[-1]
    if value is _DELETE:
        del obj[last]
    else:
        obj[int(last) if last.isdigit() else last] = value
    return d


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "match"),
    [
        ("topology.links[3].capacity", "fast", "topology.links[3].capacity", "expected float, got 'fast'"),
        ("topology.links[0].src", _DELETE, "topology.links[0].src", "missing"),
        ("topology.links[2].queue_size", 2.5, "topology.links[2].queue_size", "expected int"),
        ("topology.nodes[1].name", 5, "topology.nodes[1].name", "expected str"),
        ("topology.nodes[4].pos", "here", "topology.nodes[4].pos", r"expected \[x, y\]"),
        ("routing.paths[5].links", [0, "a"], "routing.paths[5].links", "expected a list of link ids"),
        ("routing.paths[0].dst", True, "routing.paths[0].dst", "expected int, got True"),
        ("traffic.demands[7].rate", None, "traffic.demands[7].rate", "expected float, got None"),
        ("traffic.demands[1].src", 99, "traffic.demands[1]", "refers to a node outside 0..13"),
        ("traffic", _DELETE, "traffic", "missing"),
        ("topology.links", {}, "topology.links", "expected list"),
    ],
)
def test_bad_fields_report_json_path(
    scenario: Scenario, path: str, value: Any, field: str, match: str
) -> None:
    d = _mutate(scenario_to_dict(scenario), path, value)
    with pytest.raises(FormatError, match=match) as info:
        scenario_from_dict(d, file="sc.json")
    assert info.value.field == field
    assert info.value.file == "sc.json"
    assert f"field '{field}'" in str(info.value)


def test_second_path_for_pair(scenario: Scenario) -> None:
    d = scenario_to_dict(scenario)
    d["routing"]["paths"].append(dict(d["routing"]["paths"][0]))
    with pytest.raises(FormatError, match="second path for pair"):
        scenario_from_dict(d)


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("topology.links[3].capacity", -1.0, r"sc.json: capacity of link 3 .* must be > 0 bit/s, got -1.0"),
        ("traffic.demands[0].rate", -5.0, "must be >= 0 bit/s"),
        ("routing.paths[0].links", [40, 41], "does not start at its source|is not connected"),
        ("topology.links[0].dst", 0, "self-loop"),
    ],
)
def test_invalid_values_name_the_file(scenario: Scenario, path: str, value: Any, match: str) -> None:
    d = _mutate(scenario_to_dict(scenario), path, value)
    with pytest.raises(InvalidScenarioError, match=match):
        scenario_from_dict(d, file="sc.json")


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read scenario file"):
        load_scenario(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "kplane.scenario",\n "version": 1,\n oops}')
    with pytest.raises(FormatError, match="not valid JSON") as info:
        load_scenario(bad)
    assert info.value.line == 3


def test_output_is_strict_json(scenario: Scenario) -> None:
    text = json.dumps(scenario_to_dict(scenario), allow_nan=False)
    assert json.loads(text)["schema"] == "kplane.scenario"
