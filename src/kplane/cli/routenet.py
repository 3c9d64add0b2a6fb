"""`kplane routenet`: RouteNet — train, evaluate, inspect; `kplane bench routenet`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import typer

from kplane.cli._common import console, emit_json, fmt_number, progress_bar
from kplane.errors import InvalidParameterError, NotFittedError, UnsupportedError

app = typer.Typer(help="RouteNet: train, evaluate, inspect.", no_args_is_help=True)


# ---------------------------------------------------------------------------------------------- data
def open_dataset(path: Path) -> Any:
    """A kplane dataset (``manifest.json``) or a datanet dataset directory, as (Scenario, PathKPIs) items."""
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    try:
        from kplane.datasets import RouteNetDataset
    except ImportError:  # the dataset layer of this installation predates kplane datasets
        if (path / "manifest.json").is_file():
            raise UnsupportedError(
                f"{path} is a kplane dataset, but this installation cannot read kplane datasets "
                "(kplane.datasets.RouteNetDataset is missing); use a datanet dataset directory"
            ) from None
        from kplane.network.io import DatanetDataset

        return DatanetDataset(path)
    return RouteNetDataset(path)


def dataset_fingerprint(path: Path) -> dict[str, Any]:
    """Provenance for the model card: sha256 of ``manifest.json``, or of the datanet file list."""
    h = hashlib.sha256()
    manifest = path / "manifest.json"
    spec: dict[str, Any] | None = None
    if manifest.is_file():
        raw = manifest.read_bytes()
        h.update(raw)
        kind = "kplane"
        with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
            m = json.loads(raw)
            spec = {"name": m["spec"].get("name"), "description": m["spec"].get("description"),
                    "fingerprint": m.get("fingerprint")}
    else:
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(f"{f.relative_to(path).as_posix()}\t{f.stat().st_size}\n".encode())
        kind = "datanet"
    info: dict[str, Any] = {"source": str(path), "format": kind, "manifest_hash": h.hexdigest()}
    if spec is not None:
        info["spec"] = spec
    return info


def _parse_heads(heads: list[str] | None) -> tuple[tuple[str, ...], ...]:
    from kplane.routenet import DEFAULT_HEADS, HEADS

    if not heads:
        return DEFAULT_HEADS
    groups = tuple(tuple(h.strip() for h in g.split("+") if h.strip()) for g in heads)
    for g in groups:
        for h in g:
            if h not in HEADS:
                raise InvalidParameterError(f"--heads: unknown head {h!r}; valid: {', '.join(HEADS)}")
    return groups


# ---------------------------------------------------------------------------------------------- train
@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="Training data: a kplane dataset or a datanet directory."),
    out: Path = typer.Option(..., "-o", "--out", help="Model file to write (checkpoint + model card)."),
    val: Path | None = typer.Option(None, "--val", help="Validation data (early stopping, card metrics)."),
    val_fraction: float = typer.Option(
        0.1, "--val-fraction", help="Without --val (and without a validation split in a kplane dataset): "
        "share of --data held out for validation (0 = none)."
    ),
    epochs: int = typer.Option(100, "--epochs", help="Passes over the training data (upper bound)."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many steps."),
    batch_size: int = typer.Option(16, "--batch-size", help="Samples per mini-batch (paper: 16)."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam's initial learning rate."),
    lr_decay: float = typer.Option(0.9, "--lr-decay", help="Learning-rate factor every --lr-decay-steps."),
    lr_decay_steps: int = typer.Option(
        50_000, "--lr-decay-steps", help="Steps between learning-rate decays (public code: 50,000)."
    ),
    patience: int = typer.Option(10, "--patience", help="Validations without improvement before stopping."),
    weighting: str = typer.Option(
        "relative", "--weighting", help="Per-path NLL weights: relative (scale-free drop-count loss; "
        "see kplane.routenet._heads), packets (the paper's) or uniform."
    ),
    eval_every: int = typer.Option(0, "--eval-every", help="Validate every N steps (0 = every epoch)."),
    features: str = typer.Option("scale_free", "--features", help="Feature set: scale_free or paper."),
    heads: list[str] | None = typer.Option(
        None, "--heads", help="A head group per network, repeatable; '+' joins heads sharing a network "
        "(default: --heads gamma+jitter+binomial; two networks: --heads gamma+jitter --heads binomial)."
    ),
    path_dim: int = typer.Option(32, "--path-dim", help="Path state size (paper: 32)."),
    link_dim: int = typer.Option(32, "--link-dim", help="Link state size (paper: 32)."),
    iterations: int = typer.Option(8, "--iterations", help="Message-passing iterations T (paper: 8)."),
    readout_units: int = typer.Option(256, "--readout-units", help="Readout layer width (public code: 256)."),
    dropout: float = typer.Option(0.5, "--dropout", help="Readout dropout rate (paper: 0.5)."),
    seed: int = typer.Option(0, "--seed", help="Seeds weights, data order and dropout."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT.state after an interruption."),
    checkpoint_every: int = typer.Option(500, "--checkpoint-every", help="Steps between saves of OUT.state."),
    log_csv: Path | None = typer.Option(None, "--log-csv", help="CSV log of losses, speed and metrics."),
    log_every: int = typer.Option(50, "--log-every", help="Steps per CSV log row (and at each validation)."),
    threads: int | None = typer.Option(None, "--threads", help="Torch CPU threads (default: torch's)."),
    json_out: bool = typer.Option(False, "--json", help="Print the model card as JSON."),
) -> None:
    """Train RouteNet on labelled scenarios; resumable (--resume) and deterministic (--seed).

    A kplane dataset is used by its split labels: training on "train", validating on "validation"
    (unless --val is given), never touching "test".
    """
    from kplane.datasets import split_dataset
    from kplane.routenet import RouteNetModel

    train_ds = open_dataset(data)
    val_ds = open_dataset(val) if val is not None else None
    held_out = ""
    if getattr(train_ds, "format", None) == "kplane":
        # a kplane dataset carries its spec's split labels: train on "train", never on "test"
        parts = split_dataset(train_ds, by="label")
        train_ds = parts.train
        if val_ds is None and len(parts.validation) > 0:
            val_ds, held_out = parts.validation, "the dataset's validation split"
    if val_ds is None and val_fraction > 0:
        if not 0 < val_fraction < 1:
            raise InvalidParameterError(f"--val-fraction must be in [0, 1), got {val_fraction}")
        fractions = (1 - val_fraction, val_fraction, 0.0)
        parts = split_dataset(train_ds, by="sample", fractions=fractions, seed=seed)
        train_ds, val_ds = parts.train, parts.validation
        held_out = f"{val_fraction:g} of the training samples"
        if len(val_ds) == 0:
            val_ds = None
    model = RouteNetModel(
        heads=_parse_heads(heads), features=features, path_dim=path_dim, link_dim=link_dim,
        iterations=iterations, readout_units=readout_units, dropout=dropout, epochs=epochs,
        max_steps=max_steps, batch_size=batch_size, lr=lr, lr_decay=lr_decay, lr_decay_steps=lr_decay_steps,
        patience=patience, eval_every=eval_every, weighting=weighting,
        seed=seed, num_threads=threads,
    )
    info = dataset_fingerprint(data)
    info["n_samples"] = len(train_ds)
    if val is not None:
        info["validation"] = dataset_fingerprint(val)
    elif val_ds is not None:
        info["validation"] = {"held_out": held_out, "n_samples": len(val_ds)}
        if held_out.startswith(f"{val_fraction:g} "):
            info["validation"]["held_out_fraction"] = val_fraction
    state = Path(str(out) + ".state")
    if resume and not state.is_file():
        raise InvalidParameterError(f"--resume: no training state at {state} (train without --resume first)")
    with progress_bar(transient=json_out) as bar:
        task = bar.add_task("training", total=None, rate="")

        def tick(p: dict[str, Any]) -> None:
            rate = f"loss {p['loss']:.4g}  {p['samples_per_s']:.0f} samples/s  epoch {p['epoch']:.2f}"
            bar.update(task, completed=p["step"], total=p["total_steps"], rate=rate)

        model.fit(train_ds, val_ds, state_path=state, resume=resume, log_csv=log_csv,
                  checkpoint_every=checkpoint_every, log_every=log_every, progress=tick, dataset_info=info)
    model.card_["training"]["command"] = "kplane " + shlex.join(sys.argv[1:])  # reproducible from the card
    model.save(out)
    card = model.card_
    if json_out:
        emit_json(card)
        return
    tr = card["training"]
    console.print(f"wrote {out}: {tr['steps']} steps, {tr['epochs']:.2f} epochs, stopped by {tr['stopped']}, "
                  f"{tr['wall_time_s']:.1f} s")
    metrics = card.get("metrics", {}).get("validation")
    if metrics:
        console.print(_metrics_table("validation", metrics))


def _metrics_table(title: str, m: dict[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title=f"{title} (MRE = mean relative error)")
    for col in ("delay MRE", "jitter MRE", "loss MRE (lossy paths)", "loss corr", "paths"):
        t.add_column(col, justify="right")
    t.add_row(fmt_number(m.get("mre_delay")), fmt_number(m.get("mre_jitter")), fmt_number(m.get("mre_loss")),
              fmt_number(m.get("corr_loss")), str(m.get("n_delay_paths", m.get("n_loss_paths", "-"))))
    return t


# ---------------------------------------------------------------------------------------------- evaluate
@app.command("evaluate")
def evaluate_cmd(
    data: Path | None = typer.Option(
        None, "--data", help="Labelled data: a kplane dataset (or a datanet folder)."
    ),
    datanet: Path | None = typer.Option(None, "--datanet", help="Labelled data: a datanet folder."),
    model_path: str = typer.Option("bundled", "--model", help="Model file, or 'bundled'."),
    split: str | None = typer.Option(
        None, "--split", help="kplane datasets: evaluate one split only (train, validation or test)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Use only the first N samples."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also evaluate the M/M/1/b model."),
    plots: Path | None = typer.Option(
        None, "--plots", help="Write Fig. 2 (relative-error CDF) and scatter PNGs into this folder."
    ),
    record: str | None = typer.Option(
        None, "--record", help="Store the metrics in the model file's card under this name (e.g. test)."
    ),
    noise: int = typer.Option(
        0, "--noise-floor", help="Also simulate the first N samples again with another seed and score "
        "that run like a model: on kplane data the labels' own noise, which no model can be expected "
        "to beat (on another simulator's data, plus the simulators' disagreement)."
    ),
    threads: int | None = typer.Option(
        None, "--threads", help="Torch CPU threads (and simulator processes for --noise-floor)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """The paper's Table I on labelled data: RouteNet and the M/M/1/b baseline side by side.

    MRE = mean relative error (delay and jitter over all labelled paths; drops over the paths with at
    least one drop); also MAPE, median relative error, bias, R², Pearson ρ and the loss-ratio correlation
    over all paths (zero-loss paths included).
    """
    from kplane.routenet import RouteNetModel
    from kplane.routenet._evaluate import evaluate_models, plot_evaluation

    if (data is None) == (datanet is None):
        raise InvalidParameterError("give exactly one of --data DIR or --datanet DIR")
    if record is not None:
        if not record.isidentifier():
            raise InvalidParameterError(f"--record needs a plain name, got {record!r}")
        _model_file_to_rewrite(model_path, "--record")
    if limit is not None and limit < 1:
        raise InvalidParameterError(f"--limit must be >= 1, got {limit}")
    if noise < 0:
        raise InvalidParameterError(f"--noise-floor must be >= 0 samples, got {noise}")
    source = data if data is not None else datanet
    assert source is not None
    models: dict[str, Any] = {"routenet": RouteNetModel.load(model_path, ood="ignore", num_threads=threads)}
    if baseline:
        from kplane.queueing import MM1bModel

        models["queueing"] = MM1bModel()
    ds = _select_split(open_dataset(source), split)
    with progress_bar(transient=True) as bar:
        task = bar.add_task("evaluating", total=None, rate="")
        ev = evaluate_models(models, ds, limit=limit,
                             progress=lambda done, total: bar.update(task, completed=done, total=total))
    metrics = ev.metrics()
    # the paper's Table I keys at the top level for RouteNet, and the same under "queueing"
    result: dict[str, Any] = {**metrics["routenet"], "samples": metrics["samples"], "paths": metrics["paths"],
                              "model": model_path, "data": str(source),
                              "calibrated": models["routenet"].calibration_ is not None}
    if baseline:
        result["queueing"] = metrics["queueing"]
    if split is not None:
        result["split"] = split
    if noise > 0:
        from kplane.routenet._evaluate import noise_floor

        with progress_bar(transient=True) as bar:
            task = bar.add_task("simulating again", total=None, rate="")
            floor = noise_floor(ds, limit=min(noise, ev.n_samples), n_jobs=threads or 1,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
        fm = floor.metrics()
        result["noise_floor"] = {**fm["simulator"], "samples": fm["samples"], "paths": fm["paths"]}
        metrics["simulator"] = result["noise_floor"]
    if plots is not None:
        written = plot_evaluation(ev, plots, title=f"{source.name}: {ev.n_samples} samples")
        result["plots"] = [str(p) for p in written]
    if record is not None:
        from kplane.routenet import load_checkpoint, save_checkpoint

        payload = load_checkpoint(model_path)
        payload.setdefault("metrics", {})[record] = {k: v for k, v in result.items() if k != "plots"}
        save_checkpoint(model_path, payload)
    if json_out:
        emit_json(result)
        return
    console.print(_table_one(f"{source} ({ev.n_samples} samples, {metrics['paths']:,} paths)", metrics))
    if noise > 0:
        n_floor = result["noise_floor"]["samples"]
        console.print(f"noise floor: kplane's simulator again, another seed, on the first {n_floor} samples "
                      "(on kplane data, the labels' own noise)")
    for p in result.get("plots", []):
        console.print(f"wrote {p}")


def _model_file_to_rewrite(model: str | Path, what: str) -> Path:
    """``model`` as a file this command may rewrite: an existing file, never the shipped weights."""
    from kplane.routenet import bundled_weights

    try:
        shipped: Path | None = bundled_weights().resolve()
    except NotFittedError:
        shipped = None
    path = Path(model)
    if str(model) == "bundled" or not path.is_file() or path.resolve() == shipped:
        raise InvalidParameterError(
            f"{what}: --model must be a model file to rewrite, not the shipped weights (copy them first), "
            f"got {model}"
        )
    return path


def _select_split(ds: Any, split: str | None) -> Any:
    """One split of a kplane dataset (``None``: all of ``ds``)."""
    if split is None:
        return ds
    from kplane.datasets import split_dataset

    names = ("train", "validation", "test")
    if split not in names:
        raise InvalidParameterError(f"--split must be one of {', '.join(names)}, got {split!r}")
    if getattr(ds, "format", None) != "kplane":
        raise InvalidParameterError("--split needs a kplane dataset (datanet data has no split labels)")
    return getattr(split_dataset(ds, by="label"), split)


@app.command("calibrate")
def calibrate_cmd(
    model_path: Path = typer.Option(..., "--model", help="Model file to calibrate (rewritten in place)."),
    data: Path = typer.Option(..., "--data", help="Labelled data the model was not trained on."),
    split: str | None = typer.Option(
        None, "--split", help="kplane datasets: the split to fit on (default: validation); 'all' for "
        "every sample (the default for a datanet folder, e.g. a separate validation set)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="Use only the first N samples."),
    threads: int | None = typer.Option(None, "--threads", help="Torch CPU threads."),
    json_out: bool = typer.Option(False, "--json", help="Print the calibration as JSON."),
) -> None:
    """Fit per-KPI corrections of the point predictions on held-out data and store them in the model.

    A delay and a jitter factor and a loss-logit shift, each chosen to minimise that KPI's mean
    relative error on the data (see kplane.routenet.fit_calibration): they remove a systematic offset
    of the point predictions, such as the one the readout's training-time dropout can leave.
    """
    from kplane.routenet import RouteNetModel, fit_calibration, load_checkpoint, save_checkpoint

    _model_file_to_rewrite(model_path, "calibrate")
    if limit is not None and limit < 1:
        raise InvalidParameterError(f"--limit must be >= 1, got {limit}")
    ds = open_dataset(data)
    if split is None and getattr(ds, "format", None) == "kplane":
        split = "validation"
    ds = _select_split(ds, None if split == "all" else split)
    model = RouteNetModel.load(model_path, ood="ignore", num_threads=threads)
    with progress_bar(transient=True) as bar:
        task = bar.add_task("calibrating", total=None, rate="")
        cal = fit_calibration(model, ds, limit=limit,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    record = cal.to_dict()
    split = "all" if split in (None, "all") else split
    record["fitted_on"].update(data=str(data), split=split)
    payload = load_checkpoint(model_path)
    payload["calibration"] = record
    save_checkpoint(model_path, payload)
    if json_out:
        emit_json(record)
        return
    f = record["fitted_on"]
    console.print(f"calibrated {model_path} on {data} ({split}: {f['samples']} samples, "
                  f"{f['paths']:,} paths): delay ×{cal.delay:.4f}, jitter ×{cal.jitter:.4f}, "
                  f"loss logit {cal.loss_logit:+.3f}")
    for kpi in ("delay", "jitter", "drops"):
        before, after = f["before"][f"{kpi}_mre"], f["after"][f"{kpi}_mre"]
        console.print(f"  {kpi} MRE {fmt_number(before)} → {fmt_number(after)}")


def _table_one(title: str, metrics: dict[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title=title)
    t.add_column("model", no_wrap=True)
    for col in ("delay MRE", "jitter MRE", "drops MRE", "delay MAPE", "delay R²", "delay ρ", "loss corr"):
        t.add_column(col, justify="right")
    rows = (("routenet", "RouteNet"), ("queueing", "M/M/1/b"), ("simulator", "noise floor"))
    for name, label in rows:
        m = metrics.get(name)
        if m is None:
            continue
        t.add_row(label, fmt_number(m["delay_mre"]), fmt_number(m["jitter_mre"]), fmt_number(m["drops_mre"]),
                  f"{m['delay_mape']:.2f}%", fmt_number(m["delay_r2"]), fmt_number(m["delay_pearson"]),
                  fmt_number(m["loss_corr"]))
    return t


@app.command("info")
def info_cmd(
    model_path: str = typer.Argument(..., help="Model file, or 'bundled'."),
    json_out: bool = typer.Option(False, "--json", help="Print the model card as JSON."),
) -> None:
    """Show a model's card: features, hyper-parameters, training data and metrics."""
    from kplane.routenet import RouteNetModel

    card = RouteNetModel.load(model_path).card_
    if json_out:
        emit_json(card)
        return
    console.print(f"kplane {card.get('kplane_version')}  created {card.get('created')}")
    console.print(f"heads: {card['heads']}  features: {card['features']}")
    console.print(f"hyper-parameters: {card['hparams']}")
    tr = card.get("training", {})
    if tr:
        ds = tr.get("dataset", {})
        spec = ds.get("spec") or {}
        console.print(f"trained {tr.get('steps')} steps on {ds.get('source', '?')}"
                      f"{' (spec ' + str(spec.get('name')) + ')' if spec else ''} "
                      f"(manifest sha256 {str(ds.get('manifest_hash', '?'))[:16]}…)")
        if tr.get("command"):
            console.print(f"command: {tr['command']}", highlight=False, soft_wrap=True)
    cal = card.get("calibration")
    if cal:
        f = cal.get("fitted_on", {})
        console.print(f"calibration: delay ×{cal['delay']:.4f}, jitter ×{cal['jitter']:.4f}, loss logit "
                      f"{cal['loss_logit']:+.3f} (fitted on {f.get('data', '?')}, {f.get('split', '?')}, "
                      f"{f.get('samples', '?')} samples)")
    for name, metrics in card.get("metrics", {}).items():
        if name == "validation":
            console.print(_metrics_table("validation", metrics))
        elif isinstance(metrics, dict) and "delay_mre" in metrics:
            title = f"{name}: {metrics.get('data', '?')} ({metrics.get('samples', '?')} samples)"
            console.print(_table_one(title, {"routenet": metrics, "queueing": metrics.get("queueing"),
                                             "simulator": metrics.get("noise_floor")}))
