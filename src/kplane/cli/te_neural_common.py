"""Helpers shared by the NeuroRisk commands (`te optimize`, `te train`, `bench te`, `reproduce neurorisk`).

Argument parsing (index lists, number lists, scenario configurations), the torch thread setting, the
checks of the inference options (``--refine``, ``--finetune``, ``--finetune-lr``), the public data
folder and the description of the machine a number was measured on.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Any

from kplane.errors import InvalidParameterError

__all__ = [
    "FINETUNE_HELP",
    "FINETUNE_LR_HELP",
    "METHOD_HELP",
    "check_refinement",
    "machine_info",
    "parse_configs",
    "parse_float_list",
    "parse_int_list",
    "set_threads",
    "te_data_dir",
]

METHOD_HELP = (
    "neurorisk (gated reservation, = gr), br (plain reservation), gs / ls (global / local "
    "scaling), faute (scenario-collapsing baseline), sp / ecmp (shortest path / ECMP splits)"
)


def parse_int_list(text: str, what: str) -> list[int]:
    """``"0-7"`` (inclusive), ``"0,2,5"`` or ``"3"`` → list of ints >= 0."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                a, b = (int(v) for v in part.split("-", 1))
                if b < a:
                    raise ValueError
                out.extend(range(a, b + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise InvalidParameterError(
            f"{what} {text!r} not understood; expected '0-7', '0,2,5' or '3'"
        ) from None
    if not out or min(out) < 0:
        raise InvalidParameterError(f"{what} {text!r}: need at least one index >= 0")
    return out


def parse_float_list(text: str, what: str) -> list[float]:
    """``"0.8,1,1.25"`` → positive finite floats."""
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidParameterError(f"{what} {text!r} must be comma-separated numbers") from None
    if not vals or any(not (math.isfinite(v) and v > 0) for v in vals):
        raise InvalidParameterError(f"{what} {text!r}: values must be finite and > 0")
    return vals


def parse_configs(text: str) -> list[Any]:
    """``train`` / ``heldout`` / ``all`` or ``"1e-3/0.02,3e-3/0.01"`` (cutoff/Weibull scale)."""
    from kplane.te.neural import PAPER_CONFIGS, TRAIN_CONFIGS, ScenarioConfig

    key = text.strip().lower()
    if key == "train":
        return list(TRAIN_CONFIGS)
    if key == "heldout":
        return [c for c in PAPER_CONFIGS if c not in TRAIN_CONFIGS]
    if key == "all":
        return list(PAPER_CONFIGS)
    out = []
    for part in text.split(","):
        try:
            c, s = part.strip().split("/")
            out.append(ScenarioConfig(float(c), float(s)))
        except ValueError:
            raise InvalidParameterError(
                f"--configs {text!r}: expected train, heldout, all or 'cutoff/scale,...' like '1e-3/0.02'"
            ) from None
    return out


def set_threads(threads: int | None) -> int:
    """Set torch's CPU thread count (``--threads``; ``None`` leaves it); the count in effect."""
    import torch

    if threads is not None:
        if threads < 1:
            raise InvalidParameterError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(int(threads))
    return torch.get_num_threads()


def machine_info() -> dict[str, Any]:
    """Where a number was measured."""
    import os

    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


FINETUNE_HELP = (
    "Gradient steps on the final latents against the instance's exact objective after the K steps "
    "(kplane extension; 0 = paper; 50 recommended on B4/IBM). Runs before --refine."
)
FINETUNE_LR_HELP = "Initial Adam learning rate of --finetune (default 0.1, cosine-decayed to a tenth)."


def check_refinement(
    refine: int, finetune: int, finetune_lr: float | None, *, learned: bool, method: str
) -> None:
    """Refuse bad ``--refine`` / ``--finetune`` / ``--finetune-lr`` values (before any work is done)."""
    if refine < 0:
        raise InvalidParameterError(f"--refine must be >= 0 rounds, got {refine}")
    if finetune < 0:
        raise InvalidParameterError(f"--finetune must be >= 0 steps, got {finetune}")
    if finetune_lr is not None and not (math.isfinite(finetune_lr) and finetune_lr > 0):
        raise InvalidParameterError(f"--finetune-lr must be a finite number > 0, got {finetune_lr}")
    if not learned and (finetune or finetune_lr is not None):
        raise InvalidParameterError(
            f"--finetune applies to the learned methods (they have latents), not to the {method!r} baseline"
        )


def te_data_dir(data: Path | None) -> Path | None:
    """The public data folder of ``--data`` (checked), else the default one, else ``None``."""
    from kplane.te.neural import default_data_dir

    if data is not None:
        if not (data / "te").is_dir():
            raise InvalidParameterError(f"--data {data}: no te/ folder there (expected ../shared/data)")
        return data
    return default_data_dir()
