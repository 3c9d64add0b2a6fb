"""kplane.datasets: reproducible RouteNet training data — generate, store, load, batch.

- Specs: :class:`DatasetSpec`, :func:`load_spec` (a TOML/YAML file or a shipped spec's name),
  :func:`list_specs`, :func:`spec_text`.
- Generation: :func:`generate` (local process pool or Ray; resumable), :func:`expand` (spec → jobs),
  :func:`run_job`.
- Storage: Parquet shards + ``manifest.json`` (:data:`COLUMNS`, :data:`SCHEMA_VERSION`);
  :func:`verify_dataset`, :func:`dataset_info`, :func:`export_datanet`.
- Loading: :class:`KplaneDataset`, :class:`RouteNetDataset` (kplane or datanet), :func:`split_dataset`,
  :func:`make_loader` with :func:`collate` (one disconnected graph per batch, :class:`GraphBatch`).
"""

from kplane.datasets._collate import GraphBatch, collate
from kplane.datasets._dataset import DatasetSample, KplaneDataset, RouteNetDataset, Subset
from kplane.datasets._generate import BACKENDS, GenerationReport, Progress, generate, run_job
from kplane.datasets._info import dataset_info, export_datanet
from kplane.datasets._jobs import Job, Plan, expand
from kplane.datasets._loader import collate_samples, make_loader
from kplane.datasets._spec import (
    CapacityRule,
    DatasetSpec,
    RoutingSpec,
    SimulationSpec,
    TopologySource,
    TrafficSpec,
)
from kplane.datasets._spec_parse import list_specs, load_spec, spec_text
from kplane.datasets._splits import DatasetSplits, split_dataset
from kplane.datasets._storage import COLUMNS, SCHEMA_VERSION
from kplane.datasets._verify import VerifyReport, verify_dataset

__all__ = [
    "BACKENDS",
    "COLUMNS",
    "SCHEMA_VERSION",
    "CapacityRule",
    "DatasetSample",
    "DatasetSpec",
    "DatasetSplits",
    "GenerationReport",
    "GraphBatch",
    "Job",
    "KplaneDataset",
    "Plan",
    "Progress",
    "RouteNetDataset",
    "RoutingSpec",
    "SimulationSpec",
    "Subset",
    "TopologySource",
    "TrafficSpec",
    "VerifyReport",
    "collate",
    "collate_samples",
    "dataset_info",
    "expand",
    "export_datanet",
    "generate",
    "list_specs",
    "load_spec",
    "make_loader",
    "run_job",
    "spec_text",
    "split_dataset",
    "verify_dataset",
]
