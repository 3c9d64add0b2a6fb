"""Distributions of TE instances for training and evaluating learned optimizers.

A :class:`TENetwork` is what instances are drawn from: a topology, its traffic matrices, a failure
model (per fibre when the data has a fibre layer, else per bidirectional link) and k-shortest-path
tunnels. An instance picks a traffic matrix, a *load* and a :class:`ScenarioConfig`
``(cutoff, Weibull scale)``: element failure probabilities are drawn from Weibull(0.8, scale) with the
instance's seed and every failure set with probability >= cutoff is enumerated (healthy first;
sets that disconnect the network dropped; the uncovered mass renormalised).

**Load.** Demands are the traffic matrix times the factor that makes

    ρ = Σ_f d_f h_f / Σ_e c_e,

the network-wide utilisation if every flow took its shortest tunnel (``h_f`` hops), equal to the
requested load. ``ρ`` around 1 makes capacity scarce under failures (the risk-aware regime).

Networks: ``b4`` and ``ibm`` (ARROW's IP layer over its fibre layer, ARROW/TeaVaR traffic matrices;
need ``../shared/data/te``), ``germany50`` (SNDlib demands, from the shared data) and any bundled
topology of :func:`kplane.network.topologies.list_topologies` (random gravity traffic matrices,
capacities as bundled), ``geant`` included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.te._instance import TEInstance
from kplane.te._tunnels import k_shortest_tunnels
from kplane.te._tunnelset import TunnelSet
from kplane.te.failures import FailureModel, cutoff_scenarios
from kplane.utils import spawn_seeds

__all__ = [
    "PAPER_CONFIGS",
    "TRAIN_CONFIGS",
    "ScenarioConfig",
    "TENetwork",
    "default_data_dir",
    "instance_family",
    "load_te_network",
    "make_instance",
]


@dataclass(frozen=True)
class ScenarioConfig:
    """A scenario configuration: enumeration cutoff and Weibull scale of element failure probabilities."""

    cutoff: float
    weibull_scale: float

    def __post_init__(self) -> None:
        if not 0 < self.cutoff < 1:
            raise InvalidParameterError(f"cutoff must lie in (0, 1), got {self.cutoff!r}")
        if not 0 < self.weibull_scale < 0.5:
            raise InvalidParameterError(f"Weibull scale must lie in (0, 0.5), got {self.weibull_scale!r}")

    @property
    def label(self) -> str:
        """``"1e-03/0.02"``."""
        return f"{self.cutoff:.0e}/{self.weibull_scale:g}"


PAPER_CONFIGS = tuple(ScenarioConfig(c, s) for s in (0.01, 0.02) for c in (1e-2, 3e-3, 1e-3, 3e-4, 1e-4))
"""The grid of scenario configurations (2 Weibull scales × 5 cutoffs)."""

TRAIN_CONFIGS = (ScenarioConfig(3e-3, 0.01), ScenarioConfig(1e-3, 0.02), ScenarioConfig(3e-4, 0.01))
"""The three configurations learned policies are trained on; the other seven are held out."""

_ARROW = {"b4": "B4", "ibm": "IBM"}


def default_data_dir() -> Path | None:
    """The public data folder ``../shared/data`` beside the working directory or the repository, if any."""
    here = Path(__file__).resolve()
    for base in (Path.cwd(), *here.parents):
        cand = base / ".." / "shared" / "data"
        if (cand / "te").is_dir():
            return cand.resolve()
    return None


@dataclass(frozen=True, eq=False)
class TENetwork:
    """A network instances are drawn from.

    Parameters
    ----------
    name : str
    topology : Topology
    demands : ndarray of shape (n_matrices, n_nodes, n_nodes)
        Traffic matrices [bit/s] (only their shape matters: instances rescale them to a load).
    failures : FailureModel
        Failure elements (their probabilities are redrawn per instance).
    tunnels : TunnelSet
        k shortest tunnels per ordered pair.
    """

    name: str
    topology: Topology
    demands: NDArray[np.float64]
    failures: FailureModel
    tunnels: TunnelSet

    @property
    def n_matrices(self) -> int:
        """Number of traffic matrices."""
        return int(self.demands.shape[0])

    def with_tunnels(self, k: int) -> TENetwork:
        """The same network with ``k`` shortest tunnels per pair."""
        return TENetwork(
            self.name, self.topology, self.demands, self.failures, k_shortest_tunnels(self.topology, k)
        )


def load_te_network(
    name: str, *, data_dir: str | Path | None = None, k: int = 3, n_matrices: int = 16, seed: int = 0
) -> TENetwork:
    """Load a named network (see the module docstring).

    Parameters
    ----------
    name : str
        ``b4``, ``ibm``, ``germany50`` or a bundled topology name (``geant``, ``tatanld``, ...).
    data_dir : path, optional
        The public data folder (default: :func:`default_data_dir`); needed for b4, ibm, germany50.
    k : int
        Tunnels per ordered pair.
    n_matrices : int
        Gravity traffic matrices to draw for bundled topologies.
    seed : int
        Seeds the gravity matrices.

    Raises
    ------
    InvalidParameterError
        Unknown name, or a network whose data folder is missing (names the folder expected).
    """
    key = name.strip().lower()
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if key in _ARROW or key == "germany50" and root is not None and (root / "te" / "sndlib").is_dir():
        if root is None or not (root / "te").is_dir():
            raise InvalidParameterError(
                f"network {name!r} needs the public TE data (../shared/data/te); pass data_dir"
            )
        if key in _ARROW:
            from kplane.network.io import read_arrow_ip_topology

            wan = read_arrow_ip_topology(root / "te" / "arrow" / "data" / "topology" / _ARROW[key])
            topo = wan.topology
            fm = FailureModel.per_fibre(topo.n_links, wan.link_fibre_groups(), wan.fibres.fibre_prob)  # type: ignore[union-attr]
            dem = np.asarray(wan.demands, dtype=np.float64)
        else:
            from kplane.network.io import read_sndlib

            wan = read_sndlib(root / "te" / "sndlib" / "germany50.txt")
            topo = wan.topology
            fm = FailureModel.per_link(topo, 0.0, bidirectional=True)
            dem = np.asarray(wan.demands, dtype=np.float64).reshape(-1, topo.n_nodes, topo.n_nodes)
    else:
        from kplane.network.generators import gravity_traffic
        from kplane.network.topologies import load_topology

        topo = load_topology(key)
        fm = FailureModel.per_link(topo, 0.0, bidirectional=True)
        dem = np.stack(
            [
                gravity_traffic(topo, 1e9, weights="exponential", seed=s).rate
                for s in spawn_seeds(seed, n_matrices)
            ]
        )
    if dem.ndim != 3 or dem.shape[0] == 0:
        raise InvalidParameterError(f"network {name!r} has no traffic matrix")
    return TENetwork(key, topo, dem, fm, k_shortest_tunnels(topo, k))


def load_factor(network: TENetwork, tm: NDArray[np.float64]) -> float:
    """``Σ_f d_f h_f / Σ_e c_e`` of traffic matrix ``tm`` routed on shortest tunnels."""
    tun = network.tunnels
    d = tm[tun.pairs[:, 0], tun.pairs[:, 1]]
    first = tun.flow_offsets[:-1]
    has = tun.n_tunnels_per_flow > 0
    h = np.zeros(tun.n_flows)
    h[has] = tun.hops[first[has]]
    return float((d * h).sum() / network.topology.capacity.sum())


def make_instance(
    network: TENetwork,
    *,
    tm: int = 0,
    load: float = 1.0,
    config: ScenarioConfig = TRAIN_CONFIGS[1],
    seed: int = 0,
    demand_noise: float = 0.0,
    noise_seed: int | None = None,
) -> TEInstance:
    """One instance of ``network`` (see the module docstring).

    Parameters
    ----------
    tm : int
        Traffic matrix index.
    load : float
        Shortest-path utilisation ρ the demands are scaled to (> 0).
    config : ScenarioConfig
    seed : int
        Seeds the Weibull draw of element failure probabilities.
    demand_noise : float
        σ of multiplicative Gaussian noise ``d ← max(0, d + N(0, σ d))`` applied after scaling.
    noise_seed : int, optional
        Seeds the noise (default ``seed``).
    """
    if not 0 <= tm < network.n_matrices:
        raise InvalidParameterError(f"traffic matrix index must lie in 0..{network.n_matrices - 1}, got {tm}")
    if not (np.isfinite(load) and load > 0):
        raise InvalidParameterError(f"load must be finite and > 0, got {load!r}")
    if not (np.isfinite(demand_noise) and demand_noise >= 0):
        raise InvalidParameterError(f"demand_noise must be finite and >= 0, got {demand_noise!r}")
    dm = np.array(network.demands[tm], dtype=np.float64)
    np.fill_diagonal(dm, 0.0)
    rho = load_factor(network, dm)
    if rho <= 0:
        raise InvalidParameterError(f"traffic matrix {tm} of {network.name!r} is empty")
    dm *= load / rho
    if demand_noise > 0:
        rng = np.random.default_rng(seed if noise_seed is None else noise_seed)
        dm = np.maximum(0.0, dm + rng.normal(0.0, 1.0, dm.shape) * demand_noise * dm)
    fm = network.failures.with_weibull(shape=0.8, scale=config.weibull_scale, seed=seed)
    scen = cutoff_scenarios(fm, network.topology, network.tunnels, cutoff=config.cutoff)
    meta = {
        "network": network.name,
        "tm": tm,
        "load": load,
        "cutoff": config.cutoff,
        "weibull_scale": config.weibull_scale,
        "failure_seed": seed,
        "demand_noise": demand_noise,
        "failure_elements": network.failures.kind,
    }
    return TEInstance.from_demand_matrix(
        network.topology,
        dm,
        network.tunnels,
        scen,
        name=f"{network.name}-tm{tm}-rho{load:g}-{config.label}-s{seed}",
        metadata=meta,
    )


def instance_family(
    network: TENetwork,
    *,
    tms: Sequence[int],
    loads: Sequence[float],
    configs: Sequence[ScenarioConfig],
    seed: int = 0,
) -> list[TEInstance]:
    """Every combination of traffic matrix, load and configuration, each with its own failure seed."""
    combos = [(t, rho, c) for t in tms for rho in loads for c in configs]
    seeds = spawn_seeds(seed, len(combos))
    return [
        make_instance(network, tm=t, load=rho, config=c, seed=s % (2**31))
        for (t, rho, c), s in zip(combos, seeds, strict=True)
    ]
