"""NeuroRisk quality and latency per topology and objective (prints a table; not a test).

Usage::

    .venv/bin/python benchmarks/bench_neurorisk.py [--topologies b4,ibm,geant,germany50]
        [--objectives expected,teavar] [--policy-dir DIR] [--repeats 5]

For every (topology, objective): the policy ``<policy-dir>/<topology>-<objective>.json`` if present,
else the bundled one; NeuroRisk's wall and CPU time on one thread (median of ``repeats`` runs after a
warm-up, compiling the instance included), the exact solver's time, and the relative error in
throughput on the benchmark instance of :mod:`kplane.te.neural._bench` and on the held-out test set
(traffic matrices 10–13 × the first three held-out scenario configurations).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch

from kplane.te.neural import (
    PAPER_CONFIGS,
    TRAIN_CONFIGS,
    NeuroRiskOptimizer,
    bundled_policy_path,
    make_instance,
)
from kplane.te.neural._bench import run_neurorisk_bench
from kplane.te.neural._evaluate import evaluate_set
from kplane.te.neural._family import load_te_network


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topologies", default="b4,ibm")
    ap.add_argument("--objectives", default="expected,teavar")
    ap.add_argument("--policy-dir", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--test-set", action="store_true", help="also evaluate the held-out test set")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    held = [c for c in PAPER_CONFIGS if c not in TRAIN_CONFIGS][:3]
    records = []
    for topo in args.topologies.split(","):
        for obj in args.objectives.split(","):
            own = None if args.policy_dir is None else args.policy_dir / f"{topo}-{obj}.json"
            path = own if own is not None and own.is_file() else bundled_policy_path(obj)
            opt = NeuroRiskOptimizer.load(path)
            row = run_neurorisk_bench([topo], objective=obj, policy=path, repeats=args.repeats)[0]
            row["policy"] = str(path)
            if args.test_set:
                net = load_te_network(topo)
                insts = [
                    make_instance(net, tm=t, load=1.0, config=c, seed=1000 + t)
                    for t in (10, 11, 12, 13)
                    if t < net.n_matrices
                    for c in held
                ]
                errs = [r["relative_error"] for r in evaluate_set(opt, insts, obj)]
                row["test_mean_relative_error"] = float(np.mean(errs))
                row["test_max_relative_error"] = float(np.max(errs))
                row["test_n"] = len(errs)
            records.append(row)
            print(
                f"{topo:10s} {obj:9s} Q={row['n_scenarios']:4d} "
                f"1-thread {1e3 * row['neurorisk_1_thread_s']:8.1f} ms "
                f"(cpu {1e3 * row['neurorisk_1_thread_cpu_s']:7.1f} ms)  "
                f"solver {row.get('solver_time_s', float('nan')):7.3f} s"
                f"  rel.err {100 * row.get('relative_error', float('nan')):6.2f}%"
                + (
                    f"  test mean {100 * row['test_mean_relative_error']:.2f}% max "
                    f"{100 * row['test_max_relative_error']:.2f}% (n={row['test_n']})"
                    if args.test_set
                    else ""
                )
                + f"  [{Path(row['policy']).name}]",
                flush=True,
            )
    if args.json:
        print(json.dumps({"cpu_count": os.cpu_count(), "records": records}, indent=1, default=str))


if __name__ == "__main__":
    main()
