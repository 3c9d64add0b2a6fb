"""Gravity-model traffic matrices for topologies that carry none.

Rule (documented in ``docs/te.md``): node mass ``m_i`` = total capacity of the links leaving ``i``
(``mass="capacity"``), its degree (``"degree"``) or a seeded exponential draw (``"random"``, Roughan's
model); ``d_ij ∝ m_i m_j`` for ``i ≠ j``. The total is set so that routing every demand on a
hop-shortest path would load the links to a mean utilisation ``target_load``:

    Σ_ij d_ij hops_ij = target_load · Σ_e c_e.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from kplane.errors import InvalidParameterError
from kplane.network._topology import Topology
from kplane.utils._random import SeedLike, as_generator

__all__ = ["GRAVITY_MASSES", "gravity_demands"]

GRAVITY_MASSES = ("capacity", "degree", "random")


def gravity_demands(
    topology: Topology, *, target_load: float = 0.5, mass: str = "capacity", seed: SeedLike = None
) -> NDArray[np.float64]:
    """A gravity-model demand matrix [bit/s] (see the module docstring).

    Parameters
    ----------
    topology : Topology
    target_load : float
        Mean link utilisation if every demand followed a hop-shortest path (> 0).
    mass : {"capacity", "degree", "random"}
    seed : int or Generator, optional
        For ``mass="random"``.

    Returns
    -------
    ndarray of shape (n_nodes, n_nodes)
        Zero diagonal; zero for pairs without a path.
    """
    if not target_load > 0:
        raise InvalidParameterError(f"target_load must be > 0, got {target_load!r}")
    n = topology.n_nodes
    links = topology.links
    m: NDArray[np.float64]
    if mass == "capacity":
        m = np.bincount(links[:, 0], weights=topology.capacity, minlength=n).astype(np.float64)
    elif mass == "degree":
        m = np.bincount(links[:, 0], minlength=n).astype(np.float64)
    elif mass == "random":
        m = as_generator(seed).exponential(1.0, size=n)
    else:
        raise InvalidParameterError(f"mass must be one of {GRAVITY_MASSES}, got {mass!r}")
    g = csr_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(n, n))
    hops = shortest_path(g, directed=True, unweighted=True)
    share: NDArray[np.float64] = np.outer(m, m).astype(np.float64)
    np.fill_diagonal(share, 0.0)
    share[~np.isfinite(hops)] = 0.0
    if share.sum() <= 0:
        raise InvalidParameterError("no node pair is connected: cannot build a gravity matrix")
    share /= share.sum()
    work = float((share * np.where(np.isfinite(hops), hops, 0.0)).sum())
    total = target_load * float(topology.capacity.sum()) / work
    return np.asarray(share * total, dtype=np.float64)
