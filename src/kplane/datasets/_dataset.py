"""PyG-style datasets over kplane datasets and public datanet datasets.

Every dataset here is map-style (``len(ds)``, ``ds[i]``) and yields :class:`DatasetSample` — a
``(scenario, kpis)`` pair that also carries per-link statistics and metadata — so a ``torch``
``DataLoader`` batches it with :func:`kplane.datasets.collate` into one disconnected graph
(:mod:`._loader`). Indexing with a slice, a sequence or an array gives a :class:`Subset` view (as
PyG's ``index_select``); :mod:`._splits` splits a dataset into train / validation / test views.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from kplane.datasets._manifest import MANIFEST, load_manifest
from kplane.datasets._rows import row_to_sample
from kplane.datasets._storage import read_shard
from kplane.errors import FormatError, InvalidParameterError, UnsupportedError
from kplane.network import PathKPIs, Scenario

if TYPE_CHECKING:
    pass

__all__ = ["DatasetSample", "KplaneDataset", "RouteNetDataset", "Subset"]

Transform = Callable[[Any], Any]


class DatasetSample(tuple):
    """One sample: unpacks as ``scenario, kpis = sample`` and carries ``link_stats`` and ``metadata``.

    Attributes
    ----------
    scenario : Scenario
    kpis : PathKPIs
        In the scenario's routing order.
    link_stats : dict of str to ndarray of shape (n_links,)
        ``utilisation``, ``loss_ratio``, ``mean_occupancy`` [packets] and, for kplane datasets,
        ``mean_busy_occupancy``, ``arrivals``, ``drops`` [packets]; empty when the source has none.
    metadata : dict
        ``sample_id``, ``topology``, ``split``, ``sim_time`` [s] and source-specific entries.
    """

    link_stats: dict[str, np.ndarray]
    metadata: dict[str, Any]

    def __new__(
        cls,
        scenario: Scenario,
        kpis: PathKPIs,
        link_stats: dict[str, np.ndarray] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> DatasetSample:
        self = super().__new__(cls, (scenario, kpis))
        self.link_stats = dict(link_stats or {})
        self.metadata = dict(metadata or {})
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self[0], self[1], self.link_stats, self.metadata)

    @property
    def scenario(self) -> Scenario:
        """The scenario."""
        return self[0]

    @property
    def kpis(self) -> PathKPIs:
        """The per-path labels."""
        return self[1]

    def __repr__(self) -> str:
        return (
            f"DatasetSample(scenario={self.scenario.name!r}, n_paths={self.kpis.n_paths}, "
            f"topology={self.metadata.get('topology')!r})"
        )


class _Base:
    """Shared indexing: int → sample (transformed), slice/sequence/array → :class:`Subset`."""

    transform: Transform | None

    def __len__(self) -> int:
        raise NotImplementedError

    def get(self, i: int) -> DatasetSample:
        """Sample ``i`` without the transform."""
        raise NotImplementedError

    def topologies(self) -> list[str]:
        """Topology name of every sample."""
        raise NotImplementedError

    def split_labels(self) -> list[str]:
        """Split label of every sample (``train``/``validation``/``test``)."""
        raise NotImplementedError

    def _index(self, i: Any) -> int:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise InvalidParameterError(f"dataset index must be an integer, got {i!r}")
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"sample {i} out of range for a dataset of {n} samples")
        return int(i) % n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return Subset(self, np.arange(len(self))[i])
        if isinstance(i, Sequence | np.ndarray) and not isinstance(i, str):
            return self.index_select(i)
        sample = self.get(self._index(i))
        return self.transform(sample) if self.transform is not None else sample

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def index_select(self, idx: Sequence[int] | np.ndarray) -> Subset:
        """A :class:`Subset` of the given indices (a boolean mask is accepted)."""
        arr = np.asarray(idx)
        if arr.dtype == bool:
            if arr.shape != (len(self),):
                raise InvalidParameterError(f"boolean mask must have shape ({len(self)},), got {arr.shape}")
            arr = np.flatnonzero(arr)
        arr = arr.astype(np.int64).reshape(-1)
        n = len(self)
        if arr.size and (arr.min() < -n or arr.max() >= n):
            raise IndexError(f"indices out of range for a dataset of {n} samples")
        return Subset(self, arr % n if n else arr)

    def shuffle(self, seed: int | None = None) -> Subset:
        """A :class:`Subset` in random order (seeded)."""
        from kplane.utils import as_generator

        return Subset(self, as_generator(seed).permutation(len(self)))


class Subset(_Base):
    """A view of some samples of a dataset (what indexing with a sequence or a split returns).

    Attributes
    ----------
    dataset : dataset
        The parent (its transform applies).
    indices : ndarray of shape (n,)
        Indices into the parent.
    """

    def __init__(self, dataset: _Base, indices: np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        self.transform = None

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def get(self, i: int) -> DatasetSample:
        return self.dataset.get(int(self.indices[i]))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice | Sequence | np.ndarray) and not isinstance(i, str):
            return super().__getitem__(i)
        return self.dataset[int(self.indices[self._index(i)])]

    def topologies(self) -> list[str]:
        names = self.dataset.topologies()
        return [names[i] for i in self.indices]

    def split_labels(self) -> list[str]:
        labels = self.dataset.split_labels()
        return [labels[i] for i in self.indices]

    def __repr__(self) -> str:
        return f"Subset(n={len(self)}, of={self.dataset!r})"


class KplaneDataset(_Base):
    """A dataset written by :func:`kplane.datasets.generate` (Parquet shards + manifest).

    Parameters
    ----------
    root : str or Path
        The dataset directory.
    transform : callable, optional
        Applied to every :class:`DatasetSample` on access (PyG's ``transform``).
    cache_size : int
        Decoded shards kept in memory.

    Raises
    ------
    FormatError
        If ``root`` has no valid manifest; on access, if a shard is missing, corrupted (sha256
        differs from the manifest) or unreadable — the message names the shard.

    Examples
    --------
    >>> ds = KplaneDataset("data/routenet-small")          # doctest: +SKIP
    >>> scenario, kpis = ds[0]                              # doctest: +SKIP
    """

    def __init__(self, root: str | Path, transform: Transform | None = None, *, cache_size: int = 4) -> None:
        self.root = Path(root)
        self.transform = transform
        self.manifest = load_manifest(self.root)
        self._shards = sorted(self.manifest["shards"], key=lambda s: s["index"])
        self._starts = np.concatenate([[0], np.cumsum([int(s["n_samples"]) for s in self._shards])]).astype(
            np.int64
        )
        self._cache: OrderedDict[int, pa.Table] = OrderedDict()
        self._cache_size = max(1, int(cache_size))
        self._scalars: pa.Table | None = None

    @property
    def spec(self) -> dict[str, Any]:
        """The generating spec (as stored in the manifest)."""
        return dict(self.manifest["spec"])

    @property
    def complete(self) -> bool:
        """Whether the generation finished (every sample of the spec is present)."""
        return bool(self.manifest.get("complete"))

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _table(self, k: int) -> pa.Table:
        if k in self._cache:
            self._cache.move_to_end(k)
            return self._cache[k]
        sh = self._shards[k]
        table = read_shard(self.root / sh["name"], sha256=sh["sha256"])
        if table.num_rows != int(sh["n_samples"]):
            raise FormatError(
                f"shard holds {table.num_rows} samples, the manifest lists {sh['n_samples']}",
                file=str(self.root / sh["name"]),
            )
        self._cache[k] = table
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return table

    def get(self, i: int) -> DatasetSample:
        k = int(np.searchsorted(self._starts, i, side="right")) - 1
        table = self._table(k)
        scenario, kpis, links, meta = row_to_sample(
            table, i - int(self._starts[k]), source=str(self.root / self._shards[k]["name"])
        )
        return DatasetSample(scenario, kpis, links, meta)

    def scalars(self) -> pa.Table:
        """The scalar columns of every sample (``sample_id``, ``topology``, ``split``, ``intensity``, ...)."""
        if self._scalars is None:
            from kplane.datasets._storage import COLUMNS

            cols = [c for c, (t, _, _) in COLUMNS.items() if not pa.types.is_list(t)]
            parts = [
                read_shard(self.root / s["name"], sha256=s["sha256"], columns=cols) for s in self._shards
            ]
            self._scalars = pa.concat_tables(parts) if parts else pa.table({c: [] for c in cols})
        return self._scalars

    def topologies(self) -> list[str]:
        return [str(x) for x in self.scalars().column("topology").to_pylist()]

    def split_labels(self) -> list[str]:
        return [str(x) for x in self.scalars().column("split").to_pylist()]

    def __repr__(self) -> str:
        return f"KplaneDataset({str(self.root)!r}, n={len(self)}, shards={len(self._shards)})"


class RouteNetDataset(_Base):
    """One interface over kplane datasets and public datanet datasets (RouteNet / GNNet challenges).

    Parameters
    ----------
    root : str or Path
        A kplane dataset directory (has ``manifest.json``) or a datanet dataset directory
        (``graphs/``, ``routings/``, ``*.tar.gz``).
    transform : callable, optional
        Applied to every sample on access.
    skip_unstable : bool
        Datanet only: leave out samples the simulator flagged unstable.

    Attributes
    ----------
    format : {"kplane", "datanet"}
    source : KplaneDataset or kplane.network.io.DatanetDataset
    """

    def __init__(
        self, root: str | Path, transform: Transform | None = None, *, skip_unstable: bool = True
    ) -> None:
        self.root = Path(root)
        self.transform = transform
        self._topologies: list[str] | None = None
        if (self.root / MANIFEST).is_file():
            self.format = "kplane"
            self.source: Any = KplaneDataset(self.root)
        elif self.root.is_dir() and (any(self.root.glob("*.tar.gz")) or (self.root / "graphs").is_dir()):
            from kplane.network.io import DatanetDataset

            self.format = "datanet"
            self.source = DatanetDataset(self.root, skip_unstable=skip_unstable)
        else:
            raise FormatError(
                "neither a kplane dataset (manifest.json) nor a datanet dataset (graphs/, *.tar.gz)",
                file=str(self.root),
            )

    def __len__(self) -> int:
        return len(self.source)

    def get(self, i: int) -> DatasetSample:
        if self.format == "kplane":
            return self.source.get(i)
        s = self.source[i]
        meta = dict(s.metadata)
        links = meta.pop("link_stats", None) or {}
        meta.update(sample_id=i, topology=s.scenario.topology.name, split="train")
        return DatasetSample(s.scenario, s.kpis, links, meta)

    def topologies(self) -> list[str]:
        if self._topologies is None:
            if self.format == "kplane":
                self._topologies = self.source.topologies()
            else:
                self._topologies = [s.scenario.topology.name for s in self.source]
        return list(self._topologies)

    def split_labels(self) -> list[str]:
        if self.format == "kplane":
            return self.source.split_labels()
        raise UnsupportedError("datanet datasets carry no split labels; split by 'topology' or 'sample'")

    def __repr__(self) -> str:
        return f"RouteNetDataset({str(self.root)!r}, format={self.format!r}, n={len(self)})"
