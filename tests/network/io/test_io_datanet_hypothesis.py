"""Property: a corrupted datanet dataset either raises a KplaneError or reads back unchanged.

A small dataset (two samples, with linkUsage.txt) is written once; each example corrupts one line of
one file — drops, duplicates or replaces a field (garbage, NaN, infinity, a negative number), or
truncates the line — and reads the copy. The reader must raise (FormatError, UnsupportedError, ...)
or yield samples identical to the originals: never a silently different sample.

Corruptions that no reader can detect are not generated: a plausible number swapped for another
plausible number, a negative value in AvgLnDelay (a log-delay is negative), an exact ``-1`` (the
format's "no value"), and truncated GML lines (GML has no line terminator). A changed stability flag
is, by the format's definition, an unstable sample: it may disappear from the (stable) samples.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kplane.errors import KplaneError
from kplane.network.io import DatanetSample, read_datanet, write_datanet

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEMBERS = ("input_files.txt", "traffic.txt", "simulationResults.txt", "stability.txt", "linkUsage.txt")
GARBAGE = ["abc", "", "nan", "NaN", "inf", "-inf", "1e999", "--1", "0x10", "1.2.3"]
NEGATIVE = ["-2.5", "-0.001", "-7", "-1e-9"]
SEP = re.compile(r"([;,|:])")
OPS = ["drop", "dup", "garbage", "negative", "truncate"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, small_sample) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    samples = []
    for seed in (0, 1):
        scenario, kpis = small_sample(seed)
        m = scenario.topology.n_links
        util = rng.uniform(0, 1, m)
        stats = {"utilisation": util, "loss_ratio": rng.uniform(0, 0.1, m) * (util > 0.5),
                 "mean_occupancy": rng.uniform(0, 5, m), "max_occupancy": rng.integers(5, 16, m) * 1.0,
                 "mean_packet_size": rng.uniform(300, 1700, m)}
        samples.append(DatanetSample(scenario, kpis, {"sim_time": 1000.0, "link_stats": stats}))
    root = tmp_path_factory.mktemp("datanet-base")
    tar = write_datanet(samples, root / "ds")
    originals = list(read_datanet(root / "ds"))
    assert "link_stats" in originals[0].metadata
    with tarfile.open(tar) as t:
        t.extractall(root / "unpacked", filter="data")
    return {"root": root / "ds", "unpacked": root / "unpacked", "tar": tar, "originals": originals}


def _is_log_delay(parts: list[str], j: int, member: str) -> bool:
    """Whether field ``j`` of a results line is an AvgLnDelay (the 5th field of a pair entry)."""
    if member not in ("simulationResults.txt", "flowSimulationResults.txt"):
        return False
    seps = parts[1::2][:j]
    if "|" not in seps:
        return False
    pos = 0
    for sep in reversed(seps):
        if sep != ",":
            break
        pos += 1
    return pos == 4


def _corrupt(line: str, data: st.DataObject, member: str) -> str:
    op = data.draw(st.sampled_from(OPS), label="op")
    if op == "truncate":
        return line[: data.draw(st.integers(0, max(len(line) - 1, 0)), label="cut")]
    parts = SEP.split(line)
    n_fields = len(parts[0::2])
    j = data.draw(st.integers(0, n_fields - 1), label="field")
    if op == "negative" and _is_log_delay(parts, j, member):
        op = "garbage"
    if op == "drop":
        if n_fields == 1:
            return ""
        if j == 0:
            del parts[0:2]
        else:
            del parts[2 * j - 1: 2 * j + 1]
        return "".join(parts)
    if op == "dup":
        if j < n_fields - 1:
            parts[2 * j: 2 * j] = [parts[2 * j], parts[2 * j + 1]]
        else:
            parts += [parts[2 * j - 1] if j else ";", parts[2 * j]]
        return "".join(parts)
    parts[2 * j] = data.draw(st.sampled_from(GARBAGE if op == "garbage" else NEGATIVE), label="value")
    return "".join(parts)


def _write_bundle(unpacked: Path, tar: Path) -> None:
    name = tar.name.removesuffix(".tar.gz")
    with tarfile.open(tar, "w:gz") as t:
        t.add(unpacked / name, arcname=name)


def _check(root: Path, originals: list[DatanetSample], assert_same, stability: list[str]) -> None:
    try:
        got = list(read_datanet(root))
    except KplaneError:
        return
    seen = set()
    for sample in got:
        k = sample.metadata["index"]
        seen.add(k)
        assert_same(sample, originals[k], rtol=0)
        for key, arr in originals[k].metadata["link_stats"].items():
            np.testing.assert_array_equal(sample.metadata["link_stats"][key], arr, err_msg=key)
    for k in set(range(len(originals))) - seen:
        fields = stability[k].split(";")
        assert len(fields) >= 3 and fields[2].strip() != "OK", f"sample {k} vanished without an unstable flag"


def _copy(base: dict[str, Any], tmp: str) -> tuple[Path, Path, Path]:
    root = Path(tmp) / "ds"
    shutil.copytree(base["root"], root)
    unpacked = Path(tmp) / "unpacked"
    shutil.copytree(base["unpacked"], unpacked)
    return root, unpacked, root / base["tar"].name


@SETTINGS
@given(data=st.data())
def test_corrupted_bundle_lines(base: dict[str, Any], assert_same_sample, data: st.DataObject) -> None:
    member = data.draw(st.sampled_from(MEMBERS), label="member")
    line_no = data.draw(st.integers(0, 1), label="line")
    with tempfile.TemporaryDirectory() as tmp:
        root, unpacked, tar = _copy(base, tmp)
        folder = unpacked / tar.name.removesuffix(".tar.gz")
        path = folder / member
        lines = path.read_text().split("\n")
        lines[line_no] = _corrupt(lines[line_no], data, member)
        path.write_text("\n".join(lines))
        stability = (folder / "stability.txt").read_text().split("\n")
        _write_bundle(unpacked, tar)
        _check(root, base["originals"], assert_same_sample, stability)


@SETTINGS
@given(data=st.data())
def test_corrupted_routing_lines(base: dict[str, Any], assert_same_sample, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, _, _ = _copy(base, tmp)
        files = sorted((root / "routings").iterdir())
        path = files[data.draw(st.integers(0, len(files) - 1), label="file")]
        lines = path.read_text().rstrip("\n").split("\n")
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        lines[i] = _corrupt(lines[i], data, "routing")
        path.write_text("\n".join(lines) + "\n")
        _check(root, base["originals"], assert_same_sample, ["1;0;OK"] * 2)


GML_VALUE = re.compile(r"^(\s*[A-Za-z_]\w*\s+)([^\s\[].*)$")


@SETTINGS
@given(data=st.data())
def test_corrupted_graph_lines(base: dict[str, Any], assert_same_sample, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, _, _ = _copy(base, tmp)
        files = sorted((root / "graphs").iterdir())
        path = files[data.draw(st.integers(0, len(files) - 1), label="file")]
        lines = path.read_text().rstrip("\n").split("\n")
        # pick the attribute first, so rare ones (queueSizes, directed, ...) are corrupted as often
        keys = sorted({ln.split()[0] for ln in lines if ln.strip()})
        key = data.draw(st.sampled_from(keys), label="key")
        where = [k for k, ln in enumerate(lines) if ln.strip() and ln.split()[0] == key]
        i = where[data.draw(st.integers(0, len(where) - 1), label="occurrence")]
        op = data.draw(st.sampled_from(["drop", "dup", "garbage", "negative"]), label="op")
        m = GML_VALUE.match(lines[i])
        if op in ("garbage", "negative") and m:
            value = data.draw(st.sampled_from(GARBAGE if op == "garbage" else NEGATIVE), label="value")
            lines[i] = m.group(1) + value
        elif op == "dup":
            lines.insert(i, lines[i])
        else:
            del lines[i]
        path.write_text("\n".join(lines) + "\n")
        _check(root, base["originals"], assert_same_sample, ["1;0;OK"] * 2)
