"""`Routing`: one path (an ordered list of link ids) per source–destination pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidScenarioError
from kplane.network._checks import FrozenState, frozen_array
from kplane.network._topology import Topology

__all__ = ["Routing"]


@dataclass(frozen=True, eq=False)
class Routing(FrozenState):
    """One path per ordered source–destination pair, as link ids in traversal order.

    Stored flat (CSR-like): path ``i`` goes from ``pairs[i, 0]`` to ``pairs[i, 1]`` over links
    ``link_ids[offsets[i]:offsets[i + 1]]``. Build it with :meth:`from_link_paths` or
    :meth:`from_node_paths`; consistency with a topology is checked by :meth:`check` (and by
    :class:`~kplane.network.Scenario`).

    Parameters
    ----------
    pairs : array-like of shape (n_paths, 2)
        ``(src, dst)`` node indices; each ordered pair at most once, ``src != dst``.
    link_ids : array-like of shape (n_hops_total,)
        Concatenated link ids of all paths.
    offsets : array-like of shape (n_paths + 1,)
        Start of each path in ``link_ids``; ``offsets[0] == 0``, non-decreasing by >= 1.
    """

    pairs: NDArray[np.int64]
    link_ids: NDArray[np.int64]
    offsets: NDArray[np.int64]

    def __post_init__(self) -> None:
        pairs = frozen_array(np.asarray(self.pairs).reshape(-1, 2), np.int64, "routing pairs")
        link_ids = frozen_array(np.asarray(self.link_ids).reshape(-1), np.int64, "routing link_ids")
        offsets = frozen_array(self.offsets, np.int64, "routing offsets", ndim=1)
        n = pairs.shape[0]
        if offsets.shape != (n + 1,) or offsets[0] != 0 or offsets[-1] != link_ids.shape[0]:
            raise InvalidScenarioError(
                f"routing offsets must have length n_paths + 1 = {n + 1}, start at 0 and end at "
                f"len(link_ids) = {link_ids.shape[0]}"
            )
        hops = np.diff(offsets)
        if (hops < 1).any():
            i = int(np.flatnonzero(hops < 1)[0])
            raise InvalidScenarioError(
                f"path {i} ({pairs[i, 0]}→{pairs[i, 1]}) is empty: every path needs >= 1 link"
            )
        if (pairs < 0).any() or (link_ids < 0).any():
            raise InvalidScenarioError("routing node and link ids must be >= 0")
        same = pairs[:, 0] == pairs[:, 1]
        if same.any():
            i = int(np.flatnonzero(same)[0])
            raise InvalidScenarioError(f"path {i} goes from node {pairs[i, 0]} to itself")
        if n:
            key = pairs[:, 0] * (int(pairs.max()) + 1) + pairs[:, 1]
            uniq, counts = np.unique(key, return_counts=True)
            if (counts > 1).any():
                j = int(np.flatnonzero(np.isin(key, uniq[counts > 1]))[0])
                raise InvalidScenarioError(
                    f"pair {pairs[j, 0]}→{pairs[j, 1]} has more than one path; a Routing holds one "
                    "path per pair (use kplane.te.TunnelSet for several)"
                )
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "link_ids", link_ids)
        object.__setattr__(self, "offsets", offsets)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_link_paths(cls, paths: Mapping[tuple[int, int], Sequence[int]]) -> Routing:
        """Build from ``{(src, dst): [link ids in order]}`` (pairs are kept in sorted order)."""
        keys = sorted((int(s), int(d)) for s, d in paths)
        seqs = [np.asarray(paths[k], dtype=np.int64).reshape(-1) for k in keys]
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
        return cls(pairs=np.asarray(keys, dtype=np.int64).reshape(-1, 2), link_ids=flat, offsets=offsets)

    @classmethod
    def from_node_paths(
        cls, topology: Topology, paths: Mapping[tuple[int, int], Sequence[int]]
    ) -> Routing:
        """Build from ``{(src, dst): [node ids from src to dst]}`` over ``topology``.

        Raises
        ------
        InvalidScenarioError
            If a path does not start at ``src``, end at ``dst``, or uses a link that does not exist.
        """
        link_paths: dict[tuple[int, int], list[int]] = {}
        for (s, d), nodes in paths.items():
            nodes = [int(v) for v in nodes]
            if len(nodes) < 2 or nodes[0] != int(s) or nodes[-1] != int(d):
                raise InvalidScenarioError(
                    f"path for pair {s}→{d} must start at {s} and end at {d}, got nodes {nodes}"
                )
            ids = []
            for u, v in zip(nodes[:-1], nodes[1:], strict=True):
                if not topology.has_link(u, v):
                    raise InvalidScenarioError(
                        f"path for pair {s}→{d} uses link {u}→{v}, which is not in topology "
                        f"{topology.name!r}"
                    )
                ids.append(topology.link_id(u, v))
            link_paths[(int(s), int(d))] = ids
        return cls.from_link_paths(link_paths)

    # ------------------------------------------------------------------ queries
    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return int(self.pairs.shape[0])

    @property
    def hops(self) -> NDArray[np.int64]:
        """Number of links on each path, shape (n_paths,)."""
        return np.diff(self.offsets)

    def path(self, i: int) -> NDArray[np.int64]:
        """Link ids of path ``i`` in traversal order."""
        return self.link_ids[self.offsets[i] : self.offsets[i + 1]]

    @cached_property
    def _pair_index(self) -> dict[tuple[int, int], int]:
        return {(int(s), int(d)): i for i, (s, d) in enumerate(self.pairs)}

    def index_of(self, src: int, dst: int) -> int:
        """Position of the path for pair ``src → dst``."""
        try:
            return self._pair_index[(int(src), int(dst))]
        except KeyError:
            raise InvalidScenarioError(f"no path for pair {src}→{dst} in this routing") from None

    def has_pair(self, src: int, dst: int) -> bool:
        """Whether a path for ``src → dst`` is present."""
        return (int(src), int(dst)) in self._pair_index

    def path_index(self) -> NDArray[np.int64]:
        """Path id of every entry of ``link_ids``, shape (n_hops_total,)."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.hops)

    def node_path(self, topology: Topology, i: int) -> list[int]:
        """Node ids visited by path ``i`` (source first)."""
        ids = self.path(i)
        return [int(topology.links[ids[0], 0])] + [int(topology.links[j, 1]) for j in ids]

    def check(self, topology: Topology) -> None:
        """Raise :class:`InvalidScenarioError` unless every path is a walk src→dst in ``topology``.

        Checks node and link ids are in range, consecutive links chain (the head of one is the tail
        of the next), the first link leaves ``src`` and the last enters ``dst``.
        """
        n, m = topology.n_nodes, topology.n_links
        if (self.pairs >= n).any():
            i = int(np.flatnonzero((self.pairs >= n).any(axis=1))[0])
            raise InvalidScenarioError(
                f"path {i} ({self.pairs[i, 0]}→{self.pairs[i, 1]}) refers to a node outside "
                f"0..{n - 1}"
            )
        if (self.link_ids >= m).any():
            j = int(np.flatnonzero(self.link_ids >= m)[0])
            i = int(np.searchsorted(self.offsets, j, side="right") - 1)
            raise InvalidScenarioError(
                f"path {i} ({self.pairs[i, 0]}→{self.pairs[i, 1]}) uses link {self.link_ids[j]}, "
                f"which does not exist (topology {topology.name!r} has links 0..{m - 1})"
            )
        tails = topology.links[self.link_ids, 0]
        heads = topology.links[self.link_ids, 1]
        first = self.offsets[:-1]
        last = self.offsets[1:] - 1
        bad_src = tails[first] != self.pairs[:, 0]
        bad_dst = heads[last] != self.pairs[:, 1]
        chain = np.ones(self.link_ids.shape[0], dtype=bool)
        chain[1:] = heads[:-1] == tails[1:]
        chain[first] = True
        for mask, what in (
            (bad_src, "does not start at its source"),
            (bad_dst, "does not end at its destination"),
        ):
            if mask.any():
                i = int(np.flatnonzero(mask)[0])
                raise InvalidScenarioError(
                    f"path {i} ({self.pairs[i, 0]}→{self.pairs[i, 1]}) {what}: links "
                    f"{self.path(i).tolist()}"
                )
        if not chain.all():
            j = int(np.flatnonzero(~chain)[0])
            i = int(np.searchsorted(self.offsets, j, side="right") - 1)
            raise InvalidScenarioError(
                f"path {i} ({self.pairs[i, 0]}→{self.pairs[i, 1]}) is not connected: link "
                f"{self.link_ids[j - 1]} ends at node {heads[j - 1]} but link {self.link_ids[j]} "
                f"starts at node {tails[j]}"
            )

    def __repr__(self) -> str:
        return f"Routing(n_paths={self.n_paths}, n_hops={int(self.link_ids.shape[0])})"
