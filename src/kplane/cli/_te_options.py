"""Options shared by the `kplane te` commands that take a TE instance and an objective.

:func:`instance_options` adds the instance options (``--instance FILE`` and/or the 21 options that
build one: ``--topology``/``--from-files``, tunnels, demands, failure model) and optionally the
objective options (``--objective --beta --form --aggregate --weighting``) to a typer command, in
place of one parameter ``source: InstanceSource`` (and ``goal: ObjectiveChoice``)::

    @app.command("solve")
    @instance_options(file=True, objective=True)
    def solve_cmd(source: InstanceSource, goal: ObjectiveChoice, json_out: bool = ...) -> None:
        inst = source.load()
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kplane.cli._common import progress_bar
from kplane.errors import InvalidParameterError

if TYPE_CHECKING:
    from kplane.te import Objective, TEInstance

__all__ = [
    "InstanceSource",
    "ObjectiveChoice",
    "build_from_options",
    "instance_options",
    "instance_summary",
    "write_allocation",
]

_O = inspect.Parameter.KEYWORD_ONLY

_INSTANCE_FILE = inspect.Parameter(
    "instance",
    _O,
    annotation=Path,
    default=typer.Option(None, "--instance", help="Instance JSON (kplane te instance --export)."),
)

_BUILD_OPTIONS = (
    ("topology", str, typer.Option(None, "--topology", help="Bundled topology name (kplane topology list).")),
    (
        "from_files",
        Path,
        typer.Option(
            None,
            "--from-files",
            help="WAN data file/folder (ARROW, TeaVaR, Flexile, FIGRET, SNDlib, GraphML).",
        ),
    ),
    (
        "fmt",
        str,
        typer.Option(
            "auto",
            "--format",
            help="Data format of --from-files (auto, arrow, teavar, flexile, figret, sndlib, graphml).",
        ),
    ),
    (
        "tunnels",
        int,
        typer.Option(3, "--tunnels", help="k shortest paths per pair (or the cap on file tunnels)."),
    ),
    (
        "tunnel_file",
        Path,
        typer.Option(None, "--tunnel-file", help="Read tunnels from a YATES/Flexile/FIGRET/ARROW file."),
    ),
    (
        "tunnel_format",
        str,
        typer.Option("auto", "--tunnel-format", help="auto, yates, flexile, figret, arrow."),
    ),
    ("tm_index", int, typer.Option(0, "--tm-index", help="Traffic matrix of the data to use (0-based).")),
    ("demand_scale", float, typer.Option(1.0, "--demand-scale", help="Multiply every demand.")),
    (
        "target_load",
        float,
        typer.Option(0.5, "--target-load", help="Gravity demands: mean shortest-path link utilisation."),
    ),
    ("capacity", str, typer.Option("100Gbps", "--capacity", help="Link capacity of bundled topologies.")),
    (
        "failure_model",
        str,
        typer.Option(
            "auto",
            "--failure-model",
            help="auto, none, link, fibre, link-file, fibre-file, k-failure, scenario-file.",
        ),
    ),
    (
        "weibull_shape",
        float,
        typer.Option(0.8, "--weibull-shape", help="Weibull shape of failure probabilities."),
    ),
    (
        "weibull_scale",
        float,
        typer.Option(None, "--weibull-scale", help="Weibull scale (default 1e-3 per link, 0.02 per fibre)."),
    ),
    ("cutoff", float, typer.Option(1e-4, "--cutoff", help="Scenario probability cutoff.")),
    ("k_failures", int, typer.Option(1, "--k-failures", help="k of --failure-model k-failure (FFC's sets).")),
    (
        "keep_disconnecting",
        bool,
        typer.Option(False, "--keep-disconnecting", help="Keep failure sets that disconnect the network."),
    ),
    (
        "uncovered",
        str,
        typer.Option(
            "renormalised", "--uncovered", help="Mass below the cutoff: renormalised or all_failed."
        ),
    ),
    (
        "bidirectional_tunnels",
        bool,
        typer.Option(False, "--bidirectional-tunnels", help="A tunnel also dies when a reverse link fails."),
    ),
    (
        "scenario_file",
        Path,
        typer.Option(None, "--scenario-file", help="Scenarios for --failure-model scenario-file."),
    ),
    ("seed", int, typer.Option(0, "--seed", help="Seed of the Weibull draws.")),
    ("name", str, typer.Option(None, "--name", help="Instance name.")),
)
"""(parameter name, type, typer option) of the options that build an instance, in --help order."""

_OBJECTIVE_OPTIONS = (
    (
        "objective",
        str,
        typer.Option("teavar", "--objective", help="ffc, teavar, quantile, expected, nominal."),
    ),
    ("beta", float, typer.Option(None, "--beta", help="CVaR/quantile level in (0, 1) (default 0.99).")),
    (
        "form",
        str,
        typer.Option("mean", "--form", help="Scenario loss over flows: mean or max (ffc, teavar)."),
    ),
    ("aggregate", str, typer.Option("max", "--aggregate", help="quantile: max or mean over flows.")),
    (
        "weighting",
        str,
        typer.Option("flow", "--weighting", help="Flow weights of scenario losses: flow or demand."),
    ),
)


def build_from_options(
    topology: str | None,
    from_files: Path | None,
    fmt: str,
    tunnels: int,
    tunnel_file: Path | None,
    tunnel_format: str,
    tm_index: int,
    demand_scale: float,
    target_load: float,
    capacity: str,
    failure_model: str,
    weibull_shape: float,
    weibull_scale: float | None,
    cutoff: float,
    k_failures: int,
    keep_disconnecting: bool,
    uncovered: str,
    bidirectional_tunnels: bool,
    scenario_file: Path | None,
    seed: int,
    name: str | None,
) -> TEInstance:
    """Build a TE instance from the instance options (a progress bar while tunnels are computed).

    Raises
    ------
    InvalidParameterError
        Neither or both of ``topology`` / ``from_files``; ``from_files`` missing.
    """
    from kplane.te import build_instance
    from kplane.utils import parse_rate

    if (topology is None) == (from_files is None):
        raise InvalidParameterError(
            "give exactly one of --topology NAME or --from-files PATH (or --instance FILE)"
        )
    if from_files is not None and not from_files.exists():
        raise InvalidParameterError(f"--from-files {from_files}: no such file or folder")
    source: Any = topology if topology is not None else from_files
    with progress_bar(transient=True) as bar:
        task = bar.add_task("tunnels", total=None, rate="")

        def tick(done: int) -> None:
            bar.update(task, completed=done)

        return build_instance(
            source,
            format=fmt,
            tunnels=tunnels,
            tunnel_file=tunnel_file,
            tunnel_format=tunnel_format,
            tm_index=tm_index,
            demand_scale=demand_scale,
            target_load=target_load,
            capacity=parse_rate(capacity),
            failure_model=failure_model,
            weibull_shape=weibull_shape,
            weibull_scale=weibull_scale,
            cutoff=cutoff,
            k_failures=k_failures,
            drop_disconnecting=not keep_disconnecting,
            uncovered=uncovered,
            bidirectional_tunnels=bidirectional_tunnels,
            scenario_file=scenario_file,
            seed=seed,
            name=name,
            progress=tick,
        )


@dataclass(frozen=True)
class InstanceSource:
    """Where a command's TE instance comes from: an instance file, or the options that build one.

    Attributes
    ----------
    file : Path or None
        ``--instance FILE`` (None when not given or not offered by the command).
    options : dict
        The build options by parameter name (see :func:`build_from_options`).
    """

    file: Path | None
    options: dict[str, Any] = field(default_factory=dict)

    def check_finite(self, names: tuple[str, ...] = ("demand_scale", "target_load", "cutoff")) -> None:
        """Refuse NaN/inf in the numeric build options ``names`` (naming the flag)."""
        for key in names:
            value = self.options[key]
            if value is not None and not math.isfinite(value):
                flag = "--" + key.replace("_", "-")
                raise InvalidParameterError(f"{flag} must be a finite number, got {value!r}")

    def load(self) -> TEInstance:
        """The instance: read ``file``, or build it from ``options``.

        Raises
        ------
        InvalidParameterError
            Both an instance file and ``--topology``/``--from-files``; neither.
        """
        if self.file is not None:
            from kplane.te import load_instance

            if self.options.get("topology") is not None or self.options.get("from_files") is not None:
                raise InvalidParameterError(
                    "give --instance FILE or instance options (--topology/--from-files), not both"
                )
            return load_instance(self.file)
        return build_from_options(**self.options)


@dataclass(frozen=True)
class ObjectiveChoice:
    """The objective options of a command (``--objective --beta --form --aggregate --weighting``)."""

    objective: str
    beta: float | None
    form: str
    aggregate: str
    weighting: str

    def make(self) -> Objective:
        """The :class:`kplane.te.Objective` (raises ``InvalidParameterError`` on bad choices)."""
        from kplane.te import make_objective

        return make_objective(
            self.objective,
            beta=self.beta,
            form=self.form,
            flow_aggregate=self.aggregate,
            weighting=self.weighting,
        )


def _params(specs: tuple[tuple[str, type, Any], ...]) -> list[inspect.Parameter]:
    return [inspect.Parameter(n, _O, annotation=t, default=d) for n, t, d in specs]


def instance_options(
    *, file: bool = True, objective: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: replace a command's ``source`` (and ``goal``) parameters by the shared options.

    Parameters
    ----------
    file : bool
        Offer ``--instance FILE`` before the build options.
    objective : bool
        Also replace a ``goal: ObjectiveChoice`` parameter by the objective options.

    Notes
    -----
    The options appear in ``--help`` where ``source`` / ``goal`` stand in the command's signature;
    every other parameter is passed through untouched.
    """
    build_names = [n for n, _, _ in _BUILD_OPTIONS]
    goal_names = [n for n, _, _ in _OBJECTIVE_OPTIONS]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(func, eval_str=True)
        params: list[inspect.Parameter] = []
        for p in sig.parameters.values():
            if p.name == "source":
                params += ([_INSTANCE_FILE] if file else []) + _params(_BUILD_OPTIONS)
            elif p.name == "goal" and objective:
                params += _params(_OBJECTIVE_OPTIONS)
            else:
                params.append(p.replace(kind=_O))

        def command(**kwargs: Any) -> Any:
            path = kwargs.pop("instance", None) if file else None
            kwargs["source"] = InstanceSource(path, {n: kwargs.pop(n) for n in build_names})
            if objective:
                kwargs["goal"] = ObjectiveChoice(**{n: kwargs.pop(n) for n in goal_names})
            return func(**kwargs)

        command.__name__ = func.__name__
        command.__qualname__ = func.__qualname__
        command.__module__ = func.__module__
        command.__doc__ = func.__doc__
        command.__signature__ = sig.replace(parameters=params, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


def instance_summary(inst: TEInstance) -> dict[str, Any]:
    """The instance fields that head a command's ``--json`` result."""
    return {
        "instance": inst.name,
        "n_scenarios": inst.n_scenarios,
        "n_tunnels": inst.n_tunnels,
        "total_demand": inst.total_demand,
    }


def write_allocation(path: Path, inst: TEInstance, sol: Any, **meta: Any) -> str:
    """Write ``sol.x`` as an allocation JSON (``--allocation-out``) with the solution's objective; returns
    the path as text. ``sol`` is a :class:`kplane.te.TESolution` or a NeuroRisk solution."""
    from kplane.te import save_allocation

    save_allocation(
        sol.x,
        path,
        instance=inst.name,
        objective=sol.objective,
        objective_label=sol.objective_label,
        objective_value=sol.objective_value,
        **meta,
    )
    return str(path)
