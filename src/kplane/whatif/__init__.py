"""kplane.whatif."""
