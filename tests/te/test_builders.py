"""Instance builders, tunnel/scenario file readers and the benchmark instances (public data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kplane.errors import FormatError, InvalidParameterError
from kplane.network.io import (
    read_arrow_ip_topology,
    read_figret_topology,
    read_flexile_topology,
    read_teavar_topology,
)
from kplane.te import (
    build_instance,
    detect_format,
    gravity_demands,
    read_arrow_scenarios,
    read_arrow_tunnels,
    read_figret_tunnels,
    read_flexile_scenarios,
    read_flexile_tunnels,
    read_yates_paths,
    solve,
)
from kplane.te._bench import bench_instance


@pytest.mark.parametrize(
    ("name", "n_flows", "n_tunnels"),
    [("b4", 132, 396), ("ibm", 272, 816), ("geant", 462, 1386), ("germany50", 2450, 7350)],
)
def test_benchmark_instances_have_neurorisk_tunnel_counts(
    shared_data: Path, name, n_flows, n_tunnels
) -> None:
    inst = bench_instance(name, shared_data, cutoff=1e-3)
    assert (inst.n_flows, inst.n_tunnels) == (n_flows, n_tunnels)
    assert inst.scenarios.prob.sum() == pytest.approx(1.0)
    assert inst.scenarios.failed_edges[0] == ()
    assert inst.n_scenarios > 1


def test_b4_uses_fibres_and_is_seeded(shared_data: Path) -> None:
    a = bench_instance("b4", shared_data, cutoff=1e-3, seed=3)
    b = bench_instance("b4", shared_data, cutoff=1e-3, seed=3)
    c = bench_instance("b4", shared_data, cutoff=1e-3, seed=4)
    assert a.metadata["failure_model"] == "fibre" and a.scenarios.element_kind == "fibre"
    assert a.scenarios.failed_edges == b.scenarios.failed_edges and np.array_equal(
        a.scenarios.prob, b.scenarios.prob
    )
    assert a.scenarios.failed_edges != c.scenarios.failed_edges or not np.array_equal(
        a.scenarios.prob, c.scenarios.prob
    )
    # a fibre cut takes down both directions of every IP link routed over it
    fe = set(a.scenarios.failed_edges[1])
    topo = a.topology
    assert all(topo.link_id(int(v), int(u)) in fe for u, v in topo.links[list(fe)])


def test_build_options(shared_data: Path) -> None:
    b4 = shared_data / "te/arrow/data/topology/B4"
    base = build_instance(b4, failure_model="none")
    assert base.n_scenarios == 1 and base.metadata["demand_source"] == "file:tm0"
    scaled = build_instance(b4, failure_model="none", demand_scale=2.0, tm_index=5)
    raw = read_arrow_ip_topology(b4).demands[5]
    assert scaled.total_demand == pytest.approx(2 * raw.sum())
    k1 = build_instance(b4, failure_model="k-failure", k_failures=1)
    assert k1.n_scenarios == 1 + 55  # every bidirectional IP link
    lf = build_instance(b4, failure_model="link-file", cutoff=1e-3)
    assert lf.metadata["scenarios"]["prob_source"] == "file"
    tf = build_instance(
        b4,
        failure_model="none",
        tunnel_file=b4 / "IP_topo_1/tunnels_FailureAware/tunnels_edges.txt",
        tunnels=3,
    )
    assert tf.n_tunnels == 396 and tf.metadata["tunnels"].startswith("file:")


def test_build_errors(shared_data: Path) -> None:
    b4 = shared_data / "te/arrow/data/topology/B4"
    with pytest.raises(InvalidParameterError, match=r"unknown topology 'b5'; valid: .*abilene.*geant"):
        build_instance("b5")
    with pytest.raises(
        InvalidParameterError, match="tm_index 200 is out of range: the data has 200 traffic matrices"
    ):
        build_instance(b4, tm_index=200, failure_model="none")
    with pytest.raises(InvalidParameterError, match="needs a fibre layer"):
        build_instance(shared_data / "te/sndlib/germany50.txt", failure_model="fibre")
    with pytest.raises(InvalidParameterError, match="unknown failure model 'meteor'; valid"):
        build_instance(b4, failure_model="meteor")
    with pytest.raises(InvalidParameterError, match="demand_scale must be finite and >= 0"):
        build_instance(b4, demand_scale=-1.0)
    with pytest.raises(InvalidParameterError, match="unknown benchmark instance 'b5'; valid: b4, ibm"):
        bench_instance("b5", shared_data)


def test_detect_format(shared_data: Path) -> None:
    te = shared_data / "te"
    assert detect_format(te / "arrow/data/topology/B4") == "arrow"
    assert detect_format(te / "teavar/B4") == "teavar"
    assert detect_format(te / "flexile/_data/b4") == "flexile"
    assert detect_format(te / "figret/Data/GEANT") == "figret"
    assert detect_format(te / "sndlib/germany50.txt") == "sndlib"
    assert detect_format(te / "topology-zoo/Kdl.graphml") == "graphml"


def test_tunnel_files(shared_data: Path) -> None:
    te = shared_data / "te"
    arrow = read_arrow_ip_topology(te / "arrow/data/topology/B4", demands=False).topology
    at = read_arrow_tunnels(te / "arrow/data/topology/B4/IP_topo_1/tunnels_FailureAware", arrow)
    assert at.n_flows == 132 and at.max_per_flow == 8
    assert arrow.links[at.tunnel(0)].tolist() == [[0, 1]]
    fig = read_figret_topology(te / "figret/Data/GEANT", demands=False).topology
    ft = read_figret_tunnels(te / "figret/Data/GEANT/tunnels.txt", fig)
    assert (ft.n_flows, ft.n_tunnels) == (462, 1386)
    flex = read_flexile_topology(te / "flexile/_data/b4").topology
    xt = read_flexile_tunnels(te / "flexile/_data/b4/b4_tunnel.tab", flex)
    assert (xt.n_flows, xt.n_tunnels) == (132, 396)
    tv = read_teavar_topology(te / "teavar/B4", demands=False).topology
    yt = read_yates_paths(te / "teavar/B4/paths/SMORE", tv, max_per_flow=4)
    assert yt.n_flows == 132 and yt.max_per_flow == 4


def test_scenario_files(shared_data: Path) -> None:
    te = shared_data / "te"
    flex = build_instance(te / "flexile/_data/b4", failure_model="none")
    s = read_flexile_scenarios(te / "flexile/_data/b4/b4_scenario.tab", flex.topology, flex.tunnels)
    assert s.n_scenarios == 196 and s.uncovered == "renormalised"
    listed = sum(
        float(ln.split()[1]) for ln in (te / "flexile/_data/b4/b4_scenario.tab").read_text().splitlines()
    )
    assert s.uncovered_mass == pytest.approx(1 - listed, abs=1e-12)
    assert s.prob.sum() == pytest.approx(1.0)
    b4 = build_instance(te / "arrow/data/topology/B4", failure_model="none")
    a = read_arrow_scenarios(
        te / "arrow/derived_from_jld/B4/0.001_ip_scenarios_1.txt", b4.topology, b4.tunnels
    )
    assert a.n_scenarios == 32 and a.prob[0] == pytest.approx(0.671869940358)
    inst = b4.with_scenarios(a)
    assert solve(inst, "teavar", beta=0.9).status.value == "optimal"


def test_tunnel_file_errors(tmp_path: Path, shared_data: Path) -> None:
    flex = read_flexile_topology(shared_data / "te/flexile/_data/b4").topology
    bad = tmp_path / "t.tab"
    bad.write_text("s t k edges\n0 1 0 0-5\n")
    with pytest.raises(FormatError, match="edges do not join s and t") as e:
        read_flexile_tunnels(bad, flex)
    assert e.value.line == 2
    bad.write_text("s t k edges\n0 3 0 0-3\n")
    with pytest.raises(FormatError, match="tunnel uses link 0→3, which topology 'b4' lacks"):
        read_flexile_tunnels(bad, flex)
    sc = tmp_path / "s.tab"
    sc.write_text("no 0.9\n0-99 0.1\n")
    with pytest.raises(FormatError, match="scenario references link 0→99"):
        read_flexile_scenarios(
            sc, flex, read_flexile_tunnels(shared_data / "te/flexile/_data/b4/b4_tunnel.tab", flex)
        )


def test_gravity_demands_rule() -> None:
    from kplane.network.topologies import load_topology

    topo = load_topology("abilene", capacities=100e9)
    d = gravity_demands(topo, target_load=0.5)
    assert np.all(np.diag(d) == 0) and (d > 0).sum() == topo.n_nodes * (topo.n_nodes - 1)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    g = csr_matrix((np.ones(topo.n_links), (topo.links[:, 0], topo.links[:, 1])), shape=(12, 12))
    hops = shortest_path(g, unweighted=True)
    assert (d * hops).sum() == pytest.approx(0.5 * topo.capacity.sum())
    with pytest.raises(InvalidParameterError, match="mass must be one of"):
        gravity_demands(topo, mass="population")


def test_bundled_topology_instance() -> None:
    inst = build_instance("abilene", cutoff=1e-4, seed=2)
    assert inst.metadata["demand_source"].startswith("gravity")
    assert np.all(inst.topology.capacity == 100e9)
    assert inst.n_flows == 132 and inst.scenarios.element_kind == "bidirectional-link"


@pytest.mark.slow
def test_tatanld_benchmark_instance(shared_data: Path) -> None:
    inst = bench_instance("tatanld", shared_data, cutoff=1e-3)
    assert inst.n_flows == 145 * 144 and inst.n_tunnels == 62532
