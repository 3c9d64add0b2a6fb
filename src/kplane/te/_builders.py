"""Build TE instances from bundled topologies and from the WAN data files of the literature.

:func:`build_instance` takes a bundled topology name (topohub, see
:func:`kplane.network.topologies.list_topologies`), a path to a data file/folder (ARROW, TeaVaR,
Flexile, FIGRET, SNDlib, GraphML), a :class:`~kplane.network.Topology` or a
:class:`~kplane.network.io.WanNetwork`, and adds demands, tunnels and failure scenarios:

- **demands**: the file's traffic matrix ``tm_index`` if it has one, else a gravity matrix
  (:func:`kplane.te.gravity_demands`, mean shortest-path utilisation ``target_load``); times
  ``demand_scale``;
- **capacities** of bundled topologies (topohub stores none): ``capacity`` bit/s on every link
  (default 100 Gbit/s);
- **tunnels**: ``k`` shortest simple paths per ordered pair, or a tunnel file (truncated to ``k``);
- **scenarios**: a failure model (``failure_model``): ``"link"`` (bidirectional links, Weibull),
  ``"fibre"`` (fibres of an ARROW fibre layer, Weibull), ``"link-file"`` / ``"fibre-file"``
  (probabilities from the file), ``"k-failure"`` (FFC's sets), ``"scenario-file"`` (Flexile
  ``*_scenario.tab``, ARROW decoded scenario text, or kplane scenario JSON), ``"none"`` (healthy only);
  ``"auto"`` is ``"fibre"`` when the data has a fibre layer, else ``"link"``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kplane.errors import FormatError, InvalidParameterError
from kplane.network._topology import Topology
from kplane.network.io import (
    WanNetwork,
    read_arrow_ip_topology,
    read_figret_topology,
    read_flexile_topology,
    read_graphml,
    read_sndlib,
    read_teavar_topology,
)
from kplane.te._demands import gravity_demands
from kplane.te._formats import (
    read_arrow_scenarios,
    read_arrow_tunnels,
    read_figret_tunnels,
    read_flexile_scenarios,
    read_flexile_tunnels,
    read_yates_paths,
)
from kplane.te._instance import TEInstance
from kplane.te._scenarios import ScenarioSet
from kplane.te._tunnels import DEFAULT_TUNNELS_PER_FLOW, k_shortest_tunnels
from kplane.te._tunnelset import TunnelSet
from kplane.te.failures import FailureModel, cutoff_scenarios, k_failure_scenarios

__all__ = [
    "DEFAULT_WEIBULL_SCALE",
    "FAILURE_MODELS",
    "FILE_FORMATS",
    "TUNNEL_FORMATS",
    "build_instance",
    "detect_format",
    "read_wan",
    "read_tunnels",
]

FILE_FORMATS = ("auto", "arrow", "teavar", "flexile", "figret", "sndlib", "graphml")
TUNNEL_FORMATS = ("auto", "yates", "flexile", "figret", "arrow")
FAILURE_MODELS = ("auto", "none", "link", "fibre", "link-file", "fibre-file", "k-failure", "scenario-file")
DEFAULT_WEIBULL_SCALE = {"link": 1e-3, "fibre": 0.02}
"""Weibull scale per element kind: TeaVaR's per-link 1e-3, ARROW/PreTE's per-fibre 0.02."""

_READERS: dict[str, Callable[..., WanNetwork]] = {
    "arrow": read_arrow_ip_topology,
    "teavar": read_teavar_topology,
    "flexile": read_flexile_topology,
    "figret": read_figret_topology,
    "sndlib": read_sndlib,
    "graphml": read_graphml,
}


def detect_format(path: str | Path) -> str:
    """Guess the data format of a file or folder (one of :data:`FILE_FORMATS` but ``auto``)."""
    p = Path(path)
    if p.is_dir():
        if any(p.glob("IP_topo_*")):
            return "arrow"
        if (p / "topology.txt").is_file():
            return "teavar"
        if any(p.glob("*_capa.tab")):
            return "flexile"
        if any(p.glob("*.json")):
            return "figret"
    elif p.is_file():
        if p.suffix == ".graphml":
            return "graphml"
        if p.name.endswith("_capa.tab"):
            return "flexile"
        if p.suffix == ".json":
            return "figret"
        if p.name.startswith("IP_topo_"):
            return "arrow"
        if p.name == "topology.txt":
            return "teavar"
        head = p.read_text(encoding="utf-8", errors="replace")[:4000]
        if "NODES (" in head or "?SNDlib" in head:
            return "sndlib"
    else:
        raise FormatError("no such file or folder", file=p)
    raise FormatError(f"cannot tell the format; pass one of {FILE_FORMATS[1:]}", file=p)


def read_wan(path: str | Path, *, format: str = "auto", **kwargs: Any) -> WanNetwork:
    """Read a WAN data file or folder with the reader of ``format`` (``"auto"``: :func:`detect_format`)."""
    if format not in FILE_FORMATS:
        raise InvalidParameterError(f"unknown format {format!r}; valid: {', '.join(FILE_FORMATS)}")
    fmt = detect_format(path) if format == "auto" else format
    return _READERS[fmt](path, **kwargs)


def read_tunnels(
    path: str | Path, topology: Topology, *, format: str = "auto", max_per_flow: int | None = None
) -> TunnelSet:
    """Read a tunnel file (YATES/TeaVaR paths, Flexile, FIGRET, ARROW) on ``topology``."""
    if format not in TUNNEL_FORMATS:
        raise InvalidParameterError(f"unknown tunnel format {format!r}; valid: {', '.join(TUNNEL_FORMATS)}")
    p = Path(path)
    if format == "auto":
        name = p.name
        format = (
            "flexile"
            if name.endswith(".tab")
            else "arrow"
            if "tunnels_" in str(p) or name == "tunnels_edges.txt"
            else "figret"
            if name == "tunnels.txt"
            else "yates"
        )
    reader = {
        "yates": read_yates_paths,
        "flexile": read_flexile_tunnels,
        "figret": read_figret_tunnels,
        "arrow": read_arrow_tunnels,
    }[format]
    return reader(p, topology, max_per_flow=max_per_flow)


def _bundled(name: str, capacity: float) -> WanNetwork:
    from kplane.network.topologies import load_topology

    topo = load_topology(name, capacities=float(capacity))
    return WanNetwork(topo, source="topohub", metadata={"capacity_bps": float(capacity)})


def _failure_model(
    kind: str, wan: WanNetwork, *, shape: float, scale: float | None, seed: int | None
) -> FailureModel:
    topo = wan.topology
    if kind in ("fibre", "fibre-file"):
        if wan.fibres is None:
            raise InvalidParameterError(
                f"failure model {kind!r} needs a fibre layer (ARROW optical_topo.txt); {topo.name!r} has none"
            )
        base = FailureModel.per_fibre(topo.n_links, wan.link_fibre_groups(), wan.fibres.fibre_prob)
        if kind == "fibre-file":
            return base.with_prob(base.prob, prob_source="file")
        return base.with_weibull(
            shape=shape, scale=DEFAULT_WEIBULL_SCALE["fibre"] if scale is None else scale, seed=seed
        )
    if kind == "link-file":
        if wan.link_failure_prob is None:
            raise InvalidParameterError(f"{topo.name!r} carries no per-link failure probabilities")
        fm = FailureModel.per_link(topo, wan.link_failure_prob)
        return fm.with_prob(fm.prob, prob_source="file")
    base = FailureModel.per_link(topo, 0.0)
    return base.with_weibull(
        shape=shape, scale=DEFAULT_WEIBULL_SCALE["link"] if scale is None else scale, seed=seed
    )


_OPTION_NAMES = (
    "format",
    "tunnels",
    "tunnel_file",
    "tunnel_format",
    "demand",
    "tm_index",
    "demand_scale",
    "target_load",
    "capacity",
    "failure_model",
    "weibull_shape",
    "weibull_scale",
    "cutoff",
    "k_failures",
    "drop_disconnecting",
    "uncovered",
    "bidirectional_tunnels",
    "scenario_file",
    "seed",
    "name",
    "progress",
    "reader_options",
)


def build_instance(
    source: str | Path | Topology | WanNetwork,
    *,
    format: str = "auto",
    tunnels: int = DEFAULT_TUNNELS_PER_FLOW,
    tunnel_file: str | Path | None = None,
    tunnel_format: str = "auto",
    demand: ArrayLike | None = None,
    tm_index: int = 0,
    demand_scale: float = 1.0,
    target_load: float = 0.5,
    capacity: float = 100e9,
    failure_model: str = "auto",
    weibull_shape: float = 0.8,
    weibull_scale: float | None = None,
    cutoff: float = 1e-4,
    k_failures: int = 1,
    drop_disconnecting: bool = True,
    uncovered: str = "renormalised",
    bidirectional_tunnels: bool = False,
    scenario_file: str | Path | None = None,
    seed: int = 0,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
    reader_options: dict[str, Any] | None = None,
) -> TEInstance:
    """Build a :class:`TEInstance` (see the module docstring for every step).

    Parameters
    ----------
    source : str, Path, Topology or WanNetwork
        A bundled topology name (``"abilene"``), a data path, or the network itself.
    format : str
        Data format of a path (:data:`FILE_FORMATS`).
    tunnels : int
        ``k`` shortest paths per pair (default 3), or the cap on tunnels read from ``tunnel_file``.
    tunnel_file, tunnel_format :
        Read tunnels from a file instead (:func:`read_tunnels`).
    demand : array-like of shape (n_nodes, n_nodes), optional
        Demand matrix [bit/s]; overrides the data's matrices and the gravity model.
    tm_index : int
        Which traffic matrix of the data to use (0-based).
    demand_scale : float
        Multiplies every demand (>= 0).
    target_load : float
        Gravity model load (when the data has no traffic matrix).
    capacity : float
        Link capacity [bit/s] of bundled topologies.
    failure_model : str
        One of :data:`FAILURE_MODELS`.
    weibull_shape, weibull_scale :
        Weibull parameters (scale default: :data:`DEFAULT_WEIBULL_SCALE`).
    cutoff : float
        Scenario probability cutoff.
    k_failures : int
        ``k`` of ``failure_model="k-failure"``.
    drop_disconnecting : bool
        Drop failure sets that disconnect the network (cutoff enumeration).
    uncovered : {"renormalised", "all_failed"}
        What to do with the probability mass below the cutoff.
    bidirectional_tunnels : bool
        A tunnel also dies when the reverse of one of its links fails.
    scenario_file : str or Path, optional
        For ``failure_model="scenario-file"``.
    seed : int
        Seeds the Weibull draws.
    name : str, optional
    progress : callable, optional
        Progress callback of the tunnel computation (pairs done).
    reader_options : dict, optional
        Extra keyword arguments of the data reader (units, ``ip_topo``, ...).

    Returns
    -------
    TEInstance
    """
    if not (np.isfinite(demand_scale) and demand_scale >= 0):
        raise InvalidParameterError(f"demand_scale must be finite and >= 0, got {demand_scale!r}")
    if failure_model not in FAILURE_MODELS:
        raise InvalidParameterError(
            f"unknown failure model {failure_model!r}; valid: {', '.join(FAILURE_MODELS)}"
        )
    if isinstance(source, WanNetwork):
        wan = source
    elif isinstance(source, Topology):
        wan = WanNetwork(source, source="topology")
    elif isinstance(source, Path):
        wan = read_wan(source, format=format, **(reader_options or {}))
    else:
        from kplane.network.topologies import BUNDLED_TOPOLOGIES

        if str(source).lower() not in BUNDLED_TOPOLOGIES and Path(source).exists():
            return build_instance(Path(source), **{k: v for k, v in locals().items() if k in _OPTION_NAMES})
        if str(source).lower() not in BUNDLED_TOPOLOGIES:
            raise InvalidParameterError(
                f"unknown topology {source!r}; valid: {', '.join(sorted(BUNDLED_TOPOLOGIES))} "
                "(or a data path; "
                "B4 and IBM are read from ARROW files, e.g. ../shared/data/te/arrow/data/topology/B4)"
            )
        wan = _bundled(str(source), capacity)
    topo = wan.topology
    meta: dict[str, Any] = {
        "source": wan.source,
        "topology": topo.name,
        **{
            k: v
            for k, v in dict(wan.metadata).items()
            if k in ("files", "unit_bps", "demand_unit_bps", "wavelength_capacity_bps", "capacity_bps")
        },
    }
    # demands
    if demand is not None:
        dm = np.asarray(demand, dtype=np.float64)
        meta["demand_source"] = "given"
    elif wan.demands is not None:
        if not 0 <= tm_index < wan.n_matrices:
            raise InvalidParameterError(
                f"tm_index {tm_index} is out of range: the data has {wan.n_matrices} traffic matrices "
                f"(0..{wan.n_matrices - 1})"
            )
        dm = wan.demands[tm_index]
        meta["demand_source"] = f"file:tm{tm_index}"
    else:
        dm = gravity_demands(topo, target_load=target_load)
        meta["demand_source"] = f"gravity(target_load={target_load})"
    dm = dm * float(demand_scale)
    meta["demand_scale"] = float(demand_scale)
    # tunnels
    if tunnel_file is not None:
        ts = read_tunnels(tunnel_file, topo, format=tunnel_format, max_per_flow=tunnels)
        meta["tunnels"] = f"file:{tunnel_file}"
    else:
        ts = k_shortest_tunnels(topo, tunnels, progress=progress)
        meta["tunnels"] = f"ksp(k={tunnels})"
    inst = TEInstance.from_demand_matrix(topo, dm, ts, name=name or topo.name, metadata=meta)
    # scenarios
    kind = failure_model
    if kind == "auto":
        kind = "fibre" if wan.fibres is not None else "link"
    scen: ScenarioSet
    if kind == "none":
        scen = ScenarioSet.healthy(ts.n_tunnels)
    elif kind == "scenario-file":
        if scenario_file is None:
            raise InvalidParameterError("failure_model='scenario-file' needs scenario_file")
        scen = read_scenario_file(scenario_file, inst, uncovered=uncovered)
    else:
        fm = _failure_model(
            "link" if kind == "k-failure" else kind, wan, shape=weibull_shape, scale=weibull_scale, seed=seed
        )
        if kind == "k-failure":
            scen = k_failure_scenarios(
                fm,
                topo,
                ts,
                k_failures,
                drop_disconnecting=drop_disconnecting,
                bidirectional_tunnels=bidirectional_tunnels,
            )
        else:
            scen = cutoff_scenarios(
                fm,
                topo,
                ts,
                cutoff=cutoff,
                drop_disconnecting=drop_disconnecting,
                uncovered=uncovered,
                bidirectional_tunnels=bidirectional_tunnels,
            )
    meta["failure_model"] = kind
    return inst.replace(scenarios=scen, metadata={**meta, "scenarios": dict(scen.metadata)})


def read_scenario_file(
    path: str | Path, instance: TEInstance, *, uncovered: str = "renormalised"
) -> ScenarioSet:
    """Read scenarios for ``instance``: Flexile ``.tab``, ARROW decoded ``.txt`` or kplane scenario JSON."""
    p = Path(path)
    if p.suffix == ".tab":
        return read_flexile_scenarios(p, instance.topology, instance.tunnels, uncovered=uncovered)
    if p.suffix == ".json":
        from kplane.te._io import load_scenarios

        return load_scenarios(p, instance)
    return read_arrow_scenarios(p, instance.topology, instance.tunnels)
