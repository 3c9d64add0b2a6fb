r"""The RouteNet graph neural network (Rusek, Suárez-Varela et al., JSAC 2020, Algorithm 1).

Vectorised for CPU: no Python loop runs over paths or links. The path RNN loops over *hop
positions*: paths are sorted by length (longest first), so at hop ``k`` the paths still active are a
contiguous prefix of the sorted order and one batched GRU step updates all of them. The GRU's input
projection of every link state is computed once per iteration and gathered per hop.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from kplane.datasets import GraphBatch
from kplane.errors import InvalidParameterError
from kplane.routenet._heads import DELAY_HEADS, HEAD_OUTPUTS, HEADS
from kplane.routenet._kernels import Workspace, dropout, gru, path_rnn_no_grad, readout_no_grad

__all__ = ["RouteNet", "RouteNetMultiHead", "RoutingPlan"]

Tensor = torch.Tensor


@dataclass(frozen=True, eq=False)
class RoutingPlan:
    """The routing of a batch laid out for the hop-position loop.

    Attributes
    ----------
    n_paths, n_links : int
    perm : Tensor of shape (P,)
        Path ids sorted by hop count, longest first (stable).
    inv_perm : Tensor of shape (P,)
        Inverse of ``perm``.
    hop_sizes : list of int
        ``hop_sizes[k]`` = number of paths with more than ``k`` hops (non-increasing).
    hop_links : list of Tensor
        ``hop_links[k]`` of shape (hop_sizes[k],): link at position ``k`` of the sorted paths.
    edge_links : Tensor of shape (E,)
        ``cat(hop_links)``: the link receiving each message, in hop-major order.
    """

    n_paths: int
    n_links: int
    perm: Tensor
    inv_perm: Tensor
    hop_sizes: list[int]
    hop_links: list[Tensor]
    edge_links: Tensor

    @classmethod
    def from_batch(cls, batch: GraphBatch) -> RoutingPlan:
        """Sort the batch's paths by length and slice its padded link index per hop."""
        lengths = batch.path_length
        n_paths = int(lengths.shape[0])
        perm = torch.argsort(lengths, descending=True, stable=True)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(n_paths)
        counts = torch.bincount(lengths, minlength=batch.max_hops + 1)
        # number of paths with at least k+1 hops, k = 0..H-1
        sizes = (n_paths - torch.cumsum(counts, 0)[:-1]).tolist()
        links = batch.path_links[perm]
        hop_links = [links[: sizes[k], k].contiguous() for k in range(batch.max_hops)]
        return cls(
            n_paths=n_paths,
            n_links=batch.n_links,
            perm=perm,
            inv_perm=inv,
            hop_sizes=[int(s) for s in sizes],
            hop_links=hop_links,
            edge_links=torch.cat(hop_links),
        )

    @cached_property
    def link_sum(self) -> Tensor:
        """Sparse (L, E) CSR matrix of ones with ``link_sum @ messages`` = the per-link sum of messages.

        Built on first use; the no-grad aggregation uses it (a CSR product sums each link's rows in
        one pass, several times faster on CPU than ``index_add``).
        """
        order = torch.argsort(self.edge_links, stable=True)
        counts = torch.bincount(self.edge_links, minlength=self.n_links)
        rows = torch.cat([counts.new_zeros(1), torch.cumsum(counts, 0)])
        ones = torch.ones(order.shape[0], dtype=torch.float32, device=order.device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return torch.sparse_csr_tensor(rows, order, ones, size=(self.n_links, order.shape[0]),
                                           check_invariants=True)


class RouteNet(nn.Module):
    r"""RouteNet (Algorithm 1): link and path states, path RNN, link update, readout.

    With path states :math:`h_p` and link states :math:`h_l`:

    .. math::

        h_p^0 = [x_p, 0, \dots, 0], \qquad h_l^0 = [x_l, 0, \dots, 0]

        \text{message:}\quad (m_{p,p(1)}, \dots, m_{p,p(|p|)}),\ h_p^{t+1}
            = \mathrm{GRU}_{path}(h_p^t;\ h^t_{p(1)}, \dots, h^t_{p(|p|)})

        \text{aggregate:}\quad M_l = \sum_{p,\,k:\ p(k) = l} m_{p,l}

        \text{update:}\quad h_l^{t+1} = \mathrm{GRUCell}_{link}(M_l, h_l^t)

    for :math:`t = 0..T-1` (weights shared across iterations), then the readout

    .. math::

        r_p = \mathrm{drop}(\mathrm{selu}(W_2\,\mathrm{drop}(\mathrm{selu}(W_1 h_p^T + b_1)) + b_2)),
        \qquad \hat y_p = W_3 [r_p, h_p^T] + b_3.

    Shapes:
        - ``x_path`` : (P, path_features), ``x_link`` : (L, link_features), float32
        - ``h_path`` : (P, path_dim), ``h_link`` : (L, link_dim)
        - output ``y`` : (P, n_outputs)

    Parameters
    ----------
    path_features, link_features : int
        Input columns; at most ``path_dim`` / ``link_dim``.
    n_outputs : int
        Raw outputs per path (the heads' parameters).
    path_dim, link_dim : int, default 32
        State sizes (paper: 32 and 32).
    iterations : int, default 8
        Message-passing iterations T (paper: 8).
    readout_units : int, default 256
        Width of the two readout layers (public code: 256).
    dropout : float, default 0.5
        Dropout rate after each readout layer (paper: 0.5).
    """

    def __init__(
        self,
        *,
        path_features: int,
        link_features: int,
        n_outputs: int,
        path_dim: int = 32,
        link_dim: int = 32,
        iterations: int = 8,
        readout_units: int = 256,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        ints = {"path_dim": path_dim, "link_dim": link_dim, "iterations": iterations,
                "readout_units": readout_units, "n_outputs": n_outputs, "path_features": path_features,
                "link_features": link_features}
        for name, v in ints.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise InvalidParameterError(f"{name} must be an integer >= 1, got {v!r}")
        if path_features > path_dim or link_features > link_dim:
            raise InvalidParameterError(
                f"input features must fit in the states: {path_features} path features for path_dim "
                f"{path_dim}, {link_features} link features for link_dim {link_dim}"
            )
        if not 0.0 <= dropout < 1.0:
            raise InvalidParameterError(f"dropout must be in [0, 1), got {dropout!r}")
        self.path_dim, self.link_dim = path_dim, link_dim
        self.iterations, self.dropout = iterations, float(dropout)
        self.path_rnn = nn.GRUCell(link_dim, path_dim)
        self.link_update = nn.GRUCell(path_dim, link_dim)
        self.readout1 = nn.Linear(path_dim, readout_units)
        self.readout2 = nn.Linear(readout_units, readout_units)
        self.readout_out = nn.Linear(readout_units + path_dim, n_outputs)

    # ------------------------------------------------------------------ Algorithm 1, named steps
    def initial_states(self, x_path: Tensor, x_link: Tensor) -> tuple[Tensor, Tensor]:
        """Lines 1–2: ``h_p = [x_p, 0…]`` (P, path_dim), ``h_l = [x_l, 0…]`` (L, link_dim)."""
        h_p = F.pad(x_path, (0, self.path_dim - x_path.shape[1]))
        h_l = F.pad(x_link, (0, self.link_dim - x_link.shape[1]))
        return h_p, h_l

    def message(self, h_path: Tensor, h_link: Tensor, plan: RoutingPlan) -> tuple[Tensor, Tensor]:
        """Lines 4–10: run the path GRU over each path's link states.

        Returns the new path states (P, path_dim), in the batch's path order like ``h_path``, and
        the messages (E, path_dim), one per hop in the hop-major order of ``plan.edge_links``.
        """
        h, messages = self._message_sorted(h_path.index_select(0, plan.perm), h_link, plan)
        return h.index_select(0, plan.inv_perm), messages

    def _message_sorted(
        self, h_path: Tensor, h_link: Tensor, plan: RoutingPlan, workspace: Workspace | None = None
    ) -> tuple[Tensor, Tensor]:
        """:meth:`message` on path states in the plan's order (``h_path[i]`` is path ``plan.perm[i]``).

        The hop loop works on prefixes of that order, so :meth:`encode` keeps the states in it
        through the iterations. Without autograd and with a ``workspace``, both results are views
        of its buffers, overwritten by the next call with the same workspace.
        """
        rnn, d = self.path_rnn, self.path_dim
        # Input projection once per link and iteration, (L, 3 path_dim). The reset/update parts of the
        # recurrent bias are folded in too; the candidate's recurrent bias stays inside r * (...).
        b_rz = F.pad(rnn.bias_hh[: 2 * d], (0, d))
        gi_link = F.linear(h_link, rnn.weight_ih, rnn.bias_ih + b_rz)
        b_hn = rnn.bias_hh[2 * d :]
        if not torch.is_grad_enabled():
            return path_rnn_no_grad(h_path, gi_link, rnn.weight_hh, b_hn, plan.hop_sizes, plan.hop_links,
                                    workspace or Workspace())
        h = h_path
        messages: list[Tensor] = []
        finished: list[Tensor] = []
        for k, n_k in enumerate(plan.hop_sizes):
            if n_k < h.shape[0]:
                finished.append(h[n_k:])  # paths of exactly k hops are done
            h_prev = h[:n_k]
            gh = F.linear(h_prev, rnn.weight_hh)
            h = gru(gi_link.index_select(0, plan.hop_links[k]), gh, h_prev, b_hn)
            messages.append(h)
        finished.append(h)
        return torch.cat(finished[::-1]), torch.cat(messages)

    def aggregate(self, messages: Tensor, plan: RoutingPlan) -> Tensor:
        """Line 12 (inner sum): ``M_l`` = sum of the messages of every path crossing ``l``, (L, path_dim)."""
        if not torch.is_grad_enabled() and messages.dtype == torch.float32:
            return plan.link_sum @ messages
        out = messages.new_zeros((plan.n_links, messages.shape[1]))
        return out.index_add(0, plan.edge_links, messages)

    def update(self, h_link: Tensor, aggregated: Tensor) -> Tensor:
        """Line 12: ``h_l = GRUCell(M_l, h_l)``, (L, link_dim)."""
        cell = self.link_update
        gi = F.linear(aggregated, cell.weight_ih, cell.bias_ih)
        gh = F.linear(h_link, cell.weight_hh, cell.bias_hh)
        return gru(gi, gh, h_link)

    def encode(self, x_path: Tensor, x_link: Tensor, plan: RoutingPlan) -> Tensor:
        """Lines 1–14: final path states ``h_p^T``, (P, path_dim), in the batch's path order."""
        h_p, h_l = self.initial_states(x_path, x_link)
        h_p = h_p.index_select(0, plan.perm)  # the plan's order, kept through the iterations
        ws = None if torch.is_grad_enabled() else Workspace()
        for _ in range(self.iterations):
            h_p, messages = self._message_sorted(h_p, h_l, plan, ws)
            h_l = self.update(h_l, self.aggregate(messages, plan))
        return h_p.index_select(0, plan.inv_perm)

    def readout(
        self,
        h_path: Tensor,
        *,
        sample: bool | None = None,
        generator: torch.Generator | None = None,
        workspace: Workspace | None = None,
    ) -> Tensor:
        """Line 15: ``F_p`` with the residual input ``h_p``; (P, n_outputs).

        Dropout is active when training, or when ``sample=True`` (Monte-Carlo dropout). Without
        autograd the hidden layers live in ``workspace`` buffers (reuse one across repeated calls).
        """
        active = self.training if sample is None else sample
        if not torch.is_grad_enabled():
            return readout_no_grad(h_path, self.readout1, self.readout2, self.readout_out, self.dropout,
                                   active, generator, workspace or Workspace())
        r = dropout(F.selu(self.readout1(h_path)), self.dropout, active, generator)
        r = dropout(F.selu(self.readout2(r)), self.dropout, active, generator)
        return self.readout_out(torch.cat([r, h_path], dim=1))

    def forward(
        self, x_path: Tensor, x_link: Tensor, plan: RoutingPlan, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """Raw per-path outputs (P, n_outputs)."""
        return self.readout(self.encode(x_path, x_link, plan), generator=generator)

    def l2_penalty(self, l2: float, l2_last: float) -> Tensor:
        """``l2 · (‖W_1‖² + ‖W_2‖²)/2 + l2_last · ‖W_3‖²/2`` (readout kernels, as the public code)."""
        hidden = self.readout1.weight.square().sum() + self.readout2.weight.square().sum()
        return 0.5 * l2 * hidden + 0.5 * l2_last * self.readout_out.weight.square().sum()


class RouteNetMultiHead(nn.Module):
    """One or more RouteNet networks, each feeding a group of output heads.

    ``heads=[["normal", "binomial"]]`` is one network with two heads (shared message passing);
    ``heads=[["normal"], ["binomial"]]`` is two independent networks (the public code's separate
    delay and loss models), trained with the sum of their losses — their parameters are disjoint,
    so this is the same as training them apart.

    Parameters
    ----------
    heads : sequence of sequence of str
        Head groups; names from :data:`~kplane.routenet.HEADS`, each at most once overall.
    path_features, link_features : int
        Input columns.
    **hparams
        :class:`RouteNet` hyper-parameters (``path_dim``, ``link_dim``, ``iterations``,
        ``readout_units``, ``dropout``).
    """

    def __init__(
        self, *, heads: Sequence[Sequence[str]], path_features: int, link_features: int, **hparams: Any
    ) -> None:
        super().__init__()
        groups = tuple(tuple(str(h) for h in g) for g in heads)
        flat = [h for g in groups for h in g]
        if not groups or any(not g for g in groups):
            raise InvalidParameterError(f"heads must be non-empty groups of head names, got {heads!r}")
        for h in flat:
            if h not in HEAD_OUTPUTS:
                raise InvalidParameterError(f"unknown head {h!r}; valid: {list(HEADS)}")
        if len(set(flat)) != len(flat):
            raise InvalidParameterError(f"each head may appear once, got {heads!r}")
        if "jitter" in flat and not set(flat) & set(DELAY_HEADS):
            raise InvalidParameterError(
                f"the jitter head needs a delay head (normal or gamma) in the model, got {heads!r}"
            )
        self.groups = groups
        self.hparams = dict(hparams)
        self.nets = nn.ModuleList(
            RouteNet(path_features=path_features, link_features=link_features,
                     n_outputs=sum(HEAD_OUTPUTS[h] for h in g), **hparams)
            for g in groups
        )

    @property
    def heads(self) -> tuple[str, ...]:
        """All heads, in group order."""
        return tuple(h for g in self.groups for h in g)

    @property
    def networks(self) -> list[RouteNet]:
        """The RouteNet networks, one per head group."""
        return [cast(RouteNet, net) for net in self.nets]

    def encode(self, x_path: Tensor, x_link: Tensor, plan: RoutingPlan) -> list[Tensor]:
        """Final path states of every network."""
        return [net.encode(x_path, x_link, plan) for net in self.networks]

    def readout(
        self,
        states: list[Tensor],
        *,
        sample: bool | None = None,
        generator: torch.Generator | None = None,
        workspace: Workspace | None = None,
    ) -> dict[str, Tensor]:
        """Raw outputs per head name, each (P, HEAD_OUTPUTS[head])."""
        out: dict[str, Tensor] = {}
        for net, group, h in zip(self.networks, self.groups, states, strict=True):
            y = net.readout(h, sample=sample, generator=generator, workspace=workspace)
            start = 0
            for name in group:
                out[name] = y[:, start : start + HEAD_OUTPUTS[name]]
                start += HEAD_OUTPUTS[name]
        return out

    def forward(
        self, x_path: Tensor, x_link: Tensor, plan: RoutingPlan, *, generator: torch.Generator | None = None
    ) -> dict[str, Tensor]:
        """Raw outputs per head name."""
        return self.readout(self.encode(x_path, x_link, plan), generator=generator)

    def l2_penalty(self, l2: float, l2_last: float) -> Tensor:
        """Sum of the networks' readout L2 penalties."""
        return sum((net.l2_penalty(l2, l2_last) for net in self.networks), torch.zeros(()))
