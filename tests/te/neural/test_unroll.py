"""The unrolled optimizer: any K, feasibility, gradients, checkpointing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.errors import InvalidParameterError
from kplane.te import make_objective
from kplane.te.neural import NeuroRiskNet, TerminalObjective, compile_instance


def _net(method: str = "gr", seed: int = 0) -> NeuroRiskNet:
    net = NeuroRiskNet(method, hidden=16)
    net.policy.reset_parameters(torch.Generator().manual_seed(seed))
    return net


@pytest.mark.parametrize("method", ["gr", "br", "gs", "ls", "collapsed"])
@pytest.mark.parametrize("k", [0, 1, 3, 12])
def test_any_k_gives_feasible_allocations(ring, method: str, k: int) -> None:
    obj = make_objective("teavar")
    g = compile_instance(ring, objective=obj, dtype=torch.float64)
    trace: list[torch.Tensor] = []
    with torch.no_grad():
        x = _net(method).allocate(g, obj, k, trace=trace)
    assert len(trace) == k and x.shape == (g.n_tunnels,)
    load = ring.link_load(g.expand(x))
    assert np.all(load <= ring.topology.capacity * (1 + 1e-12))
    assert torch.all((x >= 0) & (x <= 1))


def test_negative_iterations_rejected(ring) -> None:
    g = compile_instance(ring)
    with pytest.raises(InvalidParameterError, match="iterations"):
        _net()(g, make_objective("expected"), -1)


@pytest.mark.parametrize("method", ["gr", "br", "ls"])
def test_gradient_reaches_every_policy_parameter(ring, method: str) -> None:
    obj = make_objective("expected")
    g = compile_instance(ring.scaled(3.0), objective=obj)
    net = _net(method)
    loss = TerminalObjective(obj, g)(net.allocate(g, obj, 3))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if method == "br" and name == "policy.lin2.bias":
            # a constant added to every logit of an edge leaves its softmax unchanged: no gradient
            assert float(p.grad.abs().sum()) < 1e-6
            continue
        assert float(p.grad.abs().sum()) > 0, name


def test_checkpointing_and_chunking_keep_gradients(ring) -> None:
    obj = make_objective("teavar", beta=0.9)
    g = compile_instance(ring.scaled(3.0), objective=obj, dtype=torch.float64)
    grads = []
    for kw in ({}, {"checkpointing": True}, {"chunk": 2}, {"checkpointing": True, "chunk": 3}):
        net = _net().double()
        TerminalObjective(obj, g)(net.allocate(g, obj, 3, **kw)).backward()
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    for gr in grads[1:]:
        torch.testing.assert_close(gr, grads[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ["gr", "br", "gs", "ls", "collapsed", "gr9"])
@pytest.mark.parametrize("objective", ["expected", "teavar", "quantile"])
def test_inference_path_equals_the_autograd_path(ring, method: str, objective: str) -> None:
    """Without autograd the steps run the compiled policy sum on feature sources; same latents."""
    obj = make_objective(objective)
    g = compile_instance(ring, objective=obj, dtype=torch.float64)
    net = _net(method, seed=3).double()
    with torch.no_grad():
        fast = net(g, obj, 4)
    slow = net(g, obj, 4)
    for key, value in slow.items():
        assert value.requires_grad
        torch.testing.assert_close(fast[key], value.detach(), rtol=1e-9, atol=1e-9)
