"""RouteNet input features, target normalisation and the fitted :class:`FeatureScaler`.

A :class:`~kplane.datasets.GraphBatch` carries raw physical quantities in SI units; this module turns
them into the model's input columns and turns delay targets into dimensionless numbers.

Two feature sets are defined (:data:`FEATURE_SETS`):

``"paper"``
    The paper's inputs: offered rate of the path [bit/s] and link capacity [bit/s]; delays are
    predicted in seconds. Tied to the capacity and traffic scale of the training data.
``"scale_free"`` (default)
    Dimensionless inputs only — offered load relative to the path's bottleneck capacity, fluid link
    utilisation, queue size in packets, packet-size variability, hop count and the log of each
    link's (and path's) mean packet transmission time relative to the scenario's geometric mean —
    and delays predicted in units of the path's own sum of mean transmission times
    ``tau_p = sum_{l in p} E[S_p] / c_l`` after removing the (deterministic) propagation delay.
    Multiplying every capacity and every rate by the same factor leaves the inputs unchanged and
    divides the predicted delays by that factor, as it does in any FIFO queueing network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from kplane.datasets import GraphBatch
from kplane.errors import FormatError, InvalidParameterError, NotFittedError

__all__ = [
    "FEATURE_SETS",
    "FeatureScaler",
    "FeatureSpec",
    "LINK_FEATURES",
    "PATH_FEATURES",
    "TARGET_MODES",
    "delay_reference",
    "raw_features",
]

Tensor = torch.Tensor


def _bottleneck(b: GraphBatch) -> Tensor:
    cap = b.link_capacity[b.path_links.clamp(min=0)]
    cap = torch.where(b.path_mask, cap, torch.full_like(cap, torch.inf))
    return cap.min(dim=1).values


def _link_tx(b: GraphBatch) -> Tensor:
    """Mean transmission time of the packets offered to each link [s], shape (L,)."""
    return b.link_packet_size / b.link_capacity


def _path_tx(b: GraphBatch) -> Tensor:
    """``tau_p``: sum over the path's links of its mean packet size / capacity [s], shape (P,)."""
    inv_cap = torch.zeros(b.n_paths, dtype=b.link_capacity.dtype)
    inv_cap.index_add_(0, b.edge_path, 1.0 / b.link_capacity[b.edge_link])
    return b.path_packet_size * inv_cap


def _log_reference(b: GraphBatch) -> Tensor:
    """Per-sample log of the geometric mean link transmission time, shape (S,)."""
    logs = torch.log(_link_tx(b))
    total = torch.zeros(b.n_samples, dtype=logs.dtype).index_add_(0, b.link_sample, logs)
    counts = torch.bincount(b.link_sample, minlength=b.n_samples).to(logs.dtype)
    return total / counts


def _scv(mean: Tensor, second: Tensor) -> Tensor:
    return (second / mean**2 - 1.0).clamp(min=0.0)


PATH_FEATURES: dict[str, Callable[[GraphBatch], Tensor]] = {
    "offered_rate": lambda b: b.path_rate,
    "load_to_bottleneck": lambda b: b.path_rate / _bottleneck(b),
    "hops": lambda b: b.path_length.to(torch.float64),
    "size_scv": lambda b: _scv(b.path_packet_size, b.path_packet_size_sq),
    "log_tx_time_rel": lambda b: torch.log(_path_tx(b)) - _log_reference(b)[b.path_sample],
}
"""Path feature name → function of a batch returning shape (P,) float64."""

LINK_FEATURES: dict[str, Callable[[GraphBatch], Tensor]] = {
    "capacity": lambda b: b.link_capacity,
    "utilisation": lambda b: b.link_load / b.link_capacity,
    "queue_size": lambda b: b.link_queue_size,
    "size_scv": lambda b: _scv(b.link_packet_size, b.link_packet_size_sq),
    "log_tx_time_rel": lambda b: torch.log(_link_tx(b)) - _log_reference(b)[b.link_sample],
}
"""Link feature name → function of a batch returning shape (L,) float64."""

TARGET_MODES = ("seconds", "transmission_time")
"""How delays are made dimensionless: not at all (``"seconds"``) or per path by ``tau_p``."""


@dataclass(frozen=True)
class FeatureSpec:
    """Which input columns a model uses and how its delay targets are normalised.

    Parameters
    ----------
    path : tuple of str
        Names from :data:`PATH_FEATURES`.
    link : tuple of str
        Names from :data:`LINK_FEATURES`.
    target : {"seconds", "transmission_time"}
        Delay reference, see :func:`delay_reference`.
    """

    path: tuple[str, ...]
    link: tuple[str, ...]
    target: str

    def __post_init__(self) -> None:
        for kind, names, known in (("path", self.path, PATH_FEATURES), ("link", self.link, LINK_FEATURES)):
            if not names:
                raise InvalidParameterError(f"a RouteNet model needs at least one {kind} feature")
            for n in names:
                if n not in known:
                    raise InvalidParameterError(
                        f"unknown {kind} feature {n!r}; this kplane knows {sorted(known)}"
                    )
        if self.target not in TARGET_MODES:
            raise InvalidParameterError(f"unknown target mode {self.target!r}; valid: {list(TARGET_MODES)}")

    @classmethod
    def named(cls, name: str) -> FeatureSpec:
        """One of :data:`FEATURE_SETS` by name."""
        if name not in FEATURE_SETS:
            raise InvalidParameterError(f"unknown feature set {name!r}; valid: {sorted(FEATURE_SETS)}")
        return FEATURE_SETS[name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (stored in checkpoints)."""
        return {"path": list(self.path), "link": list(self.link), "target": self.target}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`; a feature unknown to this kplane is a :class:`FormatError`."""
        try:
            return cls(path=tuple(d["path"]), link=tuple(d["link"]), target=str(d["target"]))
        except KeyError as exc:
            raise FormatError(f"feature spec lacks {exc.args[0]!r}", field="features") from None
        except InvalidParameterError as exc:
            raise FormatError(f"the model needs an input this kplane cannot compute: {exc}",
                              field="features") from None


FEATURE_SETS: dict[str, FeatureSpec] = {
    "paper": FeatureSpec(path=("offered_rate",), link=("capacity",), target="seconds"),
    "scale_free": FeatureSpec(
        path=("load_to_bottleneck", "log_tx_time_rel", "hops", "size_scv"),
        link=("utilisation", "log_tx_time_rel", "queue_size", "size_scv"),
        target="transmission_time",
    ),
}
"""Named feature sets (see the module docstring)."""


def raw_features(batch: GraphBatch, spec: FeatureSpec) -> tuple[Tensor, Tensor]:
    """Unscaled input columns, float64: path (P, len(spec.path)) and link (L, len(spec.link))."""
    xp = torch.stack([PATH_FEATURES[n](batch) for n in spec.path], dim=1)
    xl = torch.stack([LINK_FEATURES[n](batch) for n in spec.link], dim=1)
    return xp, xl


def delay_reference(batch: GraphBatch, spec: FeatureSpec) -> tuple[Tensor, Tensor]:
    """Per-path delay ``scale`` [s] and ``offset`` [s]: normalised delay = (delay − offset) / scale.

    ``"seconds"``: scale 1, offset 0. ``"transmission_time"``: scale ``tau_p``, offset the path's
    propagation delay. Both of shape (P,), float64.
    """
    if spec.target == "seconds":
        one = torch.ones(batch.n_paths, dtype=torch.float64)
        return one, torch.zeros_like(one)
    return _path_tx(batch), batch.path_prop_delay.clone()


class FeatureScaler:
    """Z-scores of the input columns and of the normalised mean delay, fitted on training batches.

    Also records the range of everything it saw (feature columns, hop count, node count, paths and
    links per sample) so that a model can flag out-of-distribution input.

    Parameters
    ----------
    spec : FeatureSpec
        The input columns and delay normalisation.

    Attributes
    ----------
    path_mean_, path_std_, link_mean_, link_std_ : ndarray
        Column statistics (std of a constant column is stored as 1).
    delay_mean_, delay_std_ : float
        Mean and std of the normalised mean delay over labelled paths.
    ranges_ : dict
        ``{"path:<name>": [min, max], "link:<name>": [min, max], "hops": [1, max], "n_nodes": [...],
        "n_paths": [...], "n_links": [...]}``.
    labels_ : dict
        Training paths with a usable label per target: ``delay``, ``log_delay`` (mean log-delay
        without propagation delay, what the Gamma head needs) and ``loss``.
    """

    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec

    def fit(self, batches: Iterable[GraphBatch]) -> FeatureScaler:
        """Accumulate statistics over ``batches`` (float64, one pass); returns ``self``."""
        acc: dict[str, Any] = {}
        n_batches = 0
        labels = {"delay": 0, "log_delay": 0, "loss": 0}

        def add(key: str, x: Tensor) -> None:
            x = x.to(torch.float64)
            s, ss = x.sum(0), (x * x).sum(0)
            lo, hi = x.min(0).values, x.max(0).values
            if key not in acc:
                acc[key] = [x.shape[0], s, ss, lo, hi]
            else:
                a = acc[key]
                a[0] += x.shape[0]
                a[1], a[2] = a[1] + s, a[2] + ss
                a[3], a[4] = torch.minimum(a[3], lo), torch.maximum(a[4], hi)

        for batch in batches:
            n_batches += 1
            xp, xl = raw_features(batch, self.spec)
            add("path", xp)
            add("link", xl)
            add("hops", batch.path_length.to(torch.float64)[:, None])
            add("n_nodes", batch.n_nodes.to(torch.float64)[:, None])
            add("n_paths", torch.diff(batch.path_offsets).to(torch.float64)[:, None])
            add("n_links", torch.diff(batch.link_offsets).to(torch.float64)[:, None])
            if batch.delay_mask.any():
                scale, offset = delay_reference(batch, self.spec)
                y = (batch.mean_delay - offset) / scale
                add("delay", y[batch.delay_mask][:, None])
                labels["delay"] += int(batch.delay_mask.sum())
                labels["log_delay"] += int((batch.log_delay_mask & (offset == 0)).sum())
            labels["loss"] += int(batch.loss_mask.sum())
        if n_batches == 0:
            raise InvalidParameterError("FeatureScaler.fit needs at least one batch")
        if "delay" not in acc:
            raise InvalidParameterError("FeatureScaler.fit found no path with a usable delay label")

        def stats(key: str) -> tuple[np.ndarray, np.ndarray]:
            n, s, ss = acc[key][:3]
            mean = (s / n).numpy()
            var = np.maximum((ss / n).numpy() - mean**2, 0.0)
            std = np.sqrt(var)
            std[std < 1e-9 * np.maximum(1.0, np.abs(mean))] = 1.0
            return mean, std

        self.path_mean_, self.path_std_ = stats("path")
        self.link_mean_, self.link_std_ = stats("link")
        dm, ds = stats("delay")
        self.delay_mean_, self.delay_std_ = float(dm[0]), float(ds[0])
        ranges: dict[str, list[float]] = {}
        for kind, names in (("path", self.spec.path), ("link", self.spec.link)):
            lo, hi = acc[kind][3].numpy(), acc[kind][4].numpy()
            for j, n in enumerate(names):
                ranges[f"{kind}:{n}"] = [float(lo[j]), float(hi[j])]
        for key in ("hops", "n_nodes", "n_paths", "n_links"):
            ranges[key] = [float(acc[key][3][0]), float(acc[key][4][0])]
        self.ranges_ = ranges
        self.labels_ = labels
        return self

    def _check(self) -> None:
        if not hasattr(self, "path_mean_"):
            raise NotFittedError("this FeatureScaler is not fitted yet; call fit(batches) first")

    def transform(self, batch: GraphBatch) -> tuple[Tensor, Tensor]:
        """Scaled inputs, float32: path (P, n_path_features) and link (L, n_link_features)."""
        self._check()
        xp, xl = raw_features(batch, self.spec)
        xp = (xp - torch.from_numpy(self.path_mean_)) / torch.from_numpy(self.path_std_)
        xl = (xl - torch.from_numpy(self.link_mean_)) / torch.from_numpy(self.link_std_)
        return xp.to(torch.float32), xl.to(torch.float32)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (stored in checkpoints)."""
        self._check()
        return {
            "spec": self.spec.to_dict(),
            "path_mean": self.path_mean_.tolist(),
            "path_std": self.path_std_.tolist(),
            "link_mean": self.link_mean_.tolist(),
            "link_std": self.link_std_.tolist(),
            "delay_mean": self.delay_mean_,
            "delay_std": self.delay_std_,
            "ranges": {k: list(v) for k, v in self.ranges_.items()},
            "labels": dict(self.labels_),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureScaler:
        """Inverse of :meth:`to_dict`."""
        try:
            self = cls(FeatureSpec.from_dict(d["spec"]))
            self.path_mean_ = np.asarray(d["path_mean"], dtype=np.float64)
            self.path_std_ = np.asarray(d["path_std"], dtype=np.float64)
            self.link_mean_ = np.asarray(d["link_mean"], dtype=np.float64)
            self.link_std_ = np.asarray(d["link_std"], dtype=np.float64)
            self.delay_mean_ = float(d["delay_mean"])
            self.delay_std_ = float(d["delay_std"])
            self.ranges_ = {str(k): [float(v[0]), float(v[1])] for k, v in d["ranges"].items()}
            self.labels_ = {str(k): int(v) for k, v in d.get("labels", {}).items()}
        except KeyError as exc:
            raise FormatError(f"feature scaler lacks {exc.args[0]!r}", field="scaler") from None
        if self.path_mean_.shape != (len(self.spec.path),) or self.link_mean_.shape != (len(self.spec.link),):
            raise FormatError("feature scaler statistics do not match its feature list", field="scaler")
        return self

    def __repr__(self) -> str:
        sp = self.spec
        return f"FeatureScaler(path={list(sp.path)}, link={list(sp.link)}, target={sp.target!r})"
