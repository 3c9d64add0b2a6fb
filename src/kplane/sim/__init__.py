"""kplane.sim — the packet-level discrete-event simulator (ground truth)."""

from kplane.sim._result import LinkStats, SimResult
from kplane.sim._simulate import simulate

__all__ = ["LinkStats", "SimResult", "simulate"]
