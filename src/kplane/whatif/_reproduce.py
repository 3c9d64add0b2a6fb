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

from kplane.errors import InvalidParameterError
from kplane.network import PerformanceModel, Topology
from kplane.utils import atomic_write_text, parse_rate
from kplane.whatif._candidates import routing_candidates
from kplane.whatif._placement import compare_placements
from kplane.whatif._policy import Policy
from kplane.whatif._routing import BASELINES, RoutingOptimizer, compare_routings

__all__ = ["PAPER_CAPACITIES", "Fig3Config", "Table2Config", "reproduce_fig3", "reproduce_table2"]

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
PAPER_CAPACITIES = "10kbps,40kbps"
"""Capacities of the paper's NSF network (RouteNet §VI-B), drawn per undirected link with seed 0."""


@dataclass(frozen=True)
class Fig3Config:
    """Settings of :func:`reproduce_fig3` (recorded beside the results).

    Attributes
    ----------
    topology : str
        Bundled topology name (the paper: NSFNET).
    capacities : str
        Link capacities of the topology: rates drawn per undirected link with ``capacity_seed``, comma
        separated (default ``"10kbps,40kbps"``: the paper's NSF network "contains links of 10 and
        40 kbps"), or ``"routenet"`` (10/40/100 kbit/s, the bundled default).
    capacity_seed : int
        Seed of the capacity draw (0: the bundled topology's draw).
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
    capacities: str = PAPER_CAPACITIES
    capacity_seed: int = 0
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
    topology, capacities, capacity_seed
        As in :class:`Fig3Config`.
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
    capacities: str = PAPER_CAPACITIES
    capacity_seed: int = 0
    intensity: float = 16.0
    n_scenarios: int = 8
    max_tries: int = 200
    n_routings: int = 450
    capacity: float = 10e3
    duration: float = 2000.0
    seed: int = 0
    model: str = "model"
    steps: tuple[float, ...] = field(default=(10e3, 40e3, 100e3))


def _topology(name: str, capacities: str, seed: int) -> Topology:
    """A bundled topology with a capacity spec: ``"routenet"`` or comma-separated rates."""
    from kplane.network.topologies import load_topology

    text = capacities.strip()
    if text.lower() == "routenet":
        return load_topology(name, seed=seed)
    rates = [parse_rate(r) for r in text.split(",") if r.strip()]
    if not rates:
        raise InvalidParameterError(
            f"capacities {capacities!r}: give 'routenet' or rates such as '10kbps,40kbps'"
        )
    return load_topology(name, capacities=rates, seed=seed)


def _config_guard(out_dir: Path, name: str, config: Any, extendable: Sequence[str]) -> None:
    """Refuse to mix results of other settings; ``extendable`` settings may change between runs.

    Rows are keyed by what the extendable settings select (TI and TM index, scenario seed), so a
    run with more TMs, other TIs or more scenarios reuses the rows it shares with earlier runs.
    """
    path = out_dir / f"{name}-config.json"
    wanted = json.loads(json.dumps(asdict(config)))
    if path.exists():
        defaults = json.loads(json.dumps(asdict(type(config)())))
        have = defaults | json.loads(path.read_text())  # settings added since keep their defaults
        keys = (set(have) | set(wanted)) - set(extendable)
        diff = sorted(k for k in keys if have.get(k) != wanted.get(k))
        if diff:
            raise InvalidParameterError(
                f"{out_dir} holds {name} results made with other settings ({', '.join(diff)}); "
                "use another output folder or remove it"
            )
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

    out = Path(out_dir)
    _config_guard(out, "fig3", config, extendable=("intensities", "n_tms"))
    csv_path = out / "fig3.csv"
    rows: list[dict[str, Any]] = _read_rows(csv_path)
    done = {(float(r["ti"]), int(r["tm"])) for r in rows}
    topo = _topology(config.topology, config.capacities, config.capacity_seed)
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
    wanted = {(float(ti), tm) for ti in config.intensities for tm in range(config.n_tms)}
    return [_numeric(r) for r in rows if (float(r["ti"]), int(r["tm"])) in wanted]


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

    out = Path(out_dir)
    _config_guard(out, "table2", config, extendable=("n_scenarios", "max_tries"))
    csv_path = out / "table2.csv"
    rows: list[dict[str, Any]] = _read_rows(csv_path)
    tried = {int(r["seed"]) for r in rows}
    topo = _topology(config.topology, config.capacities, config.capacity_seed)
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
    result = [_numeric(r) for r in rows[: config.n_scenarios]]
    if len(rows) < config.n_scenarios:
        raise InvalidParameterError(
            f"only {len(rows)} of {config.n_scenarios} scenarios at TI {config.intensity:g} have no routing "
            f"meeting the loss bound within {config.max_tries} traffic matrices; raise max_tries or the "
            f"intensity (rows found are kept in {csv_path})"
        )
    return result
