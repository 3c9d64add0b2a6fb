"""Physics features: a hand computation, chunking, risk weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.te import make_objective, sort_select
from kplane.te.neural import FEATURE_NAMES, compile_instance, gated_reservation, perceive, rank_weights
from kplane.te.neural._decision import decide, initial_state


def _features(instance, objective="expected", method="gr", seed=None):
    obj = make_objective(objective)
    g = compile_instance(instance, objective=obj, dtype=torch.float64)
    state = initial_state(g, "gr" if method == "gr" else method)
    if seed is not None:
        gen = torch.Generator().manual_seed(seed)
        state = {k: torch.randn(v.shape, generator=gen, dtype=torch.float64) for k, v in state.items()}
    return g, perceive(g, decide(g, method, state), obj, method)


def test_features_by_hand(triangle) -> None:
    g, feats = _features(triangle)
    dense = feats.dense()
    assert dense.shape == (4, 2, 8) and len(FEATURE_NAMES) == 8
    # pair 3 = (link 1→2, tunnel 2 of flow a→c), scenario 1 (link a→c down)
    expect = [1.0, 1 / 6, 1 / 12, 5 / 6, 0.5, 1.25, 1.2, 1.0]
    torch.testing.assert_close(dense[3, 1], torch.tensor(expect, dtype=torch.float64))
    # pair 1 = (link a→c, direct tunnel 1): dead in scenario 1, bottleneck (margin 0), capacity 4/8
    torch.testing.assert_close(
        dense[1, 1], torch.tensor([0.0, 1 / 6, 1 / 12, 2 / 3, 0.0, 0.5, 1.2, 1.0], dtype=torch.float64)
    )
    # pair 0 = (link a→b, tunnel 0 of flow a→b): over-provisioned (x = 1.25), shares link a→b
    torch.testing.assert_close(
        dense[0, 0], torch.tensor([1.0, 0.0, 0.0, 1.25, 0.0, 1.25, 0.8, 0.5], dtype=torch.float64)
    )


@pytest.mark.parametrize("method", ["gr", "ls"])
@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_chunked_features_equal_unchunked(ring, method: str, chunk: int) -> None:
    _, feats = _features(ring, "teavar", method, seed=3)
    assert feats.n_scenarios > chunk
    torch.testing.assert_close(feats.dense(chunk), feats.dense(None), rtol=0, atol=0)


@pytest.mark.parametrize("objective", ["expected", "teavar", "ffc", "nominal"])
def test_scenario_risk_weights_reproduce_the_objective(ring, objective: str) -> None:
    obj = make_objective(objective)
    g, feats = _features(ring, objective, seed=5)
    w = feats.weights[0]
    value = float(w @ feats.scen_losses)
    ref = sort_select(feats.scen_losses.numpy(), g.prob.numpy(), obj.mask)
    assert value == pytest.approx(float(ref), abs=1e-12)
    assert float(w.sum()) == pytest.approx(1.0)


def test_cvar_weights_sit_on_the_tail() -> None:
    loss = torch.tensor([0.0, 0.5, 0.2, 0.9], dtype=torch.float64)
    prob = torch.tensor([0.9, 0.04, 0.04, 0.02], dtype=torch.float64)
    w = rank_weights(loss, prob, make_objective("teavar", beta=0.95).mask)
    torch.testing.assert_close(w, torch.tensor([0.0, 0.6, 0.0, 0.4], dtype=torch.float64))


def test_quantile_weights_are_per_flow(ring) -> None:
    g, feats = _features(ring, "quantile", seed=1)
    assert feats.weights.shape == (g.n_pairs, g.n_scenarios)
    per_tunnel = torch.zeros(g.n_tunnels, g.n_scenarios, dtype=torch.float64)
    per_tunnel[g.pair_tunnel] = feats.weights
    # one selected scenario per flow: every row sums to 1
    torch.testing.assert_close(per_tunnel.sum(1), torch.ones(g.n_tunnels, dtype=torch.float64))


def test_margin_zero_on_bottleneck(ring) -> None:
    g = compile_instance(ring, dtype=torch.float64)
    theta = torch.randn(g.n_pairs, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    dec = gated_reservation(g, theta, torch.zeros(g.n_tunnels, dtype=torch.float64))
    _, feats = _features(ring)
    margin = (dec.reserved - dec.bandwidth[g.pair_tunnel]) / dec.reserved
    mins = torch.full((g.n_tunnels,), np.inf, dtype=torch.float64).scatter_reduce(
        0, g.pair_tunnel, margin, reduce="amin"
    )
    torch.testing.assert_close(mins, torch.zeros(g.n_tunnels, dtype=torch.float64))
    assert torch.all((margin >= 0) & (margin <= 1))
