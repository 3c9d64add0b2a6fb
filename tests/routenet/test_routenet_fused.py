"""The compiled GRU step and the no-grad kernels agree with PyTorch's own arithmetic."""

from __future__ import annotations

import numpy as np
import torch

from kplane.datasets import collate
from kplane.routenet import RoutingPlan
from kplane.routenet._fused import fused_gru_rows, sigmoid32, usable
from kplane.routenet._kernels import Workspace, readout_no_grad

from .test_routenet_model import setup_inputs, setup_net


def test_sigmoid_is_accurate_over_the_whole_float_range() -> None:
    x = np.concatenate([np.linspace(-120, 120, 400_001), [0.0, -1e30, 1e30, 87.0, -87.0, 88.5, -88.5]])
    got = sigmoid32(x.astype(np.float32))
    with np.errstate(over="ignore"):
        want = 1.0 / (1.0 + np.exp(-x.astype(np.float32).astype(np.float64)))
    assert got.dtype == np.float32
    assert np.abs(got - want).max() < 2e-7
    assert np.all(np.diff(sigmoid32(np.linspace(-20, 20, 1001, dtype=np.float32))) >= 0)


def test_sigmoid_keeps_ieee_special_values() -> None:
    got = sigmoid32(np.array([np.nan, np.inf, -np.inf, 0.0], dtype=np.float32))
    assert np.isnan(got[0]) and got[1] == 1.0 and 0.0 <= got[2] < 1e-30 and got[3] == 0.5


def reference_gru(gh, b_hn, gi_link, links, h):
    d = h.shape[1]
    gi = gi_link[links]
    r = torch.sigmoid(gi[:, :d] + gh[:, :d])
    z = torch.sigmoid(gi[:, d : 2 * d] + gh[:, d : 2 * d])
    n = torch.tanh(gi[:, 2 * d :] + r * (gh[:, 2 * d :] + b_hn))
    return (1 - z) * n + z * h


def test_compiled_gru_step_equals_the_torch_formula() -> None:
    g = torch.Generator().manual_seed(0)
    n, d, n_links = 1000, 16, 37
    gh = 4 * torch.randn(n, 3 * d, generator=g)
    gh[0] = 200.0  # saturated gates
    gh[1] = -200.0
    b_hn = torch.randn(d, generator=g)
    gi_link = 3 * torch.randn(n_links, 3 * d, generator=g)
    links = torch.randint(0, n_links, (n,), generator=g)
    h = torch.randn(n, d, generator=g)
    out = torch.empty(n, d)
    with torch.no_grad():
        fused_gru_rows(gh, b_hn, gi_link, links, h, out)
    assert torch.allclose(out, reference_gru(gh, b_hn, gi_link, links, h), atol=1e-6, rtol=0)


def test_compiled_step_only_for_float32_cpu_without_autograd() -> None:
    x = torch.zeros(3, 2)
    with torch.no_grad():
        assert usable(x)
        assert not usable(x.double())
        assert not usable(torch.zeros(2, 3).t())
    assert not usable(x)  # autograd on


def test_float64_network_takes_the_torch_path_and_agrees(labelled) -> None:
    samples = labelled(2, n=6)
    net, batch, xp, xl, plan = setup_inputs(samples, iterations=3)
    with torch.no_grad():
        y32 = net(xp, xl, plan)
        y64 = net.double()(xp.double(), xl.double(), plan)
    for h in net.heads:
        assert y64[h].dtype == torch.float64
        assert torch.allclose(y64[h].float(), y32[h], atol=1e-4)


def test_no_grad_aggregation_equals_index_add(labelled) -> None:
    batch = collate(labelled(3, n=7))
    plan = RoutingPlan.from_batch(batch)
    messages = torch.randn(int(batch.path_length.sum()), 5, generator=torch.Generator().manual_seed(1))
    want = torch.zeros(plan.n_links, 5).index_add(0, plan.edge_links, messages)
    net, _ = setup_net(labelled(1))
    with torch.no_grad():
        got = net.networks[0].aggregate(messages, plan)
    assert plan.link_sum.layout == torch.sparse_csr  # built with its invariants checked
    assert plan.link_sum.shape == (plan.n_links, messages.shape[0])
    assert torch.allclose(got, want, atol=1e-6)


def readout_setup(labelled, seed: int):
    """A dropout-0.3 network, random path states for its batch, and its three readout layers."""
    samples = labelled(2, n=6)
    net, _ = setup_net(samples, dropout=0.3)
    rn = net.networks[0]
    h = torch.randn(int(collate(samples).n_paths), rn.path_dim, generator=torch.Generator().manual_seed(seed))
    return rn, h, (rn.readout1, rn.readout2, rn.readout_out)


def test_blocked_readout_draws_the_same_dropout_masks(labelled) -> None:
    rn, h, layers = readout_setup(labelled, seed=5)

    def sample(block: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(9)
        with torch.no_grad():
            return readout_no_grad(h, *layers, 0.3, True, gen, Workspace(), block=block)

    rn.train()
    autograd = rn.readout(h, sample=True, generator=torch.Generator().manual_seed(9)).detach()
    assert torch.allclose(sample(7), sample(10**6), atol=1e-6)
    assert torch.allclose(sample(7), autograd, atol=1e-5)  # the training path draws the same masks
    with torch.no_grad():
        plain = readout_no_grad(h, *layers, 0.3, False, None, Workspace())
    assert not torch.allclose(sample(7), plain, atol=1e-3)


def test_blocked_readout_equals_one_block(labelled) -> None:
    rn, h, layers = readout_setup(labelled, seed=2)
    with torch.no_grad():
        whole = readout_no_grad(h, *layers, 0.3, False, None, Workspace(), block=10**6)
        blocks = readout_no_grad(h, *layers, 0.3, False, None, Workspace(), block=7)
        want = rn.readout_out(torch.cat([torch.selu(rn.readout2(torch.selu(rn.readout1(h)))), h], 1))
    assert torch.allclose(blocks, whole, atol=1e-6)
    assert torch.allclose(whole, want, atol=1e-5)
