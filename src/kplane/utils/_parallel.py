"""Running numba's parallel kernels beside PyTorch.

Both libraries use threads: a compiled kernel called from a torch computation should use the same
number of threads as torch (``torch.set_num_threads``, the commands' ``--threads``), and the first
parallel launch — which starts numba's OpenMP pool — resets the OpenMP thread count that torch
reads, so torch's setting is restored after every call. numba's parallel kernels must not be
entered from two Python threads at once (its workqueue layer aborts the process), so calls take
turns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numba
import torch

__all__ = ["call_parallel"]

_LOCK = threading.Lock()


def call_parallel(kernel: Callable[..., Any], *args: Any) -> Any:
    """``kernel(*args)`` on at most ``torch.get_num_threads()`` threads; torch's count is kept."""
    with _LOCK:
        n = torch.get_num_threads()
        cap = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
        numba.set_num_threads(max(1, min(n, cap)))
        try:
            return kernel(*args)
        finally:
            if torch.get_num_threads() != n:
                torch.set_num_threads(n)
