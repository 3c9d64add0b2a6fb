"""numba kernels called beside torch: thread count followed, torch's own count kept."""

from __future__ import annotations

import numba
import numpy as np
import torch

from kplane.utils._parallel import call_parallel


@numba.njit(parallel=True)
def _threads_inside(out):
    for i in numba.prange(out.shape[0]):
        out[i] = numba.get_num_threads()


def test_kernel_runs_on_torch_thread_count_and_torch_count_is_kept() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        out = np.zeros(8, dtype=np.int64)
        call_parallel(_threads_inside, out)
        assert (out == 1).all()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_torch_count_restored_when_the_call_changes_it() -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)

        def resets() -> str:  # what starting numba's OpenMP pool does to torch
            torch.set_num_threads(2)
            return "done"

        assert call_parallel(resets) == "done"
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
