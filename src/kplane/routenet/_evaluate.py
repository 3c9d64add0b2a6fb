"""Accuracy of performance models on labelled scenarios: the RouteNet paper's Table I and Fig. 2.

:func:`evaluate_models` runs any :class:`~kplane.network.PerformanceModel` (RouteNet, the M/M/1/b
baseline, ...) over a labelled dataset and keeps, per path, the true and predicted mean delay, jitter
and loss ratio. :meth:`Evaluation.metrics` summarises them:

- ``delay_mre``, ``jitter_mre`` — mean relative error ``|pred − true| / true`` over the paths with a
  positive true value (the paper's MRE); ``*_mape`` the same in percent; ``*_median_re`` the median
  relative error; ``*_bias`` the signed mean relative error (over- or under-prediction);
- ``drops_mre`` — the paper's drops metric: relative error of the number of dropped packets over the
  paths with at least one drop. With the same packets offered, predicted drops = predicted loss ratio ×
  generated packets, so this is the relative error of the loss ratio on those paths;
- ``*_r2`` (coefficient of determination) and ``*_pearson`` (Pearson ρ) of delay, jitter and loss
  ratio; ``loss_corr`` is the Pearson ρ of loss ratios over all paths, zero-loss paths included, and
  ``loss_mae`` their mean absolute error (``loss_paths`` paths).

:func:`plot_evaluation` draws Fig. 2 (CDF of the relative error of delay, jitter and drops, one line per
model) and predicted-vs-true scatter plots, as PNG.

:func:`noise_floor` simulates labelled samples again with another seed and scores that second run
like a model: the error of the labels themselves, which no model can be expected to beat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs, PerformanceModel, Scenario

__all__ = ["KPI_NAMES", "Evaluation", "evaluate_models", "noise_floor", "plot_evaluation"]

KPI_NAMES = ("delay", "jitter", "drops")
_FIELDS = ("mean_delay", "jitter", "loss_ratio")


@dataclass
class Evaluation:
    """Per-path truth and predictions of one or more models over a labelled dataset.

    Attributes
    ----------
    truth : dict of str to ndarray
        ``mean_delay`` [s], ``jitter`` [s²], ``loss_ratio`` and ``dropped`` (packets; NaN when the
        labels carry no count), each of shape (P,) over all paths of all samples.
    predictions : dict of str to dict of str to ndarray
        Per model name, ``mean_delay``, ``jitter`` and ``loss_ratio`` of shape (P,).
    n_samples : int
        Scenarios evaluated.
    """

    truth: dict[str, NDArray[np.float64]]
    predictions: dict[str, dict[str, NDArray[np.float64]]]
    n_samples: int

    def relative_errors(self, model: str, kpi: str) -> NDArray[np.float64]:
        """Signed relative errors ``(pred − true) / true`` of ``kpi`` (delay, jitter or drops)."""
        if kpi not in KPI_NAMES:
            raise InvalidParameterError(f"kpi must be one of {KPI_NAMES}, got {kpi!r}")
        if model not in self.predictions:
            raise InvalidParameterError(f"no model {model!r}; evaluated: {sorted(self.predictions)}")
        name = {"delay": "mean_delay", "jitter": "jitter", "drops": "loss_ratio"}[kpi]
        p, t = self.predictions[model][name], self.truth[name]
        ok = np.isfinite(p) & np.isfinite(t) & (t > 0)
        if kpi == "drops":
            dropped = self.truth["dropped"]
            # paths with at least one dropped packet (counts when the labels carry them, else loss > 0)
            ok &= np.where(np.isfinite(dropped), dropped >= 1, True)
        return (p[ok] - t[ok]) / t[ok]

    def metrics(self) -> dict[str, Any]:
        """The summary of every model: ``{model: {metric: value}}`` plus ``samples`` and ``paths``."""
        out: dict[str, Any] = {"samples": self.n_samples, "paths": int(self.truth["mean_delay"].size)}
        for m in self.predictions:
            out[m] = self._model_metrics(m)
        return out

    def _model_metrics(self, model: str) -> dict[str, Any]:
        res: dict[str, Any] = {}
        for kpi in KPI_NAMES:
            re = self.relative_errors(model, kpi)
            res[f"{kpi}_mre"] = float(np.mean(np.abs(re))) if re.size else float("nan")
            res[f"{kpi}_mape"] = 100.0 * res[f"{kpi}_mre"]
            res[f"{kpi}_median_re"] = float(np.median(np.abs(re))) if re.size else float("nan")
            res[f"{kpi}_bias"] = float(np.mean(re)) if re.size else float("nan")
            res[f"{kpi}_paths"] = int(re.size)
        for kpi, name in zip(("delay", "jitter", "loss"), _FIELDS, strict=True):
            p, t = self.predictions[model][name], self.truth[name]
            ok = np.isfinite(p) & np.isfinite(t)
            res[f"{kpi}_r2"], res[f"{kpi}_pearson"] = _r2_pearson(p[ok], t[ok])
            if kpi == "loss":
                res["loss_mae"] = float(np.mean(np.abs(p[ok] - t[ok]))) if ok.any() else float("nan")
                res["loss_paths"] = int(ok.sum())
        res["loss_corr"] = res["loss_pearson"]
        return res


def _r2_pearson(p: NDArray[np.float64], t: NDArray[np.float64]) -> tuple[float, float]:
    if p.size < 2:
        return float("nan"), float("nan")
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    r2 = 1.0 - float(np.sum((p - t) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    rho = float(np.corrcoef(p, t)[0, 1]) if p.std() > 0 and t.std() > 0 else float("nan")
    return r2, rho


def evaluate_models(
    models: Mapping[str, PerformanceModel],
    data: Sequence[Any],
    *,
    limit: int | None = None,
    chunk: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Predict every labelled sample of ``data`` with every model and keep truth and predictions per path.

    Parameters
    ----------
    models : mapping of str to PerformanceModel
        Models by display name, e.g. ``{"routenet": RouteNetModel.load(...), "queueing": MM1bModel()}``.
    data : sequence
        Indexable labelled samples: items whose first two entries are a :class:`Scenario` and its
        :class:`PathKPIs` (kplane datasets, datanet folders, lists of pairs).
    limit : int, optional
        Use only the first ``limit`` samples.
    chunk : int
        Scenarios per ``predict`` call.
    progress : callable, optional
        Called with (samples done, total).

    Returns
    -------
    Evaluation
    """
    if not models:
        raise InvalidParameterError("evaluate_models needs at least one model")
    n = len(data) if limit is None else min(int(limit), len(data))
    if n < 1:
        raise InvalidParameterError(
            f"no labelled samples to evaluate (limit={limit!r}, data has {len(data)})"
        )
    truth: dict[str, list[NDArray[np.float64]]] = {k: [] for k in (*_FIELDS, "dropped")}
    preds: dict[str, dict[str, list[NDArray[np.float64]]]] = {m: {k: [] for k in _FIELDS} for m in models}
    for start in range(0, n, chunk):
        items = [data[i] for i in range(start, min(n, start + chunk))]
        scenarios: list[Scenario] = [it[0] for it in items]
        labels: list[PathKPIs] = [it[1] for it in items]
        for kp in labels:
            for k in _FIELDS:
                truth[k].append(np.asarray(getattr(kp, k), dtype=np.float64))
            dropped = kp.dropped if kp.dropped is not None else np.full(kp.n_paths, np.nan)
            truth["dropped"].append(np.asarray(dropped, dtype=np.float64))
        for name, model in models.items():
            out = model.predict(scenarios)
            for kp, lab in zip(out, labels, strict=True):
                if kp.n_paths != lab.n_paths or not np.array_equal(kp.pairs, lab.pairs):
                    raise InvalidParameterError(f"model {name!r} returned other paths than the labels")
                for k in _FIELDS:
                    preds[name][k].append(np.asarray(getattr(kp, k), dtype=np.float64))
        if progress is not None:
            progress(min(n, start + chunk), n)
    return Evaluation(
        truth={k: np.concatenate(v) for k, v in truth.items()},
        predictions={m: {k: np.concatenate(v) for k, v in d.items()} for m, d in preds.items()},
        n_samples=n,
    )


def noise_floor(
    data: Sequence[Any],
    *,
    limit: int,
    seed_offset: int = 1,
    n_jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Score a second simulation of each sample, with another seed, against its labels.

    Each of the first ``limit`` samples is simulated again for its recorded time: kplane samples with
    their ``duration``, ``warmup`` and ``sim_seed + seed_offset``; datanet samples for their
    ``sim_time`` with the simulator's default warm-up and seed ``seed_offset + index``. The result is
    an :class:`Evaluation` with one model, ``"simulator"``. On kplane data its metrics are the label
    noise (for a mean, the relative error of two independent estimates is about √2 times that of
    one); on data from another simulator they add the two simulators' disagreement.

    Parameters
    ----------
    data : sequence
        Labelled samples carrying ``metadata`` (kplane datasets, datanet folders).
    limit : int
        Samples to simulate again (the first ones), >= 1.
    seed_offset : int
        Added to each sample's simulation seed; must not be 0.
    n_jobs : int
        Simulator processes.
    progress : callable, optional
        Called with (samples done, total).
    """
    from kplane.sim import Simulator

    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidParameterError(f"limit must be an integer >= 1, got {limit!r}")
    if isinstance(seed_offset, bool) or not isinstance(seed_offset, int) or seed_offset == 0:
        raise InvalidParameterError(f"seed_offset must be a non-zero integer, got {seed_offset!r}")
    n = min(limit, len(data))
    groups: dict[tuple[float, float | None], list[tuple[int, Any]]] = {}
    for i in range(n):
        item = data[i]
        meta = getattr(item, "metadata", None) or {}
        if "duration" in meta and "warmup" in meta:
            key: tuple[float, float | None] = (float(meta["duration"]), float(meta["warmup"]))
            seed = int(meta.get("sim_seed", i)) + seed_offset
        elif "sim_time" in meta:
            key, seed = (float(meta["sim_time"]), None), i + seed_offset
        else:
            raise InvalidParameterError(
                f"sample {i} records no simulated time (metadata 'duration'/'warmup' or 'sim_time'); "
                "the noise floor needs samples from a kplane dataset or a datanet folder"
            )
        groups.setdefault(key, []).append((seed % 2**63, item))
    parts: list[Evaluation] = []
    done = 0
    for (duration, warmup), members in groups.items():
        seeds = [s for s, _ in members]
        sim = Simulator(duration=duration, warmup=warmup, seed=seeds, n_jobs=n_jobs)
        ev = evaluate_models({"simulator": sim}, [it for _, it in members], chunk=len(members))
        parts.append(ev)
        done += len(members)
        if progress is not None:
            progress(done, n)
    return Evaluation(
        truth={k: np.concatenate([e.truth[k] for e in parts]) for k in parts[0].truth},
        predictions={"simulator": {k: np.concatenate([e.predictions["simulator"][k] for e in parts])
                                   for k in _FIELDS}},
        n_samples=n,
    )


def plot_evaluation(ev: Evaluation, out_dir: str | Path, *, title: str = "") -> list[Path]:
    """Write ``relative_error_cdf.png`` (the paper's Fig. 2) and ``scatter.png`` into ``out_dir``.

    Returns the paths written (each written to a temporary file first, then renamed).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, kpi in zip(axes, KPI_NAMES, strict=True):
        for m in ev.predictions:
            re = np.sort(ev.relative_errors(m, kpi))
            if re.size:
                ax.plot(re, np.arange(1, re.size + 1) / re.size, label=f"{m} (MRE {np.mean(np.abs(re)):.3f})")
        ax.axvline(0.0, color="grey", lw=0.6)
        first = np.abs(ev.relative_errors(next(iter(ev.predictions)), kpi))
        lim = max(0.05, float(np.percentile(first, 99))) if first.size else 1.0
        ax.set_xlim(-1.5 * lim, 1.5 * lim)
        ax.set_xlabel(f"relative error of {kpi}")
        ax.set_ylabel("CDF")
        ax.legend(fontsize=8)
    fig.suptitle(title or f"Relative error ({ev.n_samples} samples)")
    fig.tight_layout()
    written.append(_save(fig, out / "relative_error_cdf.png"))
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    units = {"mean_delay": "mean delay [s]", "jitter": "jitter [s²]", "loss_ratio": "loss ratio"}
    rng = np.random.default_rng(0)
    for ax, k in zip(axes, _FIELDS, strict=True):
        t = ev.truth[k]
        idx = np.arange(t.size)
        if t.size > 20_000:  # a readable scatter: a fixed random subset of the paths
            idx = np.sort(rng.choice(t.size, 20_000, replace=False))
        for m in ev.predictions:
            p = ev.predictions[m][k]
            ok = idx[np.isfinite(p[idx]) & np.isfinite(t[idx]) & (t[idx] > 0) & (p[idx] > 0)]
            ax.scatter(t[ok], p[ok], s=2, alpha=0.4, label=m)
        pos = t[np.isfinite(t) & (t > 0)]
        if pos.size:
            lo, hi = float(pos.min()), float(pos.max())
            ax.plot([lo, hi], [lo, hi], color="black", lw=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(f"true {units[k]}")
        ax.set_ylabel(f"predicted {units[k]}")
        ax.legend(fontsize=8, markerscale=4)
    fig.suptitle(title or f"Predicted vs true ({ev.n_samples} samples)")
    fig.tight_layout()
    written.append(_save(fig, out / "scatter.png"))
    plt.close(fig)
    return written


def _save(fig: Any, path: Path) -> Path:
    from kplane.utils import atomic_write

    with atomic_write(path, mode="wb", encoding=None) as fh:
        fig.savefig(fh, format="png", dpi=120)
    return path
