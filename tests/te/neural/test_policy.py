"""The update policy: the factored, chunked and sparse aggregations equal the literal one."""

from __future__ import annotations

import pytest
import torch

from kplane.te import make_objective
from kplane.te.neural import UpdatePolicy, _fused, compile_instance, perceive
from kplane.te.neural._decision import decide, initial_state
from kplane.te.neural._unroll import METHOD_SPEC


def setup_policy(
    ring, objective: str, method: str, *, state_seed: int | None, policy_seed: int, out_scale: float = 1.0
) -> tuple:
    """The features of ``method`` on the ring (random latents, or the initial ones when ``state_seed``
    is None) and a float64 policy of 16 hidden units whose output layer is scaled by ``out_scale``."""
    obj = make_objective(objective)
    g = compile_instance(ring, objective=obj, dtype=torch.float64)
    space, fset, n_in, n_risk, n_out = METHOD_SPEC[method]
    state = initial_state(g, space)
    if state_seed is not None:
        gen = torch.Generator().manual_seed(state_seed)
        state = {k: torch.randn(v.shape, generator=gen, dtype=torch.float64) for k, v in state.items()}
    feats = perceive(g, decide(g, space, state), obj, fset)
    pol = UpdatePolicy(n_in, n_risk, 16, n_out).double()
    pol.reset_parameters(torch.Generator().manual_seed(policy_seed))
    with torch.no_grad():
        pol.lin2.weight.mul_(out_scale)
    return feats, pol


@pytest.mark.parametrize("objective", ["expected", "teavar", "ffc", "quantile"])
@pytest.mark.parametrize("method", ["gr", "br", "ls", "collapsed"])
@pytest.mark.parametrize("chunk", [None, 2])
def test_aggregate_equals_dense(ring, objective: str, method: str, chunk) -> None:
    feats, pol = setup_policy(ring, objective, method, state_seed=2, policy_seed=0, out_scale=10)
    ref = pol.aggregate_dense(feats)
    torch.testing.assert_close(pol.aggregate(feats, chunk), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("objective", ["expected", "teavar", "ffc", "quantile"])
@pytest.mark.parametrize("method", ["gr", "br", "gs", "collapsed"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_compiled_aggregate_without_autograd_equals_dense(ring, objective: str, method: str, dtype) -> None:
    feats, pol = setup_policy(ring, objective, method, state_seed=3, policy_seed=1, out_scale=10)
    feats, pol = feats.to(dtype), pol.to(dtype)
    with torch.no_grad():
        assert _fused.usable(feats, pol.lin1)
        got = pol.aggregate(feats)
    assert not _fused.usable(feats, pol.lin1)  # autograd on: the torch form
    ref = pol.aggregate_dense(feats).detach()
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == torch.float64 else {"rtol": 2e-5, "atol": 1e-5}
    torch.testing.assert_close(got, ref, **tol)


def test_reset_parameters_is_seeded() -> None:
    a, b = UpdatePolicy(8, 3), UpdatePolicy(8, 3)
    a.reset_parameters(torch.Generator().manual_seed(4))
    b.reset_parameters(torch.Generator().manual_seed(4))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_half_precision_policies_take_the_torch_path(ring) -> None:
    feats, pol = setup_policy(ring, "teavar", "gr", state_seed=None, policy_seed=0)
    pol = pol.float()
    with torch.no_grad():
        ref = pol.aggregate(feats.to(torch.float32))
        half = pol.to(torch.bfloat16)
        assert not _fused.usable(feats.to(torch.bfloat16), half.lin1)
        got = half.aggregate(feats.to(torch.bfloat16))
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), ref, rtol=0.1, atol=0.1)


def test_nan_features_give_nan_updates(ring) -> None:
    feats, pol = setup_policy(ring, "teavar", "gr", state_seed=None, policy_seed=0)
    feats.static[0, 0] = float("nan")
    with torch.no_grad():
        out = pol.aggregate(feats)
    assert torch.isnan(out[0]).all() and torch.isfinite(out[1:]).all()


def test_kernel_loaded_once_per_dtype() -> None:
    _fused.load(torch.float64)
    assert torch.float64 in _fused._LOADED
    _fused.load(torch.float64)  # a second call does nothing
    assert torch.float64 in _fused._LOADED
