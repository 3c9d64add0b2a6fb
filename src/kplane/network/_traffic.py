"""`Traffic`: a traffic matrix (mean rates in bit/s), an arrival process and packet sizes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import FrozenState, frozen_array, require_nonnegative

__all__ = ["ARRIVAL_PROCESSES", "PacketSizeDistribution", "Traffic"]

ARRIVAL_PROCESSES = ("poisson",)
"""Arrival processes kplane simulates (inter-arrival times exponential at the flow's mean rate)."""


@dataclass(frozen=True, eq=False)
class PacketSizeDistribution(FrozenState):
    """A discrete packet-size distribution.

    Parameters
    ----------
    sizes : array-like of shape (k,)
        Packet sizes in bits, > 0.
    probs : array-like of shape (k,)
        Probabilities, >= 0, summing to 1 (within 1e-6; renormalised exactly).

    Examples
    --------
    >>> d = PacketSizeDistribution.binomial(300, 1700)
    >>> float(d.mean)
    1000.0
    """

    sizes: NDArray[np.float64]
    probs: NDArray[np.float64]

    def __post_init__(self) -> None:
        sizes = frozen_array(self.sizes, np.float64, "packet sizes", ndim=1)
        probs = np.array(self.probs, dtype=np.float64).reshape(-1)
        if sizes.shape[0] == 0 or sizes.shape != probs.shape:
            raise InvalidScenarioError(
                f"packet size distribution needs as many probs as sizes (>= 1), got "
                f"{sizes.shape[0]} sizes and {probs.shape[0]} probs"
            )
        if not np.all(np.isfinite(sizes)) or (sizes <= 0).any():
            raise InvalidScenarioError(f"packet sizes must be finite and > 0 bits, got {sizes.tolist()}")
        if not np.all(np.isfinite(probs)) or (probs < 0).any() or abs(probs.sum() - 1.0) > 1e-6:
            raise InvalidScenarioError(
                f"packet size probabilities must be >= 0 and sum to 1, got {probs.tolist()}"
            )
        probs = probs / probs.sum()
        probs.setflags(write=False)
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "probs", probs)

    @classmethod
    def deterministic(cls, size: float) -> PacketSizeDistribution:
        """Every packet is ``size`` bits."""
        return cls(np.array([size], dtype=float), np.array([1.0]))

    @classmethod
    def binomial(cls, size1: float = 300.0, size2: float = 1700.0) -> PacketSizeDistribution:
        """``size1`` or ``size2`` bits with probability 1/2 each (RouteNet: 300/1700, mean 1000)."""
        return cls(np.array([size1, size2], dtype=float), np.array([0.5, 0.5]))

    @property
    def mean(self) -> float:
        """Mean packet size in bits."""
        return float(self.sizes @ self.probs)

    @property
    def second_moment(self) -> float:
        """E[S²] in bits²."""
        return float((self.sizes**2) @ self.probs)

    def to_dict(self) -> dict[str, list[float]]:
        """``{"sizes": [...], "probs": [...]}``."""
        return {"sizes": self.sizes.tolist(), "probs": self.probs.tolist()}


def _default_sizes() -> tuple[PacketSizeDistribution, ...]:
    return (PacketSizeDistribution.binomial(),)


@dataclass(frozen=True, eq=False)
class Traffic(FrozenState):
    """Mean offered rates between node pairs, their arrival process and packet sizes.

    Parameters
    ----------
    rate : array-like of shape (n_nodes, n_nodes)
        Mean offered rate from ``s`` to ``d`` in bit/s, >= 0, zero diagonal.
    packet_sizes : sequence of PacketSizeDistribution
        Size distributions; flow ``(s, d)`` uses ``packet_sizes[size_class[s, d]]``. Default: one
        binomial 300/1700-bit distribution (RouteNet).
    size_class : array-like of shape (n_nodes, n_nodes), optional
        Index into ``packet_sizes`` per pair; default all 0.
    tos : array-like of shape (n_nodes, n_nodes), optional
        Type-of-service class per pair (kept for scheduling-aware models); default all 0.
    arrival : {"poisson"}
        Arrival process of every flow.

    Examples
    --------
    >>> t = Traffic(rate=[[0.0, 500.0], [250.0, 0.0]])
    >>> t.n_nodes, float(t.total_rate)
    (2, 750.0)
    """

    rate: NDArray[np.float64]
    packet_sizes: tuple[PacketSizeDistribution, ...] = field(default_factory=_default_sizes)
    size_class: NDArray[np.int64] = field(default=None)  # type: ignore[arg-type]
    tos: NDArray[np.int64] = field(default=None)  # type: ignore[arg-type]
    arrival: Literal["poisson"] = "poisson"

    def __post_init__(self) -> None:
        rate = frozen_array(self.rate, np.float64, "traffic rate", ndim=2)
        n = rate.shape[0]
        if rate.shape != (n, n) or n == 0:
            raise InvalidScenarioError(f"traffic rate must be a square n×n matrix, got {rate.shape}")

        def describe(i: int) -> str:
            return f"pair {i // n}→{i % n}"

        require_nonnegative(rate, "traffic rate", "bit/s", describe)
        if np.any(np.diag(rate) != 0):
            i = int(np.flatnonzero(np.diag(rate))[0])
            raise InvalidScenarioError(f"traffic rate of pair {i}→{i} must be 0, got {rate[i, i]}")
        object.__setattr__(self, "rate", rate)
        sizes = tuple(self.packet_sizes)
        if not sizes or not all(isinstance(s, PacketSizeDistribution) for s in sizes):
            raise InvalidScenarioError("packet_sizes must be a non-empty sequence of PacketSizeDistribution")
        object.__setattr__(self, "packet_sizes", sizes)
        for name in ("size_class", "tos"):
            val = getattr(self, name)
            arr = frozen_array(np.zeros((n, n)) if val is None else val, np.int64, name, ndim=2)
            if arr.shape != (n, n):
                raise InvalidScenarioError(f"{name} must have shape ({n}, {n}), got {arr.shape}")
            if (arr < 0).any():
                raise InvalidScenarioError(f"{name} entries must be >= 0")
            object.__setattr__(self, name, arr)
        if (self.size_class >= len(sizes)).any():
            raise InvalidScenarioError(
                f"size_class refers to distribution {int(self.size_class.max())}, but only "
                f"{len(sizes)} packet size distribution(s) are given"
            )
        if self.arrival not in ARRIVAL_PROCESSES:
            raise InvalidScenarioError(
                f"arrival process {self.arrival!r} is not supported; valid: {list(ARRIVAL_PROCESSES)}"
            )

    @classmethod
    def from_pairs(
        cls,
        n_nodes: int,
        demands: Sequence[tuple[int, int, float]],
        *,
        packet_sizes: Sequence[PacketSizeDistribution] | None = None,
    ) -> Traffic:
        """Build from ``[(src, dst, rate_bit_per_s), ...]``."""
        rate = np.zeros((n_nodes, n_nodes))
        for s, d, r in demands:
            if not (0 <= s < n_nodes and 0 <= d < n_nodes):
                raise InvalidScenarioError(f"demand {s}→{d} refers to a node outside 0..{n_nodes - 1}")
            rate[s, d] += float(r)
        return cls(rate=rate, packet_sizes=tuple(packet_sizes or _default_sizes()))

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the matrix."""
        return int(self.rate.shape[0])

    @property
    def total_rate(self) -> float:
        """Sum of all mean rates, bit/s."""
        return float(self.rate.sum())

    def pairs(self) -> NDArray[np.int64]:
        """Pairs ``(src, dst)`` with a positive rate, shape (n_flows, 2), row-major order."""
        s, d = np.nonzero(self.rate > 0)
        return np.stack([s, d], axis=1).astype(np.int64)

    def mean_packet_size(self) -> NDArray[np.float64]:
        """Mean packet size (bits) of every pair's distribution, shape (n, n)."""
        means = np.array([d.mean for d in self.packet_sizes])
        return means[self.size_class]

    def packet_rate(self) -> NDArray[np.float64]:
        """Mean packet rate (packets/s) per pair, shape (n, n)."""
        return self.rate / self.mean_packet_size()

    def scaled(self, factor: float) -> Traffic:
        """A copy with every rate multiplied by ``factor`` (>= 0)."""
        if not np.isfinite(factor) or factor < 0:
            raise InvalidScenarioError(f"traffic scale factor must be finite and >= 0, got {factor}")
        return Traffic(
            rate=self.rate * factor,
            packet_sizes=self.packet_sizes,
            size_class=self.size_class,
            tos=self.tos,
            arrival=self.arrival,
        )

    def __repr__(self) -> str:
        return (
            f"Traffic(n_nodes={self.n_nodes}, total_rate={self.total_rate:.6g} bit/s, "
            f"arrival={self.arrival!r})"
        )
