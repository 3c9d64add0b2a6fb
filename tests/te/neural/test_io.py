"""Policy files: round trip, schema refusal, malformed and non-finite content."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kplane.errors import FormatError, SchemaVersionError
from kplane.te.neural import NeuroRiskOptimizer, bundled_policy_path

from .conftest import ring_instance


@pytest.fixture(scope="module")
def fitted():
    inst = [ring_instance(5, k=2, seed=s, load=3.0) for s in range(2)]
    opt = NeuroRiskOptimizer(
        objective="teavar", beta=0.9, hidden=8, iterations=2, epochs=1, batch_size=2, validation_fraction=0.0
    ).fit(inst)
    return opt, inst


def test_round_trip_gives_the_same_allocation(fitted, tmp_path) -> None:
    opt, inst = fitted
    path = opt.save(tmp_path / "p.json", card={"command": "test"})
    assert (tmp_path / "p.card.json").is_file()
    back = NeuroRiskOptimizer.load(path)
    assert back.objective_.describe() == opt.objective_.describe() and back.iterations == 2
    np.testing.assert_array_equal(back.optimize(inst[0]), opt.optimize(inst[0]))


def test_other_schema_version_refused(fitted, tmp_path) -> None:
    opt, _ = fitted
    path = opt.save(tmp_path / "p.json")
    doc = json.loads(path.read_text())
    doc["schema_version"] = 2
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaVersionError, match="policy schema version 2 is not supported"):
        NeuroRiskOptimizer.load(path)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.update(schema="something.else"), "not a NeuroRisk policy"),
        (lambda d: d["state"]["policy.lin1.weight"]["data"].__setitem__(0, float("nan")), "non-finite"),
        (lambda d: d["state"].pop("policy.lin2.bias"), "lacks parameter"),
        (lambda d: d.update(features=["a"] * 8), "features"),
        (lambda d: d.update(method="xx"), "unknown method"),
    ],
)
def test_malformed_policy_refused(fitted, tmp_path, edit, match) -> None:
    opt, _ = fitted
    path = opt.save(tmp_path / "p.json")
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc).replace("NaN", "NaN"))
    with pytest.raises(FormatError, match=match):
        NeuroRiskOptimizer.load(path)


def test_not_json_refused(tmp_path) -> None:
    p = tmp_path / "x.json"
    p.write_text("{oops")
    with pytest.raises(FormatError, match="not a JSON policy"):
        NeuroRiskOptimizer.load(p)


def test_bundled_policies_load_when_shipped() -> None:
    for objective in ("expected", "teavar", "ffc", "quantile"):
        try:
            path = bundled_policy_path(objective)
        except Exception:
            continue
        opt = NeuroRiskOptimizer.load(path)
        assert opt.objective_.name == objective
        assert (path.with_name(path.stem + ".card.json")).is_file()
