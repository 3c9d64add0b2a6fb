"""WAN-format readers: TeaVaR, ARROW, Flexile, SNDlib, Topology-Zoo GraphML, FIGRET."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kplane.errors import FormatError
from kplane.network.io import (
    read_arrow_ip_topology,
    read_demand_rows,
    read_figret_topology,
    read_flexile_topology,
    read_graphml,
    read_sndlib,
    read_teavar_topology,
)


def _te(shared_data: Path) -> Path:
    return shared_data / "te"


# ------------------------------------------------------------------ public data
def test_arrow_b4_ip_layer_fibres_and_units(shared_data: Path) -> None:
    wan = read_arrow_ip_topology(_te(shared_data) / "arrow/data/topology/B4")
    topo = wan.topology
    assert (topo.n_nodes, topo.n_links) == (12, 110)
    assert topo.node_names[0] == "s1"
    # first row: 1 -> 2, 6 wavelengths x 100 Gbit/s, fibre row [1], failure 0.002
    assert topo.link_id(0, 1) == 0
    assert topo.capacity[0] == pytest.approx(600e9)
    assert wan.link_fibres is not None and wan.link_fibres[0] == (0,)
    assert wan.link_failure_prob is not None and wan.link_failure_prob[0] == pytest.approx(0.002)
    assert wan.fibres is not None
    assert len(wan.fibres.fibres) == 38 and wan.fibres.n_fibres == 19
    # rows 1->2 and 2->1 are one physical fibre
    g = wan.fibres.group
    assert g[0] == g[2]
    # demands: 200 matrices of 12x12, read as Mbit/s, zero diagonal
    assert wan.demands is not None and wan.demands.shape == (200, 12, 12)
    assert wan.demands[0, 0, 1] == pytest.approx(9466.804472e6)
    assert np.all(np.diagonal(wan.demands, axis1=1, axis2=2) == 0)
    groups = wan.link_fibre_groups()
    assert all(0 <= f < 19 for gr in groups for f in gr)


def test_arrow_ibm_demand_rows_longer_than_n_squared(shared_data: Path) -> None:
    wan = read_arrow_ip_topology(_te(shared_data) / "arrow/data/topology/IBM", demand_unit=1.0)
    assert (wan.topology.n_nodes, wan.topology.n_links) == (17, 170)
    # 18² values per line for 17 nodes: the first 17² are the matrix (TeaVaR/ARROW convention)
    assert wan.metadata["demand_extra_values"] == 18 * 18 - 17 * 17
    raw = (_te(shared_data) / "arrow/data/topology/IBM/demand.txt").read_text().split("\n")[0].split()
    assert wan.demands is not None
    assert wan.demands[0, 0, 5] == pytest.approx(float(raw[5]))
    assert wan.demands[0, 1, 0] == pytest.approx(float(raw[17]))


def test_teavar_topology_both_directions(shared_data: Path) -> None:
    wan = read_teavar_topology(_te(shared_data) / "teavar/B4", unit=1.0)
    topo = wan.topology
    assert (topo.n_nodes, topo.n_links) == (12, 38)
    assert topo.has_link(0, 1) and topo.has_link(1, 0)
    assert topo.capacity[0] == pytest.approx(5_000_000)
    assert wan.link_failure_prob is not None and wan.link_failure_prob[0] == pytest.approx(0.004)
    assert wan.demands is not None and wan.demands.shape == (200, 12, 12)


def test_flexile_b4(shared_data: Path) -> None:
    wan = read_flexile_topology(_te(shared_data) / "flexile/_data/b4")
    assert (wan.topology.n_nodes, wan.topology.n_links) == (12, 38)
    assert wan.topology.capacity[0] == pytest.approx(1e9)
    assert wan.demands is not None and wan.demands.shape == (1, 12, 12)
    assert wan.demands[0, 0, 1] == pytest.approx(0.129265573744e9)


def test_sndlib_germany50(shared_data: Path) -> None:
    wan = read_sndlib(_te(shared_data) / "sndlib/germany50.txt")
    topo = wan.topology
    assert (topo.n_nodes, topo.n_links) == (50, 176)
    assert topo.positions is not None and topo.positions[0] == pytest.approx([6.04, 50.76])
    # no pre-installed capacity: one 40-unit module, read as Gbit/s
    assert np.all(topo.capacity == 40e9)
    assert wan.demands is not None
    essen, dus = topo.node_id("Essen"), topo.node_id("Duesseldorf")
    assert wan.demands[0, essen, dus] == pytest.approx(34e9)
    assert np.count_nonzero(wan.demands[0]) == 662


def test_graphml_tatanld(shared_data: Path) -> None:
    wan = read_graphml(_te(shared_data) / "topology-zoo/TataNld.graphml")
    topo = wan.topology
    assert topo.n_nodes == 145
    assert topo.n_links == 2 * 186  # 194 edges, 8 of them parallel
    assert topo.is_strongly_connected()
    assert set(np.unique(topo.capacity)) == {10e9, 20e9}  # parallel edges add up
    assert topo.positions is None  # some nodes have no coordinates: positions only when all do


def test_figret_geant(shared_data: Path) -> None:
    wan = read_figret_topology(_te(shared_data) / "figret/Data/GEANT")
    assert (wan.topology.n_nodes, wan.topology.n_links) == (22, 72)
    assert wan.topology.capacity.max() == pytest.approx(10e9)
    assert wan.demands is not None and wan.demands.shape[1:] == (22, 22)
    n_train = sum(h["count"] for h in wan.metadata["hist_files"] if "/train/" in h["file"])
    assert n_train == 16 and wan.n_matrices == 16 + 677
    assert [h["count"] for h in wan.metadata["hist_files"]][0] > 0


# ------------------------------------------------------------------ malformed input (synthetic files)
def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_teavar_malformed_capacity_names_line_and_field(tmp_path: Path) -> None:
    _write(tmp_path / "topology.txt", "to_node from_node capacity prob_failure\n1 2 10 .01\n2 1 ten .01\n")
    with pytest.raises(
        FormatError, match=r"topology.txt:3, field 'capacity': expected a number, got 'ten'"
    ) as e:
        read_teavar_topology(tmp_path)
    assert e.value.line == 3 and e.value.field == "capacity"


@pytest.mark.parametrize(
    ("row", "field", "match"),
    [
        ("-1 2 10 .01", "to_node", "must be >= 0"),
        ("1 2 10 1.5", "prob_failure", r"\[0, 1\]"),
        ("1 2 -1 .01", "capacity", "> 0"),
        ("1 2", "capacity", "expected columns"),
    ],
)
def test_teavar_bad_rows(tmp_path: Path, row: str, field: str, match: str) -> None:
    _write(tmp_path / "topology.txt", f"to_node from_node capacity prob_failure\n{row}\n")
    with pytest.raises(FormatError, match=match) as e:
        read_teavar_topology(tmp_path)
    assert e.value.line == 2
    assert e.value.field == field


def test_teavar_zero_based_without_probabilities(tmp_path: Path) -> None:
    _write(tmp_path / "topology.txt", "to_node from_node capacity prob_failure\n0\t1\t5\n1\t0\t5\n1\t2\t7\n")
    wan = read_teavar_topology(tmp_path, unit=1.0)
    assert wan.topology.links.tolist() == [[0, 1], [1, 0], [1, 2]] and wan.link_failure_prob is None
    _write(tmp_path / "topology.txt", "a b c d\n1 2 5 .1\n2 1 5\n")
    with pytest.raises(FormatError, match="prob_failure is given on some rows only") as e:
        read_teavar_topology(tmp_path)
    assert e.value.line == 3


def test_teavar_xnet(shared_data: Path) -> None:
    wan = read_teavar_topology(_te(shared_data) / "teavar/XNet")
    assert wan.metadata["node_numbering"] == 0 and wan.link_failure_prob is None
    assert wan.topology.n_links == 76


def test_teavar_duplicate_link(tmp_path: Path) -> None:
    _write(tmp_path / "topology.txt", "a b c d\n1 2 10 .01\n1 2 10 .01\n")
    with pytest.raises(FormatError, match="listed twice"):
        read_teavar_topology(tmp_path)


def test_demand_rows_short_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "demand.txt", "1 2 3 4\n1 2 3\n")
    with pytest.raises(FormatError, match="needs 4 values") as e:
        read_demand_rows(f, 2)
    assert e.value.line == 2
    f2 = _write(tmp_path / "d2.txt", "0 -5 3 0\n")
    with pytest.raises(FormatError, match="must be finite and >= 0"):
        read_demand_rows(f2, 2)
    m, extra = read_demand_rows(_write(tmp_path / "d3.txt", "9 2 3 9 7\n"), 2, unit=1.0)
    assert extra == 1 and m[0].tolist() == [[0.0, 2.0], [3.0, 0.0]]


def _arrow_folder(tmp: Path, ip_rows: str, optical: str | None = None) -> Path:
    top = tmp / "T"
    _write(
        top / "IP_topo_1/IP_topo_1.txt",
        "src\tdst\tindex\tcapacity\tfiberpath_index\twavelength\tfailure\n" + ip_rows,
    )
    if optical is not None:
        _write(top / "optical_topo.txt", "to_node\tfrom_node\tmetric\tfailure_prob\n" + optical)
    return top


def test_arrow_malformed_lists_and_parallel_links(tmp_path: Path) -> None:
    opt = "1\t2\t10\t0.01\n2\t1\t10\t0.01\n"
    ok = "1\t2\t1\t2\t[1]\t[1,2]\t0.1\n2\t1\t1\t2\t[2]\t[1,2]\t0.1\n"
    wan = read_arrow_ip_topology(_arrow_folder(tmp_path / "a", ok, opt))
    assert wan.topology.capacity.tolist() == [200e9, 200e9]
    assert wan.link_fibre_groups() == ((0,), (0,))
    with pytest.raises(FormatError, match="expected a list") as e:
        read_arrow_ip_topology(_arrow_folder(tmp_path / "b", "1\t2\t1\t2\t1,2\t[1]\t0.1\n", opt))
    assert e.value.field == "fiberpath_index" and e.value.line == 2
    with pytest.raises(FormatError, match="parallel IP link"):
        read_arrow_ip_topology(_arrow_folder(tmp_path / "c", "1\t2\t2\t2\t[1]\t[1]\t0.1\n", opt))
    with pytest.raises(FormatError, match="uses fibre row 3"):
        read_arrow_ip_topology(_arrow_folder(tmp_path / "d", "1\t2\t1\t2\t[3]\t[1]\t0.1\n", opt))


def test_flexile_bad_traffic_node(tmp_path: Path) -> None:
    _write(tmp_path / "x_capa.tab", "i j capacity\n0 1 1\n1 0 1\n")
    _write(tmp_path / "x_traffic.tab", "s t h tm\n0 5 0 1.0\n")
    with pytest.raises(FormatError, match="unknown node") as e:
        read_flexile_topology(tmp_path)
    assert e.value.line == 2


def test_sndlib_unknown_node_and_missing_section(tmp_path: Path) -> None:
    good = "NODES (\n  A ( 1 2 )\n  B ( 3 4 )\n)\nLINKS (\n  L1 ( A B ) 0 0 0 0 ( 10 1 )\n)\n"
    wan = read_sndlib(_write(tmp_path / "n.txt", good), unit=1.0)
    assert wan.topology.n_links == 2 and wan.demands is None
    bad = good + "DEMANDS (\n  D1 ( A C ) 1 5.0 UNLIMITED\n)\n"
    with pytest.raises(FormatError, match="unknown node 'C'") as e:
        read_sndlib(_write(tmp_path / "m.txt", bad))
    assert e.value.line == 9 and e.value.field == "target"
    with pytest.raises(FormatError, match="no LINKS section"):
        read_sndlib(_write(tmp_path / "k.txt", "NODES (\n A ( 1 2 )\n)\n"))
    with pytest.raises(FormatError, match="not closed"):
        read_sndlib(_write(tmp_path / "j.txt", "NODES (\n A ( 1 2 )\n"))


def test_graphml_not_graphml(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not a readable GraphML"):
        read_graphml(_write(tmp_path / "x.graphml", "<graphml><oops"))


def test_graphml_merges_parallel_and_uses_link_speed(tmp_path: Path) -> None:
    text = """<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key attr.name="label" attr.type="string" for="node" id="d0"/>
<key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d1"/>
<graph edgedefault="undirected">
<node id="a"><data key="d0">X</data></node><node id="b"><data key="d0">X</data></node>
<node id="c"><data key="d0">Z</data></node>
<edge source="a" target="b"><data key="d1">1000000000.0</data></edge>
<edge source="a" target="b"/><edge source="b" target="c"/><edge source="c" target="c"/>
</graph></graphml>"""
    wan = read_graphml(_write(tmp_path / "g.graphml", text), default_capacity=5e9)
    topo = wan.topology
    assert topo.node_names == ("X#a", "X#b", "Z")
    assert topo.n_links == 4
    assert topo.capacity[topo.link_id(0, 1)] == pytest.approx(6e9)
    assert topo.capacity[topo.link_id(1, 2)] == pytest.approx(5e9)


def test_figret_bad_hist_length(tmp_path: Path) -> None:
    _write(
        tmp_path / "N.json",
        '{"directed": true, "nodes": [{"id": 0}, {"id": 1}], '
        '"links": [{"source": 0, "target": 1, "capacity": 10}]}',
    )
    _write(tmp_path / "train/1.hist", "0 1 2 0\n0 1 2\n")
    with pytest.raises(FormatError, match="expected 4 values") as e:
        read_figret_topology(tmp_path)
    assert e.value.line == 2
    _write(
        tmp_path / "M.json", '{"nodes": [{"id": 0}], "links": [{"source": 0, "target": 7, "capacity": 1}]}'
    )
    with pytest.raises(FormatError, match="source, target"):
        read_figret_topology(tmp_path / "M.json")
