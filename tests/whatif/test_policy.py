"""Policy semantics: every rule, every fallback, explanations, terms and (de)serialisation."""

from __future__ import annotations

import numpy as np
import pytest

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, Topology
from kplane.whatif import Constraint, Objective, Policy

PAIRS = np.array([[0, 1], [1, 0], [0, 2]])


def kpis(delay, jitter, loss, percentiles=None, node_names=None) -> PathKPIs:
    return PathKPIs(
        pairs=PAIRS,
        mean_delay=np.asarray(delay, dtype=float),
        jitter=np.asarray(jitter, dtype=float),
        loss_ratio=np.asarray(loss, dtype=float),
        percentiles=percentiles,
        node_names=node_names,
    )


def table(rows):
    """Candidates as (loss, jitter/delay, delay) rows of the paper policy's value table."""
    return np.asarray(rows, dtype=float)


PAPER = Policy.routenet_qos()


def test_all_met_picks_lowest_delay_among_feasible():
    values = table(
        [
            [0.0, 0.10, 0.50],  # feasible
            [0.0, 0.10, 0.40],  # feasible, best delay
            [0.01, 0.10, 0.10],  # violates loss: must not win despite lowest delay
            [0.0, 0.30, 0.20],  # violates jitter: must not win
        ]
    )
    sel = PAPER.select(values)
    assert sel.index == 1
    assert sel.rule == "all_met"
    assert "2 of 4 candidates" in sel.explanation
    assert "mean loss_ratio < 0.001" in sel.explanation
    assert sel.n_meeting_all() == 2


def test_no_candidate_meets_loss_picks_lowest_loss_regardless_of_rest():
    values = table(
        [
            [0.02, 0.10, 0.10],
            [0.005, 0.90, 9.00],  # lowest loss, terrible delay and jitter: still chosen (paper rule 1)
            [0.01, 0.10, 0.20],
        ]
    )
    sel = PAPER.select(values)
    assert sel.index == 1
    assert sel.rule == "minimised"
    assert sel.decided_by == "mean loss_ratio < 0.001"
    assert "no candidate meets mean loss_ratio < 0.001 (best 0.005)" in sel.explanation
    assert "regardless" in sel.explanation


def test_no_candidate_meets_jitter_picks_lowest_delay_among_loss_feasible():
    values = table(
        [
            [0.0, 0.30, 0.50],
            [0.0, 0.25, 0.45],  # meets loss, best delay among those
            [0.01, 0.10, 0.10],  # the best delay overall but violates loss
            [0.0, 0.40, 0.60],
        ]
    )
    sel = PAPER.select(values)
    assert sel.index == 1
    assert sel.rule == "relaxed"
    assert sel.relaxed == (1,)
    assert "no remaining candidate meets mean jitter_over_delay < 0.2 (best 0.25)" in sel.explanation
    assert "so it was relaxed" in sel.explanation
    assert "3 of 4 candidates meeting mean loss_ratio < 0.001" in sel.explanation


def test_infeasible_everything_still_answers():
    values = table([[0.5, 0.9, 3.0], [0.4, 0.8, 4.0]])
    sel = PAPER.select(values)
    assert sel.index == 1 and sel.rule == "minimised"
    assert sel.explanation


def test_relax_then_continue_with_later_constraints():
    policy = Policy(
        constraints=(
            Constraint("loss_ratio", bound=1e-3, on_infeasible="relax"),
            Constraint("mean_delay", aggregate="max", bound=1.0, on_infeasible="relax"),
        ),
        objective=Objective("jitter"),
    )
    values = np.array([[0.1, 2.0, 0.1], [0.2, 0.5, 0.3], [0.3, 0.9, 0.2]])
    sel = policy.select(values)
    # loss relaxed (nobody meets it), the max-delay bound still filters: candidates 1 and 2.
    assert sel.index == 2 and sel.rule == "relaxed" and sel.relaxed == (0,)


def test_no_constraints_minimises_objective():
    sel = Policy.min_delay().select(np.array([[3.0], [1.0], [2.0]]))
    assert sel.index == 1 and sel.rule == "all_met"
    assert "among all 3 candidates" in sel.explanation


def test_ties_broken_by_objective_then_index():
    values = table([[0.01, 0.1, 0.9], [0.01, 0.1, 0.5], [0.01, 0.1, 0.5]])
    assert PAPER.select(values).index == 1


def test_nan_values_never_meet_and_rank_last():
    values = table([[np.nan, 0.1, 0.1], [0.0, 0.1, 0.9], [0.0, 0.1, np.nan]])
    sel = PAPER.select(values)
    assert sel.index == 1
    all_nan = PAPER.select(table([[np.nan, np.nan, np.nan]] * 2))
    assert all_nan.index == 0 and "undefined" in all_nan.explanation


def test_empty_and_misshaped_inputs_raise():
    with pytest.raises(InvalidParameterError, match="candidate list is empty"):
        PAPER.select([])
    with pytest.raises(InvalidParameterError, match=r"shape \(n_candidates, 3\)"):
        PAPER.select(np.zeros((2, 2)))


def test_evaluate_from_kpis_matches_hand_computation():
    k = kpis([1.0, 2.0, np.nan], [0.1, 0.6, np.nan], [0.0, 0.002, 1.0])
    row = PAPER.evaluate([k])[0]
    assert row[0] == pytest.approx((0.0 + 0.002 + 1.0) / 3)
    assert row[1] == pytest.approx((0.1 / 1.0 + 0.6 / 2.0) / 2)  # NaN path skipped
    assert row[2] == pytest.approx(1.5)


def test_dict_round_trip_and_name_resolution():
    assert Policy.from_dict(PAPER.to_dict()) == PAPER
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 0), (0, 2), (2, 0)], capacity=1e4)
    p = Policy.from_dict(
        {
            "name": "sla",
            "constraints": [
                {"metric": "mean_delay", "aggregate": "max", "pairs": [["a", "c"]], "bound": 0.5}
            ],
            "objective": {"metric": "delay_p90", "aggregate": "p90"},
        },
        topology=topo,
    )
    assert p.constraints[0].pairs == ((0, 2),)
    assert p.objective.describe() == "minimise p90 delay_p90"
    with pytest.raises(InvalidParameterError, match="unknown policy key"):
        Policy.from_dict({"constraint": []})
    with pytest.raises(InvalidParameterError, match=r"constraints\[0\] needs 'metric' and 'bound'"):
        Policy.from_dict({"constraints": [{"metric": "loss_ratio"}]})


def test_selection_to_dict_and_describe():
    sel = PAPER.select(table([[0.0, 0.1, 0.5], [0.0, 0.1, 0.4]]))
    d = sel.to_dict()
    assert d["index"] == 1 and d["rule"] == "all_met"
    assert d["values"]["mean mean_delay"] == pytest.approx(0.4)
    assert "if infeasible: minimise" in PAPER.describe()


def test_policy_example_in_docs_parses():
    import json
    import re
    from pathlib import Path

    from kplane.network.topologies import load_topology

    doc = Path(__file__).resolve().parents[2] / "docs" / "whatif.md"
    if not doc.exists():
        pytest.skip("docs/whatif.md not present")
    block = re.search(r"```json\n(.*?)```", doc.read_text(), re.S)
    assert block is not None
    topo = load_topology("nsfnet")
    p = Policy.from_dict(json.loads(block.group(1)), topology=topo)
    assert p.constraints[1].pairs == ((topo.node_id("Seattle"), topo.node_id("Atlanta")),)
    assert [c.on_infeasible for c in p.constraints] == ["minimise", "relax", "relax"]
