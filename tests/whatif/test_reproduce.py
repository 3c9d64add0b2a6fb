"""Reproduction drivers with the fake model: rows, resume, settings guard, reports."""

from __future__ import annotations

import csv

import pytest

from kplane.errors import InvalidParameterError
from kplane.whatif import (
    Fig3Config,
    Table2Config,
    fig3_summary,
    plot_fig3,
    reproduce_fig3,
    reproduce_table2,
    table2_markdown,
)


def test_fig3_rows_resume_and_guard(tmp_path, fake_model):
    cfg = Fig3Config(intensities=(12.0, 15.0), n_tms=2, n_candidates=3, model="fake")
    seen = []
    rows = reproduce_fig3(
        cfg,
        model=fake_model,
        measure=fake_model,
        reference=fake_model,
        out_dir=tmp_path,
        report=lambda d, t, label: seen.append((d, t)),
    )
    assert len(rows) == 2 * 2 * 4 and seen[-1] == (4, 4)
    assert {r["optimizer"] for r in rows} == {"fake", "balanced", "optimal", "sp_average"}
    # one deterministic model everywhere: the model's choice is the optimal one
    by = {(r["ti"], r["tm"], r["optimizer"]): r for r in rows}
    for ti in (12.0, 15.0):
        for tm in (0.0, 1.0):
            assert by[(ti, tm, "fake")]["index"] == by[(ti, tm, "optimal")]["index"]
    calls = len(fake_model.calls)
    again = reproduce_fig3(cfg, model=fake_model, measure=fake_model, reference=fake_model, out_dir=tmp_path)
    assert len(fake_model.calls) == calls and again == rows  # resumed: nothing recomputed
    with pytest.raises(InvalidParameterError, match=r"other settings \(n_candidates\)"):
        reproduce_fig3(
            Fig3Config(intensities=(12.0, 15.0), n_tms=2, n_candidates=4, model="fake"),
            model=fake_model,
            measure=fake_model,
            reference=fake_model,
            out_dir=tmp_path,
        )
    # more TMs and another TI extend the same results: only the new TMs are computed
    more = Fig3Config(intensities=(12.0, 13.0), n_tms=3, n_candidates=3, model="fake")
    seen.clear()
    extended = reproduce_fig3(
        more,
        model=fake_model,
        measure=fake_model,
        reference=fake_model,
        out_dir=tmp_path,
        report=lambda d, t, label: seen.append(label),
    )
    assert sum("done before" in label for label in seen) == 2
    assert len(extended) == 2 * 3 * 4
    assert [r for r in extended if r["ti"] == 12.0 and r["tm"] < 2] == [r for r in rows if r["ti"] == 12.0]
    summary = fig3_summary(rows, "fake")
    assert {s["optimizer"] for s in summary} == {"fake", "balanced", "optimal", "sp_average"}
    assert all(s["gap_to_optimal"] == pytest.approx(0.0) for s in summary if s["optimizer"] == "fake")
    plot_fig3(rows, tmp_path / "fig3.png", model_label="fake")
    assert (tmp_path / "fig3.png").read_bytes()[:4] == b"\x89PNG"


def test_fig3_capacity_spec_errors(tmp_path, fake_model):
    with pytest.raises(InvalidParameterError, match="rate 'fast' is not understood"):
        reproduce_fig3(
            Fig3Config(capacities="fast", n_tms=1, n_candidates=2),
            model=fake_model,
            measure=fake_model,
            reference=fake_model,
            out_dir=tmp_path,
        )


def test_table2_rows_and_markdown(tmp_path, fake_model):
    cfg = Table2Config(intensity=40.0, n_scenarios=1, max_tries=3, n_routings=2, model="fake")
    rows = reproduce_table2(cfg, model=fake_model, measure=fake_model, out_dir=tmp_path)
    assert len(rows) == 1
    r = rows[0]
    assert r["rel_delay"] == pytest.approx(1 - r["new_delay"] / r["baseline_delay"])
    with (tmp_path / "table2.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 1
    md = table2_markdown(rows)
    assert md.count("\n| 1 |") == 1 and "Average reduction vs the baseline" in md
    wins = int(r["orig_delay"] - r["new_delay"] > r["orig_delay"] - r["baseline_delay"])
    assert f"in {wins} of 1 scenarios" in md


def test_table2_reports_when_too_few_hard_scenarios(tmp_path, fake_model):
    cfg = Table2Config(intensity=1.0, n_scenarios=1, max_tries=2, n_routings=2, model="fake")
    with pytest.raises(InvalidParameterError, match="only 0 of 1 scenarios at TI 1"):
        reproduce_table2(cfg, model=fake_model, measure=fake_model, out_dir=tmp_path)
