"""Dataset specs shipped with kplane (TOML package data); see :func:`kplane.datasets.list_specs`."""
