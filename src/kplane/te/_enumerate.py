"""Depth-first enumeration of failure sets above a probability cutoff, and the connectivity filter.

Re-exported by :mod:`kplane.te.failures` (see there for the model).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology

if TYPE_CHECKING:
    from kplane.te.failures import FailureModel

__all__ = ["connectivity_filter", "enumerate_failure_sets"]


def enumerate_failure_sets(
    prob: ArrayLike,
    cutoff: float,
    *,
    accept: Callable[[tuple[int, ...]], bool] | None = None,
    prune_rejected: bool = True,
    max_sets: int = 200_000,
) -> tuple[list[tuple[int, ...]], NDArray[np.float64]]:
    """Depth-first enumeration of failure sets with ``P(F) >= cutoff`` (unnormalised).

    Pre-order DFS from the empty set; children add one element with a larger index, in increasing
    order. A set with ``P(F) < cutoff`` is not expanded. ``accept(F)`` decides whether a set (other
    than the empty one) is kept; with ``prune_rejected`` a rejected set is not expanded either (valid
    when rejection is monotone, like disconnection).

    Parameters
    ----------
    prob : array-like of shape (n_elements,)
        Element failure probabilities, each in [0, 0.5).
    cutoff : float
        Probability threshold, in (0, 1).
    accept : callable, optional
        Filter on failed-element tuples.
    prune_rejected : bool
        Do not expand rejected sets.
    max_sets : int
        Raise beyond this many kept sets.

    Returns
    -------
    sets : list of tuple of int
        The empty set first, then the kept sets in DFS order.
    probs : ndarray of shape (n_sets,)
        ``P(F)`` of each set (not renormalised).
    """
    p = np.asarray(prob, dtype=np.float64).reshape(-1)
    if not (0 < cutoff < 1):
        raise InvalidParameterError(f"cutoff must lie in (0, 1), got {cutoff!r}")
    if ((p < 0) | (p >= 0.5) | ~np.isfinite(p)).any():
        i = int(np.flatnonzero((p < 0) | (p >= 0.5) | ~np.isfinite(p))[0])
        raise InvalidParameterError(
            f"cutoff enumeration needs element probabilities in [0, 0.5), element {i} has {float(p[i])!r}"
        )
    with np.errstate(divide="ignore"):
        ratio = np.where(p > 0, np.log(p) - np.log1p(-p), -np.inf)
    log0 = float(np.log1p(-p).sum())
    logc = math.log(cutoff)
    n = p.shape[0]
    sets: list[tuple[int, ...]] = [()]
    probs: list[float] = [math.exp(log0)]
    # stack of (set, log P); children pushed in reverse so they pop in increasing order
    stack: list[tuple[tuple[int, ...], float]] = []

    def push_children(s: tuple[int, ...], lp: float) -> None:
        start = s[-1] + 1 if s else 0
        for i in range(n - 1, start - 1, -1):
            lc = lp + ratio[i]
            if lc >= logc:
                stack.append((s + (i,), lc))

    push_children((), log0)
    while stack:
        s, lp = stack.pop()
        ok = True if accept is None else bool(accept(s))
        if ok:
            sets.append(s)
            probs.append(math.exp(lp))
            if len(sets) > max_sets:
                raise InvalidParameterError(
                    f"more than {max_sets} failure sets above cutoff {cutoff:g}; raise the cutoff"
                )
        if ok or not prune_rejected:
            push_children(s, lp)
    return sets, np.asarray(probs)


def connectivity_filter(
    topology: Topology, model: FailureModel, *, connection: str = "strong"
) -> Callable[[tuple[int, ...]], bool]:
    """``accept(F)``: True when the links surviving the failure of elements ``F`` keep the network connected.

    ``connection="strong"`` (every node reaches every other) or ``"weak"`` (ARROW's check).
    """
    if connection not in ("strong", "weak"):
        raise InvalidParameterError(f"connection must be 'strong' or 'weak', got {connection!r}")
    links = topology.links
    n = topology.n_nodes

    def accept(elements: tuple[int, ...]) -> bool:
        up = np.ones(topology.n_links, dtype=bool)
        up[model.links_down(elements)] = False
        g = csr_matrix((np.ones(int(up.sum())), (links[up, 0], links[up, 1])), shape=(n, n))
        return connected_components(g, directed=True, connection=connection, return_labels=False) == 1

    return accept
