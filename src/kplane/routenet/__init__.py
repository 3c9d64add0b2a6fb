"""kplane.routenet."""
