r"""The policy's weighted sum over scenarios as one compiled loop (inference on CPU).

:meth:`UpdatePolicy.aggregate` needs, per unit ``u``,

.. math::

    a_u = \sum_{q:\ w_{u,q} \ne 0} w_{u,q}\ \mathrm{relu}\big(s_u + \sum_i ρ_{i,u,q} W^{risk}_i\big),
    \qquad s_u = b_1 + W^{static} φ^{static}_u

PyTorch evaluates it as one matrix product over every (unit, scenario) row, which materialises the
(rows × hidden) activations and, before that, the (U, Q) risk features: on a 60,000-tunnel WAN
(666,510 edge–tunnel pairs) four tail scenarios are 170 million floats written and read again, per
unrolled step. Here a numba loop computes ``s_u`` once per unit, keeps it and ``a_u`` in a small
per-thread buffer and reads each risk feature from its source (a flow's losses, a tunnel's survival:
:class:`~kplane.te.neural._physics.Features`), so nothing of size (U, Q) or (rows × hidden) exists.
The second (linear) layer is applied to ``a_u`` in the same loop, so only the (U, n_out) result
is written. Autograd (training) keeps the PyTorch form.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from kplane.te.neural._physics import Features
from kplane.utils._parallel import call_parallel

__all__ = ["load", "policy_sum", "usable"]

_BLOCKS = 256  # units are split in this many blocks (the parallel loop's work items)
# reassociation (sums in any order) but IEEE NaN/inf semantics: a NaN input gives NaN, not garbage
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(fastmath=_FASTMATH, error_model="numpy", inline="always", cache=True)
def _row(source, rows, u):
    if rows.shape[0] > 0:
        return rows[u]
    return 0 if source.shape[0] == 1 else u


@njit(parallel=True, fastmath=_FASTMATH, error_model="numpy", cache=True)
def _policy_sum(
    static, w_static, b1, risk, risk_rows, w_risk, weights, weight_rows, w2, b2, bounds, zero, out
):
    n_static, hidden = w_static.shape
    n_scen = weights.shape[1]
    n_out = w2.shape[0]
    r0, r1, r2 = risk
    i0, i1, i2 = risk_rows
    for blk in prange(bounds.shape[0] - 1):
        base = np.empty(hidden, dtype=out.dtype)
        acc = np.empty(hidden, dtype=out.dtype)
        for u in range(bounds[blk], bounds[blk + 1]):
            for j in range(hidden):
                base[j] = b1[j]
                acc[j] = zero
            for s in range(n_static):
                v = static[s, u]
                for j in range(hidden):
                    base[j] += v * w_static[s, j]
            wu = _row(weights, weight_rows, u)
            u0, u1, u2 = _row(r0, i0, u), _row(r1, i1, u), _row(r2, i2, u)
            wsum = zero
            for q in range(n_scen):
                wq = weights[wu, q]
                if wq == zero:
                    continue
                wsum += wq
                a, b, c = r0[u0, q], r1[u1, q], r2[u2, q]
                for j in range(hidden):
                    pre = base[j] + a * w_risk[0, j] + b * w_risk[1, j] + c * w_risk[2, j]
                    acc[j] += wq * max(pre, zero)
            for o in range(n_out):
                y = wsum * b2[o]
                for j in range(hidden):
                    y += acc[j] * w2[o, j]
                out[u, o] = y


def usable(feats: Features, lin1: torch.nn.Linear) -> bool:
    """Whether the compiled sum applies: no autograd, CPU, float32/64, one to three risk features."""
    tensors = (*feats.risk_source, feats.static, feats.weight_source, lin1.weight)
    return (
        not torch.is_grad_enabled()
        and lin1.weight.dtype in (torch.float32, torch.float64)
        and 1 <= len(feats.risk_source) <= 3
        and all(t.device.type == "cpu" and t.dtype == lin1.weight.dtype for t in tensors)
    )


_NO_ROWS = np.zeros(0, dtype=np.int64)


def _index(rows: torch.Tensor | None) -> np.ndarray:
    return _NO_ROWS if rows is None else rows.to(torch.int64).contiguous().numpy()


def policy_sum(feats: Features, lin1: torch.nn.Linear, lin2: torch.nn.Linear) -> torch.Tensor:
    r"""``Σ_q w_{u,q} Φ(φ_{u,q})`` of every unit, (U, n_out), without autograd.

    Reads the risk features and weights from their sources (no (U, Q) array is built); entries of
    weight 0 are skipped (the caller drops shared all-zero scenario columns first); runs on at most
    ``torch.get_num_threads()`` threads.
    """
    n_risk = len(feats.risk_source)
    w1 = lin1.weight.detach()
    dtype = w1.dtype
    w_risk_t = torch.zeros((3, w1.shape[0]), dtype=dtype)  # unused risk rows stay zero
    w_risk_t[:n_risk] = w1[:, :n_risk].T
    w_static = w1[:, n_risk:].T.contiguous().numpy()
    b1 = lin1.bias.detach().contiguous().numpy()
    w2 = lin2.weight.detach().contiguous().numpy()
    b2 = lin2.bias.detach().contiguous().numpy()
    rows = feats.risk_rows or (None,) * n_risk
    pad = 3 - n_risk  # a fixed-length tuple; padding entries meet the zero rows of w_risk
    risk = tuple(r.contiguous().numpy() for r in feats.risk_source)
    risk += (risk[0],) * pad
    risk_rows = tuple(_index(r) for r in rows)
    risk_rows += (risk_rows[0],) * pad
    static = feats.static.T.contiguous().numpy()  # (S, U); the physics engine builds it so (no copy)
    n_units = static.shape[1]
    out = torch.empty((n_units, w2.shape[0]), dtype=dtype)
    bounds = np.linspace(0, n_units, min(_BLOCKS, max(n_units, 1)) + 1).astype(np.int64)
    zero = np.zeros(1, dtype=static.dtype)[0]
    call_parallel(_policy_sum, static, w_static, b1, risk, risk_rows, w_risk_t.numpy(),
                  feats.weight_source.contiguous().numpy(), _index(feats.weight_rows), w2, b2, bounds, zero,
                  out.numpy())
    return out


_LOADED: set[torch.dtype] = set()


def load(dtype: torch.dtype) -> None:
    """Load (or, the first time after installation, compile) the kernel for ``dtype`` policies.

    The first call in a process costs about 0.2 s (compiled code read from numba's cache); solvers
    call this before their timer starts, so that reported latencies are those of the solve.
    """
    if dtype in _LOADED:
        return
    lin1, lin2 = torch.nn.Linear(4, 2).to(dtype), torch.nn.Linear(2, 1).to(dtype)
    ones = torch.ones(1, 1, dtype=dtype)  # every array argument has the types of a real call
    feats = Features((ones, ones, ones), ones, ones, torch.zeros(1, dtype=torch.long), ones, ones[0])
    with torch.no_grad():
        policy_sum(feats, lin1, lin2)
    _LOADED.add(dtype)
