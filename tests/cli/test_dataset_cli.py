"""`kplane dataset generate|info|verify|export-datanet|specs|show-spec` and `kplane bench datasets`."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app, main

runner = CliRunner()

SPEC = """
name = "cli-tiny"
seed = 3
samples_per_topology = 2
shard_size = 2

[simulation]
duration = 150.0
warmup = 15.0

[traffic]
intensity = [5.0, 9.0]

[[topologies]]
name = "abilene"

[[topologies]]
generator = "waxman"
n_nodes = 6
split = "test"
"""


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point (one-line errors included); return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["kplane", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    spec = root / "tiny.toml"
    spec.write_text(SPEC)
    out = root / "data"
    res = runner.invoke(app, ["dataset", "generate", str(spec), "-o", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "complete; 4 samples simulated" in " ".join(res.output.split())
    return spec, out


def test_generate_json_and_resume(generated: tuple[Path, Path]) -> None:
    spec, out = generated
    res = runner.invoke(app, ["dataset", "generate", str(spec), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout[res.stdout.index("{") :])
    assert report["n_generated"] == 0 and report["shards_kept"] == 2 and report["complete"]


def test_info(generated: tuple[Path, Path]) -> None:
    _, out = generated
    res = runner.invoke(app, ["dataset", "info", str(out), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["n_samples"] == 4 and set(info["topologies"]) == {"abilene", "waxman-6-1.0"}
    res = runner.invoke(app, ["dataset", "info", str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 0 and "abilene" in text and "mean delay" in text


def test_verify_ok_and_corrupted(
    generated: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    _, out = generated
    res = runner.invoke(app, ["dataset", "verify", str(out)])
    assert res.exit_code == 0 and "OK" in res.output
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    data = bytearray((bad / "shard-00001.parquet").read_bytes())
    data[100] ^= 0x04
    (bad / "shard-00001.parquet").write_bytes(bytes(data))
    code, stdout, stderr = run_main(monkeypatch, capsys, "dataset", "verify", str(bad))
    assert code == 1 and "shard-00001.parquet" in stderr and "corrupted" in stderr
    code, stdout, _ = run_main(monkeypatch, capsys, "dataset", "verify", str(bad), "--json")
    assert code == 1 and json.loads(stdout)["bad_shards"] == ["shard-00001.parquet"]


def test_export_datanet(generated: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = generated
    res = runner.invoke(app, ["dataset", "export-datanet", str(out), "-o", str(tmp_path / "dn")])
    assert res.exit_code == 0, res.output
    assert "4 samples in 1 tarball" in " ".join(res.output.split())
    assert (tmp_path / "dn" / "results_cli-tiny_00000.tar.gz").is_file()


def test_specs_and_show_spec() -> None:
    res = runner.invoke(app, ["dataset", "specs", "--json"])
    assert res.exit_code == 0
    names = {r["name"] for r in json.loads(res.stdout)}
    assert {"routenet-small", "routenet-paper", "omnetpp-fifo"} <= names
    res = runner.invoke(app, ["dataset", "show-spec", "routenet-small"])
    assert res.exit_code == 0 and tomllib.loads(res.stdout)["name"] == "routenet-small"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dataset", "generate", "no-such-spec", "-o", "x"], "neither a file nor a shipped spec"),
        (["dataset", "info", "."], "manifest.json missing"),
        (["dataset", "show-spec", "nope"], "no shipped dataset spec named 'nope'"),
    ],
)
def test_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 2 and message in " ".join(err.split()) and "Traceback" not in err


def test_invalid_spec_names_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace('name = "abilene"', 'name = "atlantis"'))
    code, _, err = run_main(monkeypatch, capsys, "dataset", "generate", str(bad), "-o", str(tmp_path / "o"))
    err = " ".join(err.split())
    assert code == 2 and "field 'topologies[0].name'" in err and "unknown topology 'atlantis'" in err
    assert not (tmp_path / "o").exists()


def test_bench_datasets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC)
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "bench",
        "datasets",
        "--spec",
        str(spec),
        "--samples",
        "3",
        "--workers",
        "1",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    (run,) = result["runs"]
    assert run["workers"] == 1 and run["n_generated"] == 3 and run["samples_per_s"] > 0
    assert 0 <= run["overhead_share"] < 1
