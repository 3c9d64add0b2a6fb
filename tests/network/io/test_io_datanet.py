"""Datanet reader/writer: the public samples, independent re-parsing of raw lines, round trips, errors."""

from __future__ import annotations

import io
import math
import re
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kplane.errors import FormatError, InvalidParameterError, UnsupportedError
from kplane.network import PathKPIs, Routing, Scenario
from kplane.network.io import DatanetDataset, DatanetSample, read_datanet, write_datanet

N_SMALL = 4  # nodes of the synthetic samples (tests/network/io/conftest.py)


@pytest.fixture(scope="module")
def fifo_dir(shared_data: Path) -> Path:
    return shared_data / "omnetpp" / "fifo-30node-train"


@pytest.fixture(scope="module")
def sched_dir(shared_data: Path) -> Path:
    return shared_data / "omnetpp" / "sched-nsfnet-geant2-train"


@pytest.fixture(scope="module")
def fifo(fifo_dir: Path) -> list[DatanetSample]:
    return list(read_datanet(fifo_dir))


@pytest.fixture(scope="module")
def sched(sched_dir: Path) -> list[DatanetSample]:
    return list(read_datanet(sched_dir))


def _raw_lines(tarball: str, member: str, k: int) -> str:
    """Line k of a tarball member, read with plain tarfile (independent of the reader)."""
    with tarfile.open(tarball, "r:gz") as tar:
        for info in tar.getmembers():
            if info.name.endswith("/" + member):
                return tar.extractfile(info).read().decode().split("\n")[k]
    raise KeyError(member)


# ------------------------------------------------------------------------------------ the public samples
def test_fifo_counts_and_sizes(fifo: list[DatanetSample], fifo_dir: Path) -> None:
    assert len(fifo) == 50
    assert len(DatanetDataset(fifo_dir)) == 50
    for s in fifo:
        topo = s.scenario.topology
        assert (topo.n_nodes, topo.n_links, s.scenario.n_paths) == (30, 136, 870)
        assert s.metadata["stable"] and s.metadata["routing_format"] == "node_paths"
        assert s.metadata["link_stats"]["utilisation"].shape == (136,)
        assert s.kpis.n_paths == 870 and s.kpis.node_names == topo.node_names
    assert [s.metadata["sample_id"] for s in fifo] == list(range(50))
    assert {s.metadata["graph_file"] for s in fifo} == {"graph-30-0-2.txt", "graph-30-1-2.txt"}
    assert all(d.sizes.tolist() == [300.0, 1700.0] for s in fifo for d in s.scenario.traffic.packet_sizes)


def test_sched_counts_and_sizes(sched: list[DatanetSample], sched_dir: Path) -> None:
    assert len(sched) == 400
    sizes = Counter((s.scenario.topology.n_nodes, s.scenario.topology.n_links) for s in sched)
    assert sizes == {(14, 42): 199, (24, 74): 201}
    assert all(s.metadata["routing_format"] == "port_matrix" for s in sched)
    assert all(s.scenario.n_paths == n * (n - 1) for s in sched for n in [s.scenario.topology.n_nodes])
    assert set(np.concatenate([s.scenario.traffic.tos.ravel() for s in sched]).tolist()) == {0, 1, 2}
    policies = {p["policy"] for s in sched for p in s.scenario.topology.metadata["scheduling"]}
    assert policies == {"WFQ", "SP", "DRR"}
    assert "link_stats" not in sched[0].metadata  # the 2020 format has no linkUsage.txt
    ds = DatanetDataset(sched_dir)
    assert len(ds) == 400 and ds.n_total == 400 and ds.n_bundles == 4


@pytest.mark.parametrize(("dataset", "index"), [("fifo", 0), ("fifo", 42), ("sched", 65), ("sched", 399)])
def test_entries_match_the_raw_text(request: pytest.FixtureRequest, dataset: str, index: int) -> None:
    sample = request.getfixturevalue(dataset)[index]
    tarball, k = sample.metadata["tarball"], sample.metadata["index"]
    n = sample.scenario.topology.n_nodes
    stab = _raw_lines(tarball, "stability.txt", k).split(";")
    sim_time = float(stab[0])
    assert sample.metadata["sim_time"] == sim_time
    assert sample.metadata["wall_time_s"] == float(stab[4].split(":")[1])
    traffic = _raw_lines(tarball, "traffic.txt", k).split("|")[1].split(";")
    results = _raw_lines(tarball, "simulationResults.txt", k).split("|")[1].split(";")
    lossy = [i for i in range(n * n) if i // n != i % n and float(results[i].split(",")[2]) > 0]
    picks = [1, n * n - 2, 2 * n + 5] + lossy[:3]
    kp = sample.kpis
    for i in picks:
        s, d = divmod(i, n)
        t = traffic[i].split(",")
        r = [float(x) for x in results[i].split(",")]
        p = sample.scenario.routing.index_of(s, d)
        assert tuple(kp.pairs[p]) == (s, d)
        assert sample.scenario.traffic.rate[s, d] == float(t[1])  # bits per time unit = bit/s
        assert sample.scenario.traffic.tos[s, d] == int(t[-1])
        assert kp.offered_rate[p] == float(t[1])
        assert kp.mean_delay[p] == r[3] and kp.mean_log_delay[p] == r[4] and kp.jitter[p] == r[10]
        assert kp.percentiles[p].tolist() == r[5:10]
        assert kp.loss_ratio[p] == pytest.approx(r[2] / r[1], rel=1e-12)
        assert kp.dropped[p] == pytest.approx(r[2] * sim_time, rel=1e-12)
        assert kp.delivered[p] == pytest.approx((r[1] - r[2]) * sim_time, rel=1e-12)
        assert sample.metadata["measured_rate"][p] == pytest.approx(r[0] * 1000.0, rel=1e-12)  # kbit/tu
    assert bool(lossy) == (index != 399)  # the lossy entries are among the ones checked


def test_generated_packets_include_the_dropped_ones(fifo: list[DatanetSample]) -> None:
    """PktsGen is the rate of generated packets: it matches the offered AvgPktsLambda on lossy paths, so
    loss = drops / PktsGen (reading PktsGen as delivered packets would overstate the offered load)."""
    rel_gen, rel_alt = [], []
    for s in fifo:
        kp, tr = s.kpis, s.scenario.traffic
        T = s.metadata["sim_time"]
        offered = tr.packet_rate()[kp.pairs[:, 0], kp.pairs[:, 1]]
        lossy = kp.dropped > 0.01 * (kp.delivered + kp.dropped)
        gen = (kp.delivered + kp.dropped)[lossy] / T
        rel_gen.append((gen - offered[lossy]) / offered[lossy])
        rel_alt.append((gen + kp.dropped[lossy] / T - offered[lossy]) / offered[lossy])
    assert abs(np.mean(np.concatenate(rel_gen))) < 0.005
    assert np.mean(np.concatenate(rel_alt)) > 0.02


def test_port_matrix_routing_walked_by_hand(sched: list[DatanetSample], sched_dir: Path) -> None:
    for sample in (sched[0], sched[-1]):
        graph = (sched_dir / "graphs" / sample.metadata["graph_file"]).read_text()
        port_to = {}
        for block in graph.split("edge [")[1:]:
            src = int(re.search(r"source (\d+)", block).group(1))
            port_to[(src, int(re.search(r"port (\d+)", block).group(1)))] = int(
                re.search(r"target (\d+)", block).group(1))
        rows = (sched_dir / "routings" / sample.metadata["routing_file"]).read_text().split("\n")
        table = [[int(x) for x in row.split(",")[:-1]] for row in rows if row.strip()]
        n = sample.scenario.topology.n_nodes
        for s, d in [(0, n - 1), (5, 2), (n - 1, 3)]:
            node, walk = s, [s]
            while node != d:
                node = port_to[(node, table[node][d])]
                walk.append(node)
            routing = sample.scenario.routing
            assert routing.node_path(sample.scenario.topology, routing.index_of(s, d)) == walk


def test_node_path_routing_matches_the_file(fifo: list[DatanetSample], fifo_dir: Path) -> None:
    sample = fifo[3]
    lines = (fifo_dir / "routings" / sample.metadata["routing_file"]).read_text().split("\n")
    routing, topo = sample.scenario.routing, sample.scenario.topology
    for line in (lines[0], lines[100], lines[869]):
        nodes = [int(x) for x in line.split(";")]
        assert routing.node_path(topo, routing.index_of(nodes[0], nodes[-1])) == nodes


def test_link_stats_align_with_link_ids(fifo: list[DatanetSample]) -> None:
    sample = fifo[5]
    topo = sample.scenario.topology
    n = topo.n_nodes
    entries = _raw_lines(sample.metadata["tarball"], "linkUsage.txt", sample.metadata["index"]).split(";")
    stats = sample.metadata["link_stats"]
    for lid in (0, 17, 135):
        u, v = topo.links[lid]
        f = [float(x) for x in entries[u * n + v].split(",")]
        assert stats["utilisation"][lid] == f[0] and stats["loss_ratio"][lid] == f[1]
        assert stats["mean_packet_size"][lid] == f[2]
        assert stats["mean_occupancy"][lid] == f[5] and stats["max_occupancy"][lid] == f[6]
        assert stats["queue_utilisation"][lid].tolist() == [f[3]]
    assert sum(e != "-1" for e in entries if e) == topo.n_links


def test_random_access_matches_iteration(sched: list[DatanetSample], sched_dir: Path,
                                         assert_same_sample) -> None:
    ds = DatanetDataset(sched_dir)
    for k in (399, 0, 250, 101, -1):
        assert_same_sample(ds[k], sched[k], rtol=0)
        assert ds[k].metadata["index"] == sched[k].metadata["index"]
    assert [s.metadata["sample_id"] for s in ds[10:13]] == [10, 11, 12]
    with pytest.raises(IndexError, match="out of range"):
        ds[400]
    with pytest.raises(InvalidParameterError, match="integer"):
        ds["3"]  # type: ignore[call-overload]


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize(("dataset", "indices"), [("fifo", [0, 26]), ("sched", [0, 1, 398])])
def test_round_trip_public_samples(request: pytest.FixtureRequest, tmp_path: Path, dataset: str,
                                   indices: list[int], assert_same_sample) -> None:
    src = [request.getfixturevalue(dataset)[i] for i in indices]
    write_datanet(src, tmp_path)
    back = list(read_datanet(tmp_path))
    assert len(back) == len(src)
    for a, b in zip(src, back, strict=True):
        assert_same_sample(a, b)
        assert b.metadata["routing_format"] == "node_paths"
        assert a.scenario.topology.metadata["scheduling"] == b.scenario.topology.metadata["scheduling"]
        assert a.scenario.topology.metadata["ports"] == b.scenario.topology.metadata["ports"]
        for key in ("sim_time", "wall_time_s", "memory_kb", "max_avg_lambda", "global_results", "stable"):
            assert a.metadata[key] == b.metadata[key], key
        np.testing.assert_array_equal(a.metadata["measured_rate"], b.metadata["measured_rate"])
        for key, arr in a.metadata.get("link_stats", {}).items():
            np.testing.assert_array_equal(arr, b.metadata["link_stats"][key], err_msg=key)
    assert ("link_stats" in back[0].metadata) == (dataset == "fifo")


def test_round_trip_synthetic(tmp_path: Path, small_sample, member_lines, assert_same_sample) -> None:
    out = tmp_path / "ds"
    samples = [small_sample(seed) for seed in range(3)]
    tar = write_datanet(samples, out, name="ring_0_2")
    assert tar == out / "ring_0_2.tar.gz"
    assert len(list((out / "graphs").iterdir())) == 3  # capacities differ per seed
    write_datanet([samples[0], samples[0]], tmp_path / "same")
    assert len(list((tmp_path / "same" / "graphs").iterdir())) == 1  # one topology, stored once
    assert len(list((tmp_path / "same" / "routings").iterdir())) == 1
    with tarfile.open(tar) as t:
        assert sorted(t.getnames()) == ["ring_0_2", *(f"ring_0_2/{m}" for m in sorted(
            ["input_files.txt", "traffic.txt", "simulationResults.txt", "stability.txt"]))]
    assert member_lines(tar, "stability.txt")[1] == "1000;0;OK"
    back = list(read_datanet(out))
    for a, b in zip(samples, back, strict=True):
        assert_same_sample(a, b)
        assert b.scenario.topology.queue_size.tolist() == [16] * 10
    # writing twice gives byte-identical files
    first = tar.read_bytes()
    write_datanet(samples, out, name="ring_0_2")
    assert tar.read_bytes() == first


def test_counts_without_packet_counts_come_from_offered_traffic(tmp_path: Path, small_sample) -> None:
    scenario, kpis = small_sample(0)
    bare = PathKPIs(pairs=kpis.pairs, mean_delay=kpis.mean_delay, jitter=kpis.jitter,
                    loss_ratio=kpis.loss_ratio)
    write_datanet([(scenario, bare)], tmp_path, sim_time=500.0)
    (back,) = read_datanet(tmp_path)
    np.testing.assert_allclose(back.kpis.loss_ratio, kpis.loss_ratio, rtol=1e-12)
    offered = scenario.traffic.packet_rate()[kpis.pairs[:, 0], kpis.pairs[:, 1]]
    np.testing.assert_allclose(back.kpis.delivered + back.kpis.dropped, offered * 500.0, rtol=1e-12)
    assert np.isnan(back.kpis.mean_log_delay).all() and np.isnan(back.kpis.percentiles).all()


def test_minus_one_labels_become_nan(tmp_path: Path, small_sample, member_lines, edit_tarball) -> None:
    scenario, kpis = small_sample(1)
    delay = kpis.mean_delay.copy()
    delay[2] = np.nan
    loss = kpis.loss_ratio.copy()
    loss[3] = np.nan
    delivered, dropped = kpis.delivered.copy(), kpis.dropped.copy()
    delivered[3] = dropped[3] = np.nan
    masked = PathKPIs(pairs=kpis.pairs, mean_delay=delay, jitter=kpis.jitter, loss_ratio=loss,
                      mean_log_delay=kpis.mean_log_delay, percentiles=kpis.percentiles, delivered=delivered,
                      dropped=dropped, offered_rate=kpis.offered_rate)
    tar = write_datanet([(scenario, masked)], tmp_path, sim_time=1000.0)
    entries = member_lines(tar, "simulationResults.txt")[0].split("|")[1].split(";")
    s, d = kpis.pairs[2]
    assert entries[s * N_SMALL + d].split(",")[3] == "-1"
    s3, d3 = kpis.pairs[3]
    assert entries[s3 * N_SMALL + d3].split(",")[1:3] == ["-1", "-1"]
    (back,) = read_datanet(tmp_path)
    # no mean delay: every delay label of that path is masked, the others are kept
    assert np.isnan(back.kpis.mean_delay[2]) and np.isnan(back.kpis.jitter[2])
    assert np.isnan(back.kpis.percentiles[2]).all() and np.isnan(back.kpis.mean_log_delay[2])
    assert np.isnan(back.kpis.loss_ratio[3]) and np.isnan(back.kpis.delivered[3])
    assert back.kpis.mean_delay[3] == kpis.mean_delay[3]
    assert np.isfinite(np.delete(back.kpis.mean_delay, 2)).all()

    # a jitter of exactly -1 alone is masked too; -1 in AvgLnDelay is "no value", not ln-delay -1
    def edit(lines: list[str]) -> list[str]:
        head, body = lines[0].split("|")
        e = body.split(";")
        f = e[1].split(",")
        f[10] = "-1"
        f[4] = "-1"
        e[1] = ",".join(f)
        return [head + "|" + ";".join(e)]

    edit_tarball(tar, "simulationResults.txt", edit)
    (again,) = read_datanet(tmp_path)
    p = again.scenario.routing.index_of(0, 1)
    assert np.isnan(again.kpis.jitter[p]) and np.isnan(again.kpis.mean_log_delay[p])
    assert again.kpis.mean_delay[p] == kpis.mean_delay[p]


def test_unstable_samples_are_skipped(tmp_path: Path, small_sample, edit_tarball, assert_same_sample) -> None:
    samples = [small_sample(seed) for seed in range(3)]
    tar = write_datanet(samples, tmp_path)
    edit_tarball(tar, "stability.txt", lambda ls: [ls[0], ls[1].replace(";OK", ";NOK"), ls[2]])
    kept = list(read_datanet(tmp_path))
    assert [s.metadata["index"] for s in kept] == [0, 2]
    assert_same_sample(kept[1], samples[2])
    every = list(read_datanet(tmp_path, skip_unstable=False))
    assert [s.metadata["stable"] for s in every] == [True, False, True]
    assert every[1].metadata["stability_flag"] == "NOK"
    ds = DatanetDataset(tmp_path)
    assert (len(ds), ds.n_total) == (2, 3)
    assert ds[1].metadata["index"] == 2
    assert len(DatanetDataset(tmp_path, skip_unstable=False)) == 3
    # an unstable DatanetSample is written back unstable
    out = tmp_path / "again"
    write_datanet(every, out)
    assert [s.metadata["stable"] for s in read_datanet(out, skip_unstable=False)] == [True, False, True]


def test_multiple_flows_per_pair(tmp_path: Path, small_sample, edit_tarball, member_lines) -> None:
    tar = write_datanet([small_sample(4)], tmp_path)
    line = member_lines(tar, "traffic.txt")[0]
    head, body = line.split("|")
    entries = body.split(";")
    f = entries[1].split(",")  # pair 0→1
    eq, pk = float(f[1]), float(f[2])
    half = [f[0], repr(eq / 4), repr(pk / 4), *f[3:]]
    rest = [f[0], repr(eq * 3 / 4), repr(pk * 3 / 4), *f[3:]]
    entries[1] = ",".join(half) + ":" + ",".join(rest)
    edit_tarball(tar, "traffic.txt", lambda ls: [head + "|" + ";".join(entries)])
    (back,) = read_datanet(tmp_path)
    assert back.scenario.traffic.rate[0, 1] == pytest.approx(eq, rel=1e-12)
    other = list(rest)
    other[-1] = str((int(f[-1]) + 1) % 3)  # another ToS
    entries[1] = ",".join(half) + ":" + ",".join(other)
    edit_tarball(tar, "traffic.txt", lambda ls: [head + "|" + ";".join(entries)])
    with pytest.raises(UnsupportedError, match=r"traffic.txt:1: pair 0→1 flow 1: .*one traffic class per"):
        list(read_datanet(tmp_path))


def test_flow_simulation_results(tmp_path: Path, small_sample, member_lines) -> None:
    tar = write_datanet([small_sample(5)], tmp_path)
    lines = {m: member_lines(tar, m) for m in ("input_files.txt", "traffic.txt", "simulationResults.txt",
                                               "stability.txt")}
    lines["flowSimulationResults.txt"] = [lines["simulationResults.txt"][0].split("|")[1]]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for member, rows in lines.items():
            data = ("\n".join(rows) + "\n").encode()
            info = tarfile.TarInfo(f"results_kplane/{member}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    tar.write_bytes(buf.getvalue())
    (back,) = read_datanet(tmp_path)
    flows = back.metadata["flow_results"]
    assert flows["pairs"].shape == (N_SMALL * (N_SMALL - 1), 2)
    np.testing.assert_array_equal(flows["mean_delay"], back.kpis.mean_delay)  # one flow per pair


def test_reads_extracted_bundles_once(tmp_path: Path, small_sample) -> None:
    tar = write_datanet([small_sample(0), small_sample(1)], tmp_path)
    with tarfile.open(tar) as t:
        t.extractall(tmp_path, filter="data")
    assert len(list(read_datanet(tmp_path))) == 2  # the extracted copy of a tarball is not read twice
    tar.unlink()
    extracted = list(read_datanet(tmp_path))
    assert len(extracted) == 2 and extracted[0].metadata["tarball"] == str(tmp_path / "results_kplane")
    assert len(list(read_datanet(tmp_path / "results_kplane"))) == 2


# ------------------------------------------------------------------------------------ bad inputs
def _edit_field(member: str, entry: int, field: int, value: str):
    """An editor for line 2 (sample 1): replace one comma field of one ';' entry of ``member``."""

    def edit(lines: list[str]) -> list[str]:
        line = lines[1]
        head, sep, body = line.rpartition("|") if "|" in line else ("", "", line)
        entries = body.split(";")
        f = entries[entry].split(",")
        f[field] = value
        entries[entry] = ",".join(f)
        lines[1] = head + sep + ";".join(entries)
        return lines

    return edit


def _edit_line(fn):
    def edit(lines: list[str]) -> list[str]:
        lines[1] = fn(lines[1])
        return lines

    return edit


BAD_BUNDLES = [
    ("traffic.txt", _edit_field("traffic.txt", 1, 8, "1,0"), FormatError, r"expected 9 fields",
     "pair 0→1 flow 0"),
    ("traffic.txt", _edit_field("traffic.txt", 1, 1, "abc"), FormatError, "expected a number, got 'abc'",
     "pair 0→1 flow 0 EqLambda"),
    ("traffic.txt", _edit_field("traffic.txt", 1, 1, "nan"), FormatError, "finite",
     "pair 0→1 flow 0 EqLambda"),
    ("traffic.txt", _edit_field("traffic.txt", 1, 1, "-300"), FormatError, ">= 0",
     "pair 0→1 flow 0 EqLambda"),
    ("traffic.txt", _edit_field("traffic.txt", 1, 2, "7"), FormatError, "differs from AvgPktsLambda",
     "pair 0→1 flow 0"),
    ("traffic.txt", _edit_field("traffic.txt", 1, 0, "4"), UnsupportedError, r"ON-OFF \(timeDist 4\)", None),
    ("traffic.txt", _edit_field("traffic.txt", 1, 4, "1"), UnsupportedError, r"uniform \(sizeDist 1\)", None),
    ("traffic.txt", _edit_field("traffic.txt", 0, 0, "0"), FormatError, "traffic from a node to itself",
     "pair 0→0 flow 0"),
    ("traffic.txt", _edit_line(lambda s: s[:-1]), FormatError, "must end with ';'", "line"),
    ("traffic.txt", _edit_line(lambda s: s + "0,1,1;"), FormatError, "expected 16 traffic entries", "line"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 3, "0.1,0.2"), FormatError,
     "expected 11 fields", "pair 0→1"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 3, "x1"), FormatError,
     "expected a number", "pair 0→1 AvgDelay"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 10, "NaN"), FormatError, "finite",
     "pair 0→1 Jitter"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 3, "-0.5"), FormatError,
     r"must be >= 0 \(or -1 for no value\)", "pair 0→1 AvgDelay"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 2, "1e6"), FormatError,
     "exceeds PktsGen", "pair 0→1 PktsDrop"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 9, "0"), FormatError,
     "percentiles must not decrease", "pair 0→1 p90"),
    ("simulationResults.txt", _edit_field("simulationResults.txt", 1, 4, "5"), FormatError,
     r"exceeds ln\(AvgDelay\)", "pair 0→1 AvgLnDelay"),
    ("simulationResults.txt", _edit_line(lambda s: s.split("|")[1]), FormatError, "one '|'", "line"),
    ("stability.txt", _edit_line(lambda s: "-5" + s[s.index(";"):]), FormatError, "must be > 0", "simTime"),
    ("stability.txt", _edit_line(lambda s: "1000;0"), FormatError, "expected 'simTime", "line"),
    ("input_files.txt", _edit_line(lambda s: s + ";bw.txt"), UnsupportedError, "link bandwidth files", None),
    ("input_files.txt", _edit_line(lambda s: s.replace(";graph-", ";../graph-")), FormatError,
     "plain file name", "graph_file"),
    ("input_files.txt", _edit_line(lambda s: s.replace(";graph-", ";missing-")), FormatError, "not found",
     "graph_file"),
]


@pytest.mark.parametrize(("member", "edit", "error", "match", "field"), BAD_BUNDLES)
def test_malformed_bundle_lines(tmp_path: Path, small_sample, edit_tarball, member: str, edit, error: type,
                                match: str, field: str | None) -> None:
    tar = write_datanet([small_sample(0), small_sample(1)], tmp_path)
    edit_tarball(tar, member, edit)
    with pytest.raises(error, match=match) as info:
        list(read_datanet(tmp_path))
    if error is FormatError:
        assert info.value.file == f"{tar}:results_kplane/{member}"
        assert info.value.line == 2
        assert info.value.field == field
    else:
        assert f"{tar}:results_kplane/{member}:2" in str(info.value)


def test_misaligned_and_missing_members(tmp_path: Path, small_sample, edit_tarball) -> None:
    tar = write_datanet([small_sample(0), small_sample(1)], tmp_path)
    edit_tarball(tar, "traffic.txt", lambda lines: lines[:1])
    with pytest.raises(FormatError, match="traffic.txt has 1 lines but input_files.txt has 2") as info:
        list(read_datanet(tmp_path))
    assert info.value.line == 2
    edit_tarball(tar, "simulationResults.txt", lambda lines: None)
    with pytest.raises(FormatError, match="bundle has no simulationResults.txt"):
        DatanetDataset(tmp_path)[0]
    tar.write_bytes(b"not a tarball")
    with pytest.raises(FormatError, match="not a readable .tar.gz"):
        list(read_datanet(tmp_path))


def _replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


def test_bad_routing_and_graph_files(tmp_path: Path, small_sample) -> None:
    write_datanet([small_sample(0)], tmp_path)
    (routing,) = (tmp_path / "routings").iterdir()
    (graph,) = (tmp_path / "graphs").iterdir()
    original_routing, original_graph = routing.read_text(), graph.read_text()
    lines = original_routing.split("\n")
    k = lines.index("0;1")
    routing.write_text("\n".join(lines[:k] + ["0;3;1"] + lines[k + 1:]))  # there is no link 3→1
    with pytest.raises(FormatError, match="uses link 3→1, which is not in graph") as info:
        list(read_datanet(tmp_path))
    assert (info.value.file, info.value.line, info.value.field) == (str(routing), k + 1, "path")
    routing.write_text("\n".join(lines[:k] + lines[k + 1:]))
    with pytest.raises(FormatError, match="no path for pair 0→1"):
        list(read_datanet(tmp_path))
    routing.write_text("\n".join(lines + ["0;1"]))
    with pytest.raises(FormatError, match="second path for pair 0→1"):
        list(read_datanet(tmp_path))
    routing.write_text(original_routing)

    _replace_in(graph, "bandwidth 10000", "bandwidth 0")
    with pytest.raises(FormatError, match=r"must be > 0 bits per time unit") as info:
        list(read_datanet(tmp_path))
    assert info.value.file == str(graph) and info.value.field == "bandwidth"
    graph.write_text(original_graph.replace('    queueSizes "16"\n', "", 1))
    with pytest.raises(FormatError, match="node 0 has neither queueSizes nor bufferSizes"):
        list(read_datanet(tmp_path))
    graph.write_text(original_graph.replace('label "1"', 'label "x"', 1))
    with pytest.raises(FormatError, match="node labels 0..n-1"):
        list(read_datanet(tmp_path))
    graph.write_text(original_graph.replace("directed 1", "directed 0", 1))
    with pytest.raises((FormatError, UnsupportedError)):
        list(read_datanet(tmp_path))


def test_port_matrix_errors(tmp_path: Path, small_sample) -> None:
    write_datanet([small_sample(0)], tmp_path)
    (routing,) = (tmp_path / "routings").iterdir()
    (graph,) = (tmp_path / "graphs").iterdir()
    from kplane.network.io import read_gml

    topo = read_gml(graph)
    n = topo.n_nodes
    ports = {(int(u), int(v)): p for (u, v), p in zip(topo.links, topo.metadata["ports"], strict=True)}
    sample = next(read_datanet(tmp_path))
    table = [[-1] * n for _ in range(n)]
    for i, (_s, d) in enumerate(sample.scenario.routing.pairs):
        nodes = sample.scenario.routing.node_path(topo, i)
        for u, v in zip(nodes[:-1], nodes[1:], strict=True):
            table[u][d] = ports[(u, v)]
    text = "".join(",".join(map(str, row)) + ",\n" for row in table)
    routing.write_text(text)
    (again,) = read_datanet(tmp_path)
    assert again.metadata["routing_format"] == "port_matrix"
    np.testing.assert_array_equal(again.scenario.routing.link_ids, sample.scenario.routing.link_ids)
    bad = [row[:] for row in table]
    bad[0][1] = 7
    routing.write_text("".join(",".join(map(str, row)) + ",\n" for row in bad))
    with pytest.raises(FormatError, match="node 0 has no output port 7"):
        list(read_datanet(tmp_path))
    bad = [row[:] for row in table]
    bad[1][1] = 0
    routing.write_text("".join(",".join(map(str, row)) + ",\n" for row in bad))
    with pytest.raises(FormatError, match="diagonal entry must be -1"):
        list(read_datanet(tmp_path))


def test_bad_paths_and_arguments(tmp_path: Path, small_sample) -> None:
    with pytest.raises(InvalidParameterError, match="does not exist"):
        read_datanet(tmp_path / "nope")
    with pytest.raises(FormatError, match="no datanet bundles"):
        DatanetDataset(tmp_path)
    scenario, kpis = small_sample(0)
    with pytest.raises(InvalidParameterError, match="no samples"):
        write_datanet([], tmp_path)
    with pytest.raises(InvalidParameterError, match="sim_time is needed"):
        write_datanet([(scenario, PathKPIs(pairs=kpis.pairs, mean_delay=kpis.mean_delay, jitter=kpis.jitter,
                                           loss_ratio=kpis.loss_ratio))], tmp_path)
    with pytest.raises(InvalidParameterError, match="plain file name"):
        write_datanet([(scenario, kpis)], tmp_path, name="../x")
    partial = Routing.from_link_paths({(0, 1): [scenario.topology.link_id(0, 1)]})
    one_pair = Scenario(topology=scenario.topology, routing=partial,
                        traffic=scenario.traffic.scaled(0.0), name="partial")
    with pytest.raises(UnsupportedError, match="needs a path for every ordered pair"):
        write_datanet([(one_pair, kpis.select([0]))], tmp_path)
    with pytest.raises(InvalidParameterError, match="DatanetSample or"):
        write_datanet([scenario], tmp_path)  # type: ignore[list-item]
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_random_access_reads_each_bundle_once(sched_dir: Path) -> None:
    """Random access reads each bundle once (the LRU cache), not once per sample."""
    ds = DatanetDataset(sched_dir, cache_size=4)
    reads = Counter()
    for b in ds._bundles:
        original = b.read

        def counting(b=b, original=original):
            reads[b.path.name] += 1
            return original()

        b.read = counting  # type: ignore[method-assign]
    for k in range(0, 400, 7):
        ds[k]
    assert set(reads.values()) == {1} and len(reads) == 4
    assert not math.isnan(ds[5].kpis.mean_delay[0])


def test_extracted_only_dataset_dir(tmp_path: Path, small_sample) -> None:
    write_datanet([small_sample(0)], tmp_path / "ds")
    shutil.copytree(tmp_path / "ds", tmp_path / "copy")
    assert len(DatanetDataset(tmp_path / "copy" / "results_kplane.tar.gz")) == 1


@pytest.mark.parametrize(("dataset", "indices"), [("fifo", [0, 42]), ("sched", [0, 65, 399])])
def test_vectorised_parsing_matches_field_by_field(request: pytest.FixtureRequest,
                                                   monkeypatch: pytest.MonkeyPatch, dataset: str,
                                                   indices: list[int], assert_same_sample) -> None:
    import kplane.network.io._datanet_parse as parse
    import kplane.network.io._datanet_results as results

    monkeypatch.setattr(parse, "_fast_traffic", lambda *args: None)
    monkeypatch.setattr(results, "_fast_results", lambda *args: None)
    folder = request.getfixturevalue(f"{dataset}_dir")
    slow = DatanetDataset(folder)
    for k in indices:
        fast = request.getfixturevalue(dataset)[k]
        assert_same_sample(slow[k], fast, rtol=0)
        np.testing.assert_array_equal(slow[k].metadata["measured_rate"], fast.metadata["measured_rate"])
