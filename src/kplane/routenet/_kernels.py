"""CPU kernels of RouteNet's forward pass: the GRU cell, dropout, and no-grad versions that work in
reusable buffers.

On CPU, a large fresh tensor costs about as much as the arithmetic that fills it (the allocator
returns big blocks to the OS, so every new one page-faults again). Inference on a 200-node network
(39,800 paths, ~190,000 hops) therefore runs the same arithmetic as the autograd path but writes
into buffers kept in a :class:`Workspace`. ``tanh(x)`` is computed as ``2 sigmoid(2x) - 1``, which
is the same function and several times faster than ``torch.tanh`` on CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Workspace", "dropout", "gru", "path_rnn_no_grad", "readout_no_grad"]

Tensor = torch.Tensor


class Workspace:
    """Named scratch buffers, reused across calls (each name holds one 2-D buffer per column count)."""

    def __init__(self) -> None:
        self._bufs: dict[tuple[str, int], Tensor] = {}

    def get(self, name: str, rows: int, cols: int, like: Tensor) -> Tensor:
        """A contiguous ``(rows, cols)`` view of buffer ``name`` (contents undefined)."""
        key = (name, cols)
        buf = self._bufs.get(key)
        if buf is None or buf.shape[0] < rows or buf.dtype != like.dtype or buf.device != like.device:
            buf = like.new_empty((rows, cols))
            self._bufs[key] = buf
        return buf[:rows]


def gru(gi: Tensor, gh: Tensor, h: Tensor, b_hn: Tensor | None = None) -> Tensor:
    """GRU cell (PyTorch's gate layout r, z, n) from ``gi = W_ih x + b_ih``, ``gh = W_hh h + b_hh``.

    With ``b_hn`` given, ``gh`` lacks the candidate's recurrent bias and ``gi`` holds the reset and
    update parts of ``b_hh``.
    """
    d = h.shape[1]
    rz = torch.sigmoid(gi[:, : 2 * d] + gh[:, : 2 * d])
    gh_n = gh[:, 2 * d :] if b_hn is None else gh[:, 2 * d :] + b_hn
    n = torch.sigmoid(torch.addcmul(gi[:, 2 * d :], rz[:, :d], gh_n) * 2.0) * 2.0 - 1.0  # tanh
    return torch.lerp(n, h, rz[:, d:])  # (1 - z) * n + z * h


def dropout(x: Tensor, p: float, active: bool, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout drawing from ``generator`` (uniform draws + comparison: faster than bernoulli_)."""
    if not active or p == 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p
    return x * keep * (1.0 / (1.0 - p))


def path_rnn_no_grad(
    h_path: Tensor,
    gi_link: Tensor,
    w_hh: Tensor,
    b_hn: Tensor,
    perm: Tensor,
    hop_sizes: list[int],
    hop_links: list[Tensor],
    ws: Workspace,
) -> tuple[Tensor, Tensor]:
    """The path GRU over hop positions without autograd, in ``ws`` buffers.

    Returns the new path states (P, d) and the messages (E, d) in hop-major order — both views of
    ``ws`` buffers, overwritten by the next call with the same workspace.
    """
    n_paths, d = h_path.shape
    n_edges = sum(hop_sizes)
    h = ws.get("sorted", n_paths, d, h_path)
    torch.index_select(h_path, 0, perm, out=h)
    gh_buf = ws.get("gh", n_paths, 3 * d, h_path)
    gi_buf = ws.get("gi", n_paths, 3 * d, h_path)
    messages = ws.get("messages", n_edges, d, h_path)
    out = ws.get("states", n_paths, d, h_path)  # h_path (a previous output) has been read above
    w_hh_t = w_hh.t()
    start = 0
    for k, n_k in enumerate(hop_sizes):
        if n_k < h.shape[0]:  # paths of exactly k hops are done: scatter their final states
            out.index_copy_(0, perm[n_k : h.shape[0]], h[n_k:])
        h_prev = h[:n_k]
        gh = gh_buf[:n_k]
        torch.mm(h_prev, w_hh_t, out=gh)
        gh[:, 2 * d :].add_(b_hn)
        gi = gi_buf[:n_k]
        torch.index_select(gi_link, 0, hop_links[k], out=gi)
        rz = gi[:, : 2 * d]
        rz.add_(gh[:, : 2 * d]).sigmoid_()  # reset and update gates
        cand = gi[:, 2 * d :]
        cand.addcmul_(rz[:, :d], gh[:, 2 * d :]).mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)  # tanh
        h = messages[start : start + n_k]
        torch.lerp(cand, h_prev, rz[:, d:], out=h)  # (1 - z) * cand + z * h_prev
        start += n_k
    out.index_copy_(0, perm[: h.shape[0]], h)
    return out, messages


def readout_no_grad(
    h_path: Tensor,
    layer1: nn.Linear,
    layer2: nn.Linear,
    last: nn.Linear,
    p: float,
    active: bool,
    generator: torch.Generator | None,
    ws: Workspace,
) -> Tensor:
    """``F_p`` without autograd: dense + selu + dropout twice in ``ws`` buffers, then the last layer on
    ``[r, h_p]`` as two matrix products (no concatenation). Returns a new (P, n_outputs) tensor."""
    n_paths = h_path.shape[0]
    r = h_path
    for name, layer in (("r1", layer1), ("r2", layer2)):
        units = layer.out_features
        nxt = ws.get(name, n_paths, units, h_path)
        torch.mm(r, layer.weight.t(), out=nxt)
        nxt.add_(layer.bias)
        F.selu(nxt, inplace=True)
        if active and p > 0.0:
            mask = ws.get("mask", n_paths, units, h_path)
            mask.uniform_(generator=generator).ge_(p)  # 1 = kept
            nxt.mul_(mask).mul_(1.0 / (1.0 - p))
        r = nxt
    units = layer2.out_features
    out = torch.addmm(last.bias, r, last.weight[:, :units].t())
    return out.addmm_(h_path, last.weight[:, units:].t())
