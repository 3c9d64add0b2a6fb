"""`TunnelSet`: flows (ordered node pairs) and their candidate tunnels (simple paths), stored flat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import frozen_array
from kplane.network._topology import Topology

__all__ = ["TunnelSet"]


@dataclass(frozen=True, eq=False)
class TunnelSet:
    """Candidate tunnels of every flow, CSR-style.

    Flow ``f`` goes from ``pairs[f, 0]`` to ``pairs[f, 1]``. Tunnel ``t`` serves flow ``flow[t]`` over
    links ``edge_ids[offsets[t]:offsets[t + 1]]`` (in order). Tunnels are grouped by flow: ``flow`` is
    non-decreasing, so flow ``f``'s tunnels are ``flow_offsets[f]:flow_offsets[f + 1]``. A flow may
    have no tunnel (a pair without a path); an instance rejects such a flow if it has demand.

    Parameters
    ----------
    pairs : array-like of shape (n_flows, 2)
        ``(src, dst)`` node indices, distinct ordered pairs with ``src != dst``.
    flow : array-like of shape (n_tunnels,)
        Flow index of each tunnel, non-decreasing.
    edge_ids : array-like of shape (n_hops_total,)
        Concatenated link ids of all tunnels.
    offsets : array-like of shape (n_tunnels + 1,)
        Start of each tunnel in ``edge_ids``.
    """

    pairs: NDArray[np.int64]
    flow: NDArray[np.int64]
    edge_ids: NDArray[np.int64]
    offsets: NDArray[np.int64]

    def __post_init__(self) -> None:
        pairs = frozen_array(np.asarray(self.pairs).reshape(-1, 2), np.int64, "tunnel pairs")
        flow = frozen_array(np.asarray(self.flow).reshape(-1), np.int64, "tunnel flow")
        edges = frozen_array(np.asarray(self.edge_ids).reshape(-1), np.int64, "tunnel edge_ids")
        offs = frozen_array(np.asarray(self.offsets).reshape(-1), np.int64, "tunnel offsets")
        nt = flow.shape[0]
        if offs.shape != (nt + 1,) or offs[0] != 0 or offs[-1] != edges.shape[0]:
            raise InvalidScenarioError(
                f"tunnel offsets must have length n_tunnels + 1 = {nt + 1}, start at 0 and end at "
                f"len(edge_ids) = {edges.shape[0]}"
            )
        hops = np.diff(offs)
        if (hops < 1).any():
            t = int(np.flatnonzero(hops < 1)[0])
            raise InvalidScenarioError(f"tunnel {t} is empty: every tunnel needs >= 1 link")
        nf = pairs.shape[0]
        if nt and ((flow < 0).any() or (flow >= nf).any()):
            raise InvalidScenarioError(f"tunnel flow indices must lie in 0..{nf - 1}")
        if (np.diff(flow) < 0).any():
            raise InvalidScenarioError("tunnels must be grouped by flow (flow indices non-decreasing)")
        if (pairs < 0).any() or (edges < 0).any():
            raise InvalidScenarioError("node and link ids must be >= 0")
        same = pairs[:, 0] == pairs[:, 1]
        if same.any():
            f = int(np.flatnonzero(same)[0])
            raise InvalidScenarioError(f"flow {f} goes from node {pairs[f, 0]} to itself")
        if nf:
            key = pairs[:, 0] * (int(pairs.max()) + 1) + pairs[:, 1]
            if np.unique(key).size != nf:
                raise InvalidScenarioError("each ordered pair may be one flow only (duplicate pair)")
        for name, arr in (("pairs", pairs), ("flow", flow), ("edge_ids", edges), ("offsets", offs)):
            object.__setattr__(self, name, arr)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_paths(
        cls, paths: Mapping[tuple[int, int], Sequence[Sequence[int]]], *, pairs: ArrayLike | None = None
    ) -> TunnelSet:
        """Build from ``{(src, dst): [[link ids of tunnel 1], [link ids of tunnel 2], ...]}``.

        Flows are ``pairs`` when given (pairs missing from ``paths`` get no tunnel), else the keys of
        ``paths`` in sorted order.
        """
        if pairs is None:
            plist = sorted((int(s), int(d)) for s, d in paths)
        else:
            plist = [(int(s), int(d)) for s, d in np.asarray(pairs, dtype=np.int64).reshape(-1, 2)]
        flow: list[int] = []
        edges: list[int] = []
        offs = [0]
        known = set(plist)
        for key in paths:
            if (int(key[0]), int(key[1])) not in known:
                raise InvalidScenarioError(f"tunnels given for pair {key}, which is not a flow")
        for f, key in enumerate(plist):
            for path in paths.get(key, ()):
                flow.append(f)
                edges.extend(int(e) for e in path)
                offs.append(len(edges))
        return cls(
            pairs=np.asarray(plist, dtype=np.int64).reshape(-1, 2),
            flow=np.asarray(flow, dtype=np.int64),
            edge_ids=np.asarray(edges, dtype=np.int64),
            offsets=np.asarray(offs, dtype=np.int64),
        )

    @classmethod
    def from_node_paths(
        cls,
        topology: Topology,
        paths: Mapping[tuple[int, int], Sequence[Sequence[int]]],
        *,
        pairs: ArrayLike | None = None,
    ) -> TunnelSet:
        """Build from node sequences ``{(src, dst): [[src, ..., dst], ...]}`` on ``topology``."""
        link_paths = {
            key: [[topology.link_id(a, b) for a, b in zip(p[:-1], p[1:], strict=True)] for p in plist]
            for key, plist in paths.items()
        }
        return cls.from_paths(link_paths, pairs=pairs)

    # ------------------------------------------------------------------ queries
    @property
    def n_flows(self) -> int:
        """Number of flows."""
        return int(self.pairs.shape[0])

    @property
    def n_tunnels(self) -> int:
        """Number of tunnels."""
        return int(self.flow.shape[0])

    @cached_property
    def flow_offsets(self) -> NDArray[np.int64]:
        """(n_flows + 1,) start of each flow's tunnels."""
        return np.searchsorted(self.flow, np.arange(self.n_flows + 1)).astype(np.int64)

    @cached_property
    def n_tunnels_per_flow(self) -> NDArray[np.int64]:
        """(n_flows,) number of tunnels of each flow."""
        return np.diff(self.flow_offsets)

    @property
    def max_per_flow(self) -> int:
        """Largest number of tunnels of one flow."""
        return int(self.n_tunnels_per_flow.max()) if self.n_flows else 0

    @cached_property
    def hops(self) -> NDArray[np.int64]:
        """(n_tunnels,) links per tunnel."""
        return np.diff(self.offsets)

    @cached_property
    def rank(self) -> NDArray[np.int64]:
        """(n_tunnels,) position of each tunnel within its flow (0 = first)."""
        return np.arange(self.n_tunnels) - self.flow_offsets[self.flow]

    def tunnel(self, t: int) -> NDArray[np.int64]:
        """Link ids of tunnel ``t`` in order."""
        return self.edge_ids[self.offsets[t] : self.offsets[t + 1]]

    def tunnels_of(self, f: int) -> range:
        """Indices of flow ``f``'s tunnels."""
        return range(int(self.flow_offsets[f]), int(self.flow_offsets[f + 1]))

    def incidence(self, n_links: int) -> sp.csr_matrix:
        """(n_links, n_tunnels) 0/1 sparse matrix of which tunnel uses which link."""
        cols = np.repeat(np.arange(self.n_tunnels), self.hops)
        data = np.ones(self.edge_ids.shape[0], dtype=np.float64)
        return sp.csr_matrix((data, (self.edge_ids, cols)), shape=(n_links, self.n_tunnels))

    def truncate(self, k: int) -> TunnelSet:
        """Keep the first ``k`` tunnels of every flow."""
        if k < 1:
            raise InvalidScenarioError(f"k must be >= 1 tunnel per flow, got {k}")
        keep = np.flatnonzero(self.rank < k)
        return self.select(keep)

    def select(self, tunnel_ids: ArrayLike) -> TunnelSet:
        """The tunnels ``tunnel_ids`` (kept in flow order), with all flows."""
        ids = np.sort(np.asarray(tunnel_ids, dtype=np.int64).reshape(-1))
        hops = self.hops[ids]
        offs = np.concatenate([[0], np.cumsum(hops)])
        starts = self.offsets[ids]
        idx = np.repeat(starts - offs[:-1], hops) + np.arange(int(offs[-1]))
        return TunnelSet(self.pairs, self.flow[ids], self.edge_ids[idx], offs)

    def check(self, topology: Topology) -> None:
        """Raise unless every tunnel is a simple path of ``topology`` joining its flow's two ends.

        Raises
        ------
        InvalidScenarioError
            Naming the first bad tunnel and what is wrong.
        """
        n, m = topology.n_nodes, topology.n_links
        if self.n_flows and int(self.pairs.max()) >= n:
            f = int(np.flatnonzero((self.pairs >= n).any(axis=1))[0])
            raise InvalidScenarioError(
                f"flow {f} names node {self.pairs[f].max()}, the topology has {n} nodes"
            )
        if self.n_tunnels == 0:
            return
        if int(self.edge_ids.max()) >= m:
            pos = int(np.flatnonzero(self.edge_ids >= m)[0])
            t = int(np.searchsorted(self.offsets, pos, side="right") - 1)
            raise InvalidScenarioError(
                f"tunnel {t} uses link {self.edge_ids[pos]}, the topology has {m} links (0..{m - 1})"
            )
        src = topology.links[self.edge_ids, 0]
        dst = topology.links[self.edge_ids, 1]
        first, last = self.offsets[:-1], self.offsets[1:] - 1
        fs, fd = self.pairs[self.flow, 0], self.pairs[self.flow, 1]
        bad_ends = (src[first] != fs) | (dst[last] != fd)
        cont = np.ones(self.edge_ids.shape[0], dtype=bool)
        is_last = np.zeros(self.edge_ids.shape[0], dtype=bool)
        is_last[last] = True
        inner = np.flatnonzero(~is_last)
        cont[inner] = dst[inner] == src[inner + 1]
        tid = np.repeat(np.arange(self.n_tunnels), self.hops)
        broken = np.zeros(self.n_tunnels, dtype=bool)
        broken[tid[~cont]] = True
        # simple: the nodes src of every hop plus the final dst are distinct within a tunnel
        nodes = np.concatenate([src, dst[last]])
        owner = np.concatenate([tid, np.arange(self.n_tunnels)])
        key = np.sort(owner * n + nodes)
        loops = np.zeros(self.n_tunnels, dtype=bool)
        loops[key[1:][key[1:] == key[:-1]] // n] = True
        for mask, what in (
            (bad_ends, "does not join its flow's source and destination"),
            (broken, "is not a contiguous path"),
            (loops, "visits a node twice (not a simple path)"),
        ):
            if mask.any():
                t = int(np.flatnonzero(mask)[0])
                f = int(self.flow[t])
                names = topology.node_names
                raise InvalidScenarioError(
                    f"tunnel {t} of flow {f} ({names[self.pairs[f, 0]]}→{names[self.pairs[f, 1]]}) {what}: "
                    f"links {self.tunnel(t).tolist()}"
                )

    def to_lists(self) -> list[tuple[int, list[int]]]:
        """``[(flow index, [link ids]), ...]`` per tunnel (the JSON form)."""
        return [(int(self.flow[t]), self.tunnel(t).tolist()) for t in range(self.n_tunnels)]

    def __repr__(self) -> str:
        return (
            f"TunnelSet(n_flows={self.n_flows}, n_tunnels={self.n_tunnels}, max_per_flow={self.max_per_flow})"
        )
