"""The NeuroRisk paper's tables and generalisation figure computed with kplane (``reproduce neurorisk``).

Every experiment uses the instance distribution of :mod:`kplane.te.neural._family` (the shipped
policies' training distribution) and the exact HiGHS solvers as ground truth. Test instances use
traffic matrices the policies never saw (10–13) at load ρ = 1. Policies are looked up in
``policy_dir`` as ``<network>-<objective>[-<method>].json``, then among the bundled ones (a B4 policy
applied to another topology is marked *cross-topology*); missing baselines are trained with
:func:`train_recipe` when ``train_missing`` is set, otherwise their rows are skipped with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kplane.errors import InvalidParameterError, KplaneError
from kplane.te._objectives import make_objective
from kplane.te.neural._bench import PAPER_TABLE4, run_neurorisk_bench
from kplane.te.neural._bundled import BUNDLED_POLICIES, bundled_policy_path
from kplane.te.neural._estimator import NeuroRiskOptimizer
from kplane.te.neural._evaluate import relative_error, solve_exact
from kplane.te.neural._family import (
    PAPER_CONFIGS,
    TRAIN_CONFIGS,
    ScenarioConfig,
    TENetwork,
    instance_family,
    load_te_network,
    make_instance,
)
from kplane.te.neural._finetune import check_finetune

__all__ = ["PAPER", "Reproduction", "train_recipe"]

PAPER = {
    "table3": {
        "b4": {"solver": "73.21k", "neurorisk": "72.94k (0.28%)", "faute": "48.73k (33.37%)"},
        "ibm": {"solver": "94.54k", "neurorisk": "93.40k (1.23%)", "faute": "27.71k (70.50%)"},
    },
    "table4": PAPER_TABLE4,
    "table8": {1: 7.72, 2: 4.53, 3: 3.18, 5: 1.74, 7: 1.35},
    "table10": {
        "b4": {"ls": 0.88, "gr": 0.96, "gs": 0.17, "br": 0.70},
        "geant": {"ls": 0.64, "gr": 0.97, "gs": 0.13, "br": 0.47},
    },
}
"""The paper's numbers (relative errors in %, Table 10 as fractions of the optimum)."""

TEST_TMS = (10, 11, 12, 13)
TEST_CONFIG = ScenarioConfig(1e-3, 0.02)

Progress = Callable[[str], None]


def train_recipe(
    networks: Sequence[TENetwork],
    objective: str,
    method: str = "gr",
    *,
    epochs: int = 30,
    seed: int = 0,
    checkpoint: str | Path | None = None,
) -> NeuroRiskOptimizer:
    """The training recipe of the shipped policies (TMs 0–7, loads 0.8/1/1.25, the three training
    configurations, validation TMs 8–9; batch 4, Adam 3e-3 with cosine decay, K = 7)."""
    train, val = [], []
    for i, net in enumerate(networks):
        train += instance_family(net, tms=range(8), loads=(0.8, 1.0, 1.25), configs=TRAIN_CONFIGS, seed=i)
        val += instance_family(net, tms=range(8, 10), loads=(1.0,), configs=TRAIN_CONFIGS, seed=100 + i)
    opt = NeuroRiskOptimizer(
        objective=objective, method=method, epochs=epochs, batch_size=4, learning_rate=3e-3, seed=seed
    )
    return opt.fit(train, val, checkpoint=checkpoint, resume=checkpoint is not None)


def _test_tms(net: TENetwork) -> list[int]:
    return [t for t in TEST_TMS if t < net.n_matrices] or [0]


class Reproduction:
    """Runs the experiments; holds the data folder, the policy folder and the output folder.

    With ``finetune_steps > 0`` every NeuroRisk evaluation is also run with that many inference-time
    fine-tuning steps (:func:`~kplane.te.neural.finetune_latents`, a kplane extension) and reported
    beside the pure learned numbers under ``finetune_*`` keys.
    """

    def __init__(
        self,
        *,
        data_dir: str | Path | None,
        policy_dir: str | Path,
        train_missing: bool = False,
        epochs: int = 30,
        time_limit: float | None = 300.0,
        progress: Progress | None = None,
        finetune_steps: int = 0,
        finetune_lr: float | None = None,
    ) -> None:
        self.finetune_steps, self.finetune_lr = check_finetune(finetune_steps, finetune_lr)
        self.data_dir = data_dir
        self.policy_dir = Path(policy_dir)
        self.train_missing = train_missing
        self.epochs = epochs
        self.time_limit = time_limit
        self.progress = progress or (lambda _msg: None)
        self._nets: dict[str, TENetwork] = {}

    # ------------------------------------------------------------------ plumbing
    def network(self, name: str, k: int = 3) -> TENetwork:
        key = f"{name}/{k}"
        if key not in self._nets:
            self.progress(f"loading {name}")
            self._nets[key] = load_te_network(name, data_dir=self.data_dir, k=k)
        return self._nets[key]

    def policy(
        self, networks: Sequence[str], objective: str, method: str = "gr"
    ) -> tuple[NeuroRiskOptimizer, str] | None:
        """The policy for (networks, objective, method): file, bundled, trained — or None (skip)."""
        stem = "+".join(networks) + f"-{objective}" + ("" if method == "gr" else f"-{method}")
        path = self.policy_dir / f"{stem}.json"
        if path.is_file():
            return NeuroRiskOptimizer.load(path), str(path)
        if method == "gr" and objective in BUNDLED_POLICIES and len(networks) == 1:
            for name in (f"{networks[0]}-{objective}", objective):
                try:
                    bundled = bundled_policy_path(name)
                except InvalidParameterError:
                    continue
                own = bundled.stem.startswith(f"{networks[0]}-")
                return NeuroRiskOptimizer.load(bundled), f"bundled:{bundled.name}" + (
                    "" if own else " (cross-topology)"
                )
        if not self.train_missing:
            return None
        self.progress(f"training {stem} ({self.epochs} epochs)")
        self.policy_dir.mkdir(parents=True, exist_ok=True)
        opt = train_recipe(
            [self.network(n) for n in networks],
            objective,
            method,
            epochs=self.epochs,
            checkpoint=self.policy_dir / f"{stem}.ckpt",
        )
        opt.save(
            path,
            card={
                "recipe": "kplane.te.neural._paper.train_recipe",
                "networks": list(networks),
                "objective": objective,
                "method": method,
                "epochs": self.epochs,
                "train_time_s": opt.train_time_s_,
            },
        )
        return opt, f"trained:{path}"

    def _evaluate(
        self, opt: NeuroRiskOptimizer, instances: Sequence[Any], objective: str, iterations: int | None = None
    ) -> dict[str, Any]:
        errs, thr, sthr, times = [], [], [], []
        ft_errs, ft_thr, ft_times = [], [], []
        for inst in instances:
            sol = opt.solve(inst, objective, iterations=iterations)
            ex = solve_exact(inst, make_objective(objective), time_limit=self.time_limit)
            errs.append(relative_error(ex.throughput, sol.throughput))
            thr.append(sol.throughput)
            sthr.append(ex.throughput)
            times.append(sol.time_s)
            if self.finetune_steps:
                ft = opt.solve(
                    inst,
                    objective,
                    iterations=iterations,
                    finetune_steps=self.finetune_steps,
                    finetune_lr=self.finetune_lr,
                )
                ft_errs.append(relative_error(ex.throughput, ft.throughput))
                ft_thr.append(ft.throughput)
                ft_times.append(ft.time_s)
        out = {
            "n": len(errs),
            "mean_relative_error": float(np.mean(errs)),
            "max_relative_error": float(np.max(errs)),
            "throughput": float(np.mean(thr)),
            "solver_throughput": float(np.mean(sthr)),
            "time_s": float(np.median(times)),
        }
        if self.finetune_steps:
            out.update(
                {
                    "finetune_steps": self.finetune_steps,
                    "finetune_mean_relative_error": float(np.mean(ft_errs)),
                    "finetune_max_relative_error": float(np.max(ft_errs)),
                    "finetune_throughput": float(np.mean(ft_thr)),
                    "finetune_time_s": float(np.median(ft_times)),
                }
            )
        return out

    def _skip(self, what: str) -> dict[str, Any]:
        return {
            "skipped": f"no policy for {what}; pass --train-missing to train it (or --policy-dir with it)"
        }

    def _test_set(
        self, name: str, objective: str, configs: Sequence[ScenarioConfig] = (TEST_CONFIG,), **kw: Any
    ) -> list[Any]:
        net = self.network(name, kw.pop("k", 3))
        return [
            make_instance(net, tm=t, load=1.0, config=c, seed=1000 + t, **kw)
            for t in _test_tms(net)
            for c in configs
        ]

    # ------------------------------------------------------------------ tables
    def table3(self) -> dict[str, Any]:
        """Expected throughput on B4 and IBM: solver, NeuroRisk, scenario-collapsing (FauTE-like)."""
        out: dict[str, Any] = {"paper": PAPER["table3"], "rows": []}
        for name in ("b4", "ibm"):
            insts = self._test_set(name, "expected")
            for method, label in (("gr", "NeuroRisk"), ("collapsed", "FauTE-like (scenario-collapsing)")):
                pol = self.policy([name], "expected", method)
                if pol is None:
                    out["rows"].append({"topology": name, "method": label, **self._skip(f"{name} {method}")})
                    continue
                self.progress(f"table 3: {name} {label}")
                ev = self._evaluate(pol[0], insts, "expected")
                out["rows"].append({"topology": name, "method": label, "policy": pol[1], **ev})
        return out

    def table4(self, topologies: Sequence[str] = ("b4", "ibm", "geant", "germany50")) -> dict[str, Any]:
        """Latency on one CPU thread vs the solver, PreTE (per-flow quantile, mean aggregate) objective."""
        rows = run_neurorisk_bench(
            topologies,
            objective=make_objective("quantile", flow_aggregate="mean"),
            policy="bundled",
            time_limit=self.time_limit,
            data_dir=self.data_dir,
            progress=self.progress,
            finetune_steps=self.finetune_steps,
            finetune_lr=self.finetune_lr,
        )
        return {"paper": PAPER["table4"], "rows": rows}

    def table8(self) -> dict[str, Any]:
        """Iteration-count generalisation on B4 (TeaVaR): relative error per K for a K = 7 policy."""
        pol = self.policy(["b4"], "teavar")
        if pol is None:
            return self._skip("b4 teavar")
        insts = self._test_set(
            "b4", "teavar", configs=[c for c in PAPER_CONFIGS if c not in TRAIN_CONFIGS][:3]
        )
        rows = []
        for k in (1, 2, 3, 5, 7):
            self.progress(f"table 8: K = {k}")
            rows.append({"iterations": k, **self._evaluate(pol[0], insts, "teavar", iterations=k)})
        return {"paper": PAPER["table8"], "policy": pol[1], "rows": rows}

    def table10(self, topologies: Sequence[str] = ("b4", "geant")) -> dict[str, Any]:
        """Nominal max-flow ablation: fraction of the optimum and direct-tunnel share per decision space."""
        rows = []
        for name in topologies:
            insts = self._test_set(name, "nominal")
            for method in ("gr", "ls", "br", "gs"):
                pol = self.policy([name], "nominal", method)
                if pol is None:
                    rows.append(
                        {"topology": name, "method": method, **self._skip(f"{name} nominal {method}")}
                    )
                    continue
                self.progress(f"table 10: {name} {method}")
                ev = self._evaluate(pol[0], insts, "nominal")
                direct = []
                for inst in insts:
                    x = pol[0].optimize(inst, "nominal")
                    bw = x * inst.tunnel_demand
                    direct.append(float(bw[inst.tunnels.hops == 1].sum() / max(bw.sum(), 1e-300)))
                if "finetune_throughput" in ev:
                    ev["finetune_fraction_of_optimum"] = ev["finetune_throughput"] / ev["solver_throughput"]
                rows.append(
                    {
                        "topology": name,
                        "method": method,
                        "policy": pol[1],
                        "fraction_of_optimum": ev["throughput"] / ev["solver_throughput"],
                        "direct_ratio": float(np.mean(direct)),
                        **ev,
                    }
                )
        return {"paper": PAPER["table10"], "rows": rows}

    # ------------------------------------------------------------------ figure 7
    def figure7(self, out_dir: Path | None = None) -> dict[str, Any]:
        """Generalisation: (a) scenario configurations, (b) demand noise, (c) tunnel count, (d) topologies."""
        res: dict[str, Any] = {}
        pol = self.policy(["b4"], "teavar")
        if pol is None:
            return self._skip("b4 teavar")
        opt = pol[0]
        res["policy"] = pol[1]
        rows = []
        for c in PAPER_CONFIGS:
            self.progress(f"figure 7a: {c.label}")
            insts = self._test_set("b4", "teavar", configs=[c])
            rows.append(
                {"config": c.label, "train": c in TRAIN_CONFIGS, **self._evaluate(opt, insts, "teavar")}
            )
        res["a_scenario_configs"] = rows
        rows = []
        for sigma in (0.0, 0.1, 0.2, 0.3):
            self.progress(f"figure 7b: noise {sigma}")
            insts = self._test_set("b4", "teavar", demand_noise=sigma)
            rows.append({"sigma": sigma, **self._evaluate(opt, insts, "teavar")})
        res["b_demand_noise"] = rows
        rows = []
        for k in (2, 3, 4, 5):
            self.progress(f"figure 7c: k = {k}")
            rows.append({"k": k, **self._evaluate(opt, self._test_set("b4", "teavar", k=k), "teavar")})
        res["c_tunnel_count"] = rows
        cross = self.policy(["ibm", "geant"], "teavar")
        if cross is None:
            res["d_cross_topology"] = self._skip("ibm+geant teavar")
        else:
            rows = []
            for name in ("ibm", "geant", "b4", "germany50"):
                self.progress(f"figure 7d: {name}")
                try:
                    ev = self._evaluate(cross[0], self._test_set(name, "teavar"), "teavar")
                except KplaneError as exc:
                    rows.append({"topology": name, "skipped": str(exc)})
                    continue
                rows.append({"topology": name, "seen": name in ("ibm", "geant"), **ev})
            res["d_cross_topology"] = {"policy": cross[1], "rows": rows}
        if out_dir is not None:
            res["figure"] = str(plot_figure7(res, Path(out_dir) / "figure7.png"))
        return res


def plot_figure7(res: dict[str, Any], path: Path) -> Path:
    """Four bar panels of relative error [%] (training configurations hatched in panel a)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kplane.utils import atomic_write_bytes

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    panels = [
        ("a_scenario_configs", "config", "(a) scenario configuration"),
        ("b_demand_noise", "sigma", "(b) demand noise σ"),
        ("c_tunnel_count", "k", "(c) tunnels per pair k"),
        ("d_cross_topology", "topology", "(d) cross-topology (train IBM+GEANT)"),
    ]
    for ax, (key, label, title) in zip(axes, panels, strict=True):
        data = res.get(key)
        rows = data.get("rows", []) if isinstance(data, dict) else (data or [])
        rows = [r for r in rows if "mean_relative_error" in r]
        ax.set_title(title, fontsize=10)
        if not rows:
            ax.text(0.5, 0.5, "skipped", ha="center", va="center", transform=ax.transAxes)
            continue
        xs = [str(r[label]) for r in rows]
        ys = [100 * r["mean_relative_error"] for r in rows]
        bars = ax.bar(xs, ys, color="tab:blue")
        for bar, r in zip(bars, rows, strict=True):
            if r.get("train") or r.get("seen"):
                bar.set_hatch("//")
                bar.set_color("tab:orange")
        ax.set_ylabel("relative error [%]")
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.suptitle("relative error vs the exact optimum; orange = seen in training", fontsize=10)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return path
