"""Readers and writers: kplane's Scenario JSON and the public formats of the field."""

from kplane.network.io._datanet import DatanetDataset, DatanetSample, read_datanet
from kplane.network.io._datanet_summary import summarize_datanet
from kplane.network.io._datanet_write import write_datanet
from kplane.network.io._gml import SCHEDULING_POLICIES, parse_gml, read_gml
from kplane.network.io._gml_write import write_gml
from kplane.network.io._scenario_json import (
    SCENARIO_SCHEMA,
    SCENARIO_SCHEMA_VERSION,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from kplane.network.io._wan import FibreLayer, WanNetwork, read_demand_rows, read_teavar_topology
from kplane.network.io._wan_arrow import read_arrow_ip_topology
from kplane.network.io._wan_formats import read_figret_topology, read_flexile_topology
from kplane.network.io._wan_sndlib import read_graphml, read_sndlib

__all__ = [
    "SCENARIO_SCHEMA",
    "SCENARIO_SCHEMA_VERSION",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "FibreLayer",
    "WanNetwork",
    "read_arrow_ip_topology",
    "read_demand_rows",
    "read_figret_topology",
    "read_flexile_topology",
    "read_graphml",
    "read_sndlib",
    "read_teavar_topology",
    "DatanetDataset",
    "DatanetSample",
    "SCHEDULING_POLICIES",
    "parse_gml",
    "read_datanet",
    "read_gml",
    "summarize_datanet",
    "write_datanet",
    "write_gml",
]
