r"""`MM1bModel`: the RouteNet paper's analytic baseline (§IV, eq. 7) as a PerformanceModel.

Every link ``i`` is an independent M/M/1/b queue with room for ``b_i`` packets (its
``queue_size``, the packet in service included, as in the simulator) and service rate
:math:`\mu_i = c_i / \bar s_i` (capacity over the mean size of the packets it carries). For path
``k`` with offered traffic :math:`A_k` traversing links :math:`k(1), k(2), \dots`, the traffic
reaching its ``j``-th link is what survived the links before:

.. math::

    \lambda_{k,k(1)} = A_k, \qquad
    \lambda_{k,k(j)} = A_k \prod_{i<j} \bigl(1 - P_{b,k(i)}\bigr), \qquad
    \rho_i = \frac{\sum_k \lambda_{k,i}}{c_i}, \qquad
    P_{b,i} = \frac{(1-\rho_i)\,\rho_i^{\,b_i}}{1-\rho_i^{\,b_i+1}} .

The blocking probabilities are the fixed point of this map, found by iteration from "no loss"
(``P_b = 0``); the map is antitone, so plain iteration alternates around the fixed point and
converges in a few tens of steps; if the iterates stall the step is damped. Then per link the
mean :math:`E[S_i]` and variance :math:`\mathrm{Var}[S_i]` of the sojourn time of accepted packets
(:mod:`kplane.queueing._mm1k`), and per path

.. math::

    \text{delay}_k = \sum_{i \in k} \bigl(E[S_i] + d_i\bigr), \qquad
    \text{jitter}_k = \sum_{i \in k} \mathrm{Var}[S_i], \qquad
    \text{loss}_k = 1 - \prod_{i \in k} (1 - P_{b,i}),

with :math:`d_i` the propagation delay (links assumed independent, as in the paper). Works for
ρ = 1 and overload (finite buffers keep every quantity finite).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kplane.errors import ConvergenceError, InvalidParameterError
from kplane.network import PathKPIs, Scenario
from kplane.queueing._mm1k import mm1k_blocking, mm1k_sojourn

__all__ = ["MM1bModel", "MM1bSolution"]


@dataclass(frozen=True, eq=False)
class MM1bSolution:
    """The fixed point of one scenario.

    Attributes
    ----------
    kpis : PathKPIs
        Per-path mean delay [s], jitter [s²], loss ratio.
    rho : ndarray of shape (n_links,)
        Offered load of each link at the fixed point (traffic that survived upstream links).
    blocking : ndarray of shape (n_links,)
        Blocking probability per link.
    mean_sojourn, var_sojourn : ndarray of shape (n_links,)
        Sojourn time of accepted packets per link, s and s².
    n_iter : int
        Fixed-point iterations used.
    """

    kpis: PathKPIs
    rho: NDArray[np.float64]
    blocking: NDArray[np.float64]
    mean_sojourn: NDArray[np.float64]
    var_sojourn: NDArray[np.float64]
    n_iter: int


class MM1bModel:
    """M/M/1/b fixed-point model of a network (RouteNet §IV, eq. 7).

    Parameters
    ----------
    tol : float
        Stop when no blocking probability moves by more than ``tol`` in one iteration.
    max_iter : int
        Iteration budget; :class:`~kplane.errors.ConvergenceError` when exhausted.

    Examples
    --------
    >>> from kplane.network import Routing, Scenario, Topology, Traffic
    >>> topo = Topology.from_edges(["a", "b"], [(0, 1), (1, 0)], capacity=10e3)
    >>> sc = Scenario(topo, Routing.from_link_paths({(0, 1): [0]}),
    ...               Traffic(rate=[[0.0, 5e3], [0.0, 0.0]]))
    >>> kpis = MM1bModel().predict([sc])[0]
    >>> round(float(kpis.mean_delay[0]), 4)   # ~ M/M/1: 1 / (mu - lambda) = 1 / (10 - 5)
    0.2
    """

    def __init__(self, *, tol: float = 1e-10, max_iter: int = 1000) -> None:
        self.tol = tol
        self.max_iter = max_iter

    def _check_params(self) -> None:
        if not (isinstance(self.tol, int | float) and np.isfinite(self.tol) and self.tol > 0):
            raise InvalidParameterError(f"tol must be a finite number > 0, got {self.tol!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise InvalidParameterError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")

    def predict(self, scenarios: Sequence[Scenario]) -> list[PathKPIs]:
        """Per-path KPIs of every scenario (paths in routing order)."""
        return [self.solve(s).kpis for s in scenarios]

    def solve(self, scenario: Scenario) -> MM1bSolution:
        """Solve the fixed point of one scenario.

        Raises
        ------
        ConvergenceError
            If the blocking probabilities do not settle within ``max_iter`` iterations.
        """
        self._check_params()
        if not isinstance(scenario, Scenario):
            raise InvalidParameterError(f"expected a kplane.network.Scenario, got {type(scenario).__name__}")
        topo, routing, traffic = scenario.topology, scenario.routing, scenario.traffic
        m = topo.n_links
        cap = topo.capacity
        kcap = topo.queue_size
        pid = routing.path_index()
        links = routing.link_ids
        starts = routing.offsets[:-1]
        pairs = routing.pairs
        a_bits = traffic.rate[pairs[:, 0], pairs[:, 1]]
        a_pkts = a_bits / traffic.mean_packet_size()[pairs[:, 0], pairs[:, 1]]
        bits_hop = a_bits[pid]
        pkts_hop = a_pkts[pid]

        def survival(pb: NDArray[np.float64]) -> NDArray[np.float64]:
            """Fraction of each path's traffic that reaches each of its hops."""
            lg = np.log1p(-np.minimum(pb[links], 1.0 - 1e-15))
            cs = np.cumsum(lg)
            excl = cs - lg
            return np.exp(excl - np.repeat(excl[starts], routing.hops)) if links.size else excl

        pb = np.zeros(m)
        step = 1.0
        prev_delta = np.inf
        stall = 0
        n_iter = 0
        converged = False
        delta = np.inf
        while n_iter < self.max_iter:
            n_iter += 1
            rho = np.bincount(links, weights=bits_hop * survival(pb), minlength=m) / cap
            new = mm1k_blocking(rho, kcap)
            delta = float(np.max(np.abs(new - pb))) if m else 0.0
            pb = pb + step * (new - pb)
            if delta <= self.tol:
                converged = True
                break
            stall = stall + 1 if delta >= prev_delta else 0
            if stall >= 5:
                step *= 0.5
                stall = 0
            prev_delta = delta
        if not converged:
            raise ConvergenceError(
                f"M/M/1/b fixed point did not converge in {self.max_iter} iterations "
                f"(last change of a blocking probability {delta:.3g} > tol {self.tol:g}); "
                "raise max_iter or tol"
            )
        surv = survival(pb)
        rho = np.bincount(links, weights=bits_hop * surv, minlength=m) / cap
        pkt_load = np.bincount(links, weights=pkts_hop * surv, minlength=m)
        bit_load = rho * cap
        all_mean = float(a_bits.sum() / a_pkts.sum()) if a_pkts.sum() > 0 else \
            float(np.mean([d.mean for d in traffic.packet_sizes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_size = np.where(pkt_load > 0, bit_load / pkt_load, all_mean)
        mu = cap / mean_size
        es, vs = mm1k_sojourn(rho, kcap, mu)
        blocking = mm1k_blocking(rho, kcap)
        n_paths = routing.n_paths
        delay = np.bincount(pid, weights=es[links] + topo.propagation_delay[links],
                            minlength=n_paths).astype(np.float64)
        jitter = np.bincount(pid, weights=vs[links], minlength=n_paths).astype(np.float64)
        log_surv = np.bincount(pid, weights=np.log1p(-np.minimum(blocking[links], 1.0 - 1e-15)),
                               minlength=n_paths)
        loss = -np.expm1(log_surv)
        kpis = PathKPIs(
            pairs=pairs,
            mean_delay=delay,
            jitter=jitter,
            loss_ratio=np.clip(loss, 0.0, 1.0),
            offered_rate=a_bits,
            node_names=topo.node_names,
            metadata={"model": "kplane.queueing.MM1bModel", "scenario": scenario.name, "n_iter": n_iter},
        )
        return MM1bSolution(kpis=kpis, rho=rho, blocking=blocking, mean_sojourn=es, var_sojourn=vs,
                            n_iter=n_iter)

    def __repr__(self) -> str:
        return f"MM1bModel(tol={self.tol!r}, max_iter={self.max_iter!r})"
