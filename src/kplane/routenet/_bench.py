"""Speed measurements behind ``kplane bench routenet`` (numbers only; nothing here is a test).

- Training throughput: optimiser steps of the default model on mini-batches of 16 NSFNET (14 nodes,
  182 paths) and GEANT (22 nodes, 462 paths) scenarios, RouteNet's traffic model; labels from the
  M/M/1/b baseline (the values do not change the cost of a step).
- Inference: ``predict`` of the default model for an ``n``-node Waxman network (α = 0.1, β = 0.2:
  a sparse, WAN-like graph; 200 nodes → 670 links, 4.7 hops per path on average) routed over all
  ``n (n − 1)`` pairs by shortest paths (the paper: 200 nodes, 39,800 paths, 1.26 s on an
  i5-6400), and 450 NSFNET routings scored in one call (RouteNet §VI-A).

Timings are wall-clock, best of ``repeats``; training throughput is also given per CPU-second of
the process (``*_per_cpu_s``), which is what the number would be on an otherwise idle machine when
the machine is shared.
- Simulator: kplane's packet-level simulator on the same large scenario for ``sim_time`` simulated
  seconds (default: the paper's 16,000 s per sample), and on one NSFNET scenario for 16,000 s. On
  the large network a path carries far less traffic than on NSFNET (its links are shared by
  39,800 paths instead of 182), so 16,000 s gives its labels fewer packets per path; the time for labels as
  precise as NSFNET's is reported too (``*_same_precision``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from kplane.datasets import collate
from kplane.errors import InvalidParameterError
from kplane.network import PAPER_SAMPLE_TIME, PathKPIs, Scenario
from kplane.routenet._features import FEATURE_SETS, FeatureScaler
from kplane.routenet._model import RouteNetMultiHead, RoutingPlan
from kplane.routenet._predict import DEFAULT_HEADS, RouteNetModel
from kplane.routenet._settings import TrainSettings
from kplane.routenet._train import _batch_loss

__all__ = ["run_benchmark"]



def _labelled(
    scenarios: list[Scenario], sim_time: float = PAPER_SAMPLE_TIME
) -> list[tuple[Scenario, PathKPIs]]:
    from kplane.queueing import MM1bModel

    out = []
    for sc, k in zip(scenarios, MM1bModel().predict(scenarios), strict=True):
        pkts = sc.path_rate() / sc.traffic.mean_packet_size()[sc.routing.pairs[:, 0], sc.routing.pairs[:, 1]]
        n = pkts * sim_time
        lr = np.nan_to_num(k.loss_ratio, nan=0.0)
        md = np.nan_to_num(k.mean_delay, nan=1.0)
        out.append((sc, PathKPIs(pairs=k.pairs, mean_delay=md, jitter=np.nan_to_num(k.jitter, nan=1.0),
                                 loss_ratio=lr, mean_log_delay=np.log(md), delivered=n * (1 - lr),
                                 dropped=n * lr)))
    return out


def _train_rate(
    samples: list[tuple[Scenario, PathKPIs]], steps: int, batch_size: int = 16
) -> tuple[float, float]:
    spec = FEATURE_SETS["scale_free"]
    batches = [collate(samples[i : i + batch_size]) for i in range(0, len(samples), batch_size)]
    scaler = FeatureScaler(spec).fit(batches)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = RouteNetMultiHead(heads=DEFAULT_HEADS, path_features=len(spec.path),
                                link_features=len(spec.link))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    s = TrainSettings()
    gen = torch.Generator().manual_seed(0)
    net.train()

    def step(k: int) -> None:
        # collation is part of the measured cost, as in training
        b = collate(samples[(k * batch_size) % len(samples) :][:batch_size])
        loss, _ = _batch_loss(net, scaler, b, s.weighting, gen)
        loss = loss + net.l2_penalty(s.l2, s.l2_last)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for k in range(2):  # warm-up
        step(k)
    t, c = time.perf_counter(), time.process_time()
    for k in range(steps):
        step(k)
    n = steps * batch_size
    return n / (time.perf_counter() - t), n / (time.process_time() - c)


def _versus_recorded(
    model: RouteNetModel, path: str, repeats: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """RouteNet predict time vs the wall time the dataset's own simulator recorded per sample."""
    from kplane.network.io import DatanetDataset

    ds = DatanetDataset(path)
    ratios, pred_s, sim_s = [], [], []
    for k in range(min(len(ds), 10)):
        smp = ds[k]
        wall = smp.metadata.get("wall_time_s")
        if not wall:
            continue
        say(f"RouteNet vs recorded simulator time, sample {k}")
        scenario = smp.scenario

        def one(sc: Scenario = scenario) -> None:
            model.predict([sc])

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one()
            best = min(_timed(one)[0] for _ in range(repeats))
        ratios.append(wall / best)
        pred_s.append(best)
        sim_s.append(wall)
    if not ratios:
        return {"recorded_note": f"{path}: no recorded simulator wall times"}
    return {"recorded_samples": len(ratios), "recorded_sim_wall_s_median": float(np.median(sim_s)),
            "recorded_infer_s_median": float(np.median(pred_s)),
            "speedup_vs_recorded_sim_median": float(np.median(ratios)), "recorded_source": str(path)}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of ``fn()``, and its result."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _median_packets_per_path(result: Any) -> float:
    k = result.kpis
    return float(np.median(np.asarray(k.delivered) + np.asarray(k.dropped)))


def _versus_simulator(
    simulate: Callable[..., Any], model: RouteNetModel, nsfnet: Scenario, big: Scenario, sim_time: float,
    repeats: int, say: Callable[[str], None],
) -> dict[str, Any]:
    """Simulator wall times: ``big`` for ``sim_time`` simulated seconds, NSFNET for 16,000 s.

    Both are timed after an untimed short run of the same scenario (numba compilation and the
    one-off work of a first call are not simulation). The simulator's cost is linear in the
    packets it moves, so the time for labels as precise as NSFNET's (the same packets on the
    median path) is the measured time scaled by the simulated duration they need. RouteNet's
    NSFNET time is the best of ``repeats`` calls.
    """
    say("compiling the simulator")
    simulate(nsfnet, duration=10.0, seed=0)
    simulate(big, duration=10.0, seed=0)
    say(f"simulating the {big.topology.n_nodes}-node network for {sim_time:g} s")
    wall, sim = _timed(lambda: simulate(big, duration=sim_time, seed=0))
    say("simulating one NSFNET sample for 16,000 s")
    nsf_wall, nsf = _timed(lambda: simulate(nsfnet, duration=PAPER_SAMPLE_TIME, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        infer_nsf = min(_timed(lambda: model.predict([nsfnet]))[0] for _ in range(max(1, repeats)))
    per_path, nsf_per_path = _median_packets_per_path(sim), _median_packets_per_path(nsf)
    if per_path <= 0:
        raise InvalidParameterError(
            f"sim_time {sim_time:g} s is too short: the median path of the {big.n_paths}-path network "
            "got no packet, so the simulator's cost per label cannot be scaled; simulate longer"
        )
    same_time = sim_time * nsf_per_path / per_path
    return {
        "sim_time_s": sim_time, "sim_wall_s": wall, "sim_packets": int(sim.n_packets),
        "sim_packets_per_path_median": per_path, "sim_nsfnet_packets_per_path_median": nsf_per_path,
        "sim_same_precision_time_s": same_time, "sim_same_precision_wall_s": wall * same_time / sim_time,
        "sim_nsfnet_16000s_wall_s": nsf_wall, "infer_nsfnet_s": infer_nsf,
        "speedup_vs_sim_nsfnet": nsf_wall / infer_nsf,
    }


def run_benchmark(
    *,
    threads: int = 2,
    nodes: int = 200,
    repeats: int = 5,
    train_steps: int = 20,
    sim_time: float = PAPER_SAMPLE_TIME,
    datanet: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure and return the numbers (see the module docstring); best of ``repeats`` for timings."""
    from kplane.network.generators import perturbed_routings, routenet_scenario, shortest_path_routing
    from kplane.network.topologies import load_topology, waxman

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    import os

    res: dict[str, Any] = {"threads": threads, "torch_version": str(torch.__version__),
                           "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count()}
    try:
        say("training on NSFNET batches")
        nsf = load_topology("nsfnet")
        nsf_samples = _labelled([routenet_scenario(nsf, 8 + (i % 8), seed=i) for i in range(64)])
        res["train_samples_per_s_nsfnet"], res["train_samples_per_cpu_s_nsfnet"] = _train_rate(
            nsf_samples, train_steps)
        say("training on GEANT batches")
        geant = load_topology("geant")
        geant_samples = _labelled([routenet_scenario(geant, 8 + (i % 8), seed=i) for i in range(32)])
        res["train_samples_per_s_geant"], res["train_samples_per_cpu_s_geant"] = _train_rate(
            geant_samples, max(4, train_steps // 2))

        say(f"building a {nodes}-node network")
        model = RouteNetModel(ood="ignore")
        spec = FEATURE_SETS["scale_free"]
        model.scaler_ = FeatureScaler(spec).fit([collate(nsf_samples[:32])])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model.network_ = RouteNetMultiHead(heads=DEFAULT_HEADS, path_features=len(spec.path),
                                               link_features=len(spec.link)).eval()
        topo = waxman(nodes, alpha=0.1, beta=0.2, seed=0)
        big = routenet_scenario(topo, 10.0, seed=0, routing=shortest_path_routing(topo))
        res.update(infer_nodes=nodes, infer_links=big.topology.n_links, infer_paths=big.n_paths,
                   infer_mean_hops=float(big.routing.hops.mean()), infer_max_hops=int(big.routing.hops.max()))
        say(f"inference on {big.n_paths:,} paths")
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.predict([big])
            for _ in range(repeats):
                t = time.perf_counter()
                model.predict([big])
                times.append(time.perf_counter() - t)
            res["infer_s"] = min(times)
            res["infer_s_median"] = float(np.median(times))
            batch = collate([(big, None)])
            xp, xl = model.scaler_.transform(batch)
            plan = RoutingPlan.from_batch(batch)
            fwd = []
            with torch.no_grad():
                for _ in range(repeats):
                    t = time.perf_counter()
                    model.network_.readout(model.network_.encode(xp, xl, plan))
                    fwd.append(time.perf_counter() - t)
            res["infer_forward_s"] = min(fwd)
            say("inference on 450 NSFNET routings")
            base = nsf_samples[0][0]
            cands = [base.replace(routing=r) for r in perturbed_routings(nsf, 449, seed=0)] + [base]
            t = time.perf_counter()
            model.predict(cands)
            res["infer_batch450_nsfnet_s"] = time.perf_counter() - t
        if datanet is not None:
            res.update(_versus_recorded(model, datanet, repeats, say))
        if sim_time > 0:
            try:
                from kplane.sim import simulate
            except ImportError:
                res["sim_note"] = "kplane.sim is not available: no simulator comparison"
                return res
            res.update(_versus_simulator(simulate, model, base, big, sim_time, repeats, say))
            res["speedup_vs_sim"] = res["sim_wall_s"] / res["infer_s"]
            res["speedup_vs_sim_same_precision"] = res["sim_same_precision_wall_s"] / res["infer_s"]
            res["sim_note"] = (
                f"simulator: {res['sim_wall_s']:.3g} s for {sim_time:g} simulated s of the {nodes}-node "
                f"network ({res['sim_packets_per_path_median']:.0f} packets on the median path; NSFNET gets "
                f"{res['sim_nsfnet_packets_per_path_median']:.0f} in {PAPER_SAMPLE_TIME:,.0f} s). "
                f"Labels as precise as NSFNET's need {res['sim_same_precision_time_s']:,.0f} simulated s: "
                f"{res['sim_same_precision_wall_s']:.3g} s at the measured cost per packet."
            )
    finally:
        torch.set_num_threads(before)
    return res
