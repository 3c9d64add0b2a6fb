"""kplane.te."""
