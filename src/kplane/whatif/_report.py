"""Reports of the reproduction drivers: Fig. 3 summary and box plots, Table II as Markdown."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kplane.utils import atomic_write_bytes

__all__ = ["LOSS_FLOOR", "fig3_summary", "plot_fig3", "table2_markdown"]

LOSS_FLOOR = 1e-7
"""Fig. 3b plots loss on a log axis with every loss <= 1e-7 shown as 1e-7 (as the paper)."""


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
