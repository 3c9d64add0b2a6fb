"""The path GRU's element-wise step as one compiled loop (CPU inference, float32).

After the recurrent matrix product ``gh = h W_hh^T`` (a BLAS call), a GRU step is about ten
element-wise passes in PyTorch (gather the link's input projection, add, sigmoid, multiply-add, tanh,
interpolate), each reading and writing arrays of tens of megabytes on a 200-node network. Here one
numba loop over the rows does all of them with the row in registers, in parallel over rows.

The sigmoid is evaluated as ``1 / (1 + 2^y)`` with ``2^y = 2^k · p(y − k)``: a degree-6 polynomial for
the fractional part and the exponent written into the float's bits, so that the loop vectorises. Its
absolute error is below 1e-7 (PyTorch's float32 sigmoid: 6e-8). ``tanh(x) = 2 sigmoid(2x) − 1``.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from kplane.utils._parallel import call_parallel

__all__ = ["fused_gru_rows", "load", "sigmoid32", "usable"]

# no reassociation (the order of every sum is the one written) and IEEE NaN/inf semantics
_FASTMATH = {"nsz", "arcp", "contract", "afn"}
_LOG2E = np.float32(1.4426950408889634)
_BIG = np.float32(87.0)  # 2^(87·log2 e) is finite in float32


@njit(fastmath=_FASTMATH, error_model="numpy", inline="always", cache=True)
def _sigmoid(x):
    y = min(max(-x, -_BIG), _BIG) * _LOG2E  # e^{-x} = 2^y
    k = np.floor(y + np.float32(0.5))
    f = y - k  # in [-0.5, 0.5]
    p = np.float32(1.5403530e-4)  # 2^f, Taylor series of e^{f ln 2} to degree 6
    p = p * f + np.float32(1.3333558e-3)
    p = p * f + np.float32(9.6181291e-3)
    p = p * f + np.float32(5.5504109e-2)
    p = p * f + np.float32(2.4022651e-1)
    p = p * f + np.float32(6.9314718e-1)
    p = p * f + np.float32(1.0)
    two_k = np.int32((np.int32(k) + np.int32(127)) << np.int32(23)).view(np.float32)
    return np.float32(1.0) / (np.float32(1.0) + p * two_k)


@njit(fastmath=_FASTMATH, error_model="numpy", cache=True)
def _sigmoid_array(x, out):
    for i in range(x.shape[0]):
        out[i] = _sigmoid(x[i])


@njit(parallel=True, fastmath=_FASTMATH, error_model="numpy", cache=True)
def _gru_rows(gh, b_hn, gi_link, links, h_prev, out):
    d = h_prev.shape[1]
    two, one = np.float32(2.0), np.float32(1.0)
    for r in prange(gh.shape[0]):
        link = links[r]
        for j in range(d):
            reset = _sigmoid(gi_link[link, j] + gh[r, j])
            update = _sigmoid(gi_link[link, d + j] + gh[r, d + j])
            n = gi_link[link, 2 * d + j] + reset * (gh[r, 2 * d + j] + b_hn[j])
            cand = two * _sigmoid(two * n) - one  # tanh
            out[r, j] = cand + update * (h_prev[r, j] - cand)


def usable(*tensors: torch.Tensor) -> bool:
    """Whether the compiled step applies: contiguous float32 CPU tensors outside autograd."""
    return not torch.is_grad_enabled() and all(
        t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous() for t in tensors
    )


def sigmoid32(x: np.ndarray) -> np.ndarray:
    """The compiled sigmoid on a 1-D float32 array (exposed for its accuracy test)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(x)
    _sigmoid_array(x, out)
    return out


def fused_gru_rows(
    gh: torch.Tensor, b_hn: torch.Tensor, gi_link: torch.Tensor, links: torch.Tensor, h_prev: torch.Tensor,
    out: torch.Tensor,
) -> None:
    """GRU step (PyTorch's gate layout r, z, n) for every row, into ``out`` (n, d).

    ``gh`` (n, 3d) = ``h_prev W_hh^T`` without bias; ``b_hn`` (d,) the candidate's recurrent bias;
    ``gi_link`` (L, 3d) the input projection of every link with ``b_ih`` and the reset/update parts
    of ``b_hh`` folded in; ``links`` (n,) the link each row reads. Runs on at most
    ``torch.get_num_threads()`` threads; calls from several threads take turns.
    """
    arrays = [t.detach().numpy() for t in (gh, b_hn, gi_link, links, h_prev, out)]
    call_parallel(_gru_rows, *arrays)


_LOADED = False


def load() -> None:
    """Load (or, the first time after installation, compile) the kernel; once per process.

    :meth:`RouteNetModel.load <kplane.routenet.RouteNetModel.load>` calls it, so that the first
    ``predict`` is not slowed by it (about 0.2 s from numba's cache).
    """
    global _LOADED
    if _LOADED:
        return
    d = 1
    with torch.no_grad():
        fused_gru_rows(torch.zeros(1, 3 * d), torch.zeros(d), torch.zeros(1, 3 * d),
                       torch.zeros(1, dtype=torch.long), torch.zeros(1, d), torch.zeros(1, d))
    _LOADED = True
