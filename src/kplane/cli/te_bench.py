"""`kplane bench te` and `kplane reproduce neurorisk`: NeuroRisk measured against the exact solver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli.bench import app as bench_app
from kplane.cli.reproduce import app as reproduce_app
from kplane.cli.te_neural_common import (
    FINETUNE_LR_HELP,
    check_refinement,
    machine_info,
    set_threads,
    te_data_dir,
)
from kplane.errors import InvalidParameterError

__all__ = ["bench_te_cmd", "reproduce_neurorisk_cmd"]


@bench_app.command("te")
def bench_te_cmd(
    topologies: str = typer.Option(
        "b4,ibm,geant,germany50",
        "--topologies",
        help="Comma-separated networks "
        "(b4, ibm, germany50 need the public data; geant, tatanld are bundled; '' for none).",
    ),
    instance: list[Path] = typer.Option(
        None, "--instance", help="Also an instance file (kplane te instance --export); repeatable."
    ),
    objective: str = typer.Option("teavar", "--objective", help="ffc, teavar, quantile, expected, nominal."),
    policy: str = typer.Option("bundled", "--policy", help="'bundled' or a policy file."),
    iterations: int = typer.Option(None, "--iterations", help="Unrolled steps K (default: as trained)."),
    repeats: int = typer.Option(5, "--repeats", help="Timed runs per measurement (median)."),
    time_limit: float = typer.Option(300.0, "--time-limit", help="Solver time limit in seconds."),
    no_solver: bool = typer.Option(False, "--no-solver", help="Skip the exact solver."),
    data: Path = typer.Option(None, "--data", help="The public data folder (default: ../shared/data)."),
    finetune: int = typer.Option(
        0,
        "--finetune",
        help="Also time and score NeuroRisk with this many fine-tuning steps (extra columns; 0 = off).",
    ),
    finetune_lr: float = typer.Option(None, "--finetune-lr", help=FINETUNE_LR_HELP),
    threads: int = typer.Option(
        None,
        "--threads",
        help="Threads of the 'all threads' measurement (default: every CPU core; 1 = one-thread only).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON records."),
) -> None:
    """NeuroRisk latency on one CPU thread and on all threads vs the exact solver, per topology."""
    from kplane.te.neural._bench import run_neurorisk_bench

    check_refinement(0, finetune, finetune_lr, learned=True, method="gr")
    if threads is not None and threads < 1:
        raise InvalidParameterError(f"--threads must be >= 1, got {threads}")

    names = [t.strip().lower() for t in topologies.split(",") if t.strip()]
    root = te_data_dir(data)
    needs = [n for n in names if n in ("b4", "ibm")]
    if needs and root is None:
        console.print(f"public TE data not found: skipping {', '.join(needs)} (pass --data)")
        names = [n for n in names if n not in needs]
    with progress_bar(transient=True) as bar:
        task = bar.add_task("bench te", total=None, rate="")
        rows = run_neurorisk_bench(
            names,
            objective=objective,
            policy=policy,
            iterations=iterations,
            repeats=repeats,
            time_limit=time_limit,
            solver=not no_solver,
            data_dir=root,
            progress=lambda msg: bar.update(task, description=msg),
            finetune_steps=finetune,
            finetune_lr=finetune_lr,
            threads=threads,
            instances=instance or (),
        )
    if json_out:
        emit_json({"machine": machine_info(), "rows": rows})
        return
    from rich.table import Table

    table = Table(title=f"NeuroRisk vs the exact solver, {objective} (wall times; cpu = process CPU time)")
    ft_cols = (f"1 thread +{finetune} ft", f"rel. err +{finetune} ft") if finetune else ()
    for col in (
        "topology",
        "tunnels",
        "scenarios",
        "1 thread",
        "cpu",
        "all threads",
        "solver",
        "status",
        "rel. err",
        *ft_cols,
        "speed-up",
        "paper 1 thread",
        "policy",
    ):
        table.add_column(col)
    for r in rows:
        err = r.get("relative_error")
        ft_err = r.get("finetune_relative_error")
        ft_vals = (
            (
                f"{1e3 * r['finetune_1_thread_s']:.1f} ms",
                "-" if ft_err is None else f"{100 * ft_err:.2f}%",
            )
            if finetune
            else ()
        )
        table.add_row(
            r["topology"],
            str(r["n_tunnels"]),
            str(r["n_scenarios"]),
            f"{1e3 * r['neurorisk_1_thread_s']:.1f} ms",
            f"{1e3 * r['neurorisk_1_thread_cpu_s']:.1f} ms",
            f"{1e3 * r['neurorisk_all_threads_s']:.1f} ms",
            f"{r['solver_time_s']:.3g} s" if "solver_time_s" in r else "-",
            r.get("solver_status", "-"),
            "-" if err is None else f"{100 * err:.2f}%",
            *ft_vals,
            f"{r['speedup']:.0f}×" if "speedup" in r else "-",
            (r.get("paper") or {}).get("cpu_1_thread", "-"),
            r["policy"],
        )
    console.print(table)


@reproduce_app.command("neurorisk")
def reproduce_neurorisk_cmd(
    table: int = typer.Option(None, "--table", help="3, 4, 8 or 10."),
    figure: int = typer.Option(None, "--figure", help="7 (generalisation)."),
    data: Path = typer.Option(None, "--data", help="The public data folder (default: ../shared/data)."),
    policy_dir: Path = typer.Option(
        Path("neurorisk-policies"),
        "--policy-dir",
        help="Policies <network>-<objective>[-<method>].json (read, and written with --train-missing).",
    ),
    train_missing: bool = typer.Option(False, "--train-missing", help="Train policies that are not found."),
    epochs: int = typer.Option(30, "--epochs", help="Epochs for --train-missing."),
    time_limit: float = typer.Option(300.0, "--time-limit", help="Solver time limit in seconds."),
    out: Path = typer.Option(Path("neurorisk-results"), "--out", help="Folder for JSON results and figures."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    threads: int = typer.Option(1, "--threads", help="CPU threads for torch."),
    finetune: int = typer.Option(
        0,
        "--finetune",
        help="Also report every NeuroRisk result with this many fine-tuning steps (finetune_* keys; "
        "kplane extension; 0 = off).",
    ),
    finetune_lr: float = typer.Option(None, "--finetune-lr", help=FINETUNE_LR_HELP),
) -> None:
    """Reproduce the NeuroRisk paper's Tables 3, 4, 8, 10 and Figure 7 with kplane."""
    import json

    from kplane.te.neural._paper import Reproduction
    from kplane.utils import atomic_write_text

    if (table is None) == (figure is None):
        raise InvalidParameterError("give exactly one of --table 3|4|8|10 or --figure 7")
    if table is not None and table not in (3, 4, 8, 10):
        raise InvalidParameterError(f"--table must be 3, 4, 8 or 10, got {table}")
    if figure is not None and figure != 7:
        raise InvalidParameterError(f"--figure must be 7, got {figure}")
    check_refinement(0, finetune, finetune_lr, learned=True, method="gr")
    root = te_data_dir(data)
    if root is None:
        console.print(
            "public TE data (../shared/data/te) not found: the NeuroRisk experiments need B4/IBM; "
            "skipping (pass --data)"
        )
        return
    set_threads(threads)
    with progress_bar(transient=True) as bar:
        task = bar.add_task("neurorisk", total=None, rate="")
        rep = Reproduction(
            data_dir=root,
            policy_dir=policy_dir,
            train_missing=train_missing,
            epochs=epochs,
            time_limit=time_limit,
            progress=lambda msg: bar.update(task, description=msg),
            finetune_steps=finetune,
            finetune_lr=finetune_lr,
        )
        if figure is not None:
            res = rep.figure7(out)
            key = "figure7"
        else:
            res = {3: rep.table3, 4: rep.table4, 8: rep.table8, 10: rep.table10}[table]()
            key = f"table{table}"
    res = {"experiment": key, "machine": machine_info(), **res}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"{key}.json", json.dumps(res, indent=1, default=str) + "\n")
    if json_out:
        emit_json(res)
        return
    _print_reproduction(key, res)
    console.print(f"wrote {out / (key + '.json')}")


def _print_reproduction(key: str, res: dict[str, Any]) -> None:
    from rich.table import Table

    if "skipped" in res:
        console.print(f"{key}: skipped — {res['skipped']}")
        return
    groups = {k: v for k, v in res.items() if k not in ("experiment", "machine", "paper", "policy", "figure")}
    for name, val in groups.items():
        rows = val.get("rows") if isinstance(val, dict) else val
        if isinstance(val, dict) and "skipped" in val:
            console.print(f"{name}: skipped — {val['skipped']}")
            continue
        if not isinstance(rows, list) or not rows:
            continue
        cols = [c for c in rows[0] if not isinstance(rows[0][c], dict | list)]
        t = Table(title=f"{key} {name}")
        for c in cols:
            t.add_column(c)
        for r in rows:
            t.add_row(*[_fmt(r.get(c), c) for c in cols])
        console.print(t)
    if "paper" in res:
        console.print(f"paper: {res['paper']}", highlight=False)
    if "figure" in res:
        console.print(f"figure: {res['figure']}")


def _fmt(v: Any, key: str = "") -> str:
    if isinstance(v, float) and "relative_error" in key:
        return f"{100 * v:.2f}%"
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)
