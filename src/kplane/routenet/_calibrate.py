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
from dataclasses import asdict, dataclass, field
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
        after (``delay_mre``, ``jitter_mre``, ``drops_mre``).
    """

    n = len(data) if limit is None else min(int(limit), len(data))
    if n < 1:
        raise InvalidParameterError(
            f"no labelled samples to calibrate on (limit={limit!r}, data has {len(data)})"
        )
    cols: dict[str, list[NDArray[np.float64]]] = {k: [] for k in (
        "p_delay", "t_delay", "offset", "p_jitter", "t_jitter", "p_loss", "t_loss", "dropped")}
    for start in range(0, n, chunk):
        items = [data[i] for i in range(start, min(n, start + chunk))]
        scenarios = [it[0] for it in items]
        preds = model.predict(scenarios, calibrated=False)
        cols["offset"].append(np.concatenate([sc.path_propagation_delay() for sc in scenarios]))
        for kp, lab in zip(preds, (it[1] for it in items), strict=True):
            cols["p_delay"].append(np.asarray(kp.mean_delay, dtype=np.float64))
            cols["t_delay"].append(np.asarray(lab.mean_delay, dtype=np.float64))
            cols["p_jitter"].append(np.asarray(kp.jitter, dtype=np.float64))
            cols["t_jitter"].append(np.asarray(lab.jitter, dtype=np.float64))
            cols["p_loss"].append(np.asarray(kp.loss_ratio, dtype=np.float64))
            cols["t_loss"].append(np.asarray(lab.loss_ratio, dtype=np.float64))
            dropped = lab.dropped if lab.dropped is not None else np.full(lab.n_paths, np.nan)
            cols["dropped"].append(np.asarray(dropped, dtype=np.float64))
        if progress is not None:
            progress(min(n, start + chunk), n)
    c = {k: np.concatenate(v) for k, v in cols.items()}
    o = c["offset"]
    delay = _factor(c["p_delay"] - o, c["t_delay"] - o, c["t_delay"])
    jitter = _factor(c["p_jitter"], c["t_jitter"], c["t_jitter"])
    lossy = np.where(np.isfinite(c["dropped"]), c["dropped"] >= 1, True) & (c["t_loss"] > 0)
    shift = _logit_shift(np.where(lossy, c["p_loss"], np.nan), np.where(lossy, c["t_loss"], np.nan))
    raw = {"mean_delay": c["p_delay"], "jitter": c["p_jitter"], "loss_ratio": c["p_loss"]}
    cal = Calibration(delay=delay, jitter=jitter, loss_logit=shift)
    after = cal.apply({k: torch.from_numpy(v) for k, v in raw.items()}, torch.from_numpy(o))
    fitted_on = {"samples": n, "paths": int(c["t_delay"].size), "before": _mres(raw, c, lossy),
                 "after": _mres({k: v.numpy() for k, v in after.items()}, c, lossy)}
    return Calibration(delay=delay, jitter=jitter, loss_logit=shift, fitted_on=fitted_on)


def _mres(
    pred: dict[str, NDArray[np.float64]], c: dict[str, NDArray[np.float64]], lossy: NDArray[np.bool_]
) -> dict[str, float]:
    def mre(p: NDArray[np.float64], t: NDArray[np.float64], mask: NDArray[np.bool_] | bool = True) -> float:
        ok = np.isfinite(p) & np.isfinite(t) & (t > 0) & mask
        return float(np.mean(np.abs(p[ok] - t[ok]) / t[ok])) if ok.any() else float("nan")

    return {"delay_mre": mre(pred["mean_delay"], c["t_delay"]),
            "jitter_mre": mre(pred["jitter"], c["t_jitter"]),
            "drops_mre": mre(pred["loss_ratio"], c["t_loss"], lossy)}
