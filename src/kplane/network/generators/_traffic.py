r"""Traffic-matrix generators: RouteNet's eq. 8, the gravity model and uniform all-to-all traffic.

Units. RouteNet (JSAC 2020, §V-A) writes the traffic matrix in kbit per time unit and capacities in
kbit/s-like units; kplane reads one time unit as one second, so

.. math:: TM(s, d) = U(0.1, 1) \cdot \frac{TI}{N - 1} \quad [\text{kbit/s}]
          \;\Rightarrow\; \text{rate}(s, d) = 1000 \cdot TM(s, d) \quad [\text{bit/s}].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.network._traffic import PacketSizeDistribution, Traffic
from kplane.utils import as_generator, parse_rate
from kplane.utils._random import SeedLike

__all__ = ["KBIT", "gravity_traffic", "routenet_traffic", "uniform_traffic"]

KBIT = 1000.0
"""Bits per kbit: RouteNet's kbit/tu traffic values become bit/s (1 tu read as 1 s)."""


def _n_nodes(topology_or_n: Topology | int) -> int:
    if isinstance(topology_or_n, Topology):
        return topology_or_n.n_nodes
    if (
        isinstance(topology_or_n, bool)
        or not isinstance(topology_or_n, int | np.integer)
        or topology_or_n < 2
    ):
        raise InvalidParameterError(f"expected a Topology or a number of nodes >= 2, got {topology_or_n!r}")
    return int(topology_or_n)


def _sizes(packet_sizes: PacketSizeDistribution | Sequence[PacketSizeDistribution] | None) -> tuple:
    if packet_sizes is None:
        return (PacketSizeDistribution.binomial(300.0, 1700.0),)
    if isinstance(packet_sizes, PacketSizeDistribution):
        return (packet_sizes,)
    return tuple(packet_sizes)


def _nonneg(value: float, name: str, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number ({unit}), got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise InvalidParameterError(f"{name} must be finite and >= 0 {unit}, got {value!r}")
    return v


def routenet_traffic(
    topology_or_n: Topology | int,
    intensity: float,
    *,
    seed: SeedLike,
    packet_sizes: PacketSizeDistribution | Sequence[PacketSizeDistribution] | None = None,
    low: float = 0.1,
    high: float = 1.0,
) -> Traffic:
    r"""RouteNet's traffic matrix (JSAC 2020, eq. 8).

    .. math:: \text{rate}(s, d) = 1000 \cdot U(\text{low}, \text{high}) \cdot \frac{TI}{N - 1}
              \quad \text{bit/s}, \qquad s \ne d,

    one independent uniform draw per ordered pair (row-major order), zero diagonal.

    Parameters
    ----------
    topology_or_n : Topology or int
        The topology (only its node count ``N`` is used) or ``N`` itself.
    intensity : float
        Traffic intensity ``TI`` in kbit/s (the paper's use cases take TI = 11..16 on NSFNET), >= 0.
    seed : int, Generator or None
    packet_sizes : PacketSizeDistribution or sequence, optional
        Default: binomial 300/1700 bits (mean 1000 bits), as in the paper.
    low, high : float
        Bounds of the uniform factor; the paper's ``U(0.1, 1)`` by default.

    Returns
    -------
    Traffic
        Poisson arrivals; ``rate`` of shape (N, N) in bit/s.

    Examples
    --------
    >>> t = routenet_traffic(14, 12, seed=0)
    >>> bool(((t.rate == 0) | ((t.rate >= 0.1 * 12 / 13 * 1000) & (t.rate <= 12 / 13 * 1000))).all())
    True
    """
    n = _n_nodes(topology_or_n)
    ti = _nonneg(intensity, "intensity (traffic intensity TI)", "kbit/s")
    lo, hi = _nonneg(low, "low", ""), _nonneg(high, "high", "")
    if not lo <= hi:
        raise InvalidParameterError(f"low must be <= high, got low={low!r}, high={high!r}")
    rng = as_generator(seed)
    factor = rng.uniform(lo, hi, size=(n, n))
    rate = factor * (ti / (n - 1)) * KBIT
    np.fill_diagonal(rate, 0.0)
    return Traffic(rate=rate, packet_sizes=_sizes(packet_sizes))


def uniform_traffic(
    topology_or_n: Topology | int,
    rate: float | str,
    *,
    packet_sizes: PacketSizeDistribution | Sequence[PacketSizeDistribution] | None = None,
) -> Traffic:
    """The same rate (bit/s, or a string such as ``"2kbps"``) for every ordered pair ``s != d``."""
    n = _n_nodes(topology_or_n)
    r = parse_rate(rate)
    mat = np.full((n, n), r)
    np.fill_diagonal(mat, 0.0)
    return Traffic(rate=mat, packet_sizes=_sizes(packet_sizes))


def _node_weights(
    topology: Topology,
    weights: Literal["capacity", "degree", "exponential"] | ArrayLike | tuple[ArrayLike, ArrayLike],
    seed: SeedLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = topology.n_nodes
    src, dst = topology.links[:, 0], topology.links[:, 1]
    if isinstance(weights, str):
        if weights == "capacity":
            return (
                np.bincount(src, weights=topology.capacity, minlength=n).astype(np.float64),
                np.bincount(dst, weights=topology.capacity, minlength=n).astype(np.float64),
            )
        if weights == "degree":
            return (
                np.bincount(src, minlength=n).astype(float),
                np.bincount(dst, minlength=n).astype(float),
            )
        if weights == "exponential":
            if seed is None:
                raise InvalidParameterError("weights='exponential' draws random weights: give a seed")
            rng = as_generator(seed)
            return rng.exponential(1.0, n), rng.exponential(1.0, n)
        raise InvalidParameterError(
            f"weights {weights!r} not understood; valid: 'capacity', 'degree', 'exponential', an array "
            "of shape (n_nodes,) or a pair (out_weights, in_weights)"
        )
    if isinstance(weights, tuple) and len(weights) == 2:
        w_out, w_in = (np.asarray(w, dtype=float).reshape(-1) for w in weights)
    else:
        w_out = w_in = np.asarray(weights, dtype=float).reshape(-1)
    for w, what in ((w_out, "out"), (w_in, "in")):
        if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any():
            raise InvalidParameterError(
                f"{what}-weights must be {n} finite values >= 0 (one per node), got shape {w.shape}"
            )
    return w_out, w_in


def gravity_traffic(
    topology: Topology,
    total_rate: float | str,
    *,
    weights: Literal["capacity", "degree", "exponential"]
    | ArrayLike
    | tuple[ArrayLike, ArrayLike] = "capacity",
    seed: SeedLike = None,
    packet_sizes: PacketSizeDistribution | Sequence[PacketSizeDistribution] | None = None,
) -> Traffic:
    r"""The gravity model: traffic from ``s`` to ``d`` proportional to ``w_out[s] · w_in[d]``.

    .. math:: \text{rate}(s, d) = R \, \frac{w^{out}_s \, w^{in}_d}
              {\sum_{s' \ne d'} w^{out}_{s'} w^{in}_{d'}}, \qquad s \ne d,

    so the matrix sums to the total rate ``R``.

    Parameters
    ----------
    topology : Topology
    total_rate : float or str
        ``R``, bit/s (or a rate string such as ``"1Mbps"``), > 0.
    weights : {"capacity", "degree", "exponential"} or array-like or (out, in) pair
        ``"capacity"`` (default): a node's out-weight is the total capacity of its outgoing links and
        its in-weight that of its incoming links; ``"degree"``: out/in degree; ``"exponential"``:
        independent Exp(1) weights (Roughan's random gravity model, needs ``seed``); or explicit
        weights, one per node (used for both) or a pair ``(out, in)``.
    seed : int, Generator or None
        Used only by ``weights="exponential"``.
    packet_sizes : optional
        Default binomial 300/1700 bits.

    Raises
    ------
    InvalidParameterError
        If the weights are malformed or give no traffic between distinct nodes.
    """
    r = parse_rate(total_rate)
    w_out, w_in = _node_weights(topology, weights, seed)
    mat = np.outer(w_out, w_in)
    np.fill_diagonal(mat, 0.0)
    total = mat.sum()
    if not total > 0:
        raise InvalidParameterError("gravity weights give no traffic between distinct nodes (all products 0)")
    return Traffic(rate=mat * (r / total), packet_sizes=_sizes(packet_sizes))
