"""`kplane te optimize` and `kplane te train`: the NeuroRisk learned optimizer and its baselines."""

from __future__ import annotations

import math
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli._te_options import (
    InstanceSource,
    ObjectiveChoice,
    instance_options,
    instance_summary,
    write_allocation,
)
from kplane.cli.bench import app as bench_app
from kplane.cli.reproduce import app as reproduce_app
from kplane.cli.te import app as te_app
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import TEInstance
    from kplane.te.neural import NeuroRiskOptimizer

METHOD_HELP = (
    "neurorisk (gated reservation, = gr), br (plain reservation), gs / ls (global / local "
    "scaling), faute (scenario-collapsing baseline), sp / ecmp (shortest path / ECMP splits)"
)


# ---------------------------------------------------------------------------------------------- parsing
def parse_int_list(text: str, what: str) -> list[int]:
    """``"0-7"`` (inclusive), ``"0,2,5"`` or ``"3"`` → list of ints >= 0."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                a, b = (int(v) for v in part.split("-", 1))
                if b < a:
                    raise ValueError
                out.extend(range(a, b + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise InvalidParameterError(
            f"{what} {text!r} not understood; expected '0-7', '0,2,5' or '3'"
        ) from None
    if not out or min(out) < 0:
        raise InvalidParameterError(f"{what} {text!r}: need at least one index >= 0")
    return out


def parse_float_list(text: str, what: str) -> list[float]:
    """``"0.8,1,1.25"`` → positive finite floats."""
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidParameterError(f"{what} {text!r} must be comma-separated numbers") from None
    if not vals or any(not (math.isfinite(v) and v > 0) for v in vals):
        raise InvalidParameterError(f"{what} {text!r}: values must be finite and > 0")
    return vals


def parse_configs(text: str) -> list[Any]:
    """``train`` / ``heldout`` / ``all`` or ``"1e-3/0.02,3e-3/0.01"`` (cutoff/Weibull scale)."""
    from kplane.te.neural import PAPER_CONFIGS, TRAIN_CONFIGS, ScenarioConfig

    key = text.strip().lower()
    if key == "train":
        return list(TRAIN_CONFIGS)
    if key == "heldout":
        return [c for c in PAPER_CONFIGS if c not in TRAIN_CONFIGS]
    if key == "all":
        return list(PAPER_CONFIGS)
    out = []
    for part in text.split(","):
        try:
            c, s = part.strip().split("/")
            out.append(ScenarioConfig(float(c), float(s)))
        except ValueError:
            raise InvalidParameterError(
                f"--configs {text!r}: expected train, heldout, all or 'cutoff/scale,...' like '1e-3/0.02'"
            ) from None
    return out


def _set_threads(threads: int | None) -> int:
    import torch

    if threads is not None:
        if threads < 1:
            raise InvalidParameterError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(int(threads))
    return torch.get_num_threads()


def machine_info() -> dict[str, Any]:
    """Where a number was measured."""
    import os

    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


# ---------------------------------------------------------------------------------------------- optimize
FINETUNE_HELP = (
    "Gradient steps on the final latents against the instance's exact objective after the K steps "
    "(kplane extension; 0 = paper; 50 recommended on B4/IBM). Runs before --refine."
)
FINETUNE_LR_HELP = "Initial Adam learning rate of --finetune (default 0.1, cosine-decayed to a tenth)."


def _check_refinement(
    refine: int, finetune: int, finetune_lr: float | None, *, learned: bool, method: str
) -> None:
    """Refuse bad ``--refine`` / ``--finetune`` / ``--finetune-lr`` values (before any work is done)."""
    if refine < 0:
        raise InvalidParameterError(f"--refine must be >= 0 rounds, got {refine}")
    if finetune < 0:
        raise InvalidParameterError(f"--finetune must be >= 0 steps, got {finetune}")
    if finetune_lr is not None and not (math.isfinite(finetune_lr) and finetune_lr > 0):
        raise InvalidParameterError(f"--finetune-lr must be a finite number > 0, got {finetune_lr}")
    if not learned and (finetune or finetune_lr is not None):
        raise InvalidParameterError(
            f"--finetune applies to the learned methods (they have latents), not to the {method!r} baseline"
        )


def load_policy(
    policy: str, method: str, objective: str, instance: TEInstance | None = None
) -> tuple[NeuroRiskOptimizer, str]:
    """The optimizer of ``--policy`` for a learned method, and where it came from.

    ``bundled`` picks the shipped policy for the instance's network and the objective
    (:func:`kplane.te.neural.bundled_policy_for`); ``bundled:<name>`` a shipped one by name; anything
    else is a policy file.
    """
    from kplane.te.neural import NeuroRiskOptimizer, bundled_policy_for, bundled_policy_path

    shipped = policy == "bundled" or policy.startswith("bundled:")
    if method != "gr" and shipped:
        raise InvalidParameterError(
            f"no bundled policy for method {method!r} (bundled policies are NeuroRisk/gr); train one with "
            f"`kplane te train --method {method}` and pass --policy FILE"
        )
    if policy.startswith("bundled:"):
        path = bundled_policy_path(policy.split(":", 1)[1])
    elif policy == "bundled":
        path = bundled_policy_for(objective, instance)
    else:
        path = Path(policy)
    opt = NeuroRiskOptimizer.load(path)
    if opt.net_.method != method:
        raise InvalidParameterError(
            f"policy {path} was trained for method {opt.net_.method!r}, not {method!r}; pass --method "
            f"{opt.net_.method}"
        )
    return opt, (f"bundled:{path.stem}" if shipped else str(path))


@te_app.command("optimize")
@instance_options(file=True, objective=True)
def optimize_cmd(
    source: InstanceSource,
    goal: ObjectiveChoice,
    method: str = typer.Option("neurorisk", "--method", help=METHOD_HELP),
    policy: str = typer.Option(
        "bundled",
        "--policy",
        help="'bundled' (by network and objective), 'bundled:<name>' (e.g. bundled:ibm-teavar) or a file.",
    ),
    iterations: int = typer.Option(None, "--iterations", help="Unrolled steps K (default: as trained)."),
    threads: int = typer.Option(None, "--threads", help="CPU threads for torch (default: torch's)."),
    chunk_size: int = typer.Option(None, "--chunk-size", help="Scenarios per chunk (default: automatic)."),
    refine: int = typer.Option(
        0,
        "--refine",
        help="Rounds of reservation tightening after the K steps (kplane extension; 0 = paper).",
    ),
    finetune: int = typer.Option(0, "--finetune", help=FINETUNE_HELP),
    finetune_lr: float = typer.Option(None, "--finetune-lr", help=FINETUNE_LR_HELP),
    compare_solver: bool = typer.Option(
        False, "--compare-solver", help="Also solve exactly; report the gap."
    ),
    time_limit: float = typer.Option(
        None, "--time-limit", help="Solver time limit in seconds for --compare-solver."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    allocation_out: Path = typer.Option(None, "--allocation-out", help="Write the allocation JSON."),
) -> None:
    """Optimise a TE instance with NeuroRisk (or an ablation / baseline) in milliseconds."""
    import time

    from kplane.te.neural import BASELINE_METHODS, NeuroRiskSolution, baseline_allocation
    from kplane.te.neural._evaluate import compare_with_solver
    from kplane.te.neural._io import check_method

    obj = goal.make()
    n_threads = _set_threads(threads)
    source.check_finite()
    m = method.strip().lower()
    if m not in BASELINE_METHODS:
        m = check_method(m)
    _check_refinement(refine, finetune, finetune_lr, learned=m not in BASELINE_METHODS, method=m)
    inst = source.load()
    origin = None
    if m in BASELINE_METHODS:
        t0 = time.perf_counter()
        x = baseline_allocation(inst, m)
        dt = time.perf_counter() - t0
        value = obj.evaluate(inst, x)
        sol = NeuroRiskSolution(
            x=x,
            objective=obj.name,
            objective_label=obj.describe(),
            objective_value=value,
            throughput=inst.total_demand * (1 - value),
            time_s=dt,
            method=m,
            iterations=0,
            info={"threads": n_threads},
        )
    else:
        opt, origin = load_policy(policy, m, obj.name, inst)
        sol = opt.solve(
            inst,
            obj,
            iterations=iterations,
            chunk_size=chunk_size,
            refine=refine,
            finetune_steps=finetune,
            finetune_lr=finetune_lr,
        )
    out: dict[str, Any] = {**instance_summary(inst), "policy": origin, **sol.to_dict()}
    out["max_utilisation"] = float((inst.link_load(sol.x) / inst.topology.capacity).max())
    if compare_solver:
        with progress_bar(transient=True) as bar:
            bar.add_task(f"solving {obj.name} exactly", total=None, rate="")
            out["solver"] = compare_with_solver(inst, sol, obj, time_limit=time_limit)
        out["relative_error"] = out["solver"]["relative_error"]
    if allocation_out is not None:
        out["allocation"] = write_allocation(
            allocation_out, inst, sol, method=sol.method, iterations=sol.iterations, policy=origin
        )
    if json_out:
        emit_json(out)
        return
    console.print(
        f"[bold]{sol.method}[/] {sol.objective_label} on {inst.name} ({inst.n_scenarios} scenarios, "
        f"{inst.n_tunnels} tunnels): risk {sol.objective_value:.6g}, "
        f"throughput {sol.throughput / 1e9:.6g} Gbit/s, "
        f"{sol.time_s * 1e3:.1f} ms on {n_threads} thread(s), K = {sol.iterations}"
        + (f", {finetune} fine-tuning steps" if finetune else ""),
        highlight=False,
    )
    if compare_solver:
        s = out["solver"]
        console.print(
            f"solver: risk {s['solver_objective_value']:.6g}, "
            f"throughput {s['solver_throughput'] / 1e9:.6g} Gbit/s, {s['solver_time_s']:.3g} s "
            f"({s['solver_status']}); relative error {100 * s['relative_error']:.2f}%",
            highlight=False,
        )
    if allocation_out is not None:
        console.print(f"wrote {allocation_out}")


# ---------------------------------------------------------------------------------------------- train
def _family(
    networks: list[Any], tms: list[int], loads: list[float], configs: list[Any], seed: int, what: str
) -> list[TEInstance]:
    from kplane.te.neural import instance_family

    out: list[TEInstance] = []
    for i, net in enumerate(networks):
        bad = [t for t in tms if t >= net.n_matrices]
        if bad:
            raise InvalidParameterError(
                f"{what} traffic matrices {bad} do not exist for {net.name!r} ({net.n_matrices} matrices)"
            )
        out.extend(instance_family(net, tms=tms, loads=loads, configs=configs, seed=seed * 1000 + i))
    return out


@te_app.command("train")
def train_cmd(
    networks: str = typer.Option(
        "b4",
        "--network",
        help="Comma-separated networks: b4, ibm, germany50 or a bundled topology (geant, ...).",
    ),
    data: Path = typer.Option(None, "--data", help="The public data folder (default: ../shared/data)."),
    tms: str = typer.Option("0-7", "--tms", help="Training traffic matrices ('0-7', '0,3')."),
    val_tms: str = typer.Option("8-9", "--val-tms", help="Validation traffic matrices (early stopping)."),
    test_tms: str = typer.Option("10-13", "--test-tms", help="Test traffic matrices (--evaluate)."),
    loads: str = typer.Option(
        "0.8,1,1.25", "--loads", help="Shortest-path utilisations the demands are scaled to."
    ),
    configs: str = typer.Option(
        "train", "--configs", help="Scenario configurations: train, heldout, all or 'cutoff/scale,...'."
    ),
    test_configs: str = typer.Option("heldout", "--test-configs", help="Configurations of the test set."),
    tunnels: int = typer.Option(3, "--tunnels", help="k shortest tunnels per pair."),
    objective: str = typer.Option("teavar", "--objective", help="ffc, teavar, quantile, expected, nominal."),
    beta: float = typer.Option(None, "--beta", help="CVaR/quantile level (default 0.99)."),
    form: str = typer.Option("mean", "--form", help="mean or max (ffc, teavar)."),
    aggregate: str = typer.Option("max", "--aggregate", help="quantile: max or mean over flows."),
    method: str = typer.Option("neurorisk", "--method", help="neurorisk (gr), br, gs, ls, faute."),
    hidden: int = typer.Option(64, "--hidden", help="Hidden units of the policy MLP."),
    iterations: int = typer.Option(7, "--iterations", help="Unrolled steps K."),
    epochs: int = typer.Option(30, "--epochs"),
    batch_size: int = typer.Option(16, "--batch-size"),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    lr_schedule: str = typer.Option("cosine", "--lr-schedule", help="cosine or constant."),
    step_loss: str = typer.Option(
        "terminal",
        "--step-loss",
        help="terminal (final allocation, the paper) or linear (every step, weight k).",
    ),
    patience: int = typer.Option(10, "--patience", help="Early-stopping patience in epochs."),
    chunk_size: int = typer.Option(None, "--chunk-size", help="Scenarios per chunk."),
    checkpointing: bool = typer.Option(False, "--checkpointing", help="Gradient checkpointing per step."),
    seed: int = typer.Option(0, "--seed", help="Seeds initialisation, order and failure draws."),
    threads: int = typer.Option(1, "--threads", help="CPU threads for torch."),
    checkpoint: Path = typer.Option(None, "--checkpoint", help="Resumable checkpoint file."),
    resume: bool = typer.Option(False, "--resume", help="Continue from --checkpoint."),
    output: Path = typer.Option(..., "--output", "-o", help="Policy file to write (JSON)."),
    card: bool = typer.Option(True, "--card/--no-card", help="Write a model card beside the policy."),
    evaluate: bool = typer.Option(
        False, "--evaluate", help="Measure relative error vs the solver on the test set."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Train a NeuroRisk policy (unsupervised, end to end) on a distribution of instances."""
    from kplane.te import make_objective
    from kplane.te.neural import NeuroRiskOptimizer, load_te_network
    from kplane.te.neural._evaluate import evaluate_set, measure_latency
    from kplane.te.neural._io import check_method

    m = check_method(method)
    obj = make_objective(objective, beta=beta, form=form, flow_aggregate=aggregate)
    n_threads = _set_threads(threads)
    names = [n.strip() for n in networks.split(",") if n.strip()]
    if not names:
        raise InvalidParameterError("--network needs at least one network")
    nets = [load_te_network(n, data_dir=data, k=tunnels, seed=seed) for n in names]
    load_vals = parse_float_list(loads, "--loads")
    train = _family(nets, parse_int_list(tms, "--tms"), load_vals, parse_configs(configs), seed, "--tms")
    val = _family(
        nets, parse_int_list(val_tms, "--val-tms"), [1.0], parse_configs(configs), seed + 1, "--val-tms"
    )
    opt = NeuroRiskOptimizer(
        objective=obj,
        method=m,
        hidden=hidden,
        iterations=iterations,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=lr,
        lr_schedule=lr_schedule,
        step_loss=step_loss,
        patience=patience,
        chunk_size=chunk_size,
        checkpointing=checkpointing,
        seed=seed,
    )
    with progress_bar() as bar:
        task = bar.add_task(f"training {m} ({obj.describe()})", total=epochs, rate="")

        def cb(row: dict[str, Any]) -> None:
            bar.update(task, completed=row["epoch"], rate=f"val {row['val']:.4f}")

        opt.fit(train, val, checkpoint=checkpoint, resume=resume, callback=cb)
    summary: dict[str, Any] = {
        "policy": str(output),
        "method": m,
        "objective": obj.describe(),
        "networks": names,
        "n_train": len(train),
        "n_validation": len(val),
        "best_epoch": opt.best_epoch_,
        "epochs_run": len(opt.history_),
        "train_time_s": opt.train_time_s_,
        "best_validation_objective": opt.training_["best_validation_objective"],
        "threads": n_threads,
    }
    if evaluate:
        test = _family(
            nets,
            parse_int_list(test_tms, "--test-tms"),
            [1.0],
            parse_configs(test_configs),
            seed + 2,
            "--test-tms",
        )
        with progress_bar(transient=True) as bar:
            bar.add_task("evaluating against the exact solver", total=None, rate="")
            rows = evaluate_set(opt, test, obj)
            lat = measure_latency(opt, test[0], threads=1, repeats=5)
        errs = [r["relative_error"] for r in rows]
        summary["evaluation"] = {
            "n_test": len(rows),
            "test_tms": test_tms,
            "test_configs": test_configs,
            "mean_relative_error": sum(errs) / len(errs),
            "max_relative_error": max(errs),
            "latency_1_thread_s": lat["median_s"],
            "latency_instance": test[0].name,
            "mean_solver_time_s": sum(r["solver_time_s"] for r in rows) / len(rows),
        }
    card_doc = None
    if card:
        card_doc = {
            "policy": output.name,
            "model": f"NeuroRisk {m} unrolled optimizer",
            "objective": obj.describe(),
            "command": "kplane te train " + " ".join(shlex.quote(a) for a in sys.argv[3:])
            if len(sys.argv) > 2
            else "kplane te train",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "data": {
                "networks": names,
                "train_tms": tms,
                "val_tms": val_tms,
                "loads": load_vals,
                "configs": [c.label for c in parse_configs(configs)],
                "tunnels_per_pair": tunnels,
                "instance_generator": "kplane.te.neural.instance_family (cutoff enumeration over "
                "Weibull(0.8, "
                "scale) element failures; demands scaled to shortest-path utilisation)",
            },
            "training": {k: v for k, v in opt.training_.items() if k != "history"},
            "evaluation": summary.get("evaluation"),
            "intended_use": "risk-aware TE split ratios on instances like the training distribution; other "
            "topologies, scenario sets and tunnel counts run but are extrapolation",
        }
    opt.save(output, card=card_doc)
    if json_out:
        emit_json(summary)
        return
    console.print(
        f"trained {m} ({obj.describe()}) on {len(train)} instances in {opt.train_time_s_:.1f} s "
        f"({len(opt.history_)} epochs, best {opt.best_epoch_}, validation objective "
        f"{summary['best_validation_objective']:.5g}); wrote {output}",
        highlight=False,
    )
    if "evaluation" in summary:
        ev = summary["evaluation"]
        console.print(
            f"test: {ev['n_test']} instances, relative error mean "
            f"{100 * ev['mean_relative_error']:.2f}% / max {100 * ev['max_relative_error']:.2f}%, "
            f"latency {1e3 * ev['latency_1_thread_s']:.1f} ms (1 thread)",
            highlight=False,
        )


# ------------------------------------------------------------------------------------ bench / reproduce


def _data_dir(data: Path | None) -> Path | None:
    from kplane.te.neural import default_data_dir

    if data is not None:
        if not (data / "te").is_dir():
            raise InvalidParameterError(f"--data {data}: no te/ folder there (expected ../shared/data)")
        return data
    return default_data_dir()


@bench_app.command("te")
def bench_te_cmd(
    topologies: str = typer.Option(
        "b4,ibm,geant,germany50",
        "--topologies",
        help="Comma-separated networks "
        "(b4, ibm, germany50 need the public data; geant, tatanld are bundled).",
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
    json_out: bool = typer.Option(False, "--json", help="Print JSON records."),
) -> None:
    """NeuroRisk latency on one CPU thread and on all threads vs the exact solver, per topology."""
    from kplane.te.neural._bench import run_neurorisk_bench

    _check_refinement(0, finetune, finetune_lr, learned=True, method="gr")

    names = [t.strip().lower() for t in topologies.split(",") if t.strip()]
    root = _data_dir(data)
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
    _check_refinement(0, finetune, finetune_lr, learned=True, method="gr")
    root = _data_dir(data)
    if root is None:
        console.print(
            "public TE data (../shared/data/te) not found: the NeuroRisk experiments need B4/IBM; "
            "skipping (pass --data)"
        )
        return
    _set_threads(threads)
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
