"""The NeuroRisk commands, registered on import.

- `kplane te optimize` (:mod:`kplane.cli.te_optimize`), `kplane te train` (:mod:`kplane.cli.te_train`);
- `kplane bench te`, `kplane reproduce neurorisk` (:mod:`kplane.cli.te_bench`);
- the helpers they share (:mod:`kplane.cli.te_neural_common`).

Importing this module adds the commands to the ``te``, ``bench`` and ``reproduce`` apps, in that order.
"""

from __future__ import annotations

from kplane.cli.te_bench import bench_te_cmd, reproduce_neurorisk_cmd
from kplane.cli.te_neural_common import (
    FINETUNE_HELP,
    FINETUNE_LR_HELP,
    METHOD_HELP,
    machine_info,
    parse_configs,
    parse_float_list,
    parse_int_list,
)
from kplane.cli.te_optimize import load_policy, optimize_cmd
from kplane.cli.te_train import train_cmd

__all__ = [
    "FINETUNE_HELP",
    "FINETUNE_LR_HELP",
    "METHOD_HELP",
    "bench_te_cmd",
    "load_policy",
    "machine_info",
    "optimize_cmd",
    "parse_configs",
    "parse_float_list",
    "parse_int_list",
    "reproduce_neurorisk_cmd",
    "train_cmd",
]
