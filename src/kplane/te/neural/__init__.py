"""NeuroRisk: a physics-informed unrolled optimizer for risk-aware traffic engineering.

- :class:`NeuroRiskOptimizer` — estimator: ``fit(instances)`` (unsupervised, end to end),
  ``optimize(instance, objective, iterations=K)`` → split ratio per tunnel, ``solve`` (timed and
  replayed), ``save`` / ``load`` / ``bundled`` policies.
- Decision spaces (:mod:`._decision`): gated reservation (GR), plain reservation (BR), global and
  local scaling (GS, LS) — GR/BR feasible by construction.
- Physics engine (:func:`perceive`): the 8 features of Table 1 per (edge, tunnel, scenario).
- Unrolled optimizer (:class:`NeuroRiskNet`): K Generate → Perceive → Update steps with one shared
  MLP policy (:class:`UpdatePolicy`), per-scenario outputs aggregated with Sort-and-Select risk weights.
- Inference-time fine-tuning (:func:`finetune_latents`, ``solve(..., finetune_steps=S)``): gradient
  steps on the final latents against the exact objective (a kplane extension).
- Baselines: shortest path / ECMP splits, the scenario-collapsing (FauTE-like) surrogate.
- Instance distributions (:func:`load_te_network`, :func:`make_instance`, :func:`instance_family`).

See ``docs/te-neural.md``.
"""

from kplane.te.neural._baselines import (
    BASELINE_METHODS,
    baseline_allocation,
    collapsed_surrogate,
    ecmp_split,
    local_scaling,
    shortest_path_split,
)
from kplane.te.neural._bundled import BUNDLED_POLICIES, bundled_policy_for, bundled_policy_path
from kplane.te.neural._contract import check_te_allocation
from kplane.te.neural._decision import (
    DECISION_SPACES,
    Decision,
    clip_allocation,
    edge_softmax,
    gated_reservation,
    scaled_split,
    tighten_reservation,
)
from kplane.te.neural._estimator import NeuroRiskOptimizer
from kplane.te.neural._family import (
    PAPER_CONFIGS,
    TRAIN_CONFIGS,
    ScenarioConfig,
    TENetwork,
    default_data_dir,
    instance_family,
    load_te_network,
    make_instance,
)
from kplane.te.neural._finetune import FINETUNE_LR, FinetuneResult, finetune_latents
from kplane.te.neural._graph import InstanceGraph, check_finite_instance, compile_instance
from kplane.te.neural._io import POLICY_SCHEMA, POLICY_SCHEMA_VERSION, read_policy, write_policy
from kplane.te.neural._memory import plan_chunk
from kplane.te.neural._physics import FEATURE_NAMES, SCALING_FEATURE_NAMES, Features, perceive
from kplane.te.neural._policy import UpdatePolicy
from kplane.te.neural._risk import TerminalObjective, flow_losses, rank_weights, risk_weights
from kplane.te.neural._solution import NeuroRiskSolution
from kplane.te.neural._train import (
    CHECKPOINT_SCHEMA,
    CHECKPOINT_SCHEMA_VERSION,
    TrainSettings,
    load_checkpoint,
)
from kplane.te.neural._unroll import LEARNED_METHODS, METHOD_SPEC, NeuroRiskNet

__all__ = [
    "BASELINE_METHODS",
    "BUNDLED_POLICIES",
    "CHECKPOINT_SCHEMA",
    "CHECKPOINT_SCHEMA_VERSION",
    "DECISION_SPACES",
    "FEATURE_NAMES",
    "FINETUNE_LR",
    "LEARNED_METHODS",
    "METHOD_SPEC",
    "PAPER_CONFIGS",
    "POLICY_SCHEMA",
    "POLICY_SCHEMA_VERSION",
    "SCALING_FEATURE_NAMES",
    "TRAIN_CONFIGS",
    "Decision",
    "Features",
    "FinetuneResult",
    "InstanceGraph",
    "NeuroRiskNet",
    "NeuroRiskOptimizer",
    "NeuroRiskSolution",
    "ScenarioConfig",
    "TENetwork",
    "TerminalObjective",
    "TrainSettings",
    "UpdatePolicy",
    "baseline_allocation",
    "bundled_policy_for",
    "bundled_policy_path",
    "check_finite_instance",
    "check_te_allocation",
    "clip_allocation",
    "collapsed_surrogate",
    "compile_instance",
    "default_data_dir",
    "ecmp_split",
    "edge_softmax",
    "finetune_latents",
    "flow_losses",
    "gated_reservation",
    "instance_family",
    "load_checkpoint",
    "load_te_network",
    "local_scaling",
    "make_instance",
    "perceive",
    "plan_chunk",
    "rank_weights",
    "read_policy",
    "risk_weights",
    "scaled_split",
    "shortest_path_split",
    "tighten_reservation",
    "write_policy",
]
