r"""The shared update policy Φ: a 2-layer ReLU MLP applied to every (unit, scenario) feature tuple.

.. math::

    Φ(φ) = W_2\,\mathrm{relu}(W_1 φ + b_1) + b_2,\qquad
    \mathrm{agg}_u = \sum_q w_{u,q}\, Φ(φ_{u,q})

``W_2`` being linear, ``Σ_q w Φ = W_2 Σ_q w\,\mathrm{relu}(W_1 φ + b_1) + b_2 Σ_q w``:
:meth:`UpdatePolicy.aggregate` evaluates the hidden layer with one matrix product per scenario chunk
(in scenario-major layout, so that the weighted sum over scenarios is one more product) and applies
``W_2`` once per unit. It skips (unit, scenario) entries of weight 0 — the non-tail scenarios of
CVaR, all but the worst of FFC, all but one scenario per flow for quantiles. Without autograd on
CPU the hidden-layer sum is one compiled loop that never materialises the activations
(:mod:`._fused`).
:meth:`UpdatePolicy.aggregate_dense` is the literal form (used to test the factored one).

Shapes: ``risk`` parts (U, Q) or (1, Q); ``static`` (U, S); ``weights`` (U, Q) or (1, Q); output
(U, n_out).
"""

from __future__ import annotations

import torch
from torch import nn

from kplane.te.neural import _fused
from kplane.te.neural._physics import Features, scenario_chunks

__all__ = ["UpdatePolicy"]

SPARSE_DENSITY = 0.35
"""Below this fraction of non-zero per-unit weights, :meth:`UpdatePolicy.aggregate` gathers the non-zeros."""


class UpdatePolicy(nn.Module):
    """Φ: ``n_in → hidden → n_out`` with ReLU, shared by every unit, scenario and unrolled step.

    Parameters
    ----------
    n_in : int
        Features per (unit, scenario): risk features first, then static ones.
    n_risk : int
        How many of them are risk (scenario-dependent) features.
    hidden : int
        Hidden units (64 in the paper).
    n_out : int
        Outputs per tuple (2 for gated reservation: ``Δθ`` and the gate vote; 1 otherwise).
    """

    def __init__(self, n_in: int, n_risk: int, hidden: int = 64, n_out: int = 2) -> None:
        super().__init__()
        self.n_in = int(n_in)
        self.n_risk = int(n_risk)
        self.hidden = int(hidden)
        self.n_out = int(n_out)
        self.lin1 = nn.Linear(self.n_in, self.hidden)
        self.lin2 = nn.Linear(self.hidden, self.n_out)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Deterministic initialisation: uniform ``±1/sqrt(fan_in)`` (layer 1), small layer 2."""
        with torch.no_grad():
            for lin, gain in ((self.lin1, 1.0), (self.lin2, 0.1)):
                bound = gain / float(lin.in_features) ** 0.5
                lin.weight.copy_(
                    torch.rand(lin.weight.shape, generator=generator, dtype=lin.weight.dtype) * 2 * bound
                    - bound
                )
                lin.bias.copy_(
                    torch.rand(lin.bias.shape, generator=generator, dtype=lin.bias.dtype) * 2 * bound - bound
                )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Φ on a (..., n_in) tensor → (..., n_out)."""
        return self.lin2(torch.relu(self.lin1(features)))

    def aggregate_dense(self, feats: Features, chunk: int | None = None) -> torch.Tensor:
        """``Σ_q w_{u,q} Φ(φ_{u,q})`` (U, n_out) from the assembled feature tensor (reference form)."""
        u = feats.n_units
        out = torch.zeros(u, self.n_out, dtype=feats.static.dtype)
        dense = feats.dense(chunk)
        w = feats.weights.expand(u, feats.n_scenarios)
        return out + torch.einsum("uq,uqo->uo", w, self(dense))

    def aggregate(self, feats: Features, chunk: int | None = None) -> torch.Tensor:
        """``Σ_q w_{u,q} Φ(φ_{u,q})`` (U, n_out), skipping zero weights, chunked (module docstring).

        Parameters
        ----------
        feats : Features
        chunk : int, optional
            Scenarios per chunk (dense path) or ``chunk × U`` non-zero entries per chunk (sparse path).
        """
        if feats.weight_source.shape[0] == 1:  # shared weights: keep the scenarios that count
            cols = torch.nonzero(feats.weight_source[0]).flatten()
            if cols.numel() < feats.n_scenarios:
                feats = feats.select_scenarios(cols)
        if _fused.usable(feats, self.lin1):
            return _fused.policy_sum(feats, self.lin1, self.lin2)
        wsum = feats.weight_sums()
        if feats.weights.shape[0] == 1 or float((feats.weights != 0).float().mean()) >= SPARSE_DENSITY:
            acc = self._aggregate_dense(feats, chunk)
        else:
            acc = self._aggregate_sparse(feats, chunk)
        return torch.addmm(wsum.unsqueeze(1) * self.lin2.bias, acc, self.lin2.weight.T)

    def _with_bias_column(self, static: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Static features with a column of ones, and ``[W_1 | b_1]^T``: the bias rides in the product."""
        ones = static.new_ones(static.shape[0], 1)
        return torch.cat([static, ones], dim=1), torch.cat(
            [self.lin1.weight, self.lin1.bias.unsqueeze(1)], 1
        ).T

    def _aggregate_dense(self, feats: Features, chunk: int | None) -> torch.Tensor:
        """``Σ_q w relu(W_1 φ + b_1)`` (U, H): one GEMM per chunk in (scenario, unit) layout."""
        u, q = feats.n_units, feats.n_scenarios
        w = feats.weights
        acc = feats.static.new_zeros(u, self.hidden)
        static1, w1b = self._with_bias_column(feats.static)
        for sl in scenario_chunks(q, chunk):
            qc = sl.stop - sl.start
            if qc == 0:
                continue
            cols = [r[:, sl].T.expand(qc, u).unsqueeze(-1) for r in feats.risk]
            cols.append(static1.unsqueeze(0).expand(qc, u, static1.shape[1]))
            x = torch.cat(cols, dim=-1).reshape(qc * u, self.n_in + 1)
            h = torch.relu_(torch.mm(x, w1b)).view(qc, u, self.hidden)
            wc = w[:, sl]
            if wc.shape[0] == 1:
                acc = acc + (wc[0] @ h.reshape(qc, u * self.hidden)).view(u, self.hidden)
            else:
                acc = acc + (h * wc.T.unsqueeze(-1)).sum(dim=0)
        return acc

    def _aggregate_sparse(self, feats: Features, chunk: int | None) -> torch.Tensor:
        """The same over the non-zero (unit, scenario) weights only (per-unit weights)."""
        u = feats.n_units
        units, scen = torch.nonzero(feats.weights != 0, as_tuple=True)
        acc = feats.static.new_zeros(u, self.hidden)
        static1, w1b = self._with_bias_column(feats.static)
        n = units.numel()
        step = max(n, 1) if chunk is None else max(1, chunk * u)
        for a in range(0, n, step):
            uu, qq = units[a : a + step], scen[a : a + step]
            cols = [(r[uu, qq] if r.shape[0] != 1 else r[0, qq]).unsqueeze(-1) for r in feats.risk]
            cols.append(static1[uu])
            h = torch.relu_(torch.mm(torch.cat(cols, dim=-1), w1b))
            acc = acc.index_add(0, uu, h * feats.weights[uu, qq].unsqueeze(-1))
        return acc
