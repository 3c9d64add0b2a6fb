"""Input features, delay normalisation and the fitted scaler."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from kplane.datasets import collate
from kplane.errors import FormatError, InvalidParameterError, NotFittedError
from kplane.network import Traffic
from kplane.routenet import FEATURE_SETS, FeatureScaler, FeatureSpec, delay_reference, raw_features


def scaled(sc, k: float):
    """All capacities and rates × k: the same network in another unit of time."""
    t = sc.traffic
    topo = sc.topology.replace(capacity=sc.topology.capacity * k)
    return sc.replace(topology=topo, traffic=Traffic(rate=t.rate * k, packet_sizes=t.packet_sizes))


def test_scale_free_features_do_not_change_with_the_time_unit(make_scenario) -> None:
    sc = make_scenario(7, 2)
    spec = FEATURE_SETS["scale_free"]
    b1, b2 = collate([(sc, None)]), collate([(scaled(sc, 1000.0), None)])
    p1, l1 = raw_features(b1, spec)
    p2, l2 = raw_features(b2, spec)
    assert torch.allclose(p1, p2, rtol=1e-9, atol=1e-12)
    assert torch.allclose(l1, l2, rtol=1e-9, atol=1e-12)
    s1, _ = delay_reference(b1, spec)
    s2, _ = delay_reference(b2, spec)
    assert torch.allclose(s2 * 1000.0, s1, rtol=1e-12)
    # the paper's features are tied to the scale
    q1, _ = raw_features(b1, FEATURE_SETS["paper"])
    q2, _ = raw_features(b2, FEATURE_SETS["paper"])
    assert torch.allclose(q2, q1 * 1000.0)


def test_feature_values_by_hand(make_scenario) -> None:
    sc = make_scenario(5, 0)
    b = collate([(sc, None)])
    spec = FeatureSpec(
        path=("load_to_bottleneck", "hops", "size_scv", "log_tx_time_rel"),
        link=("utilisation", "queue_size", "log_tx_time_rel", "capacity"),
        target="transmission_time",
    )
    xp, xl = raw_features(b, spec)
    r = sc.routing
    i = int(np.argmax(r.hops))
    links = r.path(i)
    cap = sc.topology.capacity
    assert xp[i, 0].item() == pytest.approx(sc.path_rate()[i] / cap[links].min())
    assert xp[i, 1].item() == r.hops[i]
    assert xp[i, 2].item() == pytest.approx(0.49)  # 300/1700 bits, 1/2 each: E[S²]/E[S]² − 1
    assert torch.allclose(xl[:, 0], torch.from_numpy(sc.utilisation()))
    assert (xl[:, 1] == 32).all()
    log_ref = np.log(1000.0 / cap).mean()
    tau = (1000.0 / cap[links]).sum()
    assert xp[i, 3].item() == pytest.approx(math.log(tau) - log_ref)
    assert torch.allclose(xl[:, 2], torch.from_numpy(np.log(1000.0 / cap) - log_ref))
    scale, offset = delay_reference(b, spec)
    assert scale[i].item() == pytest.approx(tau) and (offset == 0).all()


def test_scaler_fit_transform_round_trip(labelled) -> None:
    batches = [collate(labelled(2, seed0=0)), collate(labelled(3, seed0=2))]
    sc = FeatureScaler(FEATURE_SETS["scale_free"]).fit(batches)
    xp, xl = sc.transform(batches[0])
    assert xp.dtype == torch.float32 and xp.shape == (batches[0].n_paths, 4) and xl.shape[1] == 4
    # z-scores over all training batches: mean 0, std 1 (constant columns stay 0)
    allp = torch.cat([sc.transform(b)[0] for b in batches]).double()
    assert torch.allclose(allp.mean(0)[:3], torch.zeros(3, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(allp.std(0, unbiased=False)[:3], torch.ones(3, dtype=torch.float64), atol=1e-5)
    assert allp[:, 3].abs().max() < 1e-9  # size_scv is constant here
    assert sc.ranges_["hops"][0] == 1 and sc.ranges_["n_nodes"] == [6.0, 6.0]
    again = FeatureScaler.from_dict(sc.to_dict())
    assert torch.equal(again.transform(batches[1])[1], sc.transform(batches[1])[1])
    assert again.delay_mean_ == sc.delay_mean_ and again.ranges_ == sc.ranges_


def test_scaler_errors(labelled, make_scenario) -> None:
    spec = FEATURE_SETS["paper"]
    with pytest.raises(NotFittedError, match="not fitted"):
        FeatureScaler(spec).transform(collate(labelled(1)))
    with pytest.raises(InvalidParameterError, match="no path with a usable delay label"):
        FeatureScaler(spec).fit([collate([(make_scenario(), None)])])
    with pytest.raises(InvalidParameterError, match="at least one batch"):
        FeatureScaler(spec).fit([])


def test_feature_spec_validation() -> None:
    with pytest.raises(InvalidParameterError, match="unknown path feature 'colour'"):
        FeatureSpec(path=("colour",), link=("capacity",), target="seconds")
    with pytest.raises(InvalidParameterError, match="unknown target mode"):
        FeatureSpec(path=("hops",), link=("capacity",), target="minutes")
    with pytest.raises(InvalidParameterError, match="unknown feature set 'fancy'"):
        FeatureSpec.named("fancy")
    # a checkpoint naming a feature this kplane cannot compute is a format error, not a crash
    with pytest.raises(FormatError, match="needs an input this kplane cannot compute"):
        FeatureSpec.from_dict({"path": ["hops", "ecn_marks"], "link": ["capacity"], "target": "seconds"})
    with pytest.raises(FormatError, match="lacks 'target'"):
        FeatureSpec.from_dict({"path": ["hops"], "link": ["capacity"]})


def test_propagation_delay_is_an_offset(make_scenario) -> None:
    sc = make_scenario(5, 1)
    topo = sc.topology.replace(propagation_delay=np.full(sc.topology.n_links, 0.01))
    b = collate([(sc.replace(topology=topo), None)])
    _, offset = delay_reference(b, FEATURE_SETS["scale_free"])
    assert torch.allclose(offset, b.path_length.double() * 0.01)
    _, offset_paper = delay_reference(b, FEATURE_SETS["paper"])
    assert (offset_paper == 0).all()
