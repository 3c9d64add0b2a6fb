"""Agreement of the simulator with recorded simulations (datanet samples) and its noise floor.

Each sample is simulated with its own scenario and its recorded simulated time. Per sample:

- **delay MAPE** — mean over paths of ``|kplane − recorded| / recorded`` mean delay, over paths
  whose recorded mean delay is > 0 and that delivered packets in both;
- **jitter MAPE** — the same for the delay variance (paths with recorded jitter > 0);
- **loss MAE** — mean over paths of ``|kplane − recorded|`` loss ratio;
- **port statistics** — when the sample has them: utilisation and busy-time mean occupancy
  MAPE, per-port loss MAE (:func:`compare_links`);
- **wall-time ratio** — the recorded simulator's wall time / kplane's (event loop; compilation
  excluded), also against kplane's CPU time, which a loaded machine does not inflate.

The **noise floor** is the same comparison between two kplane runs with different seeds: the
disagreement that finite run length alone produces between two correct simulators of the same
length. A simulator that agrees with the recorded one up to statistical noise has a MAPE against
it close to this floor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.errors import InvalidParameterError
from kplane.network import PathKPIs

__all__ = ["ValidationReport", "compare_kpis", "compare_links", "validate_samples"]


def compare_kpis(model: PathKPIs, reference: PathKPIs) -> dict[str, float]:
    """Delay MAPE, jitter MAPE and loss MAE of ``model`` against ``reference`` (same paths).

    Returns
    -------
    dict
        ``delay_mape``, ``jitter_mape``, ``loss_mae`` (NaN when no path qualifies) and the path
        counts they were computed over (``n_delay``, ``n_jitter``, ``n_loss``); with percentiles
        on both sides also ``percentile_mape`` over all levels (``n_percentile`` values).
    """
    if model.n_paths != reference.n_paths or not np.array_equal(model.pairs, reference.pairs):
        raise InvalidParameterError("compare_kpis needs the KPIs of the same paths in the same order")

    def mape(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, int]:
        ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
        return (float(np.mean(np.abs(a[ok] - b[ok]) / b[ok])) if ok.any() else float("nan")), int(ok.sum())

    d, nd = mape(model.mean_delay, reference.mean_delay)
    j, nj = mape(model.jitter, reference.jitter)
    ok = np.isfinite(model.loss_ratio) & np.isfinite(reference.loss_ratio)
    err = np.abs(model.loss_ratio[ok] - reference.loss_ratio[ok])
    loss = float(np.mean(err)) if ok.any() else float("nan")
    out: dict[str, float] = {"delay_mape": d, "jitter_mape": j, "loss_mae": loss, "n_delay": nd,
                             "n_jitter": nj, "n_loss": int(ok.sum())}
    if model.percentiles is not None and reference.percentiles is not None:
        out["percentile_mape"], out["n_percentile"] = mape(model.percentiles.ravel(),
                                                           reference.percentiles.ravel())
    return out


def compare_links(links: Any, recorded: Mapping[str, Any]) -> dict[str, float]:
    """Port statistics against recorded ones (datanet ``linkUsage.txt``: ``utilisation``,
    ``loss_ratio``, ``mean_occupancy`` — the latter averaged over busy time, so it is compared with
    :attr:`LinkStats.mean_busy_occupancy`).

    Returns ``utilisation_mape``, ``occupancy_mape`` (ports with recorded values > 0) and
    ``link_loss_mae``.
    """

    def mape(a: Any, b: Any) -> float:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        ok = np.isfinite(a) & np.isfinite(b) & (b > 0)
        return float(np.mean(np.abs(a[ok] - b[ok]) / b[ok])) if ok.any() else float("nan")

    out = {"utilisation_mape": float("nan"), "occupancy_mape": float("nan"), "link_loss_mae": float("nan")}
    if "utilisation" in recorded:
        out["utilisation_mape"] = mape(links.utilisation, recorded["utilisation"])
    if "mean_occupancy" in recorded:
        out["occupancy_mape"] = mape(links.mean_busy_occupancy, recorded["mean_occupancy"])
    if "loss_ratio" in recorded:
        a, b = np.asarray(links.loss_ratio, dtype=float), np.asarray(recorded["loss_ratio"], dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        out["link_loss_mae"] = float(np.mean(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")
    return out


@dataclass
class ValidationReport:
    """Per-sample and overall agreement (see the module docstring).

    Overall MAPE/MAE values pool every path of every sample. ``noise_*`` are the kplane-seed vs
    kplane-seed values (None unless requested).
    """

    samples: list[dict[str, Any]]
    delay_mape: float
    jitter_mape: float
    loss_mae: float
    kplane_wall_s: float
    kplane_cpu_s: float
    recorded_wall_s: float | None
    n_packets: int
    percentile_mape: float | None = None
    noise_delay_mape: float | None = None
    noise_jitter_mape: float | None = None
    noise_loss_mae: float | None = None
    noise_percentile_mape: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        """Recorded wall time / kplane wall time, over all samples."""
        if self.recorded_wall_s is None or self.kplane_wall_s <= 0:
            return None
        return self.recorded_wall_s / self.kplane_wall_s

    @property
    def speedup_cpu(self) -> float | None:
        """Recorded wall time / kplane CPU time (one core; robust to a loaded machine)."""
        if self.recorded_wall_s is None or self.kplane_cpu_s <= 0:
            return None
        return self.recorded_wall_s / self.kplane_cpu_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (keys of the ``kplane sim validate --json`` output)."""
        return {
            "delay_mape": self.delay_mape,
            "jitter_mape": self.jitter_mape,
            "loss_mae": self.loss_mae,
            "percentile_mape": self.percentile_mape,
            "noise_floor": None if self.noise_delay_mape is None else {
                "delay_mape": self.noise_delay_mape,
                "jitter_mape": self.noise_jitter_mape,
                "loss_mae": self.noise_loss_mae,
                "percentile_mape": self.noise_percentile_mape,
            },
            "kplane_wall_s": self.kplane_wall_s,
            "kplane_cpu_s": self.kplane_cpu_s,
            "recorded_wall_s": self.recorded_wall_s,
            "speedup": self.speedup,
            "speedup_cpu": self.speedup_cpu,
            "n_packets": self.n_packets,
            "packets_per_s": self.n_packets / self.kplane_wall_s if self.kplane_wall_s > 0 else None,
            "samples": self.samples,
            "metadata": self.metadata,
        }


def _pooled(rows: list[dict[str, Any]], key: str, count: str) -> float:
    num = sum(r[key] * r[count] for r in rows if r[count] > 0 and np.isfinite(r[key]))
    den = sum(r[count] for r in rows if r[count] > 0 and np.isfinite(r[key]))
    return float(num / den) if den else float("nan")


def validate_samples(
    samples: Sequence[Any],
    *,
    seed: int = 0,
    noise_floor: bool = False,
    warmup: float | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> ValidationReport:
    """Simulate datanet samples with their recorded simulated time and compare.

    Parameters
    ----------
    samples : sequence of DatanetSample
        Each with ``scenario``, ``kpis`` and ``metadata['sim_time']`` (s), optionally
        ``metadata['wall_time_s']``.
    seed : int
        Seed of the kplane runs (the noise-floor run uses ``seed + 1``).
    noise_floor : bool
        Also simulate every sample with a second seed and report the seed-to-seed disagreement.
    warmup : float, optional
        Warm-up per run (default: the simulator's, 1/20 of the simulated time).
    progress : callable, optional
        ``progress(done, total)`` in samples.
    """
    from kplane.sim._simulate import simulate

    samples = list(samples)
    rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    wall = cpu = 0.0
    rec_wall: float | None = 0.0
    n_packets = 0
    n = len(samples)
    for i, smp in enumerate(samples):
        duration = float(smp.metadata["sim_time"])
        cb = None if progress is None else (lambda f, i=i: progress(i + f, n))
        res = simulate(smp.scenario, duration=duration, warmup=warmup, seed=seed, progress=cb)
        cmp = compare_kpis(res.kpis, smp.kpis)
        rw = smp.metadata.get("wall_time_s")
        if rw is None:
            rec_wall = None
        elif rec_wall is not None:
            rec_wall += float(rw)
        wall += res.wall_time_s
        cpu += res.cpu_time_s
        n_packets += res.n_packets
        row = {
            "sample": i,
            "name": smp.scenario.name,
            "sim_time": duration,
            "n_paths": smp.scenario.n_paths,
            **cmp,
            "kplane_wall_s": res.wall_time_s,
            "kplane_cpu_s": res.cpu_time_s,
            "recorded_wall_s": None if rw is None else float(rw),
            "speedup": None if rw is None else float(rw) / res.wall_time_s,
            "speedup_cpu": None if rw is None else float(rw) / res.cpu_time_s,
            "n_packets": res.n_packets,
            "n_events": res.n_events,
        }
        if smp.metadata.get("link_stats"):
            row["links"] = compare_links(res.links, smp.metadata["link_stats"])
        if noise_floor:
            res2 = simulate(smp.scenario, duration=duration, warmup=warmup, seed=seed + 1)
            nf = compare_kpis(res2.kpis, res.kpis)
            noise_rows.append(nf)
            row["noise_floor"] = nf
        rows.append(row)
    report = ValidationReport(
        samples=rows,
        delay_mape=_pooled(rows, "delay_mape", "n_delay"),
        jitter_mape=_pooled(rows, "jitter_mape", "n_jitter"),
        loss_mae=_pooled(rows, "loss_mae", "n_loss"),
        kplane_wall_s=wall,
        kplane_cpu_s=cpu,
        recorded_wall_s=rec_wall,
        n_packets=n_packets,
        metadata={"seed": seed, "n_samples": n},
    )
    if any("percentile_mape" in r for r in rows):
        report.percentile_mape = _pooled([r for r in rows if "percentile_mape" in r], "percentile_mape",
                                         "n_percentile")
    if noise_floor:
        report.noise_delay_mape = _pooled(noise_rows, "delay_mape", "n_delay")
        report.noise_jitter_mape = _pooled(noise_rows, "jitter_mape", "n_jitter")
        report.noise_loss_mae = _pooled(noise_rows, "loss_mae", "n_loss")
        if all("percentile_mape" in r for r in noise_rows):
            report.noise_percentile_mape = _pooled(noise_rows, "percentile_mape", "n_percentile")
    return report
