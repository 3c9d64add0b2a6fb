"""`kplane bench sim`: simulator speed, queueing-model speed and (when installed) ns-3 for scale.

Numbers only, no assertions. The standard scenario is NSFNET with RouteNet capacities (seed 1)
and a RouteNet traffic matrix (eq. 8) of intensity ``intensity``, seed 1; the queueing model is
timed on Germany50 (50 nodes, 2450 paths) with the same generator.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kplane.network import PAPER_SAMPLE_TIME

__all__ = ["bench_sim", "bench_scenario"]


def bench_scenario(name: str = "nsfnet", intensity: float = 12.0) -> Any:
    """The benchmark scenario: a bundled topology with RouteNet capacities and traffic (seed 1)."""
    from kplane.network.generators import routenet_scenario
    from kplane.network.topologies import load_topology

    return routenet_scenario(load_topology(name, seed=1), intensity, seed=1)


def bench_sim(
    *,
    duration: float = PAPER_SAMPLE_TIME,
    intensity: float = 12.0,
    repeat: int = 3,
    ns3: bool = True,
    ns3_duration: float = 100_000.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time the simulator, the M/M/1/b model and optionally ns-3; return a JSON-ready dict.

    The simulator's best run is the one with the least CPU time; wall and CPU times are both
    reported because a shared machine inflates the wall time. ns-3 and kplane run the same tandem
    in the same process, one after the other; their ratio is given by wall and by CPU time.
    """
    from kplane.queueing import MM1bModel
    from kplane.sim._simulate import simulate

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    say("building the NSFNET scenario")
    sc = bench_scenario("nsfnet", intensity)
    say("compiling / loading the kernel")
    t0 = time.perf_counter()
    first = simulate(sc, duration=10.0, seed=0)
    compile_s = first.compile_time_s
    load_s = time.perf_counter() - t0
    best = None
    for i in range(repeat):
        say(f"simulating NSFNET, run {i + 1}/{repeat}")
        res = simulate(sc, duration=duration, seed=i)
        if best is None or res.cpu_time_s < best.cpu_time_s:
            best = res
    assert best is not None
    sim = {
        "duration_s": duration,
        "wall_s": best.wall_time_s,
        "cpu_s": best.cpu_time_s,
        "n_packets": best.n_packets,
        "n_events": best.n_events,
        "n_hops": best.n_hops,
        "packets_per_s": best.n_packets / best.wall_time_s,
        "events_per_s": best.n_events / best.wall_time_s,
        "hops_per_s": best.n_hops / best.wall_time_s,
        "packets_per_cpu_s": best.n_packets / best.cpu_time_s,
        "paper_sample_wall_s": best.wall_time_s * PAPER_SAMPLE_TIME / duration,
        "paper_sample_cpu_s": best.cpu_time_s * PAPER_SAMPLE_TIME / duration,
        "compile_s": compile_s,
        "first_call_s": load_s,
        "repeat": repeat,
    }

    say("timing the M/M/1/b model on Germany50")
    big = bench_scenario("germany50", intensity)
    model = MM1bModel()
    sol = model.solve(big)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        model.solve(big)
        times.append(time.perf_counter() - t)
    queueing = {"scenario": big.name, "n_paths": big.n_paths, "n_links": big.topology.n_links,
                "wall_ms": 1e3 * float(np.median(times)), "n_iter": sol.n_iter}

    ns3_out: dict[str, Any] = {"available": False}
    if ns3:
        from kplane.sim._ns3 import ns3_status, ns3_tandem, tandem_scenario

        say("importing ns-3")
        ok, info = ns3_status()
        if not ok:
            ns3_out["reason"] = info
        else:
            say("running the tandem in ns-3")
            r = ns3_tandem(duration=ns3_duration, seed=1)
            say("running the tandem in kplane")
            k = simulate(tandem_scenario(), duration=ns3_duration, seed=1)
            ns_hops = r["packet_hops"] / r["wall_s"]
            kp_hops = k.n_hops / k.wall_time_s
            ns_hops_cpu = r["packet_hops"] / r["cpu_s"]
            kp_hops_cpu = k.n_hops / k.cpu_time_s
            ns3_out = {
                "available": True,
                "version": info,
                "scenario": r["scenario"],
                "duration_s": ns3_duration,
                "wall_s": r["wall_s"],
                "packet_hops": r["packet_hops"],
                "hops_per_s": ns_hops,
                "kplane_wall_s": k.wall_time_s,
                "kplane_hops_per_s": kp_hops,
                "ratio": kp_hops / ns_hops,
                "cpu_s": r["cpu_s"],
                "kplane_cpu_s": k.cpu_time_s,
                "hops_per_cpu_s": ns_hops_cpu,
                "kplane_hops_per_cpu_s": kp_hops_cpu,
                "ratio_cpu": kp_hops_cpu / ns_hops_cpu,
                "mean_delay_ns3": r["mean_delay"].tolist(),
                "mean_delay_kplane": k.kpis.mean_delay.tolist(),
            }
    else:
        ns3_out["reason"] = "disabled (--no-ns3)"

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "scenario": {"name": sc.name, "n_nodes": sc.topology.n_nodes, "n_links": sc.topology.n_links,
                     "n_paths": sc.n_paths, "intensity": intensity,
                     "max_utilisation": float(sc.utilisation().max())},
        "simulator": sim,
        "queueing": queueing,
        "ns3": ns3_out,
        "machine": {"cpu_count": os.cpu_count(), "load_average": list(load)},
    }
