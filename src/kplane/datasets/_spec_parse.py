"""Parse and validate dataset specs (TOML, YAML, JSON or tables); find the shipped ones.

Every problem is a :class:`~kplane.errors.FormatError` naming the spec file and the field.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from kplane.datasets._spec import (
    _CAPACITY_FIELDS,
    _ROUTING_FIELDS,
    _SIM_FIELDS,
    _TOP_FIELDS,
    _TOPOLOGY_FIELDS,
    _TRAFFIC_FIELDS,
    CAPACITY_RULES,
    GENERATORS,
    ROUTING_METHODS,
    SPLITS,
    TRAFFIC_MODELS,
    CapacityRule,
    DatasetSpec,
    RoutingSpec,
    SimulationSpec,
    TopologySource,
    TrafficSpec,
)
from kplane.errors import FormatError, InvalidParameterError

__all__ = ["list_specs", "load_spec", "parse_spec", "spec_text"]


# ---------------------------------------------------------------------------------------------- errors
class _Ctx:
    """Raises :class:`FormatError` naming the spec file and field."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def fail(self, fld: str, msg: str) -> FormatError:
        return FormatError(msg, file=self.file, field=fld)

    def table(self, obj: Any, fld: str, allowed: Sequence[str]) -> Mapping[str, Any]:
        if obj is None:
            return {}
        if not isinstance(obj, Mapping):
            raise self.fail(fld, f"expected a table, got {obj!r}")
        unknown = [k for k in obj if k not in allowed]
        if unknown:
            where = f"{fld}." if fld else ""
            raise self.fail(
                f"{where}{unknown[0]}",
                f"unknown field {unknown[0]!r}; valid fields{' of ' + fld if fld else ''}: "
                f"{', '.join(allowed)}",
            )
        return obj

    def integer(self, v: Any, fld: str, minimum: int = 0) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.fail(fld, f"expected a whole number >= {minimum}, got {v!r}")
        return int(v)

    def number(
        self, v: Any, fld: str, *, minimum: float | None = 0.0, strict: bool = False, unit: str = ""
    ) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise self.fail(fld, f"expected a finite number{' in ' + unit if unit else ''}, got {v!r}")
        x = float(v)
        if minimum is not None and (x <= minimum if strict else x < minimum):
            op = ">" if strict else ">="
            raise self.fail(fld, f"must be {op} {minimum:g}{' ' + unit if unit else ''}, got {v!r}")
        return x

    def rate(self, v: Any, fld: str) -> float:
        from kplane.utils import parse_rate

        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise self.fail(fld, f"expected a rate such as 10000 or '10kbps' (bit/s), got {v!r}")
        if isinstance(v, int | float) and not v > 0:
            raise self.fail(fld, f"must be > 0 bit/s, got {v!r}")
        try:
            return parse_rate(v)
        except InvalidParameterError as exc:
            raise self.fail(fld, str(exc)) from None

    def string(self, v: Any, fld: str, choices: Sequence[str] | None = None) -> str:
        if not isinstance(v, str):
            raise self.fail(fld, f"expected a string, got {v!r}")
        if choices is not None and v not in choices:
            raise self.fail(fld, f"{v!r} is not valid; valid: {', '.join(choices)}")
        return v

    def seq(self, v: Any, fld: str, min_len: int = 1) -> list[Any]:
        if isinstance(v, str) or not isinstance(v, Sequence) or len(v) < min_len:
            raise self.fail(fld, f"expected a list of at least {min_len} value(s), got {v!r}")
        return list(v)

    def range2(self, v: Any, fld: str, conv: Any) -> tuple[float, float]:
        """``[lo, hi]`` (or a single value meaning ``[v, v]``)."""
        if not isinstance(v, Sequence) or isinstance(v, str):
            x = conv(v, fld)
            return (x, x)
        if len(v) != 2:
            raise self.fail(fld, f"expected [min, max], got {v!r}")
        lo, hi = conv(v[0], f"{fld}[0]"), conv(v[1], f"{fld}[1]")
        if lo > hi:
            raise self.fail(fld, f"min must be <= max, got {list(v)!r}")
        return (lo, hi)


def parse_spec(
    data: Mapping[str, Any], *, file: str | Path | None = None, name: str | None = None
) -> DatasetSpec:
    """Validate parsed spec tables and fill in the defaults (see :meth:`DatasetSpec.from_dict`)."""
    ctx = _Ctx(None if file is None else str(file))
    top = ctx.table(data, "", _TOP_FIELDS)
    base = Path(file).resolve().parent if file is not None else Path.cwd()
    spec_name = top.get("name", name if name is not None else (Path(file).stem if file else "dataset"))
    spec_name = ctx.string(spec_name, "name")
    if not spec_name.strip():
        raise ctx.fail("name", "must not be empty")
    description = ctx.string(top.get("description", ""), "description")
    seed = ctx.integer(top.get("seed", 0), "seed")
    spt = ctx.integer(top.get("samples_per_topology", 100), "samples_per_topology", 1)
    shard = ctx.integer(top.get("shard_size", 16), "shard_size", 1)
    sim = _parse_simulation(ctx, top.get("simulation"))
    traffic = _parse_traffic(ctx, top.get("traffic"))
    routing = _parse_routing(ctx, top.get("routing"))
    caps = _parse_capacities(ctx, top.get("capacities"), "capacities", CapacityRule())
    if "topologies" not in top:
        raise ctx.fail("topologies", "missing: a spec needs at least one [[topologies]] entry")
    entries = ctx.seq(top["topologies"], "topologies")
    topologies = tuple(_parse_topology(ctx, e, f"topologies[{i}]", base, caps) for i, e in enumerate(entries))
    seen: dict[str, int] = {}
    for i, t in enumerate(topologies):
        key = t.label or t.name or (Path(str(t.file)).stem if t.file else f"<generator {i}>")
        if key in seen:
            raise ctx.fail(
                f"topologies[{i}].label",
                f"topology name {key!r} is already used by "
                f"topologies[{seen[key]}]; give one of them a distinct label",
            )
        seen[key] = i
    for i, t in enumerate(topologies):
        rule = t.capacities or caps
        if rule.rule == "keep" and t.kind != "file":
            raise ctx.fail(
                f"topologies[{i}].capacities.rule" if t.capacities else "capacities.rule",
                f"'keep' needs topologies that carry capacities (files); entry {i} is "
                f"{t.kind} {t.describe()!r}",
            )
    if traffic.model == "gravity" and any((t.capacities or caps).rule == "load" for t in topologies):
        raise ctx.fail("capacities.rule", "the 'load' rule needs the routenet traffic model")
    return DatasetSpec(
        name=spec_name,
        description=description,
        seed=seed,
        samples_per_topology=spt,
        shard_size=shard,
        topologies=topologies,
        simulation=sim,
        traffic=traffic,
        routing=routing,
        capacities=caps,
    )


# ---------------------------------------------------------------------------------------------- parsers
def _parse_simulation(ctx: _Ctx, obj: Any) -> SimulationSpec:
    t = ctx.table(obj, "simulation", _SIM_FIELDS)
    d = SimulationSpec()
    duration = ctx.number(t.get("duration", d.duration), "simulation.duration", strict=True, unit="s")
    warmup = ctx.number(t.get("warmup", min(d.warmup, duration / 10)), "simulation.warmup", unit="s")
    if duration <= warmup:
        raise ctx.fail(
            "simulation.duration", f"must be > simulation.warmup ({warmup:g} s), got {duration:g} s"
        )
    return SimulationSpec(duration=duration, warmup=warmup)


def _parse_traffic(ctx: _Ctx, obj: Any) -> TrafficSpec:
    t = ctx.table(obj, "traffic", _TRAFFIC_FIELDS)
    d = TrafficSpec()
    model = ctx.string(t.get("model", d.model), "traffic.model", TRAFFIC_MODELS)

    def ti(v: Any, f: str) -> float:
        return ctx.number(v, f, unit="kbit/s")

    given = [k for k in ("intensity", "intensity_levels", "max_pair_rate", "total_rate") if k in t]
    if len(given) > 1:
        raise ctx.fail(f"traffic.{given[1]}", f"give only one of {', '.join(given)}")
    intensity: tuple[float, float] | None = None
    levels = max_rate = total = None
    if model == "routenet":
        if "total_rate" in t:
            raise ctx.fail(
                "traffic.total_rate",
                "only for model = 'gravity'; the routenet model takes "
                "intensity, intensity_levels or max_pair_rate",
            )
        if "intensity_levels" in t:
            levels = tuple(
                ti(v, f"traffic.intensity_levels[{i}]")
                for i, v in enumerate(ctx.seq(t["intensity_levels"], "traffic.intensity_levels"))
            )
        elif "max_pair_rate" in t:
            max_rate = ctx.range2(t["max_pair_rate"], "traffic.max_pair_rate", ctx.rate)
        else:
            intensity = ctx.range2(t.get("intensity", d.intensity), "traffic.intensity", ti)
    else:
        bad = next((k for k in ("intensity", "intensity_levels", "max_pair_rate") if k in t), None)
        if bad:
            raise ctx.fail(
                f"traffic.{bad}", "only for model = 'routenet'; the gravity model takes total_rate"
            )
        if "total_rate" not in t:
            raise ctx.fail(
                "traffic.total_rate", "missing: the gravity model needs a total rate range (bit/s)"
            )
        total = ctx.range2(t["total_rate"], "traffic.total_rate", ctx.rate)
    low = ctx.number(t.get("low", d.low), "traffic.low")
    high = ctx.number(t.get("high", d.high), "traffic.high", strict=True)
    if low > high:
        raise ctx.fail("traffic.low", f"must be <= traffic.high ({high:g}), got {low:g}")
    sizes = tuple(
        ctx.number(v, f"traffic.packet_sizes[{i}]", strict=True, unit="bits")
        for i, v in enumerate(ctx.seq(t.get("packet_sizes", d.packet_sizes), "traffic.packet_sizes"))
    )
    probs_in = t.get(
        "packet_probs", d.packet_probs if "packet_sizes" not in t else [1 / len(sizes)] * len(sizes)
    )
    probs = tuple(
        ctx.number(v, f"traffic.packet_probs[{i}]")
        for i, v in enumerate(ctx.seq(probs_in, "traffic.packet_probs"))
    )
    if len(probs) != len(sizes) or abs(sum(probs) - 1) > 1e-6:
        raise ctx.fail(
            "traffic.packet_probs", f"expected {len(sizes)} probabilities summing to 1, got {list(probs)}"
        )
    weights = ctx.string(
        t.get("weights", d.weights), "traffic.weights", ("capacity", "degree", "exponential")
    )
    return TrafficSpec(
        model=model,
        intensity=intensity,
        intensity_levels=levels,
        max_pair_rate=max_rate,
        total_rate=total,
        low=low,
        high=high,
        packet_sizes=sizes,
        packet_probs=probs,
        weights=weights,
    )


def _parse_routing(ctx: _Ctx, obj: Any) -> RoutingSpec:
    t = ctx.table(obj, "routing", _ROUTING_FIELDS)
    d = RoutingSpec()
    return RoutingSpec(
        method=ctx.string(t.get("method", d.method), "routing.method", ROUTING_METHODS),
        variants=ctx.integer(t.get("variants", d.variants), "routing.variants", 1),
        perturb_links=ctx.integer(t.get("perturb_links", d.perturb_links), "routing.perturb_links", 1),
        perturb_delta=ctx.number(
            t.get("perturb_delta", d.perturb_delta), "routing.perturb_delta", strict=True
        ),
        k=ctx.integer(t.get("k", d.k), "routing.k", 1),
    )


def _parse_capacities(ctx: _Ctx, obj: Any, fld: str, default: CapacityRule) -> CapacityRule:
    t = ctx.table(obj, fld, _CAPACITY_FIELDS)
    rule = ctx.string(t.get("rule", default.rule), f"{fld}.rule", CAPACITY_RULES)
    choices = default.choices
    if "choices" in t:
        choices = tuple(
            ctx.rate(v, f"{fld}.choices[{i}]") for i, v in enumerate(ctx.seq(t["choices"], f"{fld}.choices"))
        )
    probs = default.probabilities if "choices" not in t else None
    if "probabilities" in t:
        probs = tuple(
            ctx.number(v, f"{fld}.probabilities[{i}]")
            for i, v in enumerate(ctx.seq(t["probabilities"], f"{fld}.probabilities"))
        )
    if probs is not None and (len(probs) != len(choices) or abs(sum(probs) - 1) > 1e-6):
        raise ctx.fail(
            f"{fld}.probabilities",
            f"expected {len(choices)} probabilities (one per choice) summing to 1, got {list(probs)}",
        )
    target = ctx.number(
        t.get("target_utilisation", default.target_utilisation), f"{fld}.target_utilisation", strict=True
    )
    if target > 1:
        raise ctx.fail(f"{fld}.target_utilisation", f"must be in (0, 1], got {target:g}")
    q = t.get("queue_size", list(default.queue_size))
    qs = tuple(ctx.integer(v, f"{fld}.queue_size", 1) for v in (q if isinstance(q, list) else [q]))
    if not qs:
        raise ctx.fail(f"{fld}.queue_size", "expected a whole number of packets >= 1 or a list of them")
    return CapacityRule(
        rule=rule, choices=choices, probabilities=probs, target_utilisation=target, queue_size=qs
    )


def _bundled_names() -> tuple[str, ...]:
    from kplane.network.topologies import BUNDLED_TOPOLOGIES

    return tuple(sorted(BUNDLED_TOPOLOGIES))


def _parse_topology(ctx: _Ctx, obj: Any, fld: str, base: Path, caps: CapacityRule) -> TopologySource:
    t = ctx.table(obj, fld, _TOPOLOGY_FIELDS)
    kinds = [k for k in ("name", "generator", "file") if k in t]
    if len(kinds) != 1:
        raise ctx.fail(
            fld,
            "give exactly one of name (a bundled topology), generator or file"
            + (f"; got {', '.join(kinds)}" if kinds else ""),
        )
    kind = kinds[0]
    split = ctx.string(t.get("split", "train"), f"{fld}.split", SPLITS)
    samples = None if "samples" not in t else ctx.integer(t["samples"], f"{fld}.samples", 1)
    label = None if "label" not in t else ctx.string(t["label"], f"{fld}.label")
    own_caps = (
        None if "capacities" not in t else _parse_capacities(ctx, t["capacities"], f"{fld}.capacities", caps)
    )
    name = generator = file = None
    n_nodes = None
    count = 1
    params: tuple[tuple[str, Any], ...] = ()
    for k in ("n_nodes", "count", "params"):
        if k in t and kind != "generator":
            raise ctx.fail(f"{fld}.{k}", f"only for generator entries, this entry has {kind} = {t[kind]!r}")
    if kind == "name":
        name = ctx.string(t["name"], f"{fld}.name").strip().lower()
        valid = _bundled_names()
        if name not in valid:
            raise ctx.fail(f"{fld}.name", f"unknown topology {t['name']!r}; valid: {', '.join(valid)}")
    elif kind == "generator":
        generator = ctx.string(t["generator"], f"{fld}.generator", tuple(GENERATORS))
        if "n_nodes" not in t:
            raise ctx.fail(f"{fld}.n_nodes", "missing: a generator needs n_nodes (a number or [min, max])")
        lo, hi = ctx.range2(t["n_nodes"], f"{fld}.n_nodes", lambda v, f: float(ctx.integer(v, f, 2)))
        n_nodes = (int(lo), int(hi))
        count = ctx.integer(t.get("count", 1), f"{fld}.count", 1)
        p = ctx.table(t.get("params", {}), f"{fld}.params", GENERATORS[generator])
        for k, v in p.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ctx.fail(f"{fld}.params.{k}", f"expected a number, got {v!r}")
        needed = {"random_geometric": "radius", "barabasi_albert": "m"}.get(generator)
        if needed and needed not in p:
            raise ctx.fail(f"{fld}.params.{needed}", f"missing: {generator} needs {needed}")
        params = tuple(sorted(p.items()))
    else:
        raw = ctx.string(t["file"], f"{fld}.file")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (base / path).resolve()
        if not path.is_file():
            raise ctx.fail(f"{fld}.file", f"no such file: {path}")
        file = str(path)
    return TopologySource(
        name=name,
        generator=generator,
        file=file,
        n_nodes=n_nodes,
        count=count,
        params=params,
        split=split,
        samples=samples,
        label=label,
        capacities=own_caps,
    )


# ---------------------------------------------------------------------------------------------- loading
_SPEC_PACKAGE = "kplane.datasets.specs"


def list_specs() -> list[str]:
    """Names of the specs shipped with kplane (``routenet-small``, ``routenet-paper``, ...)."""
    root = resources.files(_SPEC_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def spec_text(name: str) -> str:
    """The TOML text of a shipped spec (copy it to make your own).

    Raises
    ------
    InvalidParameterError
        If no spec of that name is shipped (the message lists the valid names).
    """
    names = list_specs()
    if name not in names:
        raise InvalidParameterError(f"no shipped dataset spec named {name!r}; valid: {', '.join(names)}")
    return resources.files(_SPEC_PACKAGE).joinpath(f"{name}.toml").read_text(encoding="utf-8")


def load_spec(spec: str | Path | Mapping[str, Any] | DatasetSpec) -> DatasetSpec:
    """Load and validate a dataset spec.

    Parameters
    ----------
    spec : str, Path, mapping or DatasetSpec
        A spec file (``.toml``, ``.yaml``/``.yml`` when PyYAML is installed, or ``.json``), the name of
        a shipped spec (:func:`list_specs`), or the parsed tables.

    Raises
    ------
    FormatError
        If the file cannot be parsed or a field is invalid (the message names the file and field).
    InvalidParameterError
        If ``spec`` is neither an existing file nor a shipped spec's name.
    """
    if isinstance(spec, DatasetSpec):
        return spec
    if isinstance(spec, Mapping):
        return DatasetSpec.from_dict(spec)
    path = Path(spec)
    if not path.is_file():
        if isinstance(spec, str) and spec in list_specs():
            data = _parse_text(spec_text(spec), f"{spec}.toml", f"<shipped spec {spec}>")
            return DatasetSpec.from_dict(data, file=None, name=spec)
        raise InvalidParameterError(
            f"dataset spec {str(spec)!r} is neither a file nor a shipped spec; shipped: "
            f"{', '.join(list_specs())}"
        )
    data = _parse_text(path.read_text(encoding="utf-8"), path.name, str(path))
    return DatasetSpec.from_dict(data, file=path)


def _parse_text(text: str, filename: str, where: str) -> Mapping[str, Any]:
    suffix = Path(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise FormatError(
                "reading YAML specs needs PyYAML (pip install pyyaml); or use TOML", file=where
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FormatError(f"not valid YAML: {exc}", file=where) from None
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"not valid JSON: {exc.msg}", file=where, line=exc.lineno) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FormatError(f"not valid TOML: {exc}", file=where) from None
    if not isinstance(data, Mapping):
        raise FormatError("a dataset spec must be a table of fields", file=where)
    return data
