"""Readers and writers: kplane's Scenario JSON and the public formats of the field."""

from kplane.network.io._scenario_json import (
    SCENARIO_SCHEMA,
    SCENARIO_SCHEMA_VERSION,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

__all__ = [
    "SCENARIO_SCHEMA",
    "SCENARIO_SCHEMA_VERSION",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]
