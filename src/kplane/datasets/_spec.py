"""Dataset specs: a small, validated description from which a whole dataset is reproduced.

A spec is a TOML (or YAML) file; every field has a default except ``topologies``. Shipped specs live in
``kplane/datasets/specs/*.toml`` and are addressed by name (:func:`load_spec`). Layout and units
(``docs/datasets.md`` has the full reference)::

    name = "my-dataset"
    seed = 1                       # everything random derives from it
    samples_per_topology = 100     # samples per topology instance
    shard_size = 16                # samples per Parquet shard (resume granularity)

    [simulation]
    duration = 16000.0             # simulated seconds, warm-up included
    warmup = 1000.0                # seconds discarded before measuring

    [traffic]
    model = "routenet"             # RouteNet eq. 8, or "gravity"
    intensity = [8, 16]            # TI range in kbit/s (or intensity_levels, or max_pair_rate)
    packet_sizes = [300, 1700]     # bits
    packet_probs = [0.5, 0.5]

    [routing]
    method = "perturbed"           # shortest path + perturbed-weight variants, or "k-shortest"
    variants = 10

    [capacities]
    rule = "random"                # "random" (draw from choices), "load" or "keep"
    choices = ["10kbps", "40kbps", "100kbps"]
    queue_size = 32                # packets, or a list to draw from per port

    [[topologies]]
    name = "nsfnet"                # bundled; or generator = "waxman" + n_nodes; or file = "..."
    split = "train"

Every problem is reported before any job starts as a :class:`~kplane.errors.FormatError` naming the
spec file and the field (``traffic.intensity``, ``topologies[2].name``); an unknown field lists the
valid ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CAPACITY_RULES",
    "GENERATORS",
    "ROUTING_METHODS",
    "SPLITS",
    "TRAFFIC_MODELS",
    "CapacityRule",
    "DatasetSpec",
    "RoutingSpec",
    "SimulationSpec",
    "TopologySource",
    "TrafficSpec",
]

SPLITS = ("train", "validation", "test")
"""Split labels a topology entry may carry."""

GENERATORS: dict[str, tuple[str, ...]] = {
    "waxman": ("alpha", "beta", "max_tries"),
    "random_geometric": ("radius", "max_tries"),
    "barabasi_albert": ("m", "max_tries"),
}
"""Synthetic topology generators of :mod:`kplane.network.topologies` and the parameters they take."""

TRAFFIC_MODELS = ("routenet", "gravity")
ROUTING_METHODS = ("perturbed", "k-shortest")
CAPACITY_RULES = ("random", "load", "keep")

_TOP_FIELDS = (
    "name",
    "description",
    "seed",
    "samples_per_topology",
    "shard_size",
    "simulation",
    "traffic",
    "routing",
    "capacities",
    "topologies",
)
_SIM_FIELDS = ("duration", "warmup")
_TRAFFIC_FIELDS = (
    "model",
    "intensity",
    "intensity_levels",
    "max_pair_rate",
    "total_rate",
    "low",
    "high",
    "packet_sizes",
    "packet_probs",
    "weights",
)
_ROUTING_FIELDS = ("method", "variants", "perturb_links", "perturb_delta", "k")
_CAPACITY_FIELDS = ("rule", "choices", "probabilities", "target_utilisation", "queue_size")
_TOPOLOGY_FIELDS = (
    "name",
    "generator",
    "file",
    "n_nodes",
    "count",
    "params",
    "split",
    "samples",
    "label",
    "capacities",
)


# ---------------------------------------------------------------------------------------------- parts
@dataclass(frozen=True)
class SimulationSpec:
    """Simulated time per sample.

    Attributes
    ----------
    duration : float
        Simulated seconds (RouteNet "time units"), warm-up included; > ``warmup``.
    warmup : float
        Seconds simulated before statistics are collected, >= 0.
    """

    duration: float = 16000.0
    warmup: float = 1000.0


@dataclass(frozen=True)
class TrafficSpec:
    """How each sample's traffic matrix is drawn.

    Attributes
    ----------
    model : {"routenet", "gravity"}
        ``routenet``: RouteNet eq. 8, rate(s, d) = U(low, high)·TI/(N−1) kbit/s
        (:func:`kplane.network.generators.routenet_traffic`); ``gravity``: gravity model with a total
        rate drawn from ``total_rate`` (:func:`~kplane.network.generators.gravity_traffic`).
    intensity : (float, float) or None
        TI range in kbit/s, drawn uniformly per sample (routenet).
    intensity_levels : tuple of float or None
        Discrete TI values in kbit/s, cycled over a topology's samples (routenet).
    max_pair_rate : (float, float) or None
        Range of TI/(N−1) in bit/s, i.e. the largest mean rate of a pair, independent of the network
        size (the public GNNet challenge datasets' ``maxAvgLambda``); converted per sample to
        TI = max_pair_rate·(N−1)/1000.
    total_rate : (float, float) or None
        Range of the total offered rate in bit/s (gravity).
    low, high : float
        Bounds of the uniform factor of eq. 8.
    packet_sizes, packet_probs : tuple of float
        Packet-size distribution: sizes in bits and their probabilities.
    weights : str
        Gravity node weights (``capacity``, ``degree`` or ``exponential``).
    """

    model: str = "routenet"
    intensity: tuple[float, float] | None = (8.0, 16.0)
    intensity_levels: tuple[float, ...] | None = None
    max_pair_rate: tuple[float, float] | None = None
    total_rate: tuple[float, float] | None = None
    low: float = 0.1
    high: float = 1.0
    packet_sizes: tuple[float, ...] = (300.0, 1700.0)
    packet_probs: tuple[float, ...] = (0.5, 0.5)
    weights: str = "capacity"


@dataclass(frozen=True)
class RoutingSpec:
    """Routing variants per topology instance.

    Attributes
    ----------
    method : {"perturbed", "k-shortest"}
        ``perturbed``: variant 0 is shortest-path routing (unit weights), variants 1.. add
        ``perturb_delta`` to the weight of ``perturb_links`` randomly chosen links (RouteNet §VI-A).
        ``k-shortest``: variant 0 is shortest-path routing, variants 1.. pick for every pair one of its
        ``k`` shortest simple paths at random.
    variants : int
        Number of routings per topology instance, >= 1; a topology's samples cycle through them.
    perturb_links : int
        Links whose weight is perturbed per variant (drawn with repetition).
    perturb_delta : float
        Added weight, > 0.
    k : int
        Candidate paths per pair for ``k-shortest``, >= 1.
    """

    method: str = "perturbed"
    variants: int = 1
    perturb_links: int = 21
    perturb_delta: float = 0.05
    k: int = 4


@dataclass(frozen=True)
class CapacityRule:
    """Link capacities and queue sizes of every topology instance.

    Attributes
    ----------
    rule : {"random", "load", "keep"}
        ``random``: one draw per undirected edge from ``choices`` (with ``probabilities``), RouteNet's
        rule. ``load``: per undirected edge, the smallest choice whose capacity carries the edge's
        expected shortest-path load at the top of the traffic range at ``target_utilisation`` (the
        largest choice when none does). ``keep``: the capacities the topology file carries.
    choices : tuple of float
        Capacities in bit/s.
    probabilities : tuple of float or None
        Probability of each choice (``random``); default uniform.
    target_utilisation : float
        Utilisation the ``load`` rule sizes for, in (0, 1].
    queue_size : tuple of int
        Packets per output port: one value, or several drawn uniformly per port.
    """

    rule: str = "random"
    choices: tuple[float, ...] = (10e3, 40e3, 100e3)
    probabilities: tuple[float, ...] | None = None
    target_utilisation: float = 0.9
    queue_size: tuple[int, ...] = (32,)


@dataclass(frozen=True)
class TopologySource:
    """One ``[[topologies]]`` entry: a bundled topology, a generator recipe or a file.

    Attributes
    ----------
    name : str or None
        A bundled topology (:func:`kplane.network.topologies.list_topologies`).
    generator : str or None
        One of :data:`GENERATORS`.
    file : str or None
        A topology file (kplane scenario JSON, datanet/GML graph, GraphML); relative to the spec.
    n_nodes : (int, int) or None
        Node-count range for a generator (inclusive; drawn per instance).
    count : int
        Distinct topology instances drawn from a generator (1 for bundled names and files).
    params : tuple of (str, value)
        Generator parameters (e.g. ``alpha``, ``beta``; ``m``; ``radius``).
    split : {"train", "validation", "test"}
        Split label stored with every sample of this entry.
    samples : int or None
        Samples per instance; default the spec's ``samples_per_topology``.
    label : str or None
        Topology name stored in the dataset; default the bundled name, the file stem, or for
        generators ``<generator>-<n>-<entry>.<instance>`` (a label replaces the generator's name).
        Names must be unique across entries.
    capacities : CapacityRule or None
        Overrides the spec's ``[capacities]`` for this entry.
    """

    name: str | None = None
    generator: str | None = None
    file: str | None = None
    n_nodes: tuple[int, int] | None = None
    count: int = 1
    params: tuple[tuple[str, Any], ...] = ()
    split: str = "train"
    samples: int | None = None
    label: str | None = None
    capacities: CapacityRule | None = None

    @property
    def kind(self) -> str:
        """``"bundled"``, ``"generator"`` or ``"file"``."""
        return "bundled" if self.name else ("generator" if self.generator else "file")

    def describe(self) -> str:
        """Short human-readable form (``nsfnet``, ``waxman n=10..20 ×4``, ``file topo.json``)."""
        if self.name:
            return self.name
        if self.generator:
            assert self.n_nodes is not None
            lo, hi = self.n_nodes
            return f"{self.generator} n={lo}{'' if lo == hi else f'..{hi}'} ×{self.count}"
        return f"file {Path(str(self.file)).name}"


@dataclass(frozen=True)
class DatasetSpec:
    """A whole dataset, reproducibly: topologies, capacities, traffic, routings, simulation, seed.

    Build it with :func:`load_spec` (a file or a shipped spec's name) or :meth:`from_dict`; a
    constructed spec is valid. Hashable and picklable (jobs carry it to the workers).

    Attributes
    ----------
    name, description : str
    seed : int
        Root of every random draw (topology instances, capacities, routings, traffic, simulation).
    samples_per_topology : int
        Samples per topology instance (an entry may override it).
    shard_size : int
        Samples per Parquet shard.
    topologies : tuple of TopologySource
    simulation : SimulationSpec
    traffic : TrafficSpec
    routing : RoutingSpec
    capacities : CapacityRule
    """

    name: str
    topologies: tuple[TopologySource, ...]
    description: str = ""
    seed: int = 0
    samples_per_topology: int = 100
    shard_size: int = 16
    simulation: SimulationSpec = field(default_factory=SimulationSpec)
    traffic: TrafficSpec = field(default_factory=TrafficSpec)
    routing: RoutingSpec = field(default_factory=RoutingSpec)
    capacities: CapacityRule = field(default_factory=CapacityRule)

    # ------------------------------------------------------------------------------ parse
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, file: str | Path | None = None, name: str | None = None
    ) -> DatasetSpec:
        """Validate a parsed spec (TOML/YAML/JSON tables) and fill in the defaults.

        Parameters
        ----------
        data : mapping
            The spec's tables.
        file : str or Path, optional
            The file it came from: named in errors; relative topology files are resolved beside it.
        name : str, optional
            Name used when ``data`` has none (default: the file's stem).

        Raises
        ------
        FormatError
            Naming the field at fault (unknown field, wrong type, out-of-range value, unknown
            topology or generator, missing file, duration <= warm-up, ...).
        """
        from kplane.datasets._spec_parse import parse_spec

        return parse_spec(data, file=file, name=name)

    # ------------------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form; ``DatasetSpec.from_dict(spec.to_dict())`` gives it back."""

        def clean(obj: Any) -> Any:
            if isinstance(obj, tuple):
                return [clean(x) for x in obj]
            return obj

        def part(obj: Any, names: Sequence[str]) -> dict[str, Any]:
            return {k: clean(getattr(obj, k)) for k in names if getattr(obj, k) is not None}

        topos = []
        for t in self.topologies:
            d: dict[str, Any] = {}
            for k in _TOPOLOGY_FIELDS:
                v = getattr(t, k)
                if v is None or (k == "params" and not v) or (k == "count" and t.kind != "generator"):
                    continue
                if k == "params":
                    v = {a: b for a, b in v}
                elif k == "capacities":
                    v = part(v, _CAPACITY_FIELDS)
                d[k] = clean(v)
            topos.append(d)
        return {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "samples_per_topology": self.samples_per_topology,
            "shard_size": self.shard_size,
            "simulation": part(self.simulation, _SIM_FIELDS),
            "traffic": part(self.traffic, _TRAFFIC_FIELDS),
            "routing": part(self.routing, _ROUTING_FIELDS),
            "capacities": part(self.capacities, _CAPACITY_FIELDS),
            "topologies": topos,
        }

    def fingerprint(self) -> str:
        """sha256 of everything that determines the samples (not ``name``/``description``/``shard_size``).

        Two specs with the same fingerprint produce the same samples; resuming into a directory
        requires the same fingerprint. Topology files count by their content (sha256), not their
        path, so a spec and its files can move.
        """
        d = self.to_dict()
        for k in ("name", "description", "shard_size"):
            d.pop(k)
        for entry in d["topologies"]:
            if "file" in entry:
                path = Path(entry.pop("file"))
                content = path.read_bytes() if path.is_file() else b""
                entry["file_sha256"] = hashlib.sha256(content).hexdigest()
                entry.setdefault("label", path.stem)
        text = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def samples_of(self, entry: TopologySource) -> int:
        """Samples per instance of ``entry``."""
        return entry.samples if entry.samples is not None else self.samples_per_topology

    @property
    def n_samples(self) -> int:
        """Total samples the spec describes."""
        return sum(t.count * self.samples_of(t) for t in self.topologies)
