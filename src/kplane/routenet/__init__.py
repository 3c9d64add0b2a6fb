"""RouteNet (Rusek, Suárez-Varela et al., IEEE JSAC 2020) in PyTorch.

- :class:`RouteNet` — the graph neural network of Algorithm 1 (path GRU over link states, summed
  path→link messages, link GRU update, T iterations, readout with a residual path).
- :class:`RouteNetMultiHead` — one or more RouteNet networks feeding the output heads
  (Normal or Gamma delay, Binomial loss; :data:`HEADS`).
- :class:`FeatureSpec`, :class:`FeatureScaler` — input features and their normalisation.
- :func:`train_network`, :class:`TrainSettings` — resumable, deterministic training.
- :class:`RouteNetModel` — the :class:`~kplane.network.PerformanceModel`: ``fit``, ``predict``,
  ``save``, ``load``.
"""

from kplane.routenet._calibrate import Calibration, fit_calibration
from kplane.routenet._checkpoint import (
    CHECKPOINT_SCHEMA,
    CHECKPOINT_SCHEMA_VERSION,
    load_checkpoint,
    save_checkpoint,
)
from kplane.routenet._evaluate import KPI_NAMES, Evaluation, evaluate_models, noise_floor, plot_evaluation
from kplane.routenet._features import (
    FEATURE_SETS,
    LINK_FEATURES,
    PATH_FEATURES,
    TARGET_MODES,
    FeatureScaler,
    FeatureSpec,
    delay_reference,
    raw_features,
)
from kplane.routenet._heads import (
    DELAY_HEADS,
    HEAD_OUTPUTS,
    HEADS,
    JITTER_HEADS,
    LOSS_HEADS,
    SIGMA_INIT,
    binomial_nll,
    gamma_nll,
    gamma_params,
    head_loss,
    head_predict,
    make_targets,
    normal_nll,
    normal_params,
    variance_nll,
    variance_params,
)
from kplane.routenet._inference import kpi_metrics, predict_batch
from kplane.routenet._model import RouteNet, RouteNetMultiHead, RoutingPlan
from kplane.routenet._predict import DEFAULT_HEADS, OOD_POLICIES, RouteNetModel, bundled_weights
from kplane.routenet._settings import TrainResult, TrainSettings
from kplane.routenet._train import as_sample, train_network

__all__ = [
    "KPI_NAMES",
    "Calibration",
    "Evaluation",
    "fit_calibration",
    "evaluate_models",
    "noise_floor",
    "plot_evaluation",
    "CHECKPOINT_SCHEMA",
    "CHECKPOINT_SCHEMA_VERSION",
    "DEFAULT_HEADS",
    "DELAY_HEADS",
    "FEATURE_SETS",
    "HEADS",
    "JITTER_HEADS",
    "HEAD_OUTPUTS",
    "LINK_FEATURES",
    "LOSS_HEADS",
    "OOD_POLICIES",
    "PATH_FEATURES",
    "SIGMA_INIT",
    "TARGET_MODES",
    "FeatureScaler",
    "FeatureSpec",
    "RouteNet",
    "RouteNetModel",
    "RouteNetMultiHead",
    "RoutingPlan",
    "TrainResult",
    "TrainSettings",
    "as_sample",
    "binomial_nll",
    "bundled_weights",
    "delay_reference",
    "gamma_nll",
    "gamma_params",
    "head_loss",
    "head_predict",
    "kpi_metrics",
    "load_checkpoint",
    "make_targets",
    "normal_nll",
    "normal_params",
    "variance_nll",
    "variance_params",
    "predict_batch",
    "raw_features",
    "save_checkpoint",
    "train_network",
]
