"""Cross-check against ns-3 (PyPI ``ns3``, the ``kplane[ns3]`` extra) on a small tandem.

The scenario: three nodes in a line, ``a → b → c``, two 10 kbit/s links, Poisson flows
``a → c`` (two hops) and ``b → c`` (one hop) sharing link ``b → c``; packet sizes 320 or 1680 bits
with probability 1/2 (byte-aligned, mean 1000 bits, the RouteNet mix rounded to whole bytes);
ports of ``queue_size`` packets, the one in transmission included.

ns-3 side: ``PointToPointNetDevice`` s without an IP stack (no traffic-control layer), a
``DropTailQueue`` of ``queue_size − 1`` packets (ns-3 dequeues the packet it transmits, so the port
holds ``queue_size`` in all), packets sent at the device level with a 2-byte PPP header (payloads
of 38 and 208 bytes make 320 and 1680 bits on the wire), forwarding by a receive callback. Sources,
forwarding and statistics are C++ compiled by cppyy, so the timing is ns-3's own. Note: the PyPI
name ``ns3`` is the ns-3 simulator; the unrelated ``ns.py`` package also installs a module ``ns``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from kplane.network import PacketSizeDistribution, Routing, Scenario, Topology, Traffic

__all__ = ["ns3_status", "ns3_tandem", "tandem_scenario"]

TANDEM_CAPACITY = 10_000.0
TANDEM_RATES = (4_000.0, 4_000.0)  # a→c and b→c, bit/s
TANDEM_SIZES = (320.0, 1680.0)

_CPP = r"""
#include "ns3/core-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include <vector>
#include <cstring>

namespace kplane_ns3 {
using namespace ns3;

struct Payload { double birth; uint32_t flow; };

static std::vector<Ptr<NetDevice>> g_next;   // (flow, node) -> device to send on, or null at the destination
static uint32_t g_nodes = 0;
static std::vector<double> g_rate, g_sum, g_sum2;
static std::vector<uint64_t> g_gen, g_del;
static std::vector<Ptr<NetDevice>> g_first;
static uint64_t g_hops = 0;
static double g_warm = 0.0, g_end = 0.0, g_stop = 0.0;
static Ptr<ExponentialRandomVariable> g_exp;
static Ptr<UniformRandomVariable> g_uni;
static uint32_t g_small = 38, g_large = 208;

void Generate(uint32_t f) {
    double now = Simulator::Now().GetSeconds();
    Payload pl; pl.birth = now; pl.flow = f;
    uint32_t size = g_uni->GetValue() < 0.5 ? g_small : g_large;
    uint8_t buf[256]; std::memset(buf, 0, sizeof(buf)); std::memcpy(buf, &pl, sizeof(pl));
    Ptr<Packet> p = Create<Packet>(buf, size);
    if (now >= g_warm && now < g_end) g_gen[f]++;
    g_first[f]->Send(p, g_first[f]->GetBroadcast(), 0x0800);
    double next = now + g_exp->GetValue(1.0 / g_rate[f], 0.0);
    if (next < g_stop) Simulator::Schedule(Seconds(next - now), &Generate, f);
}

bool Receive(Ptr<NetDevice> dev, Ptr<const Packet> p, uint16_t proto, const Address& from) {
    g_hops++;
    Payload pl; p->CopyData(reinterpret_cast<uint8_t*>(&pl), sizeof(pl));
    Ptr<NetDevice> nxt = g_next[pl.flow * g_nodes + dev->GetNode()->GetId()];
    if (nxt) {
        nxt->Send(p->Copy(), nxt->GetBroadcast(), 0x0800);
    } else if (pl.birth >= g_warm && pl.birth < g_end) {
        double d = Simulator::Now().GetSeconds() - pl.birth;
        g_del[pl.flow]++; g_sum[pl.flow] += d; g_sum2[pl.flow] += d * d;
    }
    return true;
}

// links: (src, dst) node pairs; flows: node paths. Returns per-flow [generated, delivered, mean, var], hops.
std::vector<double> RunTandem(uint32_t n_nodes, std::vector<uint32_t> lsrc, std::vector<uint32_t> ldst,
                              double capacity, uint32_t queue_packets,
                              std::vector<std::vector<uint32_t>> paths, std::vector<double> rates_pps,
                              double warm, double end, uint32_t seed) {
    RngSeedManager::SetSeed(seed + 1); RngSeedManager::SetRun(1);
    g_exp = CreateObject<ExponentialRandomVariable>();
    g_uni = CreateObject<UniformRandomVariable>();
    g_nodes = n_nodes; g_warm = warm; g_end = end; g_stop = end; g_hops = 0;
    NodeContainer nodes; nodes.Create(n_nodes);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(uint64_t(capacity))));
    p2p.SetChannelAttribute("Delay", TimeValue(Seconds(0)));
    p2p.SetQueue("ns3::DropTailQueue", "MaxSize",
                 QueueSizeValue(QueueSize(std::to_string(queue_packets) + "p")));
    std::vector<Ptr<NetDevice>> tx(lsrc.size());
    for (size_t i = 0; i < lsrc.size(); ++i) {
        NetDeviceContainer d = p2p.Install(nodes.Get(lsrc[i]), nodes.Get(ldst[i]));
        tx[i] = d.Get(0);
        d.Get(1)->SetReceiveCallback(MakeCallback(&Receive));
        d.Get(0)->SetReceiveCallback(MakeCallback(&Receive));
    }
    size_t nf = paths.size();
    g_next.assign(nf * n_nodes, Ptr<NetDevice>());
    g_first.assign(nf, Ptr<NetDevice>());
    g_rate = rates_pps; g_sum.assign(nf, 0.0); g_sum2.assign(nf, 0.0);
    g_gen.assign(nf, 0); g_del.assign(nf, 0);
    for (size_t f = 0; f < nf; ++f) {
        for (size_t h = 0; h + 1 < paths[f].size(); ++h) {
            for (size_t i = 0; i < lsrc.size(); ++i) {
                if (lsrc[i] == paths[f][h] && ldst[i] == paths[f][h + 1]) {
                    if (h == 0) g_first[f] = tx[i]; else g_next[f * n_nodes + paths[f][h]] = tx[i];
                }
            }
        }
        Simulator::Schedule(Seconds(g_exp->GetValue(1.0 / rates_pps[f], 0.0)), &Generate, uint32_t(f));
    }
    Simulator::Stop(Seconds(end + 1000.0));
    Simulator::Run();
    Simulator::Destroy();
    std::vector<double> out;
    for (size_t f = 0; f < nf; ++f) {
        double n = double(g_del[f]);
        double mean = n > 0 ? g_sum[f] / n : -1.0;
        double var = n > 1 ? (g_sum2[f] - n * mean * mean) / (n - 1) : -1.0;
        out.push_back(double(g_gen[f])); out.push_back(n); out.push_back(mean); out.push_back(var);
    }
    out.push_back(double(g_hops));
    return out;
}
}  // namespace kplane_ns3
"""

_state: dict[str, Any] = {}


def ns3_status() -> tuple[bool, str]:
    """Whether the ns-3 Python bindings can be imported: ``(available, version or reason)``."""
    if "status" in _state:
        return _state["status"]
    try:
        import importlib.metadata as md

        version = md.version("ns3")
    except Exception:  # the distribution is simply not installed
        _state["status"] = (False, "the ns3 package is not installed (pip install 'kplane[ns3]')")
        return _state["status"]
    try:
        from ns import ns  # noqa: F401  (the ns-3 bindings; slow first import)
    except Exception as exc:  # cppyy/cling failures surface as many exception types
        _state["status"] = (False, f"ns3 {version} is installed but cannot be imported: {exc}")
        return _state["status"]
    _state["status"] = (True, version)
    return _state["status"]


def tandem_scenario(queue_size: int = 32) -> Scenario:
    """The kplane side of the cross-check (see the module docstring)."""
    topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2)], capacity=TANDEM_CAPACITY,
                               queue_size=queue_size, name="tandem")
    routing = Routing.from_link_paths({(0, 2): [0, 1], (1, 2): [1]})
    rate = np.zeros((3, 3))
    rate[0, 2], rate[1, 2] = TANDEM_RATES
    traffic = Traffic(rate=rate, packet_sizes=(PacketSizeDistribution.binomial(*TANDEM_SIZES),))
    return Scenario(topo, routing, traffic, name="tandem")


def ns3_tandem(*, duration: float, warmup: float | None = None, seed: int = 0,
               queue_size: int = 32) -> dict[str, Any]:
    """Run the tandem in ns-3; per-flow delivered count, mean delay, delay variance and the timing.

    Raises
    ------
    kplane.errors.UnsupportedError
        When ns-3 is not available.
    """
    from kplane.errors import UnsupportedError

    ok, info = ns3_status()
    if not ok:
        raise UnsupportedError(f"ns-3 cross-check unavailable: {info}")
    import cppyy
    from ns import ns

    if "compiled" not in _state:
        cppyy.cppdef(_CPP)
        _state["compiled"] = True
    warm = duration / 20.0 if warmup is None else float(warmup)
    sc = tandem_scenario(queue_size)
    mean_size = float(np.mean(TANDEM_SIZES))
    pps = [r / mean_size for r in TANDEM_RATES]
    vec_u = cppyy.gbl.std.vector["uint32_t"]
    paths = cppyy.gbl.std.vector[vec_u]()
    for p in ([0, 1, 2], [1, 2]):
        paths.push_back(vec_u(p))
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = list(cppyy.gbl.kplane_ns3.RunTandem(
        3, vec_u([0, 1]), vec_u([1, 2]), TANDEM_CAPACITY, queue_size - 1, paths,
        cppyy.gbl.std.vector["double"](pps), warm, float(duration), int(seed)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    flows = np.array(out[:-1]).reshape(-1, 4)
    return {
        "scenario": sc.name,
        "version": info,
        "ns_namespace": str(type(ns)),
        "generated": flows[:, 0],
        "delivered": flows[:, 1],
        "mean_delay": np.where(flows[:, 2] >= 0, flows[:, 2], np.nan),
        "jitter": np.where(flows[:, 3] >= 0, flows[:, 3], np.nan),
        "packet_hops": float(out[-1]),
        "wall_s": wall,
        "cpu_s": cpu,
    }
