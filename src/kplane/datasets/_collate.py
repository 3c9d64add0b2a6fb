"""Collation: many (Scenario, PathKPIs) samples → one disconnected graph of tensors (RouteNet §V-B).

Link ids and path ids of sample ``k`` are offset by the number of links and paths of samples
``0..k-1``, so a mini-batch is one graph whose connected parts are the samples. The batch carries
the routing in two layouts — a padded ``(n_paths, max_hops)`` index for the path RNN and a flat
``(path, link, position)`` edge list for the order-free path→link message sum — plus the raw
physical quantities a model derives its input features from, and the per-path targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, Scenario

if TYPE_CHECKING:  # torch is imported when a batch is built, so `import kplane.datasets` stays light
    import torch

__all__ = ["GraphBatch", "collate", "collate_encoded", "encode_sample"]

_F = np.float64


@dataclass(frozen=True, eq=False)
class GraphBatch:
    """A mini-batch of scenarios as one disconnected graph (CPU tensors).

    ``P`` = total paths, ``L`` = total links, ``E`` = total path–link incidences (hops), ``H`` =
    the longest path's hop count, ``S`` = number of samples. Float tensors are float64, in SI units.

    Attributes
    ----------
    n_samples : int
        ``S``.
    path_offsets, link_offsets : Tensor of shape (S + 1,), int64
        Sample ``k`` owns global paths ``path_offsets[k]:path_offsets[k + 1]`` (in its routing order)
        and global links ``link_offsets[k]:link_offsets[k + 1]`` (in its topology's link order).
    path_sample, link_sample : Tensor of shape (P,) / (L,), int64
        Sample index of every path / link.
    n_nodes : Tensor of shape (S,), int64
        Node count of every sample.
    path_links : Tensor of shape (P, H), int64
        Global link ids of each path in traversal order, padded with ``-1``.
    path_mask : Tensor of shape (P, H), bool
        ``True`` where ``path_links`` holds a link.
    path_length : Tensor of shape (P,), int64
        Hops of each path (``path_mask.sum(1)``).
    edge_path, edge_link, edge_pos : Tensor of shape (E,), int64
        One entry per hop: global path id, global link id, 0-based position of the link on the path.
        Grouped by path, positions ascending.
    path_rate : Tensor of shape (P,)
        Offered rate of each path [bit/s] (0 for routed pairs without traffic).
    path_packet_size, path_packet_size_sq : Tensor of shape (P,)
        Mean packet size [bit] and its second moment [bit²] of the path's flow.
    path_prop_delay : Tensor of shape (P,)
        Sum of the propagation delays of the path's links [s].
    link_capacity : Tensor of shape (L,)
        [bit/s].
    link_queue_size : Tensor of shape (L,)
        Buffer of the output port [packets].
    link_load : Tensor of shape (L,)
        Offered load, fluid (no loss) [bit/s].
    link_packet_size, link_packet_size_sq : Tensor of shape (L,)
        Mean [bit] and second moment [bit²] of the size of the packets offered to the link (the
        traffic-weighted mix of its flows; the sample's overall mix when the link carries nothing).
    has_traffic : Tensor of shape (P,), bool
        ``path_rate > 0``.
    labelled : bool
        Whether every sample came with KPIs.
    mean_delay, jitter, mean_log_delay : Tensor of shape (P,)
        Targets [s], [s²], [ln s]; NaN where unknown.
    delivered, dropped : Tensor of shape (P,)
        Packet counts over the measurement window; NaN where unknown.
    loss_ratio : Tensor of shape (P,)
        Dropped / offered packets; NaN where unknown.
    delay_mask, jitter_mask, log_delay_mask, loss_mask : Tensor of shape (P,), bool
        Where the corresponding target is usable: the path has traffic, the value is finite (and for
        delays at least one packet was delivered).
    """

    n_samples: int
    path_offsets: torch.Tensor
    link_offsets: torch.Tensor
    path_sample: torch.Tensor
    link_sample: torch.Tensor
    n_nodes: torch.Tensor
    path_links: torch.Tensor
    path_mask: torch.Tensor
    path_length: torch.Tensor
    edge_path: torch.Tensor
    edge_link: torch.Tensor
    edge_pos: torch.Tensor
    path_rate: torch.Tensor
    path_packet_size: torch.Tensor
    path_packet_size_sq: torch.Tensor
    path_prop_delay: torch.Tensor
    link_capacity: torch.Tensor
    link_queue_size: torch.Tensor
    link_load: torch.Tensor
    link_packet_size: torch.Tensor
    link_packet_size_sq: torch.Tensor
    has_traffic: torch.Tensor
    labelled: bool
    mean_delay: torch.Tensor
    jitter: torch.Tensor
    mean_log_delay: torch.Tensor
    delivered: torch.Tensor
    dropped: torch.Tensor
    loss_ratio: torch.Tensor
    delay_mask: torch.Tensor
    jitter_mask: torch.Tensor
    log_delay_mask: torch.Tensor
    loss_mask: torch.Tensor

    @property
    def n_paths(self) -> int:
        """Total number of paths ``P``."""
        return int(self.path_length.shape[0])

    @property
    def n_links(self) -> int:
        """Total number of links ``L``."""
        return int(self.link_capacity.shape[0])

    @property
    def max_hops(self) -> int:
        """Longest path ``H`` (hops)."""
        return int(self.path_links.shape[1])

    def to(self, device: torch.device | str) -> GraphBatch:
        """A copy with every tensor moved to ``device``."""
        import torch

        kw: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v.to(device) if isinstance(v, torch.Tensor) else v
        return GraphBatch(**kw)


def _sample_arrays(scenario: Scenario) -> dict[str, NDArray]:
    """Per-sample raw quantities, local ids (numpy)."""
    topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
    pairs = routing.pairs
    hops = routing.hops
    s, d = pairs[:, 0], pairs[:, 1]
    rate = traffic.rate[s, d]
    dists = traffic.packet_sizes
    means = np.array([x.mean for x in dists], dtype=_F)
    seconds = np.array([x.second_moment for x in dists], dtype=_F)
    cls = traffic.size_class[s, d]
    size = means[cls]
    size_sq = seconds[cls]
    pkt_rate = rate / size
    m = topo.n_links
    link_ids = routing.link_ids
    load = np.bincount(link_ids, weights=np.repeat(rate, hops), minlength=m)
    link_pkts = np.bincount(link_ids, weights=np.repeat(pkt_rate, hops), minlength=m)
    link_sq = np.bincount(link_ids, weights=np.repeat(pkt_rate * size_sq, hops), minlength=m)
    total_pkts = pkt_rate.sum()
    if total_pkts > 0:
        mix_mean = rate.sum() / total_pkts
        mix_sq = (pkt_rate * size_sq).sum() / total_pkts
    else:
        mix_mean, mix_sq = float(means[0]), float(seconds[0])
    carried = link_pkts > 0
    link_size = np.full(m, mix_mean, dtype=_F)
    link_size_sq = np.full(m, mix_sq, dtype=_F)
    link_size[carried] = load[carried] / link_pkts[carried]
    link_size_sq[carried] = link_sq[carried] / link_pkts[carried]
    return {
        "n_nodes": np.array([topo.n_nodes], dtype=np.int64),
        "hops": hops,
        "link_ids": link_ids,
        "path_rate": rate,
        "path_packet_size": size,
        "path_packet_size_sq": size_sq,
        "path_prop_delay": scenario.path_propagation_delay().astype(_F),
        "link_capacity": topo.capacity.astype(_F),
        "link_queue_size": topo.queue_size.astype(_F),
        "link_load": load,
        "link_packet_size": link_size,
        "link_packet_size_sq": link_size_sq,
    }


def _target_arrays(scenario: Scenario, kpis: PathKPIs, k: int) -> dict[str, NDArray]:
    n = scenario.n_paths
    if kpis.n_paths != n or not np.array_equal(kpis.pairs, scenario.routing.pairs):
        raise InvalidParameterError(
            f"sample {k}: the KPIs' pairs must equal the scenario's routing pairs in routing order "
            f"(got {kpis.n_paths} KPI paths for {n} routing paths)"
        )
    nan = np.full(n, np.nan)

    def opt(a: NDArray | None) -> NDArray:
        return nan.copy() if a is None else np.asarray(a, dtype=_F)

    return {
        "mean_delay": np.asarray(kpis.mean_delay, dtype=_F),
        "jitter": np.asarray(kpis.jitter, dtype=_F),
        "loss_ratio": np.asarray(kpis.loss_ratio, dtype=_F),
        "mean_log_delay": opt(kpis.mean_log_delay),
        "delivered": opt(kpis.delivered),
        "dropped": opt(kpis.dropped),
    }


_TARGETS = ("mean_delay", "jitter", "mean_log_delay", "delivered", "dropped", "loss_ratio")
_PATH_RAW = ("path_rate", "path_packet_size", "path_packet_size_sq", "path_prop_delay")
_LINK_RAW = ("link_capacity", "link_queue_size", "link_load", "link_packet_size", "link_packet_size_sq")


def collate(samples: Sequence[tuple[Scenario, PathKPIs | None]]) -> GraphBatch:
    """Build one disconnected graph from a sequence of ``(scenario, kpis)`` samples.

    Parameters
    ----------
    samples : sequence of (Scenario, PathKPIs or None)
        ``kpis`` must list the scenario's routing pairs in routing order; ``None`` for unlabelled
        samples (targets are then NaN and every target mask is ``False``).

    Returns
    -------
    GraphBatch

    Raises
    ------
    InvalidParameterError
        If ``samples`` is empty, an item is not a ``(Scenario, PathKPIs | None)`` pair, or the KPIs
        do not match the scenario's paths.

    Examples
    --------
    >>> from kplane.network import Routing, Scenario, Topology, Traffic
    >>> topo = Topology.from_edges(["a", "b", "c"], [(0, 1), (1, 2)], capacity=10e3)
    >>> routing = Routing.from_link_paths({(0, 1): [0], (0, 2): [0, 1], (1, 2): [1]})
    >>> sc = Scenario(topo, routing, Traffic(rate=[[0, 1e3, 2e3], [0, 0, 1e3], [0, 0, 0]]))
    >>> b = collate([(sc, None), (sc, None)])
    >>> b.n_paths, b.n_links, b.path_links[4].tolist()
    (6, 4, [2, 3])
    """
    if len(samples) == 0:
        raise InvalidParameterError("collate needs at least one sample, got an empty sequence")
    encoded = []
    for k, item in enumerate(samples):
        if not (isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], Scenario)):
            raise InvalidParameterError(
                f"sample {k} must be a (Scenario, PathKPIs | None) pair, got {type(item).__name__}"
            )
        encoded.append(encode_sample(item[0], item[1], k))
    return collate_encoded(encoded)


def encode_sample(scenario: Scenario, kpis: PathKPIs | None = None, k: int = 0) -> dict[str, NDArray]:
    """One sample as the flat numpy arrays :func:`collate_encoded` batches (local ids, SI units).

    Encoding is the per-sample part of :func:`collate`; keeping encoded samples in memory lets a
    training loop skip decoding and validating scenarios after the first epoch. ``k`` names the
    sample in error messages.
    """
    if kpis is not None and not isinstance(kpis, PathKPIs):
        raise InvalidParameterError(f"sample {k}: kpis must be PathKPIs or None, got {type(kpis).__name__}")
    out = _sample_arrays(scenario)
    if kpis is not None:
        out.update(_target_arrays(scenario, kpis, k))
    return out


def collate_encoded(encoded: Sequence[dict[str, NDArray]]) -> GraphBatch:
    """Batch samples prepared by :func:`encode_sample` into one disconnected graph."""
    import torch

    if len(encoded) == 0:
        raise InvalidParameterError("collate needs at least one sample, got an empty sequence")
    per = list(encoded)
    tgt = [a if "mean_delay" in a else None for a in per]
    n_paths = np.array([len(a["hops"]) for a in per], dtype=np.int64)
    n_links = np.array([len(a["link_capacity"]) for a in per], dtype=np.int64)
    path_off = np.concatenate([[0], np.cumsum(n_paths)]).astype(np.int64)
    link_off = np.concatenate([[0], np.cumsum(n_links)]).astype(np.int64)
    n_s = len(per)
    hops = np.concatenate([a["hops"] for a in per])
    total_paths = int(path_off[-1])
    edge_link = np.concatenate(
        [a["link_ids"] + link_off[k] for k, a in enumerate(per)]
    ).astype(np.int64)
    edge_path = np.repeat(np.arange(total_paths, dtype=np.int64), hops)
    starts = np.concatenate([[0], np.cumsum(hops)[:-1]]).astype(np.int64)
    edge_pos = np.arange(edge_link.shape[0], dtype=np.int64) - np.repeat(starts, hops)
    max_hops = int(hops.max())
    path_links = np.full((total_paths, max_hops), -1, dtype=np.int64)
    path_links[edge_path, edge_pos] = edge_link

    def cat(key: str) -> torch.Tensor:
        return torch.from_numpy(np.concatenate([a[key] for a in per]).astype(_F))

    out: dict[str, Any] = {
        "n_samples": n_s,
        "path_offsets": torch.from_numpy(path_off),
        "link_offsets": torch.from_numpy(link_off),
        "path_sample": torch.from_numpy(np.repeat(np.arange(n_s, dtype=np.int64), n_paths)),
        "link_sample": torch.from_numpy(np.repeat(np.arange(n_s, dtype=np.int64), n_links)),
        "n_nodes": torch.from_numpy(np.concatenate([a["n_nodes"] for a in per])),
        "path_links": torch.from_numpy(path_links),
        "path_mask": torch.from_numpy(path_links >= 0),
        "path_length": torch.from_numpy(hops.astype(np.int64)),
        "edge_path": torch.from_numpy(edge_path),
        "edge_link": torch.from_numpy(edge_link),
        "edge_pos": torch.from_numpy(edge_pos),
    }
    for key in (*_PATH_RAW, *_LINK_RAW):
        out[key] = cat(key)
    rate = out["path_rate"]
    has_traffic = rate > 0
    out["has_traffic"] = has_traffic
    labelled = all(t is not None for t in tgt)
    out["labelled"] = labelled
    for key in _TARGETS:
        out[key] = torch.from_numpy(
            np.concatenate([np.full(n_paths[k], np.nan) if t is None else t[key] for k, t in enumerate(tgt)])
        )
    delivered = out["delivered"]
    dropped = out["dropped"]
    md, jit, mld, lr = out["mean_delay"], out["jitter"], out["mean_log_delay"], out["loss_ratio"]
    got_packets = ~(delivered == 0)  # NaN (unknown count) counts as "packets may have arrived"
    delay_ok = has_traffic & torch.isfinite(md) & got_packets
    out["delay_mask"] = delay_ok
    out["jitter_mask"] = delay_ok & torch.isfinite(jit)
    out["log_delay_mask"] = delay_ok & torch.isfinite(mld)
    counts_ok = torch.isfinite(delivered) & torch.isfinite(dropped) & ((delivered + dropped) > 0)
    out["loss_mask"] = has_traffic & (counts_ok | torch.isfinite(lr))
    return GraphBatch(**out)
