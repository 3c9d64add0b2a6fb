"""The contract every TE optimizer's allocation meets (exact solvers and learned optimizers alike).

1. one finite split ratio ``>= 0`` per tunnel, 0 on the tunnels of flows without demand;
2. capacity: the reserved load ``Σ_{t∋e} x_t d_t <= c_e (1 + rtol)`` on every link;
3. the reported objective value equals the replay of ``x`` (numpy Sort-and-Select objective);
4. the reported throughput equals ``total demand × (1 − objective value)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kplane.errors import InfeasibleError, InvalidParameterError
from kplane.te._instance import TEInstance
from kplane.te._objectives import Objective, check_allocation

__all__ = ["check_te_allocation"]


def check_te_allocation(
    instance: TEInstance,
    x: ArrayLike,
    objective: Objective | None = None,
    *,
    objective_value: float | None = None,
    throughput: float | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-7,
) -> dict[str, Any]:
    """Check an allocation against the contract; returns its replayed numbers.

    Parameters
    ----------
    instance : TEInstance
    x : array-like of shape (n_tunnels,)
    objective : Objective, optional
        Needed to check ``objective_value`` / ``throughput``.
    objective_value, throughput : float, optional
        Values reported by the optimizer.
    rtol, atol : float
        Tolerances (capacity relative; objective absolute).

    Returns
    -------
    dict
        ``max_utilisation``, and ``objective_value`` / ``throughput`` replayed when ``objective`` is given.

    Raises
    ------
    InvalidParameterError
        Malformed ``x`` or reported values inconsistent with the replay.
    InfeasibleError
        A link over capacity (names it and by how much).
    """
    xv = check_allocation(instance, x)
    idle = ~instance.active[instance.tunnels.flow] & (xv != 0)
    if idle.any():
        t = int(np.flatnonzero(idle)[0])
        raise InvalidParameterError(
            f"tunnel {t} belongs to a flow without demand but has split ratio {xv[t]!r}"
        )
    load = instance.link_load(xv)
    cap = instance.topology.capacity
    util = load / cap
    over = load > cap * (1.0 + rtol)
    if over.any():
        e = int(np.argmax(util))
        u, v = instance.topology.links[e]
        names = instance.topology.node_names
        raise InfeasibleError(
            f"link {e} ({names[u]}→{names[v]}) carries {load[e]:.6g} bit/s over its capacity "
            f"{cap[e]:.6g} bit/s "
            f"(utilisation {util[e]:.9f})"
        )
    out: dict[str, Any] = {"max_utilisation": float(util.max()) if util.size else 0.0}
    if objective is not None:
        value = objective.evaluate(instance, xv)
        thr = instance.total_demand * (1.0 - value)
        out["objective_value"] = value
        out["throughput"] = thr
        if objective_value is not None and abs(objective_value - value) > atol:
            raise InvalidParameterError(
                f"reported objective value {objective_value!r} differs from the replay {value!r}"
            )
        if throughput is not None and abs(throughput - thr) > atol * max(1.0, instance.total_demand):
            raise InvalidParameterError(f"reported throughput {throughput!r} differs from the replay {thr!r}")
    return out
