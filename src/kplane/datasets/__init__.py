"""kplane.datasets."""
