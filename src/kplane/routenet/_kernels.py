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

__all__ = ["Workspace", "dropout", "dropout_mask", "gru", "path_rnn_no_grad", "readout_no_grad"]

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


def dropout_mask(rows: int, cols: int, p: float, generator: torch.Generator | None, like: Tensor) -> Tensor:
    """Inverted-dropout multipliers (0 or ``1/(1 − p)``) drawn from ``generator``, shape (rows, cols).

    Uniform draws and a comparison (faster than ``bernoulli_``); the training and the no-grad readout
    both draw their masks here, so one generator gives both the same masks.
    """
    draw = like.new_empty((rows, cols)).uniform_(generator=generator)
    return draw.ge_(p).mul_(1.0 / (1.0 - p))


def dropout(x: Tensor, p: float, active: bool, generator: torch.Generator | None) -> Tensor:
    """Inverted dropout of a (rows, cols) ``x`` drawing from ``generator``."""
    if not active or p == 0.0:
        return x
    return x * dropout_mask(x.shape[0], x.shape[1], p, generator, x)


def path_rnn_no_grad(
    h_path: Tensor,
    gi_link: Tensor,
    w_hh: Tensor,
    b_hn: Tensor,
    hop_sizes: list[int],
    hop_links: list[Tensor],
    ws: Workspace,
) -> tuple[Tensor, Tensor]:
    """The path GRU over hop positions without autograd, in ``ws`` buffers.

    ``h_path`` (P, d) holds the path states in the plan's order (sorted by hop count, longest
    first), and so does the returned new state. Returns it and the messages (E, d) in hop-major
    order — both views of ``ws`` buffers, overwritten by the next call with the same workspace
    (``h_path`` may be the previous call's output). On CPU in float32 the element-wise part of each
    step is one compiled loop (:mod:`kplane.routenet._fused`).
    """
    from kplane.routenet import _fused

    n_paths, d = h_path.shape
    n_edges = sum(hop_sizes)
    gh_buf = ws.get("gh", n_paths, 3 * d, h_path)
    messages = ws.get("messages", n_edges, d, h_path)
    out = ws.get("states", n_paths, d, h_path)
    if out.data_ptr() == h_path.data_ptr():  # the previous call's output: alternate buffers
        out = ws.get("states_alt", n_paths, d, h_path)
    w_hh_t = w_hh.t()
    compiled = _fused.usable(h_path, gi_link, b_hn)
    gi_buf = None if compiled else ws.get("gi", n_paths, 3 * d, h_path)
    h = h_path
    start = 0
    for k, n_k in enumerate(hop_sizes):
        if n_k < h.shape[0]:  # paths of exactly k hops are done: their last message is their state
            out[n_k : h.shape[0]] = h[n_k:]
        h_prev = h[:n_k]
        gh = gh_buf[:n_k]
        torch.mm(h_prev, w_hh_t, out=gh)
        h = messages[start : start + n_k]
        if gi_buf is None:
            _fused.fused_gru_rows(gh, b_hn, gi_link, hop_links[k], h_prev, h)
        else:
            gh[:, 2 * d :].add_(b_hn)
            gi = gi_buf[:n_k]
            torch.index_select(gi_link, 0, hop_links[k], out=gi)
            rz = gi[:, : 2 * d]
            rz.add_(gh[:, : 2 * d]).sigmoid_()  # reset and update gates
            cand = gi[:, 2 * d :]
            cand.addcmul_(rz[:, :d], gh[:, 2 * d :]).mul_(2.0).sigmoid_().mul_(2.0).sub_(1.0)  # tanh
            torch.lerp(cand, h_prev, rz[:, d:], out=h)  # (1 - z) * cand + z * h_prev
        start += n_k
    out[: h.shape[0]] = h
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
    block: int = 4096,
) -> Tensor:
    """``F_p`` without autograd: dense + selu + dropout twice in ``ws`` buffers, then the last layer on
    ``[r, h_p]`` as two matrix products (no concatenation). Returns a new (P, n_outputs) tensor.

    Runs over blocks of ``block`` paths, so that the hidden layers of a block stay in cache (a
    200-node network has 39,800 paths × 256 units per layer). Dropout masks are drawn for all paths
    first, layer by layer, so that a generator gives the same masks whatever the block size.
    """
    n_paths = h_path.shape[0]
    units = layer2.out_features
    out = h_path.new_empty((n_paths, last.out_features))
    w_r, w_h = last.weight[:, :units].t(), last.weight[:, units:].t()
    layers = (layer1, layer2)
    masks = []
    if active and p > 0.0:
        masks = [dropout_mask(n_paths, layer.out_features, p, generator, h_path) for layer in layers]
    for lo in range(0, n_paths, block):
        h = h_path[lo : lo + block]
        r = h
        for k, layer in enumerate(layers):
            nxt = ws.get(f"r{k}", h.shape[0], layer.out_features, h_path)
            torch.addmm(layer.bias, r, layer.weight.t(), out=nxt)
            F.selu(nxt, inplace=True)
            if masks:
                nxt.mul_(masks[k][lo : lo + block])
            r = nxt
        y = out[lo : lo + block]
        torch.addmm(last.bias, r, w_r, out=y)
        y.addmm_(h, w_h)
    return out
