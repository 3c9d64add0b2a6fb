r"""Post-hoc calibration of a trained RouteNet: one scalar per KPI, fitted on held-out labelled data.

Why a trained model may need it: its point predictions can carry a systematic offset (one bundled
model over-predicted mean delays by about 3% on training and unseen data alike). One mechanism: the
readout is trained with dropout, so the network learns outputs that are right *on average over
dropout noise*. Without dropout (the point prediction) a positive KPI predicted through an
exponential-like link (softplus rate of the Gamma head, sigmoid of the loss logit) comes out shifted:
with log-normal noise of variance :math:`s^2` on the Gamma rate, the likelihood optimum sets the noisy
rate's *mean* right, and the noise-free mean delay is :math:`e^{s^2/2}` too high. A scalar per KPI,
fitted on data the model was not trained on, removes such a shift:

- ``delay``: the queueing part of the mean delay is multiplied, ``d = o + c_d (\hat d - o)`` with
  ``o`` the path's propagation delay (which is known, not predicted);
- ``jitter``: ``c_j \hat v``;
- ``loss_logit``: the loss ratio's logit is shifted, ``p = \sigma(\mathrm{logit}(\hat p) + s)`` (for
  small ratios a factor ``e^s``; ratios stay in [0, 1]).

The factors are the exact minimisers of the mean relative error on the fitting data (weighted
medians); the shift is the best of a grid over [−4, 4] refined by a bounded scalar search, and is 0
unless it lowers the drops error. So none makes its metric worse on the fitting data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from kplane.errors import FormatError, InvalidParameterError

if TYPE_CHECKING:
    from kplane.routenet._predict import RouteNetModel

__all__ = ["Calibration", "fit_calibration"]

_LOGIT_BOUND = 4.0


@dataclass(frozen=True)
class Calibration:
    """Scalar corrections of a RouteNet's point predictions (identity by default).

    Attributes
    ----------
    delay : float
        Factor on the predicted mean delay beyond the propagation delay.
    jitter : float
        Factor on the predicted jitter.
    loss_logit : float
        Shift of the predicted loss ratio's logit.
    fitted_on : dict
        Provenance: the data, the number of samples and paths, the metrics before and after.
    """

    delay: float = 1.0
    jitter: float = 1.0
    loss_logit: float = 0.0
    fitted_on: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("delay", "jitter"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"calibration {name} factor must be a number > 0, got {v!r}")
        if not (isinstance(self.loss_logit, int | float) and math.isfinite(self.loss_logit)):
            raise InvalidParameterError(
                f"calibration loss_logit must be a finite number, got {self.loss_logit!r}"
            )

    def apply(self, pred: dict[str, torch.Tensor], offset: torch.Tensor) -> dict[str, torch.Tensor]:
        """Calibrated copies of ``mean_delay`` (and its MC draws), ``jitter`` and ``loss_ratio``."""
        out = dict(pred)
        for key in ("mean_delay", "mean_delay_samples"):
            if key in out:
                out[key] = offset + self.delay * (out[key] - offset)
        if "jitter" in out:
            out["jitter"] = self.jitter * out["jitter"]
        if "loss_ratio" in out and self.loss_logit != 0.0:
            p = out["loss_ratio"].clamp(1e-15, 1.0 - 1e-15)
            out["loss_ratio"] = torch.sigmoid(torch.logit(p) + self.loss_logit)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, file: Any = None) -> Calibration:
        """Inverse of :meth:`to_dict` (a checkpoint's ``calibration`` entry)."""
        try:
            return cls(delay=float(d["delay"]), jitter=float(d["jitter"]), loss_logit=float(d["loss_logit"]),
                       fitted_on=dict(d.get("fitted_on", {})))
        except (KeyError, TypeError, ValueError, InvalidParameterError) as exc:
            raise FormatError(f"checkpoint calibration is unusable: {exc}", file=file,
                              field="calibration") from None


def _weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _factor(pred: NDArray[np.float64], true: NDArray[np.float64], base: NDArray[np.float64]) -> float:
    """``argmin_c Σ |c·pred − true| / base`` over valid entries (1.0 when none).

    ``Σ |c·p − t| / b = Σ (|p| / b) · |c − t/p|``: a weighted median of ``t/p`` with weights ``|p|/b``.
    """
    ok = np.isfinite(pred) & np.isfinite(true) & np.isfinite(base) & (pred != 0) & (base > 0)
    if not ok.any():
        return 1.0
    c = _weighted_median(true[ok] / pred[ok], np.abs(pred[ok]) / base[ok])
    return c if c > 0 else 1.0


def _logit_shift(pred: NDArray[np.float64], true: NDArray[np.float64]) -> float:
    """``argmin_s mean |σ(logit(pred) + s) − true| / true`` over the paths given (0 when none)."""
    from scipy.optimize import minimize_scalar

    ok = np.isfinite(pred) & np.isfinite(true) & (true > 0)
    if not ok.any():
        return 0.0
    logit = np.log(np.clip(pred[ok], 1e-15, 1 - 1e-15)) - np.log1p(-np.clip(pred[ok], 1e-15, 1 - 1e-15))
    t = true[ok]

    def mre(s: float) -> float:
        return float(np.mean(np.abs(1.0 / (1.0 + np.exp(-(logit + s))) - t) / t))

    grid = np.linspace(-_LOGIT_BOUND, _LOGIT_BOUND, 81)
    best = grid[int(np.argmin([mre(s) for s in grid]))]
    step = grid[1] - grid[0]
    res = minimize_scalar(mre, bounds=(best - step, best + step), method="bounded")
    s = float(res.x) if mre(float(res.x)) <= mre(best) else float(best)
    return s if mre(s) < mre(0.0) else 0.0


class _Uncalibrated:
    """``model`` predicting without its calibration, keeping each scenario's path propagation delays."""

    def __init__(self, model: RouteNetModel) -> None:
        self.model = model
        self.offsets: list[NDArray[np.float64]] = []

    def predict(self, scenarios: Sequence[Any]) -> list[Any]:
        self.offsets.extend(sc.path_propagation_delay() for sc in scenarios)
        return self.model.predict(scenarios, calibrated=False)


def fit_calibration(
    model: RouteNetModel,
    data: Sequence[Any],
    *,
    limit: int | None = None,
    chunk: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Fit the delay and jitter factors and the loss-logit shift on labelled ``data``.

    Parameters
    ----------
    model : RouteNetModel
        A fitted model; its current calibration is ignored (the fit starts from the raw network).
    data : sequence
        Labelled samples ``(scenario, kpis, ...)`` the model was not trained on (a validation split).
    limit : int, optional
        Use only the first ``limit`` samples.
    chunk : int
        Scenarios per prediction call.
    progress : callable, optional
        Called with (samples done, total).

    Returns
    -------
    Calibration
        With ``fitted_on`` holding the sample and path counts and the fitting data's MRE before and
        after (``delay_mre``, ``jitter_mre``, ``drops_mre``, as :class:`~kplane.routenet.Evaluation`
        computes them).
    """
    from kplane.routenet._evaluate import Evaluation, evaluate_models

    raw_model = _Uncalibrated(model)
    ev = evaluate_models({"raw": raw_model}, data, limit=limit, chunk=chunk, progress=progress)
    t, raw = ev.truth, ev.predictions["raw"]
    o = np.concatenate(raw_model.offsets)
    delay = _factor(raw["mean_delay"] - o, t["mean_delay"] - o, t["mean_delay"])
    jitter = _factor(raw["jitter"], t["jitter"], t["jitter"])
    # the drops metric's paths: at least one drop (counts when the labels carry them, else loss > 0)
    lossy = np.where(np.isfinite(t["dropped"]), t["dropped"] >= 1, True) & (t["loss_ratio"] > 0)
    shift = _logit_shift(np.where(lossy, raw["loss_ratio"], np.nan), np.where(lossy, t["loss_ratio"], np.nan))
    cal = Calibration(delay=delay, jitter=jitter, loss_logit=shift)
    after = cal.apply({k: torch.from_numpy(v) for k, v in raw.items()}, torch.from_numpy(o))
    both = Evaluation(truth=t, predictions={"before": raw, "after": {k: v.numpy() for k, v in after.items()}},
                      n_samples=ev.n_samples).metrics()
    keys = ("delay_mre", "jitter_mre", "drops_mre")
    fitted_on = {"samples": ev.n_samples, "paths": both["paths"],
                 "before": {k: both["before"][k] for k in keys}, "after": {k: both["after"][k] for k in keys}}
    return replace(cal, fitted_on=fitted_on)
