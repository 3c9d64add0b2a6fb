"""Real network topologies bundled through the ``topohub`` package.

topohub (MIT licence) packages SNDlib and Internet Topology Zoo graphs as networkx node-link data:
node names, (longitude, latitude) positions and link lengths in km — but no capacities. kplane maps a
short name to a topohub key and turns each undirected edge into two directed links (edge ``k`` →
links ``2k`` and ``2k + 1``, in topohub's edge order; nodes in topohub's node order).

Capacities: the bundled graphs carry none, so :func:`load_topology` applies a capacity spec (see
:mod:`kplane.network.topologies._capacity`). The default is RouteNet's rule (10/40/100 kbit/s per
undirected edge) drawn with seed 0 when no seed is given, so that a name always denotes the same
network (``kplane topology show nsfnet`` and a scenario built on ``nsfnet`` agree) while a seed gives
other, reproducible draws.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network._topology import DEFAULT_QUEUE_SIZE, Topology
from kplane.network.topologies._capacity import CapacitySpec
from kplane.network.topologies._convert import topology_from_undirected
from kplane.utils._random import SeedLike

__all__ = ["BUNDLED_TOPOLOGIES", "TopologyInfo", "list_topologies", "load_topology"]

FIBRE_SPEED = 2.0e8
"""Signal speed in optical fibre (m/s, about 2/3 of c), used for distance-based propagation delay."""

_SNDLIB = "SNDlib (sndlib.put.poznan.pl; Orlowski et al., Networks 2010)"
_ZOO = "Internet Topology Zoo (topology-zoo.org; Knight et al., IEEE JSAC 2011)"

# name -> (topohub key, description)
BUNDLED_TOPOLOGIES: dict[str, tuple[str, str]] = {
    "nsfnet": ("sndlib/nobel-us", "NSFNET (SNDlib nobel-us); RouteNet's NSF topology"),
    "geant": (
        "sndlib/geant",
        "GEANT (SNDlib); RouteNet's GEANT2 is a different 24-node graph",
    ),
    "germany50": ("sndlib/germany50", "Germany50 (SNDlib); RouteNet's Germany50"),
    "abilene": ("sndlib/abilene", "Abilene / Internet2 backbone (SNDlib)"),
    "tatanld": (
        "topozoo/TataNld",
        "Tata national long-distance network (Topology Zoo TataNld; topohub keeps 143 of 145 nodes)",
    ),
    "polska": ("sndlib/polska", "Polish backbone (SNDlib)"),
    "janos-us": ("sndlib/janos-us", "US backbone (SNDlib janos-us)"),
    "cost266": ("sndlib/cost266", "Pan-European COST 266 reference network (SNDlib)"),
    "nobel-eu": ("sndlib/nobel-eu", "Pan-European NOBEL network (SNDlib)"),
    "nobel-germany": (
        "sndlib/nobel-germany",
        "German NOBEL network (SNDlib); not verified to equal RouteNet's GBN",
    ),
    "atlanta": ("sndlib/atlanta", "Atlanta metro network (SNDlib)"),
    "attmpls": ("topozoo/AttMpls", "AT&T MPLS backbone (Topology Zoo AttMpls)"),
}
"""Bundled topology names → (topohub key, one-line description)."""


@dataclass(frozen=True)
class TopologyInfo:
    """Summary of a bundled topology.

    Attributes
    ----------
    name : str
        kplane name (``"nsfnet"``).
    key : str
        topohub key (``"sndlib/nobel-us"``).
    description : str
    n_nodes : int
    n_edges : int
        Undirected links.
    n_links : int
        Directed links (2 per undirected edge).
    """

    name: str
    key: str
    description: str
    n_nodes: int
    n_edges: int
    n_links: int


def _resolve(name: str) -> tuple[str, str]:
    key = str(name).strip().lower()
    if key not in BUNDLED_TOPOLOGIES:
        raise InvalidParameterError(
            f"unknown topology {name!r}; valid: {', '.join(sorted(BUNDLED_TOPOLOGIES))}"
        )
    return key, BUNDLED_TOPOLOGIES[key][0]


@functools.cache
def _raw(
    key: str,
) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...], tuple[tuple[int, int, float], ...]]:
    """(node names, positions, edges (u, v, length km)) of a topohub graph, nodes re-indexed 0..n-1."""
    import topohub

    data = topohub.get(key)
    ids = {node["id"]: i for i, node in enumerate(data["nodes"])}
    names = [str(node.get("name", node["id"])) for node in data["nodes"]]
    if len(set(names)) != len(names):  # disambiguate repeated names with the topohub id
        names = [
            f"{nm}#{node['id']}" if names.count(nm) > 1 else nm
            for nm, node in zip(names, data["nodes"], strict=True)
        ]
    pos = tuple((float(n["pos"][0]), float(n["pos"][1])) for n in data["nodes"])
    edges = []
    seen: set[tuple[int, int]] = set()
    for e in data["edges"]:
        u, v = ids[e["source"]], ids[e["target"]]
        k = (min(u, v), max(u, v))
        if u == v or k in seen:
            continue
        seen.add(k)
        edges.append((u, v, float(e.get("dist", 0.0))))
    return tuple(names), pos, tuple(edges)


def list_topologies() -> list[TopologyInfo]:
    """All bundled topologies with their sizes, sorted by name."""
    out = []
    for name in sorted(BUNDLED_TOPOLOGIES):
        key, desc = BUNDLED_TOPOLOGIES[name]
        names, _, edges = _raw(key)
        out.append(TopologyInfo(name, key, desc, len(names), len(edges), 2 * len(edges)))
    return out


def load_topology(
    name: str,
    *,
    capacities: CapacitySpec = "routenet",
    queue_size: int | Sequence[int] = DEFAULT_QUEUE_SIZE,
    seed: SeedLike = None,
    propagation_delay: bool = False,
) -> Topology:
    """Load a bundled real topology by name (see :func:`list_topologies`).

    Parameters
    ----------
    name : str
        One of :data:`BUNDLED_TOPOLOGIES` (case-insensitive).
    capacities : capacity spec
        ``"routenet"`` (default: 10/40/100 kbit/s drawn per undirected edge), a rate, a list of rates
        to draw from; see :func:`apply_capacities`.
    queue_size : int or sequence of int
        Packets per output port, or choices drawn per link (see :func:`assign_queue_sizes`).
    seed : int, Generator or None
        Seeds the capacity (then queue-size) draws. ``None`` means seed 0, so that a name always
        gives the same network.
    propagation_delay : bool
        If True, each link's propagation delay is its length (km, from topohub) over
        :data:`FIBRE_SPEED`; otherwise 0 (RouteNet's model).

    Returns
    -------
    Topology
        Node names from topohub, positions (longitude, latitude), metadata with ``source``,
        ``key``, ``licence`` and ``length_km`` (per undirected edge).

    Raises
    ------
    InvalidParameterError
        If the name is unknown (the message lists the valid names) or ``capacities="keep"``.

    Examples
    --------
    >>> t = load_topology("nsfnet")
    >>> t.n_nodes, t.n_links
    (14, 42)
    """
    short, key = _resolve(name)
    if isinstance(capacities, str) and capacities.strip().lower() == "keep":
        raise InvalidParameterError(
            "capacities='keep' is not possible for bundled topologies: topohub stores link lengths, "
            "not capacities; use 'routenet', a rate such as '40kbps', or a list of rates"
        )
    names, pos, edges = _raw(key)
    length = np.array([e[2] for e in edges], dtype=np.float64)
    source = _SNDLIB if key.startswith("sndlib/") else _ZOO
    metadata: dict[str, Any] = {
        "source": f"topohub:{key}",
        "key": key,
        "licence": f"packaged by topohub (MIT licence); original data from {source} — cite the source",
        "length_km": length.tolist(),
        "capacities": capacities if isinstance(capacities, str | int | float) else list(capacities),
        "seed": 0 if seed is None else (int(seed) if isinstance(seed, int | np.integer) else None),
    }
    return topology_from_undirected(
        [(u, v) for u, v, _ in edges],
        node_names=names,
        positions=np.asarray(pos, dtype=np.float64),
        name=short,
        metadata=metadata,
        capacities=capacities,
        queue_size=queue_size,
        propagation_delay=length * 1e3 / FIBRE_SPEED if propagation_delay else None,
        seed=0 if seed is None else seed,
    )
