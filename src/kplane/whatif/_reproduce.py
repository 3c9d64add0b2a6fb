"""Drivers for RouteNet's use-case results: Fig. 3 (QoS routing) and Table II (link placement).

Both are resumable: every finished traffic matrix is appended to a CSV in the output folder
(rewritten atomically), next to a ``*-config.json`` that records the settings; a rerun with the
same settings skips what is done, a rerun with other settings into the same folder is refused.
Every reported KPI is a simulator measurement of the chosen configuration.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError
from kplane.network import PerformanceModel
from kplane.utils import atomic_write_bytes, atomic_write_text
from kplane.whatif._candidates import routing_candidates
from kplane.whatif._placement import compare_placements
from kplane.whatif._policy import Policy
from kplane.whatif._routing import BASELINES, RoutingOptimizer, compare_routings

__all__ = [
    "Fig3Config",
    "Table2Config",
    "fig3_summary",
    "plot_fig3",
    "reproduce_fig3",
    "reproduce_table2",
    "table2_markdown",
]

Report = Callable[[int, int, str], None]
"""``report(done, total, label)`` after each finished traffic matrix."""

FIG3_FIELDS = (
    "ti",
    "tm",
    "seed",
    "optimizer",
    "index",
    "rule",
    "mean_delay",
    "jitter",
    "jitter_over_delay",
    "loss_ratio",
)
TABLE2_FIELDS = (
    "tm",
    "seed",
    "orig_delay",
    "orig_jitter_over_delay",
    "orig_loss",
    "link",
    "new_delay",
    "new_jitter_over_delay",
    "new_loss",
    "baseline_link",
    "baseline_capacity",
    "baseline_delay",
    "baseline_jitter_over_delay",
    "baseline_loss",
    "rel_delay",
    "rel_jitter_over_delay",
)
LOSS_FLOOR = 1e-7
"""Fig. 3b plots loss on a log axis with every loss <= 1e-7 shown as 1e-7 (as the paper)."""


@dataclass(frozen=True)
class Fig3Config:
    """Settings of :func:`reproduce_fig3` (recorded beside the results).

    Attributes
    ----------
    topology : str
        Bundled topology name (the paper: NSFNET).
    intensities : tuple of float
        Traffic intensities TI in kbit/s (the paper: 11..16).
    n_tms : int
        Traffic matrices per TI (the paper: 100).
    n_candidates : int
        Routing candidates (the paper: 450).
    duration : float
        Simulated seconds per simulation.
    seed : int
        Root seed: TM ``k`` of TI ``t`` uses traffic seed ``seed + 1000·t + k``; candidate routings
        use ``seed``; measurement and reference simulations use ``seed`` and ``seed + 1``.
    model : str
        Label of the model under test.
    """

    topology: str = "nsfnet"
    intensities: tuple[float, ...] = (11, 12, 13, 14, 15, 16)
    n_tms: int = 10
    n_candidates: int = 450
    duration: float = 2000.0
    seed: int = 0
    model: str = "model"


@dataclass(frozen=True)
class Table2Config:
    """Settings of :func:`reproduce_table2` (recorded beside the results).

    Attributes
    ----------
    topology : str
    intensity : float
        TI of the high-load scenarios (the paper: 16).
    n_scenarios : int
        Scenarios to find where no candidate routing meets the loss bound (the paper: 8).
    max_tries : int
        Traffic matrices tried to find them.
    n_routings : int
        Routing candidates per topology (the paper: 450).
    capacity : float
        Capacity of the new link, bit/s (the paper: 10 kbit/s).
    duration : float
    seed : int
    model : str
    """

    topology: str = "nsfnet"
    intensity: float = 16.0
    n_scenarios: int = 8
    max_tries: int = 80
    n_routings: int = 450
    capacity: float = 10e3
    duration: float = 2000.0
    seed: int = 0
    model: str = "model"
    steps: tuple[float, ...] = field(default=(10e3, 40e3, 100e3))


def _config_guard(out_dir: Path, name: str, config: Any) -> None:
    path = out_dir / f"{name}-config.json"
    wanted = json.loads(json.dumps(asdict(config)))
    if path.exists():
        have = json.loads(path.read_text())
        if have != wanted:
            diff = sorted(k for k in set(have) | set(wanted) if have.get(k) != wanted.get(k))
            raise InvalidParameterError(
                f"{out_dir} holds {name} results made with other settings ({', '.join(diff)}); "
                "use another output folder or remove it"
            )
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(wanted, indent=1) + "\n")


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _write_rows(path: Path, fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in fields})
    atomic_write_text(path, buf.getvalue())


def reproduce_fig3(
    config: Fig3Config,
    *,
    model: PerformanceModel,
    measure: PerformanceModel,
    reference: PerformanceModel,
    out_dir: str | Path,
    policy: Policy | None = None,
    batch_size: int | None = None,
    report: Report | None = None,
) -> list[dict[str, Any]]:
    """Run RouteNet Fig. 3: every optimizer on ``n_tms`` traffic matrices per TI, simulated.

    Parameters
    ----------
    config : Fig3Config
    model : PerformanceModel
        The model-based optimizer under test.
    measure : PerformanceModel
        The simulator that measures each chosen routing.
    reference : PerformanceModel
        The simulator behind the "optimal" optimizer and the SP average (another seed than
        ``measure``).
    out_dir : path
        Holds ``fig3.csv`` (one row per TM × optimizer) and ``fig3-config.json``.
    policy : Policy, optional
        Default :meth:`Policy.routenet_qos`.
    report : callable, optional
        ``report(done, total, label)`` after each traffic matrix (resumed ones included).

    Returns
    -------
    list of dict
        All rows of ``fig3.csv`` (numbers as floats).
    """
    from kplane.network.generators import routenet_scenario
    from kplane.network.topologies import load_topology

    out = Path(out_dir)
    _config_guard(out, "fig3", config)
    csv_path = out / "fig3.csv"
    rows: list[dict[str, Any]] = _read_rows(csv_path)
    done = {(float(r["ti"]), int(r["tm"])) for r in rows}
    topo = load_topology(config.topology)
    cands = routing_candidates(topo, config.n_candidates, seed=config.seed)
    total = len(config.intensities) * config.n_tms
    k = 0
    for ti in config.intensities:
        for tm in range(config.n_tms):
            k += 1
            if (float(ti), tm) in done:
                if report is not None:
                    report(k, total, f"TI {ti:g} TM {tm} (done before)")
                continue
            tm_seed = int(config.seed + 1000 * int(round(float(ti))) + tm)
            sc = routenet_scenario(topo, float(ti), seed=tm_seed)
            rep = compare_routings(
                sc,
                cands,
                model=model,
                measure=measure,
                reference=reference,
                policy=policy,
                baselines=BASELINES,
                batch_size=batch_size,
            )
            for name, o in rep.outcomes.items():
                label = config.model if name == "model" else name
                rule = rep.choice.selection.rule if name == "model" else ""
                rows.append(
                    {
                        "ti": float(ti),
                        "tm": tm,
                        "seed": tm_seed,
                        "optimizer": label,
                        "index": "" if o.index is None else o.index,
                        "rule": rule,
                        **o.summary,
                    }
                )
            _write_rows(csv_path, FIG3_FIELDS, rows)
            if report is not None:
                report(k, total, f"TI {ti:g} TM {tm}")
    return [_numeric(r) for r in rows]


def _numeric(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in row.items():
        if key in ("optimizer", "rule", "link", "baseline_link"):
            out[key] = v
        elif v in ("", None):
            out[key] = None
        else:
            out[key] = float(v)
    return out


def fig3_summary(rows: Sequence[dict[str, Any]], model_label: str) -> list[dict[str, Any]]:
    """Per TI and optimizer: mean/median delay, mean loss, share meeting the loss bound, jitter/delay.

    Also, for the model's rows, ``gap_to_optimal``: the mean over TMs of
    ``delay(model) / delay(optimal) - 1``.
    """
    by: dict[tuple[float, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((float(r["ti"]), str(r["optimizer"])), []).append(r)
    out = []
    for (ti, opt), rs in sorted(by.items()):
        delay = np.array([r["mean_delay"] for r in rs], dtype=float)
        loss = np.array([r["loss_ratio"] for r in rs], dtype=float)
        jd = np.array([r["jitter_over_delay"] for r in rs], dtype=float)
        entry: dict[str, Any] = {
            "ti": ti,
            "optimizer": opt,
            "n": len(rs),
            "mean_delay": float(np.nanmean(delay)),
            "median_delay": float(np.nanmedian(delay)),
            "mean_loss": float(np.nanmean(loss)),
            "share_loss_ok": float(np.mean(loss < 1e-3)),
            "mean_jitter_over_delay": float(np.nanmean(jd)),
        }
        if opt == model_label:
            opt_rows = {int(r["tm"]): r for r in by.get((ti, "optimal"), [])}
            gaps = [
                r["mean_delay"] / opt_rows[int(r["tm"])]["mean_delay"] - 1.0
                for r in rs
                if int(r["tm"]) in opt_rows
            ]
            entry["gap_to_optimal"] = float(np.mean(gaps)) if gaps else None
        out.append(entry)
    return out


def plot_fig3(rows: Sequence[dict[str, Any]], path: str | Path, *, model_label: str) -> None:
    """Box plots of simulated mean delay, loss (log axis, floor 1e-7) and jitter/delay per TI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tis = sorted({float(r["ti"]) for r in rows})
    order = [model_label, "optimal", "balanced", "sp_average"]
    opts = [o for o in order if any(r["optimizer"] == o for r in rows)]
    colours = dict(zip(order, ["tab:blue", "tab:green", "tab:orange", "tab:red"], strict=True))
    titles = {
        "mean_delay": "(a) mean delay [s]",
        "loss_ratio": "(b) mean loss ratio",
        "jitter_over_delay": "(c) mean jitter/delay [s]",
    }
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    width = 0.8 / max(len(opts), 1)
    for ax, metric in zip(axes, titles, strict=True):
        for j, opt in enumerate(opts):
            data, pos = [], []
            for i, ti in enumerate(tis):
                vals = np.array(
                    [r[metric] for r in rows if float(r["ti"]) == ti and r["optimizer"] == opt], dtype=float
                )
                vals = vals[np.isfinite(vals)]
                if metric == "loss_ratio":
                    vals = np.maximum(vals, LOSS_FLOOR)
                if vals.size:
                    data.append(vals)
                    pos.append(i + (j - (len(opts) - 1) / 2) * width)
            if data:
                bp = ax.boxplot(data, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=False)
                for b in bp["boxes"]:
                    b.set_facecolor(colours[opt])
                    b.set_alpha(0.7)
        ax.set_xticks(range(len(tis)), [f"{t:g}" for t in tis])
        ax.set_xlabel("traffic intensity (TI)")
        ax.set_title(titles[metric])
        if metric == "loss_ratio":
            ax.set_yscale("log")
            ax.axhline(1e-3, color="grey", lw=0.8, ls="--")
        if metric == "jitter_over_delay":
            ax.axhline(0.2, color="grey", lw=0.8, ls="--")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[o], alpha=0.7) for o in opts]
    labels = [
        {
            "sp_average": "SP (average)",
            "balanced": "balanced utilisation",
            "optimal": "optimal (simulator)",
        }.get(o, f"{o}-based")
        for o in opts
    ]
    fig.legend(handles, labels, loc="upper center", ncol=len(opts))
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def reproduce_table2(
    config: Table2Config,
    *,
    model: PerformanceModel,
    measure: PerformanceModel,
    out_dir: str | Path,
    batch_size: int | None = None,
    report: Report | None = None,
) -> list[dict[str, Any]]:
    """Run RouteNet Table II: link placement vs most-utilised-link upgrade on high-load scenarios.

    Scenarios are traffic matrices at ``config.intensity`` (seeds ``seed, seed + 1, ...``) where no
    candidate routing meets the loss bound according to ``model`` (the paper policy falls back to
    the lowest loss); the "original" network uses that model-chosen routing. For each, the model
    picks a new ``capacity`` link and a routing (minimum mean delay); the baseline upgrades the most
    utilised link of the original. All three are simulated with ``measure``.

    Returns
    -------
    list of dict
        The rows of ``table2.csv`` (``rel_delay`` = 1 − placement delay / baseline delay).

    Raises
    ------
    InvalidParameterError
        If fewer than ``n_scenarios`` such scenarios are found in ``max_tries`` traffic matrices
        (the rows found are kept).
    """
    from kplane.network.generators import routenet_scenario
    from kplane.network.topologies import load_topology

    out = Path(out_dir)
    _config_guard(out, "table2", config)
    csv_path = out / "table2.csv"
    rows: list[dict[str, Any]] = _read_rows(csv_path)
    tried = {int(r["seed"]) for r in rows}
    topo = load_topology(config.topology)
    cands = routing_candidates(topo, config.n_routings, seed=config.seed)
    policy = Policy.routenet_qos()
    opt = RoutingOptimizer(model=model, policy=policy, batch_size=batch_size)
    for t in range(config.max_tries):
        if len(rows) >= config.n_scenarios:
            break
        seed = config.seed + t
        if seed in tried:
            continue
        sc = routenet_scenario(topo, config.intensity, seed=seed)
        choice = opt.optimize(sc, cands)
        if choice.selection.rule != "minimised":  # some routing meets the loss bound: not a hard case
            continue
        rep = compare_placements(
            choice.scenario,
            model=model,
            measure=measure,
            capacity=config.capacity,
            policy=Policy.min_delay(),
            n_routings=config.n_routings,
            seed=config.seed,
            steps=config.steps,
            batch_size=batch_size,
        )
        names = topo.node_names
        rows.append(
            {
                "tm": len(rows) + 1,
                "seed": seed,
                "orig_delay": rep.original["mean_delay"],
                "orig_jitter_over_delay": rep.original["jitter_over_delay"],
                "orig_loss": rep.original["loss_ratio"],
                "link": f"{names[rep.choice.link.u]}-{names[rep.choice.link.v]}",
                "new_delay": rep.placement["mean_delay"],
                "new_jitter_over_delay": rep.placement["jitter_over_delay"],
                "new_loss": rep.placement["loss_ratio"],
                "baseline_link": rep.upgrade.label().replace("–", "-"),
                "baseline_capacity": rep.upgrade.new_capacity,
                "baseline_delay": rep.baseline["mean_delay"],
                "baseline_jitter_over_delay": rep.baseline["jitter_over_delay"],
                "baseline_loss": rep.baseline["loss_ratio"],
                "rel_delay": rep.relative_to_baseline("mean_delay"),
                "rel_jitter_over_delay": rep.relative_to_baseline("jitter_over_delay"),
            }
        )
        _write_rows(csv_path, TABLE2_FIELDS, rows)
        if report is not None:
            report(len(rows), config.n_scenarios, f"TM {len(rows)} (seed {seed})")
    result = [_numeric(r) for r in rows]
    if len(rows) < config.n_scenarios:
        raise InvalidParameterError(
            f"only {len(rows)} of {config.n_scenarios} scenarios at TI {config.intensity:g} have no routing "
            f"meeting the loss bound within {config.max_tries} traffic matrices; raise max_tries or the "
            f"intensity (rows found are kept in {csv_path})"
        )
    return result


def table2_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """Table II as Markdown, with the average relative reductions and the win count."""
    head = (
        "| TM | orig. delay | orig. jitter/delay | new link | new delay | new jitter/delay | "
        "upgraded link | delay | jitter/delay | rel. delay | rel. jitter/delay |"
    )
    lines = [head, "|" + "---|" * 11]
    wins = 0
    for r in rows:
        red_p = r["orig_delay"] - r["new_delay"]
        red_b = r["orig_delay"] - r["baseline_delay"]
        wins += int(red_p > red_b)
        lines.append(
            f"| {int(r['tm'])} | {r['orig_delay']:.3f} | {r['orig_jitter_over_delay']:.3f} | {r['link']} | "
            f"{r['new_delay']:.3f} | {r['new_jitter_over_delay']:.3f} | {r['baseline_link']} | "
            f"{r['baseline_delay']:.3f} | {r['baseline_jitter_over_delay']:.3f} | "
            f"{100 * r['rel_delay']:.1f}% | {100 * r['rel_jitter_over_delay']:.1f}% |"
        )
    if rows:
        rel_d = 100 * float(np.mean([r["rel_delay"] for r in rows]))
        rel_j = 100 * float(np.mean([r["rel_jitter_over_delay"] for r in rows]))
        lines.append("")
        lines.append(
            f"Average reduction vs the baseline: delay {rel_d:.1f}%, jitter/delay {rel_j:.1f}%. "
            f"The new link reduces the simulated mean delay more than the upgrade in {wins} of {len(rows)} "
            "scenarios. Delays in seconds; all values simulated."
        )
    return "\n".join(lines) + "\n"
