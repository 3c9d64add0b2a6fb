"""RouteNet forward pass: shapes, invariances, the no-grad fast path, parameter validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kplane.datasets import collate
from kplane.errors import InvalidParameterError
from kplane.network import Routing, Scenario, Topology
from kplane.routenet import FEATURE_SETS, FeatureScaler, RouteNet, RouteNetMultiHead, RoutingPlan

from .conftest import SMALL


def setup_net(samples, heads=(("normal", "binomial"),), seed=0, **hp):
    batch = collate(samples)
    scaler = FeatureScaler(FEATURE_SETS["scale_free"]).fit([batch])
    torch.manual_seed(seed)
    net = RouteNetMultiHead(heads=heads, path_features=4, link_features=4, **{**SMALL, **hp}).eval()
    return net, scaler


def setup_inputs(samples, **kw):
    """``setup_net`` plus the collated batch, its scaled features and its routing plan."""
    net, scaler = setup_net(samples, **kw)
    batch = collate(samples)
    xp, xl = scaler.transform(batch)
    return net, batch, xp, xl, RoutingPlan.from_batch(batch)


def outputs(net, scaler, scenarios):
    batch = collate([(s, None) for s in scenarios])
    xp, xl = scaler.transform(batch)
    with torch.no_grad():
        out = net(xp, xl, RoutingPlan.from_batch(batch))
    return torch.cat([out[h] for h in net.heads], dim=1), batch


def permute_paths(sc: Scenario, perm: np.ndarray) -> Scenario:
    r = sc.routing
    seqs = [r.path(i) for i in perm]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
    return sc.replace(routing=Routing(pairs=r.pairs[perm], link_ids=np.concatenate(seqs), offsets=offsets))


def relabel_links(sc: Scenario, perm: np.ndarray) -> Scenario:
    """New link j is old link perm[j]."""
    t = sc.topology
    inv = np.empty_like(perm)
    inv[perm] = np.arange(len(perm))
    topo = Topology(
        node_names=t.node_names,
        links=t.links[perm],
        capacity=t.capacity[perm],
        queue_size=t.queue_size[perm],
        propagation_delay=t.propagation_delay[perm],
        name=t.name,
    )
    r = sc.routing
    return Scenario(topo, Routing(pairs=r.pairs, link_ids=inv[r.link_ids], offsets=r.offsets), sc.traffic)


def test_plan_sorts_paths_and_slices_hops(make_scenario) -> None:
    batch = collate([(make_scenario(7, 1, density=0.3), None)])
    plan = RoutingPlan.from_batch(batch)
    lengths = batch.path_length[plan.perm]
    assert (lengths[:-1] >= lengths[1:]).all()
    assert plan.hop_sizes == [int((batch.path_length > k).sum()) for k in range(batch.max_hops)]
    assert torch.equal(plan.perm[plan.inv_perm], torch.arange(batch.n_paths))
    for k, links in enumerate(plan.hop_links):
        assert torch.equal(links, batch.path_links[plan.perm][: plan.hop_sizes[k], k])
    assert plan.edge_links.shape[0] == int(batch.path_length.sum())
    # the message sum reaches exactly the links the edge list names
    assert torch.equal(
        torch.bincount(plan.edge_links, minlength=batch.n_links),
        torch.bincount(batch.edge_link, minlength=batch.n_links),
    )


def test_shapes(labelled) -> None:
    samples = labelled(2)
    net, batch, xp, xl, plan = setup_inputs(samples, heads=(("normal", "gamma"), ("binomial",)))
    out = net(xp, xl, plan)
    assert out["normal"].shape == (batch.n_paths, 2)
    assert out["gamma"].shape == (batch.n_paths, 2)
    assert out["binomial"].shape == (batch.n_paths, 1)
    states = net.encode(xp, xl, plan)
    assert len(states) == 2 and states[0].shape == (batch.n_paths, SMALL["path_dim"])
    h_p, h_l = net.nets[0].initial_states(xp, xl)
    assert h_p.shape == (batch.n_paths, SMALL["path_dim"]) and h_l.shape == (batch.n_links, SMALL["link_dim"])
    assert torch.equal(h_p[:, :4], xp) and (h_p[:, 4:] == 0).all()
    msg_state, messages = net.nets[0].message(h_p, h_l, plan)
    assert messages.shape == (int(batch.path_length.sum()), SMALL["path_dim"])
    assert net.nets[0].aggregate(messages, plan).shape == (batch.n_links, SMALL["path_dim"])


def test_invariant_to_path_order(labelled, make_scenario) -> None:
    net, scaler = setup_net(labelled(2), iterations=3)
    sc = make_scenario(7, 3, density=0.35)
    perm = np.random.default_rng(0).permutation(sc.n_paths)
    y, _ = outputs(net, scaler, [sc])
    y_perm, _ = outputs(net, scaler, [permute_paths(sc, perm)])
    assert torch.allclose(y_perm, y[perm], atol=1e-5)


def test_invariant_to_link_relabelling(labelled, make_scenario) -> None:
    net, scaler = setup_net(labelled(2), iterations=3)
    sc = make_scenario(7, 4, density=0.35)
    perm = np.random.default_rng(1).permutation(sc.topology.n_links)
    y, _ = outputs(net, scaler, [sc])
    y_rel, _ = outputs(net, scaler, [relabel_links(sc, perm)])
    assert torch.allclose(y_rel, y, atol=1e-5)


def test_batching_invariance(labelled, make_scenario) -> None:
    net, scaler = setup_net(labelled(2))
    a, b = make_scenario(6, 10), make_scenario(8, 11, density=0.3)
    both, batch = outputs(net, scaler, [a, b])
    ya, _ = outputs(net, scaler, [a])
    yb, _ = outputs(net, scaler, [b])
    n_a = a.n_paths
    assert torch.allclose(both[:n_a], ya, atol=1e-5)
    assert torch.allclose(both[n_a:], yb, atol=1e-5)


def test_no_grad_path_matches_autograd_path(labelled) -> None:
    samples = labelled(3, n=7)
    net, batch, xp, xl, plan = setup_inputs(samples, iterations=4)
    with torch.no_grad():
        fast = net(xp, xl, plan)
    slow = net(xp, xl, plan)
    for h in net.heads:
        assert slow[h].requires_grad
        assert torch.allclose(fast[h], slow[h].detach(), atol=1e-5)


def test_dropout_only_when_training_or_sampling(labelled) -> None:
    samples = labelled(1)
    net, batch, xp, xl, plan = setup_inputs(samples, dropout=0.5)
    with torch.no_grad():
        states = net.encode(xp, xl, plan)
        a = net.readout(states)["normal"]
        b = net.readout(states)["normal"]
        g1 = net.readout(states, sample=True, generator=torch.Generator().manual_seed(3))["normal"]
        g2 = net.readout(states, sample=True, generator=torch.Generator().manual_seed(3))["normal"]
        g3 = net.readout(states, sample=True, generator=torch.Generator().manual_seed(4))["normal"]
    assert torch.equal(a, b)
    assert torch.equal(g1, g2) and not torch.equal(g1, g3) and not torch.equal(a, g1)


def test_backward_reaches_every_parameter(labelled) -> None:
    samples = labelled(2)
    net, _, xp, xl, plan = setup_inputs(samples, heads=(("normal",), ("binomial",)))
    net.train()
    out = net(xp, xl, plan, generator=torch.Generator().manual_seed(0))
    (sum(o.sum() for o in out.values()) + net.l2_penalty(0.1, 0.01)).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"path_dim": 0}, "path_dim must be an integer >= 1"),
        ({"iterations": 1.5}, "iterations must be an integer"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"path_features": 40}, "input features must fit in the states"),
    ],
)
def test_bad_hyper_parameters(kw: dict, match: str) -> None:
    args = {"path_features": 4, "link_features": 4, "n_outputs": 2, **kw}
    with pytest.raises(InvalidParameterError, match=match):
        RouteNet(**args)


@pytest.mark.parametrize(
    ("heads", "match"),
    [
        ([["normal"], ["normal"]], "each head may appear once"),
        ([["poisson"]], "unknown head 'poisson'"),
        ([[]], "non-empty groups"),
    ],
)
def test_bad_heads(heads, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        RouteNetMultiHead(heads=heads, path_features=1, link_features=1)


def literal_algorithm_1(net: RouteNet, xp: torch.Tensor, xl: torch.Tensor, batch) -> torch.Tensor:
    """Algorithm 1 written literally: Python loops over paths and links, torch's own GRUCell."""
    h_p, h_l = net.initial_states(xp, xl)
    paths = [batch.path_links[i][batch.path_mask[i]].tolist() for i in range(batch.n_paths)]
    for _ in range(net.iterations):
        new_p, m = [], torch.zeros(batch.n_links, net.path_dim)
        for i, links in enumerate(paths):
            h = h_p[i : i + 1]
            for link in links:
                h = net.path_rnn(h_l[link : link + 1], h)
                m[link] += h[0]
            new_p.append(h)
        h_p = torch.cat(new_p)
        h_l = net.link_update(m, h_l)
    return h_p


def test_message_takes_and_returns_the_batch_order(labelled) -> None:
    samples = labelled(2, n=6)
    net, batch, xp, xl, plan = setup_inputs(samples, iterations=1)
    rn = net.networks[0]
    assert not torch.equal(plan.perm, torch.arange(batch.n_paths))  # the test needs a real reordering
    h_p, h_l = rn.initial_states(xp, xl)
    h_p = h_p + 0.1 * torch.randn(h_p.shape, generator=torch.Generator().manual_seed(0))
    want = []
    for i in range(batch.n_paths):  # the path GRU of path i, literally
        h = h_p[i : i + 1]
        for link in batch.path_links[i][batch.path_mask[i]].tolist():
            h = rn.path_rnn(h_l[link : link + 1], h)
        want.append(h)
    got, _ = rn.message(h_p, h_l, plan)
    assert torch.allclose(got, torch.cat(want), atol=1e-5)


def test_vectorised_model_equals_the_literal_algorithm(labelled) -> None:
    samples = labelled(2, n=6)
    net, batch, xp, xl, plan = setup_inputs(samples, iterations=3)
    want = literal_algorithm_1(net.networks[0], xp, xl, batch)
    with torch.no_grad():
        fast = net.networks[0].encode(xp, xl, plan)
        slow = literal_algorithm_1(net.networks[0], xp, xl, batch)
    got = net.networks[0].encode(xp, xl, plan)
    assert torch.allclose(got, want, atol=1e-5)
    assert torch.allclose(fast, slow, atol=1e-5)
