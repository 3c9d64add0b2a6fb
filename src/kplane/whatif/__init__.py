"""What-if optimisation over any :class:`~kplane.network.PerformanceModel` (RouteNet §VI).

The control plane evaluates candidate configurations with a performance model and picks the best.
Every optimizer here takes the model as an argument, so RouteNet, the queueing model and the
simulator go through one code path.

- :class:`Policy`, :class:`Constraint`, :class:`Objective` — selection rules as data, with the
  paper's fallbacks; :class:`Selection` records which rule decided and why.
- :func:`routing_candidates`, :func:`link_candidates` — shortest-path variants and new-link
  topologies.
- :class:`RoutingOptimizer`, :func:`balanced_utilisation_choice`, :func:`compare_routings` —
  QoS-aware routing (§VI-A) and its baselines, measured by the simulator.
- :class:`LinkPlacementOptimizer`, :func:`most_utilised_link_upgrade`, :func:`compare_placements`
  — budget-constrained link placement (§VI-B).
- :func:`resolve_model` — ``"queueing"``, ``"sim"``, ``"bundled"`` or a RouteNet checkpoint path.
- :func:`reproduce_fig3`, :func:`reproduce_table2` — the paper's experiments, resumable, with
  :func:`fig3_summary`, :func:`plot_fig3` and :func:`table2_markdown` for their reports.
"""

from kplane.whatif._candidates import (
    LinkCandidate,
    add_link,
    candidate_scenarios,
    link_candidates,
    routing_candidates,
    unique_routings,
)
from kplane.whatif._evaluate import SUMMARY_METRICS, predict_batched, summarise
from kplane.whatif._models import MODEL_CHOICES, make_simulator, resolve_model
from kplane.whatif._placement import (
    CAPACITY_STEPS,
    LinkPlacementOptimizer,
    LinkUpgrade,
    PlacementChoice,
    PlacementReport,
    compare_placements,
    most_utilised_link_upgrade,
)
from kplane.whatif._policy import Policy, Selection
from kplane.whatif._report import LOSS_FLOOR, fig3_summary, plot_fig3, table2_markdown
from kplane.whatif._reproduce import (
    PAPER_CAPACITIES,
    Fig3Config,
    Table2Config,
    reproduce_fig3,
    reproduce_table2,
)
from kplane.whatif._routing import (
    BASELINES,
    Outcome,
    RoutingChoice,
    RoutingOptimizer,
    RoutingReport,
    balanced_utilisation_choice,
    compare_routings,
    routing_to_dict,
)
from kplane.whatif._terms import METRICS, Constraint, Objective, aggregate_metric

__all__ = [
    "BASELINES",
    "CAPACITY_STEPS",
    "LOSS_FLOOR",
    "METRICS",
    "MODEL_CHOICES",
    "PAPER_CAPACITIES",
    "SUMMARY_METRICS",
    "Constraint",
    "Fig3Config",
    "LinkCandidate",
    "LinkPlacementOptimizer",
    "LinkUpgrade",
    "Objective",
    "Outcome",
    "PlacementChoice",
    "PlacementReport",
    "Policy",
    "RoutingChoice",
    "RoutingOptimizer",
    "RoutingReport",
    "Selection",
    "Table2Config",
    "add_link",
    "aggregate_metric",
    "balanced_utilisation_choice",
    "candidate_scenarios",
    "compare_placements",
    "compare_routings",
    "fig3_summary",
    "link_candidates",
    "make_simulator",
    "most_utilised_link_upgrade",
    "plot_fig3",
    "predict_batched",
    "reproduce_fig3",
    "reproduce_table2",
    "resolve_model",
    "routing_candidates",
    "routing_to_dict",
    "summarise",
    "table2_markdown",
    "unique_routings",
]
