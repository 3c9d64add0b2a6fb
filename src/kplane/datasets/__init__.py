"""kplane.datasets."""

from kplane.datasets._collate import GraphBatch, collate

__all__ = ["GraphBatch", "collate"]
