"""`RouteNetModel`: RouteNet as a :class:`~kplane.network.PerformanceModel` (fit, predict, save, load)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kplane.datasets import GraphBatch, collate
from kplane.errors import (
    FormatError,
    InvalidParameterError,
    NotFittedError,
    OutOfDistributionWarning,
    UnsupportedError,
)
from kplane.network import PathKPIs, Scenario
from kplane.routenet import _fused
from kplane.routenet._calibrate import Calibration
from kplane.routenet._checkpoint import load_checkpoint, save_checkpoint
from kplane.routenet._features import FeatureScaler, FeatureSpec
from kplane.routenet._inference import predict_batch
from kplane.routenet._model import RouteNetMultiHead
from kplane.routenet._ood import out_of_range, unmodelled
from kplane.routenet._train import TrainSettings, train_network

__all__ = ["DEFAULT_HEADS", "OOD_POLICIES", "RouteNetModel", "bundled_weights"]

DEFAULT_HEADS: tuple[tuple[str, ...], ...] = (("gamma", "jitter", "binomial"),)
"""One network with a Gamma delay head, a jitter (variance) head and a Binomial loss head: the most
accurate choice measured, and a third of the cost of separate networks (see docs/routenet.md)."""
OOD_POLICIES = ("warn", "raise", "ignore")
_MAX_PATHS_PER_BATCH = 50_000


def bundled_weights(folder: str | Path | None = None) -> Path:
    """Path of the pretrained weights shipped in ``kplane/routenet/weights/``.

    Parameters
    ----------
    folder : str or Path, optional
        Look here instead of the package's ``weights`` folder.

    Raises
    ------
    NotFittedError
        If no weights are there.
    """
    where: Any = resources.files("kplane.routenet").joinpath("weights") if folder is None else Path(folder)
    files = []
    if where.is_dir():
        files = sorted((p for p in where.iterdir() if p.name.endswith(".pt")), key=lambda p: p.name)
    if not files:
        raise NotFittedError(
            f"no pretrained RouteNet weights in {where}; train a model with "
            "`kplane routenet train --data DIR -o model.pt` and pass --model model.pt"
        )
    return Path(str(files[0]))


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class RouteNetModel:
    """RouteNet (JSAC 2020) as a trainable, savable :class:`~kplane.network.PerformanceModel`.

    All parameters are keyword-only hyper-parameters, stored untouched; :meth:`fit` learns
    ``network_``, ``scaler_`` and ``card_``; :meth:`load` restores them from a checkpoint.

    Parameters
    ----------
    heads : sequence of sequence of str, default (("gamma", "jitter", "binomial"),)
        Head groups, one network per group (see :class:`~kplane.routenet.RouteNetMultiHead`).
    features : str or FeatureSpec, default "scale_free"
        Input feature set (see :mod:`kplane.routenet._features`).
    path_dim, link_dim, iterations, readout_units, dropout
        :class:`~kplane.routenet.RouteNet` hyper-parameters (paper: 32, 32, 8, 256, 0.5).
    epochs, max_steps, batch_size, lr, lr_decay, lr_decay_steps, l2, l2_last, weighting, eval_every, patience
        Training settings, see :class:`~kplane.routenet.TrainSettings`.
    seed : int, default 0
        Seeds weights, data order, dropout and Monte-Carlo dropout draws.
    mc_samples : int, default 0
        Monte-Carlo dropout draws per prediction; > 0 adds ``mean_delay_ci`` (half-width of the
        central 95% interval of the draws) to the predicted KPIs.
    ood : {"warn", "raise", "ignore"}, default "warn"
        What to do with a scenario outside the training range (features, hop count, sizes):
        :class:`~kplane.errors.OutOfDistributionWarning`, :class:`~kplane.errors.UnsupportedError`,
        or nothing.
    num_threads : int, optional
        Torch CPU threads during fit/predict (restored afterwards).

    Attributes
    ----------
    network_, scaler_, card_
        The trained networks, the feature scaler and the model card (set by :meth:`fit` / :meth:`load`).
    calibration_ : Calibration or None
        Post-hoc corrections of the point predictions (:func:`~kplane.routenet.fit_calibration`);
        None after :meth:`fit`, stored in and restored from the checkpoint.

    Examples
    --------
    >>> model = RouteNetModel.load("model.pt")  # doctest: +SKIP
    >>> kpis = model.predict([scenario])  # doctest: +SKIP
    """

    calibration_: Calibration | None = None

    def __init__(
        self,
        *,
        heads: Sequence[Sequence[str]] = DEFAULT_HEADS,
        features: str | FeatureSpec = "scale_free",
        path_dim: int = 32,
        link_dim: int = 32,
        iterations: int = 8,
        readout_units: int = 256,
        dropout: float = 0.5,
        epochs: int = 100,
        max_steps: int | None = None,
        batch_size: int = 16,
        lr: float = 1e-3,
        lr_decay: float = 0.9,
        lr_decay_steps: int = 50_000,
        l2: float = TrainSettings.l2,
        l2_last: float = TrainSettings.l2_last,
        weighting: str = "relative",
        eval_every: int = 0,
        patience: int = 10,
        seed: int = 0,
        mc_samples: int = 0,
        ood: str = "warn",
        num_threads: int | None = None,
    ) -> None:
        self.heads = heads
        self.features = features
        self.path_dim = path_dim
        self.link_dim = link_dim
        self.iterations = iterations
        self.readout_units = readout_units
        self.dropout = dropout
        self.epochs = epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.lr = lr
        self.lr_decay = lr_decay
        self.lr_decay_steps = lr_decay_steps
        self.l2 = l2
        self.l2_last = l2_last
        self.weighting = weighting
        self.eval_every = eval_every
        self.patience = patience
        self.seed = seed
        self.mc_samples = mc_samples
        self.ood = ood
        self.num_threads = num_threads

    # ------------------------------------------------------------------ fitting
    def _hparams(self) -> dict[str, Any]:
        return {"path_dim": self.path_dim, "link_dim": self.link_dim, "iterations": self.iterations,
                "readout_units": self.readout_units, "dropout": self.dropout}

    def _settings(self, checkpoint_every: int, log_every: int) -> TrainSettings:
        return TrainSettings(
            epochs=self.epochs, max_steps=self.max_steps, batch_size=self.batch_size, lr=self.lr,
            lr_decay=self.lr_decay, lr_decay_steps=self.lr_decay_steps, l2=self.l2, l2_last=self.l2_last,
            weighting=self.weighting, eval_every=self.eval_every, patience=self.patience,
            log_every=log_every, checkpoint_every=checkpoint_every, seed=self.seed,
        )

    def fit(
        self,
        samples: Iterable[Any],
        val: Iterable[Any] | None = None,
        *,
        state_path: str | Path | None = None,
        resume: bool = False,
        log_csv: str | Path | None = None,
        checkpoint_every: int = 500,
        log_every: int = 50,
        progress: Callable[[dict[str, Any]], None] | None = None,
        dataset_info: dict[str, Any] | None = None,
    ) -> RouteNetModel:
        """Train on ``(Scenario, PathKPIs)`` samples; returns ``self``.

        Parameters
        ----------
        samples, val : iterable of (Scenario, PathKPIs)
            Training and optional validation data (early stopping uses ``val``).
        state_path, resume, log_csv, checkpoint_every, log_every, progress
            See :func:`~kplane.routenet.train_network`.
        dataset_info : dict, optional
            Provenance recorded in the model card (``manifest_hash``, ``source``, ...).
        """
        spec = FeatureSpec.named(self.features) if isinstance(self.features, str) else self.features
        if self.ood not in OOD_POLICIES:
            raise InvalidParameterError(f"ood must be one of {list(OOD_POLICIES)}, got {self.ood!r}")
        settings = self._settings(checkpoint_every, log_every)
        with _threads(self.num_threads):
            res = train_network(
                samples, val=val, features=spec, heads=self.heads, hparams=self._hparams(),
                settings=settings, state_path=state_path, resume=resume, log_csv=log_csv, progress=progress,
            )
        self.network_ = res.net
        self.scaler_ = res.scaler
        self.calibration_ = None
        self.card_: dict[str, Any] = {
            "heads": [list(g) for g in res.net.groups],
            "features": res.scaler.spec.to_dict(),
            "hparams": dict(res.net.hparams),
            "training": {
                "settings": asdict(settings),
                "dataset": dict(dataset_info or {}),
                "steps": res.steps,
                "epochs": res.epochs,
                "stopped": res.stopped,
                "wall_time_s": res.wall_time_s,
                "torch_threads": torch.get_num_threads() if self.num_threads is None else self.num_threads,
            },
            "metrics": res.metrics,
        }
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise NotFittedError(
                "this RouteNetModel is not fitted; call fit(samples) or RouteNetModel.load(path) first"
            )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write weights, features, hyper-parameters, provenance and metrics to one file (atomic)."""
        self._check_fitted()
        card = self.card_
        save_checkpoint(path, {
            "model": {
                "heads": [list(g) for g in self.network_.groups],
                "hparams": dict(self.network_.hparams),
                "path_features": len(self.scaler_.spec.path),
                "link_features": len(self.scaler_.spec.link),
                "state_dict": self.network_.state_dict(),
            },
            "scaler": self.scaler_.to_dict(),
            "training": card.get("training", {}),
            "metrics": card.get("metrics", {}),
            "calibration": None if self.calibration_ is None else self.calibration_.to_dict(),
        })

    @classmethod
    def load(
        cls, path: str | Path, *, mc_samples: int = 0, ood: str = "warn", seed: int = 0,
        num_threads: int | None = None,
    ) -> RouteNetModel:
        """Restore a model written by :meth:`save` (``"bundled"`` = the shipped weights).

        Raises
        ------
        SchemaVersionError
            If the file was written with another checkpoint schema version.
        FormatError
            If the file is not a RouteNet checkpoint or needs inputs this kplane cannot compute.
        NotFittedError
            For ``"bundled"`` when no weights ship with this kplane.
        """
        if str(path) == "bundled":
            path = bundled_weights()
        data = load_checkpoint(path)
        m = data["model"]
        scaler = FeatureScaler.from_dict(data["scaler"])
        try:
            net = RouteNetMultiHead(heads=m["heads"], path_features=int(m["path_features"]),
                                    link_features=int(m["link_features"]), **m["hparams"])
            net.load_state_dict(m["state_dict"])
        except (KeyError, TypeError, RuntimeError, InvalidParameterError) as exc:
            raise FormatError(f"checkpoint model part is unusable: {exc}".splitlines()[0], file=path,
                              field="model") from None
        net.eval()
        hp = dict(m["hparams"])
        model = cls(heads=tuple(tuple(g) for g in m["heads"]), features=scaler.spec, mc_samples=mc_samples,
                    ood=ood, seed=seed, num_threads=num_threads, **hp)
        model.network_ = net
        model.scaler_ = scaler
        cal = data.get("calibration")
        model.calibration_ = None if cal is None else Calibration.from_dict(cal, file=path)
        model.card_ = {
            "kplane_version": data.get("kplane_version"),
            "created": data.get("created"),
            "heads": m["heads"],
            "features": scaler.spec.to_dict(),
            "hparams": hp,
            "training": data.get("training", {}),
            "metrics": data.get("metrics", {}),
            "ranges": scaler.ranges_,
        }
        if model.calibration_ is not None:
            model.card_["calibration"] = model.calibration_.to_dict()
        _fused.load()  # the compiled GRU step, before any prediction is timed
        return model

    # ------------------------------------------------------------------ prediction
    def _chunks(self, scenarios: Sequence[Scenario]) -> Iterator[list[int]]:
        chunk: list[int] = []
        paths = 0
        for i, sc in enumerate(scenarios):
            if chunk and paths + sc.n_paths > _MAX_PATHS_PER_BATCH:
                yield chunk
                chunk, paths = [], 0
            chunk.append(i)
            paths += sc.n_paths
        if chunk:
            yield chunk

    def predict(
        self, scenarios: Sequence[Scenario], *, mc_samples: int | None = None, calibrated: bool = True
    ) -> list[PathKPIs]:
        """Per-path mean delay [s], jitter [s²] and loss ratio of every scenario.

        Parameters
        ----------
        scenarios : sequence of Scenario
        mc_samples : int, optional
            Overrides the ``mc_samples`` hyper-parameter for this call.
        calibrated : bool, default True
            Apply ``calibration_`` (if the model has one, see :func:`~kplane.routenet.fit_calibration`);
            False gives the network's raw point predictions.

        Returns
        -------
        list of PathKPIs
            One per scenario, paths in routing order, with ``offered_rate`` and, with Monte-Carlo
            dropout, ``mean_delay_ci``. KPIs the model has no head for are NaN. Paths without
            traffic get the prediction for a vanishing probe flow.
        """
        self._check_fitted()
        if isinstance(scenarios, Scenario) or not all(isinstance(s, Scenario) for s in scenarios):
            raise InvalidParameterError("predict expects a sequence of Scenario objects")
        if self.ood not in OOD_POLICIES:
            raise InvalidParameterError(f"ood must be one of {list(OOD_POLICIES)}, got {self.ood!r}")
        n_mc = self.mc_samples if mc_samples is None else mc_samples
        if not isinstance(n_mc, int) or n_mc < 0 or n_mc == 1:
            raise InvalidParameterError(f"mc_samples must be 0 or an integer >= 2, got {n_mc!r}")
        gen = torch.Generator().manual_seed(int(self.seed))
        names = [s.name for s in scenarios]
        out: list[PathKPIs] = []
        with _threads(self.num_threads):
            for idx in self._chunks(scenarios):
                batch = collate([(scenarios[i], None) for i in idx])
                if self.ood != "ignore":
                    issues = [m for i in idx for m in unmodelled(scenarios[i])]
                    issues += out_of_range(batch, self.scaler_, [names[i] for i in idx])
                    if issues and self.ood == "raise":
                        raise UnsupportedError(
                            "out of the model's training distribution: " + "; ".join(issues)
                        )
                    for msg in issues:
                        warnings.warn(msg, OutOfDistributionWarning, stacklevel=2)
                pred = predict_batch(self.network_, self.scaler_, batch, mc_samples=n_mc, generator=gen)
                if calibrated and self.calibration_ is not None:
                    pred = self.calibration_.apply(pred, batch.path_prop_delay)
                out.extend(self._split(pred, batch, [scenarios[i] for i in idx], n_mc))
        return out

    def _split(
        self, pred: dict[str, torch.Tensor], batch: GraphBatch, scenarios: list[Scenario], n_mc: int
    ) -> list[PathKPIs]:
        res = []
        off = batch.path_offsets.tolist()
        nan = torch.full((batch.n_paths,), float("nan"), dtype=torch.float64)
        md = pred.get("mean_delay", nan).numpy()
        jit = pred.get("jitter", nan).numpy()
        lr = pred.get("loss_ratio", nan).numpy()
        ci = None
        if n_mc > 0 and "mean_delay_samples" in pred:
            draws = pred["mean_delay_samples"].numpy()
            q = np.quantile(draws, [0.025, 0.975], axis=0)
            ci = (q[1] - q[0]) / 2
        for k, sc in enumerate(scenarios):
            a, b = off[k], off[k + 1]
            res.append(PathKPIs(
                pairs=sc.routing.pairs, mean_delay=md[a:b], jitter=jit[a:b], loss_ratio=lr[a:b],
                mean_delay_ci=None if ci is None else ci[a:b], offered_rate=sc.path_rate(),
                node_names=sc.topology.node_names,
                metadata={"model": "routenet", "mc_samples": n_mc, "scenario": sc.name},
            ))
        return res

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "network_") else "not fitted"
        return f"RouteNetModel(heads={[list(g) for g in self.heads]}, features={self.features!r}, {state})"
