"""kplane.queueing."""
