"""`kplane te train`: train a NeuroRisk policy (unsupervised, end to end) and write it with its model card."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import console, emit_json, progress_bar
from kplane.cli.te import app as te_app
from kplane.cli.te_neural_common import (
    machine_info,
    parse_configs,
    parse_float_list,
    parse_int_list,
    set_threads,
)
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import TEInstance

__all__ = ["train_cmd"]


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
    n_threads = set_threads(threads)
    names = [n.strip() for n in networks.split(",") if n.strip()]
    if not names:
        raise InvalidParameterError("--network needs at least one network")
    nets = [load_te_network(n, data_dir=data, k=tunnels, seed=seed) for n in names]
    load_vals = parse_float_list(loads, "--loads")
    config_vals = parse_configs(configs)
    train = _family(nets, parse_int_list(tms, "--tms"), load_vals, config_vals, seed, "--tms")
    val = _family(nets, parse_int_list(val_tms, "--val-tms"), [1.0], config_vals, seed + 1, "--val-tms")
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
                "configs": [c.label for c in config_vals],
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
