"""kplane.sim."""
