r"""The shared update policy Φ: a 2-layer ReLU MLP applied to every (unit, scenario) feature tuple.

.. math::

    Φ(φ) = W_2\,\mathrm{relu}(W_1 φ + b_1) + b_2,\qquad
    \mathrm{agg}_u = \sum_q w_{u,q}\, Φ(φ_{u,q})

Because only the risk part of ``φ`` depends on the scenario, ``W_1 φ = W_1^{risk} φ^{risk}_{u,q} +
W_1^{static} φ^{static}_u`` and, ``W_2`` being linear, ``Σ_q w Φ = W_2 Σ_q w\,\mathrm{relu}(\cdot) +
b_2 Σ_q w``. :meth:`UpdatePolicy.aggregate` evaluates exactly this, scenario chunk by chunk, without
ever building the ``(U, Q, 8)`` feature tensor, and skips (unit, scenario) entries of weight 0
(the non-tail scenarios of CVaR, all but the worst of FFC, all but one per flow for quantiles).
:meth:`UpdatePolicy.aggregate_dense` is the literal form (used to test the factored one).

Shapes: ``risk`` parts (U, Q) or (1, Q); ``static`` (U, S); ``weights`` (U, Q) or (1, Q); output
(U, n_out).
"""

from __future__ import annotations

import torch
from torch import nn

from kplane.te.neural._physics import Features, scenario_chunks

__all__ = ["UpdatePolicy"]

SPARSE_DENSITY = 0.35
"""Below this fraction of non-zero weights, :meth:`UpdatePolicy.aggregate` works on the non-zeros only."""


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
                lin.weight.copy_(torch.rand(lin.weight.shape, generator=generator, dtype=lin.weight.dtype)
                                 * 2 * bound - bound)
                lin.bias.copy_(torch.rand(lin.bias.shape, generator=generator, dtype=lin.bias.dtype)
                               * 2 * bound - bound)

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
        """``Σ_q w_{u,q} Φ(φ_{u,q})`` (U, n_out), factored and chunked (see the module docstring).

        Parameters
        ----------
        feats : Features
        chunk : int, optional
            Scenarios per chunk (dense path) or ``chunk × U`` non-zero entries per chunk (sparse path).
        """
        w1 = self.lin1.weight
        wr, ws = w1[:, : self.n_risk], w1[:, self.n_risk :]
        base = torch.addmm(self.lin1.bias, feats.static, ws.T)  # (U, H)
        u, q = feats.n_units, feats.n_scenarios
        w = feats.weights
        wsum = w.sum(dim=1).expand(u)
        nz = w != 0
        density = float(nz.float().mean())
        if density < SPARSE_DENSITY and q > 1:
            acc = self._aggregate_sparse(feats, base, wr, nz, chunk)
        else:
            acc = base.new_zeros(u, self.hidden)
            for sl in scenario_chunks(q, chunk):
                h = base.unsqueeze(1).expand(u, sl.stop - sl.start, self.hidden).clone()
                for j, r in enumerate(feats.risk):
                    h.addcmul_(r[:, sl].unsqueeze(-1), wr[:, j])
                h = torch.relu(h)
                wc = w[:, sl]
                if wc.shape[0] == 1:
                    acc = acc + torch.einsum("q,uqh->uh", wc[0], h)
                else:
                    acc = acc + torch.einsum("uq,uqh->uh", wc, h)
        return torch.addmm(wsum.unsqueeze(1) * self.lin2.bias, acc, self.lin2.weight.T)

    def _aggregate_sparse(self, feats: Features, base: torch.Tensor, wr: torch.Tensor, nz: torch.Tensor,
                          chunk: int | None) -> torch.Tensor:
        u = feats.n_units
        if nz.shape[0] == 1:
            qs = torch.nonzero(nz[0]).flatten()
            units = torch.arange(u).repeat_interleave(qs.numel())
            scen = qs.repeat(u)
        else:
            units, scen = torch.nonzero(nz, as_tuple=True)
        acc = base.new_zeros(u, self.hidden)
        n = units.numel()
        step = n if chunk is None else max(1, chunk * u)
        for a in range(0, n, step):
            uu, qq = units[a : a + step], scen[a : a + step]
            h = base[uu]
            for j, r in enumerate(feats.risk):
                rv = r[uu, qq] if r.shape[0] != 1 else r[0, qq]
                h = torch.addcmul(h, rv.unsqueeze(-1), wr[:, j])
            wv = feats.weights[uu, qq] if feats.weights.shape[0] != 1 else feats.weights[0, qq]
            acc = acc.index_add(0, uu, torch.relu(h) * wv.unsqueeze(-1))
        return acc
