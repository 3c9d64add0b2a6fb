"""Result types of a simulation run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.network import PathKPIs
from kplane.network._kpis import _jsonable

__all__ = ["LinkStats", "SimResult"]


@dataclass(frozen=True, eq=False)
class LinkStats:
    """Per-link (output port) statistics over the measurement window.

    Attributes
    ----------
    utilisation : ndarray of shape (n_links,)
        Fraction of the window the port was transmitting.
    loss_ratio : ndarray of shape (n_links,)
        Packets dropped at the port / packets that arrived at it (NaN if none arrived).
    mean_occupancy : ndarray of shape (n_links,)
        Time-average number of packets at the port, the one in transmission included.
    mean_busy_occupancy : ndarray of shape (n_links,)
        Time-average number of packets at the port while it is busy (``mean_occupancy /
        utilisation``; what the datanet ``linkUsage.txt`` files call the mean queue occupancy).
    max_occupancy : ndarray of shape (n_links,)
        Most packets held at once in the window (at most the port's ``queue_size``).
    arrivals, drops : ndarray of shape (n_links,)
        Packet counts in the window.
    """

    utilisation: NDArray[np.float64]
    loss_ratio: NDArray[np.float64]
    mean_occupancy: NDArray[np.float64]
    mean_busy_occupancy: NDArray[np.float64]
    max_occupancy: NDArray[np.float64]
    arrivals: NDArray[np.float64]
    drops: NDArray[np.float64]

    @property
    def n_links(self) -> int:
        """Number of links."""
        return int(self.utilisation.shape[0])

    def to_dict(self, links: NDArray[np.int64] | None = None) -> dict[str, Any]:
        """``{"links": [{"src", "dst", "utilisation", "loss_ratio", "mean_occupancy", ...}]}``."""
        rows = []
        for i in range(self.n_links):
            row: dict[str, Any] = {"id": i}
            if links is not None:
                row["src"], row["dst"] = int(links[i, 0]), int(links[i, 1])
            for name in ("utilisation", "loss_ratio", "mean_occupancy", "mean_busy_occupancy",
                         "max_occupancy", "arrivals", "drops"):
                row[name] = getattr(self, name)[i]
            rows.append(row)
        return _jsonable({"links": rows})


@dataclass(frozen=True, eq=False)
class SimResult:
    """What one simulation run produced.

    Attributes
    ----------
    kpis : PathKPIs
        Per-path delay statistics (mean, jitter = variance, mean log-delay, percentiles, batch-means
        confidence half-width), delivered and dropped counts and loss ratio of packets generated
        in the measurement window. Paths without delivered packets have NaN delay statistics.
    links : LinkStats
        Per-port statistics over the measurement window.
    duration, warmup : float
        Simulated time (s) and the warm-up excluded from statistics (s).
    seed : int
    wall_time_s : float
        Wall-clock seconds of the event loop (compilation excluded).
    cpu_time_s : float
        CPU seconds of the event loop (differs from the wall time on a loaded machine).
    compile_time_s : float
        Seconds spent compiling or loading the kernel in this call (0 once loaded in the process).
    n_events, n_packets, n_hops : int
        Events processed, packets generated, packet transmissions completed (whole run).
    """

    kpis: PathKPIs
    links: LinkStats
    duration: float
    warmup: float
    seed: int
    wall_time_s: float
    cpu_time_s: float
    compile_time_s: float
    n_events: int
    n_packets: int
    n_hops: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def packets_per_s(self) -> float:
        """Generated packets per wall-clock second."""
        return self.n_packets / self.wall_time_s if self.wall_time_s > 0 else float("nan")

    @property
    def events_per_s(self) -> float:
        """Events per wall-clock second."""
        return self.n_events / self.wall_time_s if self.wall_time_s > 0 else float("nan")

    def to_dict(self, links: NDArray[np.int64] | None = None) -> dict[str, Any]:
        """The ``PathKPIs`` JSON shape plus ``links``, ``run`` (timings, counts) entries."""
        out = self.kpis.to_dict()
        out["links"] = self.links.to_dict(links)["links"]
        out["run"] = _jsonable({
            "duration": self.duration,
            "warmup": self.warmup,
            "seed": self.seed,
            "wall_time_s": self.wall_time_s,
            "cpu_time_s": self.cpu_time_s,
            "compile_time_s": self.compile_time_s,
            "n_events": self.n_events,
            "n_packets": self.n_packets,
            "n_hops": self.n_hops,
            "packets_per_s": self.packets_per_s,
            "events_per_s": self.events_per_s,
        })
        return out

    def __repr__(self) -> str:
        return (
            f"SimResult(n_paths={self.kpis.n_paths}, duration={self.duration:g} s, "
            f"n_packets={self.n_packets}, wall_time_s={self.wall_time_s:.3g})"
        )
