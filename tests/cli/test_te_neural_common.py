"""Argument parsing shared by the NeuroRisk commands; the commands are registered by `te_neural`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kplane.cli.main import app
from kplane.cli.te_neural_common import (
    check_refinement,
    parse_configs,
    parse_float_list,
    parse_int_list,
    set_threads,
    te_data_dir,
)
from kplane.errors import InvalidParameterError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0-3", [0, 1, 2, 3]), ("0,2,5", [0, 2, 5]), ("3", [3]), ("1-2, 7", [1, 2, 7]), ("4-4", [4])],
)
def test_parse_int_list(text: str, expected: list[int]) -> None:
    assert parse_int_list(text, "--tms") == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a-b", "--tms 'a-b' not understood"),
        ("5-2", "not understood"),
        ("", "at least one"),
        (",", "at least"),
    ],
)
def test_parse_int_list_refuses(text: str, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        parse_int_list(text, "--tms")


def test_parse_float_list() -> None:
    assert parse_float_list("0.8,1,1.25", "--loads") == [0.8, 1.0, 1.25]
    for bad, match in (("x", "comma-separated numbers"), ("1,-1", "finite and > 0"), ("nan", "finite")):
        with pytest.raises(InvalidParameterError, match=match):
            parse_float_list(bad, "--loads")


def test_parse_configs() -> None:
    from kplane.te.neural import PAPER_CONFIGS, TRAIN_CONFIGS

    assert parse_configs("train") == list(TRAIN_CONFIGS)
    assert parse_configs("ALL") == list(PAPER_CONFIGS)
    held = parse_configs("heldout")
    assert len(held) == len(PAPER_CONFIGS) - len(TRAIN_CONFIGS) and not set(held) & set(TRAIN_CONFIGS)
    (c,) = parse_configs("1e-3/0.02")
    assert (c.cutoff, c.weibull_scale) == (1e-3, 0.02)
    with pytest.raises(InvalidParameterError, match="cutoff/scale"):
        parse_configs("1e-3")


def test_set_threads_and_refinement_checks() -> None:
    with pytest.raises(InvalidParameterError, match="--threads must be >= 1, got 0"):
        set_threads(0)
    assert set_threads(None) >= 1
    check_refinement(0, 50, 0.1, learned=True, method="gr")
    with pytest.raises(InvalidParameterError, match="--refine must be >= 0"):
        check_refinement(-1, 0, None, learned=True, method="gr")
    with pytest.raises(InvalidParameterError, match="not to the 'sp' baseline"):
        check_refinement(0, 5, None, learned=False, method="sp")


def test_te_data_dir_refuses_a_folder_without_te(tmp_path) -> None:
    with pytest.raises(InvalidParameterError, match="no te/ folder"):
        te_data_dir(tmp_path)


@pytest.mark.parametrize(
    ("group", "command"),
    [("te", "optimize"), ("te", "train"), ("bench", "te"), ("reproduce", "neurorisk")],
)
def test_neurorisk_commands_are_registered(group: str, command: str) -> None:
    res = CliRunner().invoke(app, [group, command, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output
