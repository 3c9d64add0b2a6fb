"""Risk-aware traffic engineering on open solvers.

- :class:`TEInstance` — topology (capacities in bit/s), per-flow demands (bit/s), a
  :class:`TunnelSet` (k shortest paths, or tunnel files) and a :class:`ScenarioSet` (tunnel survival
  and probabilities, healthy first); :func:`build_instance` from bundled topologies and WAN data files.
- :mod:`kplane.te.failures` — per-link / per-fibre (SRLG) failure models, Weibull probabilities,
  cutoff enumeration, FFC's k-failure sets.
- Objectives — the Sort-and-Select family (:class:`Objective`, :func:`make_objective`): worst case
  (FFC), CVaR_β (TeaVaR), per-flow quantile (FloMore/PreTE), expected, nominal; numpy and torch.
- :func:`replay` — losses, throughput, availability, VaR/CVaR, utilisation of any allocation.
- :mod:`kplane.te.solvers` — exact LP/MILP formulations on HiGHS (:func:`solve`).
- JSON: :func:`save_instance` / :func:`load_instance`, scenarios and allocations.

Conventions: ``ℓ[f, q] = max(0, 1 − Σ_t x[t] y[q, t])``; ``L_q`` = mean of ``ℓ`` over flows with
positive demand; objective values are losses (lower is better); throughput =
total demand × (1 − objective value). See ``docs/te.md``.
"""

from kplane.te import failures
from kplane.te._builders import (
    DEFAULT_WEIBULL_SCALE,
    FAILURE_MODELS,
    FILE_FORMATS,
    TUNNEL_FORMATS,
    build_instance,
    detect_format,
    read_scenario_file,
    read_tunnels,
    read_wan,
)
from kplane.te._demands import gravity_demands
from kplane.te._formats import (
    read_arrow_scenarios,
    read_arrow_tunnels,
    read_figret_tunnels,
    read_flexile_scenarios,
    read_flexile_tunnels,
    read_yates_paths,
)
from kplane.te._instance import TEInstance
from kplane.te._io import (
    load_allocation,
    load_instance,
    load_scenarios,
    save_allocation,
    save_instance,
    save_scenarios,
)
from kplane.te._objectives import (
    LOSS_WEIGHTINGS,
    OBJECTIVES,
    Mask,
    Objective,
    cvar,
    flow_losses,
    loss_weights,
    make_objective,
    scenario_losses,
    sort_select,
    value_at_risk,
)
from kplane.te._objectives_torch import TorchObjective, flow_losses_torch, sort_select_torch
from kplane.te._replay import REROUTE_MODES, ReplayResult, replay
from kplane.te._scenarios import ScenarioSet, survival_matrix
from kplane.te._tunnels import DEFAULT_TUNNELS_PER_FLOW, all_pairs, k_shortest_tunnels
from kplane.te._tunnelset import TunnelSet
from kplane.te.solvers import ExactSolver, TESolution, TEStatus, solve

__all__ = [
    "DEFAULT_TUNNELS_PER_FLOW",
    "DEFAULT_WEIBULL_SCALE",
    "FAILURE_MODELS",
    "FILE_FORMATS",
    "LOSS_WEIGHTINGS",
    "OBJECTIVES",
    "REROUTE_MODES",
    "TUNNEL_FORMATS",
    "ExactSolver",
    "Mask",
    "Objective",
    "ReplayResult",
    "ScenarioSet",
    "TEInstance",
    "TESolution",
    "TEStatus",
    "TorchObjective",
    "TunnelSet",
    "all_pairs",
    "build_instance",
    "cvar",
    "detect_format",
    "failures",
    "flow_losses",
    "flow_losses_torch",
    "gravity_demands",
    "k_shortest_tunnels",
    "load_allocation",
    "load_instance",
    "load_scenarios",
    "loss_weights",
    "make_objective",
    "read_arrow_scenarios",
    "read_arrow_tunnels",
    "read_figret_tunnels",
    "read_flexile_scenarios",
    "read_flexile_tunnels",
    "read_scenario_file",
    "read_tunnels",
    "read_wan",
    "read_yates_paths",
    "replay",
    "save_allocation",
    "save_instance",
    "save_scenarios",
    "scenario_losses",
    "solve",
    "sort_select",
    "sort_select_torch",
    "survival_matrix",
    "value_at_risk",
]
