"""Dataset specs: shipped specs, defaults, round trip, and errors that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from datasets_helpers import tiny_spec, toml_text

from kplane.datasets import DatasetSpec, generate, list_specs, load_spec, spec_text
from kplane.errors import FormatError, InvalidParameterError


def test_shipped_specs_load() -> None:
    names = list_specs()
    assert {"routenet-small", "routenet-paper", "omnetpp-fifo", "routenet-bundled"} <= set(names)
    for name in names:
        spec = load_spec(name)
        assert spec.name == name
        assert spec.n_samples > 0
        assert spec.description
        assert "[[topologies]]" in spec_text(name)


def test_bundled_weights_spec_holds_out_its_test_topology() -> None:
    spec = load_spec("routenet-bundled")
    by_split = {sp: [t for t in spec.topologies if t.split == sp] for sp in ("train", "validation", "test")}
    assert [t.name for t in by_split["test"]] == ["nobel-germany"]
    assert all(t.name != "nobel-germany" for t in by_split["train"] + by_split["validation"])
    assert spec.simulation.duration == 16000.0 and spec.traffic.packet_sizes == (300.0, 1700.0)
    # capacities by load over the public FIFO samples' four rates, on 25-35-node graphs
    load_rules = [t for t in by_split["train"] if t.capacities is not None]
    assert load_rules and all(t.capacities.rule == "load" for t in load_rules)
    assert all(t.capacities.choices == (10e3, 25e3, 40e3, 100e3) for t in load_rules)
    assert all(t.n_nodes == (25, 35) for t in load_rules)
    assert spec.n_samples == 3000


def test_routenet_paper_spec_is_paper_like() -> None:
    spec = load_spec("routenet-paper")
    train = [t.name for t in spec.topologies if t.split == "train"]
    assert train == ["nsfnet", "geant", "germany50"]
    assert [t.split for t in spec.topologies if t.name == "nobel-germany"] == ["test"]
    assert spec.simulation.duration == 16000.0
    assert spec.capacities.choices == (10e3, 40e3, 100e3)
    assert spec.capacities.queue_size == (32,)
    assert spec.traffic.packet_sizes == (300.0, 1700.0)
    assert sum(spec.samples_of(t) for t in spec.topologies if t.split == "train") >= 260_000
    assert spec.routing.variants * 3 > 200


def test_fifo_spec_covers_public_samples(shared_data: Path) -> None:
    import numpy as np

    from kplane.network.io import DatanetDataset

    root = shared_data / "omnetpp" / "fifo-30node-train"
    if not root.is_dir():
        pytest.skip("fifo-30node-train not present")
    data = DatanetDataset(root)
    spec = load_spec("omnetpp-fifo")
    lo, hi = spec.traffic.max_pair_rate or (np.inf, -np.inf)
    sim_times = []
    for k in range(0, len(data), 7):
        s = data[k]
        assert set(np.unique(s.scenario.topology.capacity)) <= set(spec.capacities.choices)
        assert lo <= s.metadata["max_avg_lambda"] <= hi
        assert all(
            t.n_nodes is not None and t.n_nodes[0] <= s.scenario.topology.n_nodes <= t.n_nodes[1]
            for t in spec.topologies
        )
        assert set(np.unique(s.scenario.topology.queue_size)) <= set(spec.capacities.queue_size)
        sim_times.append(s.metadata["sim_time"])
    assert min(sim_times) <= spec.simulation.duration <= max(sim_times)


def test_defaults_are_filled_in() -> None:
    spec = DatasetSpec.from_dict({"topologies": [{"name": "nsfnet"}]})
    assert spec.seed == 0
    assert spec.simulation.duration == 16000.0 and spec.simulation.warmup == 1000.0
    assert spec.traffic.model == "routenet" and spec.traffic.intensity == (8.0, 16.0)
    assert spec.routing.method == "perturbed" and spec.routing.variants == 1
    assert spec.capacities.rule == "random" and spec.capacities.queue_size == (32,)
    assert spec.topologies[0].split == "train"
    short = DatasetSpec.from_dict({"topologies": [{"name": "nsfnet"}], "simulation": {"duration": 500}})
    assert short.simulation.warmup == 50.0  # default warm-up is at most a tenth of the duration


def test_rates_accept_units() -> None:
    spec = DatasetSpec.from_dict(
        {
            "topologies": [{"name": "nsfnet"}],
            "capacities": {"choices": ["10kbps", 40000, "0.1Mbps"]},
            "traffic": {"max_pair_rate": ["400bps", "2kbps"]},
        }
    )
    assert spec.capacities.choices == (10e3, 40e3, 100e3)
    assert spec.traffic.max_pair_rate == (400.0, 2000.0)
    assert spec.traffic.intensity is None


def test_round_trip_and_fingerprint() -> None:
    spec = DatasetSpec.from_dict(tiny_spec())
    again = DatasetSpec.from_dict(spec.to_dict())
    assert again == spec
    assert again.fingerprint() == spec.fingerprint()
    renamed = DatasetSpec.from_dict(tiny_spec(name="other", description="x", shard_size=5))
    assert renamed.fingerprint() == spec.fingerprint()
    reseeded = DatasetSpec.from_dict(tiny_spec(seed=8))
    assert reseeded.fingerprint() != spec.fingerprint()
    assert hash(spec) == hash(again)  # hashable: jobs and caches key on it


def test_toml_file_and_relative_topology_file(tmp_path: Path) -> None:
    from kplane.network.generators import routenet_scenario
    from kplane.network.io import save_scenario
    from kplane.network.topologies import load_topology

    (tmp_path / "topos").mkdir()
    save_scenario(routenet_scenario(load_topology("abilene"), 5, seed=0), tmp_path / "topos" / "mine.json")
    text = toml_text(tiny_spec(topologies=[{"file": "topos/mine.json", "capacities": {"rule": "keep"}}]))
    (tmp_path / "s.toml").write_text(text)
    spec = load_spec(tmp_path / "s.toml")
    assert spec.name == "tiny"
    assert Path(str(spec.topologies[0].file)) == (tmp_path / "topos" / "mine.json").resolve()
    assert spec.topologies[0].capacities is not None and spec.topologies[0].capacities.rule == "keep"


def test_yaml_spec(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tiny_spec()))
    assert load_spec(path) == DatasetSpec.from_dict(tiny_spec())


def _with(path: str, value: Any) -> dict[str, Any]:
    """The tiny spec with ``value`` set at a dotted ``path`` (``topologies.0.name``)."""
    spec = tiny_spec()
    keys = path.split(".")
    node: Any = spec
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return spec


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("colour", "blue", "colour", "unknown field 'colour'; valid fields: name, description, seed"),
        ("traffic.intensty", [1, 2], "traffic.intensty", "valid fields of traffic: model, intensity"),
        (
            "topologies.0.name",
            "atlantis",
            "topologies[0].name",
            "unknown topology 'atlantis'; valid: .*nsfnet",
        ),
        ("traffic.intensity", [-1.0, 5.0], "traffic.intensity[0]", "must be >= 0 kbit/s, got -1.0"),
        ("traffic.intensity", [9.0, 5.0], "traffic.intensity", "min must be <= max"),
        (
            "simulation.duration",
            20.0,
            "simulation.duration",
            r"must be > simulation.warmup \(20 s\), got 20 s",
        ),
        ("simulation.warmup", -1.0, "simulation.warmup", "must be >= 0"),
        ("samples_per_topology", 0, "samples_per_topology", "whole number >= 1"),
        ("seed", -3, "seed", "whole number >= 0"),
        ("routing.method", "ospf", "routing.method", "'ospf' is not valid; valid: perturbed, k-shortest"),
        ("routing.variants", 0, "routing.variants", ">= 1"),
        ("topologies.1.generator", "erdos", "topologies[1].generator", "valid: waxman, random_geometric"),
        ("topologies.1.params", {"gamma": 1}, "topologies[1].params.gamma", "valid fields of topologies"),
        ("topologies.1.n_nodes", [1, 4], "topologies[1].n_nodes[0]", ">= 2"),
        ("topologies.0.split", "holdout", "topologies[0].split", "valid: train, validation, test"),
        ("topologies.0.n_nodes", 5, "topologies[0].n_nodes", "only for generator entries"),
        ("topologies.2", {"name": "nsfnet", "generator": "waxman"}, "topologies[2]", "exactly one of"),
        ("topologies.2", {"file": "nowhere.json"}, "topologies[2].file", "no such file"),
        ("topologies.2", {"name": "abilene"}, "topologies[2].label", "'abilene' is already used"),
        ("topologies.2", {"generator": "barabasi_albert", "n_nodes": 9}, "topologies[2].params.m", "needs m"),
        (
            "capacities",
            {"choices": ["10kbps"], "probabilities": [0.5, 0.5]},
            "capacities.probabilities",
            "expected 1 probabilities",
        ),
        ("capacities", {"choices": ["fast"]}, "capacities.choices[0]", "not understood"),
        ("capacities", {"rule": "keep"}, "capacities.rule", "'keep' needs topologies that carry capacities"),
        ("capacities", {"queue_size": 0}, "capacities.queue_size", ">= 1"),
        ("traffic", {"intensity": [1, 2], "max_pair_rate": [1, 2]}, "traffic.max_pair_rate", "only one of"),
        ("traffic", {"model": "gravity"}, "traffic.total_rate", "missing"),
        (
            "traffic",
            {"packet_sizes": [300, 1700], "packet_probs": [0.5]},
            "traffic.packet_probs",
            "summing to 1",
        ),
        ("topologies", [], "topologies", "at least 1"),
    ],
)
def test_invalid_specs_name_the_field(path: str, value: Any, field: str, message: str) -> None:
    with pytest.raises(FormatError, match=message) as info:
        DatasetSpec.from_dict(_with(path, value))
    assert info.value.field == field


def test_missing_topologies() -> None:
    spec = tiny_spec()
    del spec["topologies"]
    with pytest.raises(FormatError, match="missing") as info:
        DatasetSpec.from_dict(spec)
    assert info.value.field == "topologies"


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml_text(_with("traffic.intensity", [-2.0, 3.0])))
    with pytest.raises(FormatError, match=r"bad.toml, field 'traffic.intensity\[0\]'"):
        load_spec(path)
    path.write_text("name = [unclosed\n")
    with pytest.raises(FormatError, match="bad.toml: not valid TOML"):
        load_spec(path)


def test_unknown_spec_name_lists_shipped_ones() -> None:
    with pytest.raises(InvalidParameterError, match="shipped: .*routenet-small"):
        load_spec("no-such-spec")
    with pytest.raises(InvalidParameterError, match="valid: .*routenet-paper"):
        spec_text("no-such-spec")


def test_invalid_spec_fails_before_any_job(tmp_path: Path, spec_file: Any) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(toml_text(_with("simulation.warmup", 500.0)))
    out = tmp_path / "out"
    with pytest.raises(FormatError, match="simulation.duration"):
        generate(bad, out)
    assert not out.exists()


def test_unbuildable_generator_fails_before_any_job(tmp_path: Path) -> None:
    spec = _with("topologies.1.params", {"alpha": 7.0})  # waxman alpha must be in (0, 1]
    out = tmp_path / "out"
    with pytest.raises(FormatError, match=r"topologies\[1\].*alpha") as info:
        generate(spec, out)
    assert info.value.field == "topologies[1]"
    assert not out.exists()


def test_fingerprint_follows_file_content_not_path(tmp_path: Path) -> None:
    from kplane.network.generators import routenet_scenario
    from kplane.network.io import save_scenario
    from kplane.network.topologies import load_topology

    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        save_scenario(routenet_scenario(load_topology("abilene"), 5, seed=0), tmp_path / d / "t.json")
    specs = [
        DatasetSpec.from_dict(tiny_spec(topologies=[{"file": str(tmp_path / d / "t.json")}])) for d in "ab"
    ]
    assert specs[0] != specs[1] and specs[0].fingerprint() == specs[1].fingerprint()
    save_scenario(routenet_scenario(load_topology("polska"), 5, seed=0), tmp_path / "b" / "t.json")
    assert specs[0].fingerprint() != specs[1].fingerprint()
