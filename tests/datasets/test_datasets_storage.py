"""Parquet shards: round trip through rows, determinism, hashes, schema checks, documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kplane.datasets import COLUMNS
from kplane.datasets._rows import row_to_sample, sample_to_row
from kplane.datasets._storage import read_shard, serialize_shard, sha256_file, write_shard
from kplane.errors import FormatError
from kplane.network import PacketSizeDistribution, PathKPIs, Routing, Scenario, Topology, Traffic

DOCS = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"


def fake_sample(k: int) -> tuple[Scenario, PathKPIs, dict[str, np.ndarray], dict[str, Any]]:
    """A hand-made labelled sample (no simulator): 3 nodes, 4 links, 4 paths, two size classes."""
    topo = Topology.from_edges(
        ["a", "b", "c"],
        [(0, 1), (1, 0), (1, 2), (2, 1)],
        capacity=[10e3, 10e3, 40e3 + k, 40e3],
        queue_size=[32, 32, 16, 8],
        propagation_delay=[0.0, 0.001, 0.0, 0.002],
        name=f"line-{k}",
    )
    routing = Routing.from_link_paths({(0, 1): [0], (0, 2): [0, 2], (2, 0): [3, 1], (1, 2): [2]})
    rate = np.zeros((3, 3))
    rate[0, 1], rate[0, 2], rate[2, 0], rate[1, 2] = 1000.0 + k, 500.0, 250.0, 0.0
    sc = np.zeros((3, 3), dtype=int)
    sc[0, 2] = 1
    traffic = Traffic(
        rate=rate,
        packet_sizes=(PacketSizeDistribution.binomial(), PacketSizeDistribution.deterministic(1200.0)),
        size_class=sc,
    )
    scenario = Scenario(topo, routing, traffic, name=f"s{k}")
    n = routing.n_paths
    kpis = PathKPIs(
        pairs=routing.pairs,
        mean_delay=[0.1, 0.2, 0.3, np.nan],
        jitter=[0.01, 0.02, 0.03, np.nan],
        loss_ratio=[0.0, 0.1, 0.0, np.nan],
        mean_log_delay=[-2.3, -1.6, -1.2, np.nan],
        percentiles=np.array([[0.01, 0.02, 0.05, 0.1, 0.2]] * 3 + [[np.nan] * 5]),
        delivered=[100.0, 90.0, 50.0, 0.0],
        dropped=[0.0, 10.0, 0.0, 0.0],
        mean_delay_ci=[0.001] * n,
        offered_rate=scenario.path_rate(),
    )
    links = {
        "utilisation": np.array([0.1, 0.2, 0.3, 0.4]),
        "loss_ratio": np.array([0.0, np.nan, 0.1, 0.0]),
        "mean_occupancy": np.array([0.2, 0.3, 1.5, 0.5]),
    }
    info = {
        "sample_id": k,
        "split": "train",
        "topology_entry": 0,
        "topology_instance": 0,
        "routing_variant": k % 2,
        "intensity": 3.5,
        "traffic_seed": 2**62 + k,
        "sim_seed": 12,
        "duration": 100.0,
        "warmup": 10.0,
        "n_events": 1234,
        "n_packets": 99,
    }
    return scenario, kpis, links, info


def rows(n: int = 3) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        scenario, kpis, links, info = fake_sample(k)
        out.append(sample_to_row(scenario, kpis, links, info=info))
    return out


def test_round_trip(tmp_path: Path) -> None:
    digest, size = write_shard(tmp_path / "shard-00000.parquet", rows(3))
    assert size == (tmp_path / "shard-00000.parquet").stat().st_size
    assert digest == sha256_file(tmp_path / "shard-00000.parquet")
    table = read_shard(tmp_path / "shard-00000.parquet", sha256=digest)
    assert table.num_rows == 3 and table.column_names == list(COLUMNS)
    for k in range(3):
        want_sc, want_kpis, want_links, info = fake_sample(k)
        sc, kpis, links, meta = row_to_sample(table, k)
        assert sc.topology.node_names == want_sc.topology.node_names and sc.topology.name == f"line-{k}"
        for attr in ("links", "capacity", "queue_size", "propagation_delay"):
            assert np.array_equal(getattr(sc.topology, attr), getattr(want_sc.topology, attr)), attr
        for attr in ("pairs", "link_ids", "offsets"):
            assert np.array_equal(getattr(sc.routing, attr), getattr(want_sc.routing, attr)), attr
        assert np.array_equal(sc.traffic.rate, want_sc.traffic.rate)
        assert np.array_equal(sc.traffic.size_class, want_sc.traffic.size_class)
        assert [d.mean for d in sc.traffic.packet_sizes] == [1000.0, 1200.0]
        for attr in (
            "mean_delay",
            "jitter",
            "loss_ratio",
            "mean_log_delay",
            "percentiles",
            "delivered",
            "dropped",
            "mean_delay_ci",
            "offered_rate",
        ):
            np.testing.assert_array_equal(getattr(kpis, attr), getattr(want_kpis, attr), err_msg=attr)
        np.testing.assert_array_equal(links["loss_ratio"], want_links["loss_ratio"])
        assert np.isnan(links["arrivals"]).all()  # absent statistics are stored as NaN
        assert meta["traffic_seed"] == 2**62 + k and meta["sim_time"] == 90.0
        assert sc.metadata["routing_variant"] == k % 2


def test_shard_bytes_are_deterministic() -> None:
    assert serialize_shard(rows(2)) == serialize_shard(rows(2))
    assert serialize_shard(rows(2)) != serialize_shard(rows(3)[1:])


def test_read_shard_detects_problems(tmp_path: Path) -> None:
    path = tmp_path / "shard-00007.parquet"
    digest, _ = write_shard(path, rows(1))
    with pytest.raises(FormatError, match=r"shard-00007.parquet: shard corrupted: sha256"):
        read_shard(path, sha256="0" * 64)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte inside a data page: only the hash is sure to see it
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="shard-00007.parquet: shard corrupted"):
        read_shard(path, sha256=digest)
    path.write_bytes(bytes(data[:-6]))  # a truncated file has no footer
    with pytest.raises(FormatError, match="shard-00007.parquet: shard unreadable"):
        read_shard(path)
    with pytest.raises(FormatError, match="shard missing"):
        read_shard(tmp_path / "nope.parquet")
    (tmp_path / "plain.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(FormatError, match="plain.parquet: shard unreadable"):
        read_shard(tmp_path / "plain.parquet")


def test_foreign_parquet_is_rejected(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "other.parquet")
    with pytest.raises(FormatError, match="not a kplane dataset shard"):
        read_shard(tmp_path / "other.parquet")


def test_every_column_is_documented() -> None:
    if not DOCS.is_file():
        pytest.fail(f"{DOCS} is missing")
    text = DOCS.read_text(encoding="utf-8")
    missing = [c for c in COLUMNS if f"`{c}`" not in text]
    assert not missing, f"columns not documented in docs/datasets.md: {missing}"
