"""GML reader/writer: real datanet graphs, round trips, and every malformed-input path."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from kplane.errors import FormatError, InvalidParameterError, UnsupportedError
from kplane.network import Topology
from kplane.network.io import parse_gml, read_gml, write_gml


def _raw_edges(text: str) -> list[tuple[int, int, float, int]]:
    """(source, target, bandwidth, port) of every edge block, by plain text scanning."""
    out = []
    for block in text.split("edge [")[1:]:
        def val(key: str, b: str = block) -> str:
            return re.search(rf"^\s*{key}\s+(\S+)", b, re.M).group(1).strip('"')
        out.append((int(val("source")), int(val("target")), float(val("bandwidth")), int(val("port"))))
    return out


def test_reads_fifo_graph_like_the_raw_text(shared_data: Path) -> None:
    path = shared_data / "omnetpp" / "fifo-30node-train" / "graphs" / "graph-30-0-2.txt"
    topo = read_gml(path)
    raw = _raw_edges(path.read_text())
    assert (topo.n_nodes, topo.n_links) == (30, 136) == (30, len(raw))
    assert topo.name == "graph-30-0-2"
    assert topo.node_names == tuple(str(i) for i in range(30))
    for lid, (u, v, bw, port) in enumerate(raw):
        assert tuple(topo.links[lid]) == (u, v)
        assert topo.capacity[lid] == bw  # bits per time unit = bit/s
        assert topo.metadata["ports"][lid] == port
    assert set(topo.capacity.tolist()) == {10e3, 25e3, 40e3, 100e3}
    assert (topo.queue_size == 32).all()
    assert topo.metadata["scheduling"][0] == {"levels_qos": 1, "policy": "FIFO", "queue_sizes": [32]}
    assert topo.metadata["link_weights"] == [1.0] * 136


def test_reads_scheduling_attributes(shared_data: Path) -> None:
    graphs = shared_data / "omnetpp" / "sched-nsfnet-geant2-train" / "graphs"
    topo = read_gml(graphs / "graph_nsfnet_wfq_60_30_10.txt")
    assert (topo.n_nodes, topo.n_links) == (14, 42)
    assert topo.metadata["scheduling"][3] == {"levels_qos": 3, "policy": "WFQ", "weights": [60.0, 30.0, 10.0],
                                              "queue_sizes": [32, 32, 32]}
    assert (topo.capacity == 10e3).any()  # bandwidth "10000" as a quoted string
    mixed = read_gml(graphs / "graph-geant2-wfq-drr-sp-0.txt")
    policies = {s["policy"] for s in mixed.metadata["scheduling"]}
    assert policies <= {"WFQ", "DRR", "SP"} and len(policies) > 1
    for s in mixed.metadata["scheduling"]:
        assert ("weights" in s) == (s["policy"] != "SP")


def test_write_read_round_trip(tmp_path: Path) -> None:
    topo = Topology.from_edges(
        ["a & b", 'Sao "Paulo"', "c"], [(0, 1), (1, 0), (1, 2), (2, 1)], capacity=[10e3, 40e3, 1.5e6, 2.5],
        queue_size=[8, 64, 64, 4], propagation_delay=[0.0, 1e-3, 1e-3, 0.0],
        positions=[[2.35, 48.85], [-46.6, -23.5], [0.0, 0.0]], name="tiny net",
        metadata={"scheduling": [{"policy": "WFQ", "weights": [60, 30, 10], "levels_qos": 3,
                                  "queue_sizes": [8, 8, 8]}, {}, {}]},
    )
    path = tmp_path / "g.gml"
    write_gml(topo, path)
    back = read_gml(path)
    assert back.node_names == topo.node_names and back.name == "tiny net"
    np.testing.assert_array_equal(back.links, topo.links)
    np.testing.assert_array_equal(back.capacity, topo.capacity)
    np.testing.assert_array_equal(back.queue_size, topo.queue_size)
    np.testing.assert_array_equal(back.propagation_delay, topo.propagation_delay)
    np.testing.assert_array_equal(back.positions, topo.positions)
    assert back.metadata["scheduling"][0] == {"levels_qos": 3, "policy": "WFQ", "weights": [60.0, 30.0, 10.0],
                                              "queue_sizes": [8, 8, 8]}
    assert back.metadata["scheduling"][1]["queue_sizes"] == [64]
    assert back.metadata["ports"] == [0, 0, 1, 0]
    # networkx (and the public datanet tools built on it) read the file too, nodes keyed 0..n-1
    g = nx.read_gml(path, destringizer=int)
    assert sorted(g.nodes) == [0, 1, 2] and g.number_of_edges() == 4
    assert g[1][2][0]["bandwidth"] == 1.5e6 and g.nodes[0]["queueSizes"] == "8,8,8"


def test_undirected_graph_gives_two_links_per_edge() -> None:
    topo = parse_gml('graph [ node [ id 0 ] node [ id 1 ] edge [ source 0 target 1 bandwidth "10kbps" ] ]')
    assert topo.links.tolist() == [[0, 1], [1, 0]]
    assert topo.capacity.tolist() == [10e3, 10e3]
    assert topo.metadata["directed"] is False


def test_buffer_sizes_convert_to_packets() -> None:
    text = ("graph [ directed 1 node [ id 0 bufferSizes \"64000\" ] node [ id 1 ] "
            "edge [ source 0 target 1 bandwidth 100 ] edge [ source 1 target 0 bandwidth 100 ] ]")
    topo = parse_gml(text)
    assert topo.queue_size.tolist() == [64, 32]  # 64000 bits / 1000 bits; node 1 has the default
    assert parse_gml(text, buffer_packet_size=2000.0).queue_size.tolist() == [32, 32]
    with pytest.raises(InvalidParameterError, match="buffer_packet_size"):
        read_gml("unused.gml", buffer_packet_size=0)


GOOD_NODE = 'node [ id 0 label "0" queueSizes "32" schedulingPolicy "FIFO" levelsQoS 1 ]\n'
GOOD_EDGE = "edge [\n source 0\n target 1\n port 0\n bandwidth 10000\n]\n"


def _graph(nodes: str, edges: str) -> str:
    return "graph [\n directed 1\n" + nodes + 'node [ id 1 ]\n' + edges + "]\n"


@pytest.mark.parametrize(
    ("text", "match", "line", "field"),
    [
        ("graph [\n directed 1\n node [ id 0 ]\n", r"'graph \[' is never closed", 1, "graph"),
        ("graph [ directed 1 ] ]", r"'\]' without a matching", 1, None),
        ("graph [\n directed 1\n node [ id 0 ; ]\n]", "unexpected character ';'", 3, None),
        ("graph [\n 7 node [ id 0 ] ]", "expected an attribute name", 2, None),
        ("graph [\n directed\n]", "'directed' has no value", 2, "directed"),
        (_graph(GOOD_NODE, "edge [\n source 0\n target 1\n]\n"), "no 'bandwidth'", 5, "bandwidth"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("10000", '"abc"')), "bandwidth must be", 9, "bandwidth"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("10000", "0")), r"must be > 0", 9, "bandwidth"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("10000", "-5")), ">= 0", 9, "bandwidth"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("10000", "1e999")), "finite", 9, "bandwidth"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("target 1", "target 9")), "not a node id", 7, "target"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("target 1", "target 0")), "self-loop", 5, "target"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace("port 0", "port -1")), "integer >= 0", 8, "port"),
        (_graph(GOOD_NODE + GOOD_NODE, GOOD_EDGE), "node id 0 appears twice", 4, "id"),
        (_graph(GOOD_NODE, GOOD_EDGE.replace(" port 0\n", " port 0\n port 1\n")), "appears twice", 9, "port"),
        (_graph(GOOD_NODE.replace('queueSizes "32"', 'queueSizes "32,32"'), GOOD_EDGE), "levelsQoS is 1", 3,
         "queueSizes"),
        (_graph(GOOD_NODE.replace('"32"', '"32.5"'), GOOD_EDGE), "integers", 3, "queueSizes"),
        (_graph(GOOD_NODE.replace("FIFO", "RED"), GOOD_EDGE), "schedulingPolicy must be one of", 3,
         "schedulingPolicy"),
        (_graph(GOOD_NODE.replace("FIFO", "WFQ"), GOOD_EDGE), "needs schedulingWeights", 3,
         "schedulingWeights"),
        (_graph(GOOD_NODE.replace("id 0", "id 0.5"), GOOD_EDGE), "id must be an integer", 3, "id"),
        (_graph(GOOD_NODE + "node [ id 2 ]\n", GOOD_EDGE + GOOD_EDGE.replace("target 1", "target 2")),
         "two edges on port 0", 15, "port"),
        ("graph [ directed 1 ]", "no nodes", None, "node"),
        ("node [ id 0 ]", "exactly one 'graph", None, "graph"),
    ],
)
def test_malformed_gml(text: str, match: str, line: int | None, field: str | None) -> None:
    with pytest.raises(FormatError, match=match) as info:
        parse_gml(text, file="bad.gml")
    assert info.value.file == "bad.gml"
    assert info.value.line == line
    assert info.value.field == field


def test_multigraph_edges_are_unsupported() -> None:
    text = _graph(GOOD_NODE, GOOD_EDGE + GOOD_EDGE.replace("port 0", "port 1"))
    with pytest.raises(UnsupportedError, match=r"bad.gml:11: second link 0→1 \(first on line 5\)"):
        parse_gml(text, file="bad.gml")


def test_read_gml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "g.gml"
    path.write_text(_graph(GOOD_NODE, GOOD_EDGE.replace("10000", "0")))
    with pytest.raises(FormatError, match=re.escape(f"{path}:9, field 'bandwidth': ")):
        read_gml(path)
    path.write_bytes(b"graph [ label \"\xff\" ]")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_gml(path)


def test_write_rejects_mixed_queue_sizes_per_node(tmp_path: Path) -> None:
    topo = Topology.from_edges(["0", "1", "2"], [(0, 1), (0, 2), (1, 0), (2, 0)], capacity=1e4,
                               queue_size=[8, 16, 32, 32])
    with pytest.raises(UnsupportedError, match="node '0' has output links with different queue sizes"):
        write_gml(topo, tmp_path / "g.gml")
    assert not (tmp_path / "g.gml").exists()
