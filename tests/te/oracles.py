"""Independent reference implementations for the TE tests (loops and textbook formulas, no kplane maths)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, linprog, milp

from kplane.network import Topology
from kplane.te import ScenarioSet, TEInstance, TunnelSet


# ------------------------------------------------------------------ tiny instances
def triangle(demand=(10.0, 10.0), cap=10.0, probs=(0.9, 0.05, 0.03, 0.02)) -> TEInstance:
    """Nodes a, b, c; links both ways; flows a→b and a→c with a direct and a two-hop tunnel.

    Scenarios: healthy, a↔b down, a↔c down, b↔c down.
    """
    topo = Topology.from_edges(
        ["a", "b", "c"],
        [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)],
        capacity=np.broadcast_to(cap, (6,)).copy(),
    )
    ab, ba, ac, ca, bc, cb = range(6)
    tun = TunnelSet.from_paths({(0, 1): [[ab], [ac, cb]], (0, 2): [[ac], [ab, bc]]})
    fe = [[], [ab, ba], [ac, ca], [bc, cb]]
    scen = ScenarioSet.from_failed_edges(topo, tun, fe, list(probs))
    return TEInstance(topo, tun, np.asarray(demand, float), scen, name="triangle")


def random_instance(seed: int, n_nodes: int = 5, n_scen: int = 6, k: int = 2, n_flows: int = 4) -> TEInstance:
    """A random connected graph, ``k`` shortest tunnels for a few flows, random failure sets."""
    from kplane.te import k_shortest_tunnels

    rng = np.random.default_rng(seed)
    edges = {(i, (i + 1) % n_nodes) for i in range(n_nodes)}
    for _ in range(n_nodes):
        u, v = rng.choice(n_nodes, 2, replace=False)
        edges.add((int(u), int(v)))
    und = sorted({(min(u, v), max(u, v)) for u, v in edges})
    links = [e for u, v in und for e in ((u, v), (v, u))]
    topo = Topology.from_edges(
        [str(i) for i in range(n_nodes)], links, capacity=rng.choice([5.0, 10.0, 20.0], size=len(links))
    )
    pairs = []
    while len(pairs) < n_flows:
        s, d = (int(v) for v in rng.choice(n_nodes, 2, replace=False))
        if (s, d) not in pairs:
            pairs.append((s, d))
    tun = k_shortest_tunnels(topo, k, pairs=np.asarray(pairs))
    fe = [[]]
    for _ in range(n_scen - 1):
        j = int(rng.integers(len(und)))
        fe.append([2 * j, 2 * j + 1])
    p = rng.random(n_scen) + 0.2
    p[0] += 3.0
    scen = ScenarioSet.from_failed_edges(topo, tun, fe, p / p.sum())
    demand = rng.choice([0.0, 4.0, 8.0, 15.0], size=tun.n_flows, p=[0.15, 0.3, 0.3, 0.25])
    if not (demand > 0).any():
        demand[0] = 5.0
    return TEInstance(topo, tun, demand, scen, name=f"random{seed}")


# ------------------------------------------------------------------ textbook objective formulas
def losses(inst: TEInstance, x: np.ndarray) -> np.ndarray:
    """ℓ[f, q] by loops (0 for zero-demand flows)."""
    out = np.zeros((inst.n_flows, inst.n_scenarios))
    for f in range(inst.n_flows):
        if inst.demand[f] <= 0:
            continue
        for q in range(inst.n_scenarios):
            got = sum(x[t] for t in inst.tunnels.tunnels_of(f) if inst.scenarios.survival[q, t])
            out[f, q] = max(0.0, 1.0 - got)
    return out


def var(values: np.ndarray, prob: np.ndarray, beta: float) -> float:
    """min{l among the values : P(value <= l) >= β}."""
    cands = sorted(set(values.tolist()))
    for c in cands:
        if prob[values <= c].sum() >= beta - 1e-9:
            return float(c)
    return float(cands[-1])


def cvar(values: np.ndarray, prob: np.ndarray, beta: float) -> float:
    """Rockafellar–Uryasev: min over α of α + E[(L − α)+] / (1 − β), α ranging over the values."""
    return float(min(a + (prob * np.maximum(values - a, 0.0)).sum() / (1 - beta) for a in values))


def objective(
    inst: TEInstance, x: np.ndarray, name: str, beta: float = 0.99, form: str = "mean", aggregate: str = "max"
) -> float:
    lo = losses(inst, x)
    act = inst.demand > 0
    p = inst.scenarios.prob
    scen = lo[act].mean(axis=0) if form == "mean" else lo[act].max(axis=0)
    if name == "ffc":
        return float(scen.max())
    if name == "teavar":
        return cvar(scen, p, beta)
    if name == "expected":
        return float((p * scen).sum())
    if name == "nominal":
        return float(scen[0])
    if name == "quantile":
        per = [var(lo[f], p, beta) for f in np.flatnonzero(act)]
        return float(max(per)) if aggregate == "max" else float(np.mean(per))
    raise ValueError(name)


def grid_losses(inst: TEInstance, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every capacity-feasible allocation on a grid of split ratios and its losses ``(N, F_active, Q)``."""
    vals = np.linspace(0.0, 1.0, int(round(1 / step)) + 1)
    X = np.stack(np.meshgrid(*([vals] * inst.n_tunnels), indexing="ij"), axis=-1).reshape(-1, inst.n_tunnels)
    inc = inst.incidence.toarray()
    X = X[((X * inst.tunnel_demand) @ inc.T <= inst.topology.capacity + 1e-9).all(axis=1)]
    y = inst.scenarios.survival
    cols = [list(inst.tunnels.tunnels_of(f)) for f in np.flatnonzero(inst.demand > 0)]
    lo = np.stack([np.maximum(0.0, 1.0 - X[:, c] @ y[:, c].T) for c in cols], axis=1)
    return X, lo


def grid_minimum(
    inst: TEInstance,
    name: str,
    step: float = 0.05,
    beta: float = 0.99,
    form: str = "mean",
    aggregate: str = "max",
    grid: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """Brute force: the best capacity-feasible allocation on a grid of split ratios (vectorised).

    CVaR by the Rockafellar–Uryasev minimum over α ∈ the loss values, VaR by its definition.
    """
    X, lo = grid_losses(inst, step) if grid is None else grid
    p = inst.scenarios.prob
    scen = lo.mean(axis=1) if form == "mean" else lo.max(axis=1)  # (N, Q)
    if name == "ffc":
        v = scen.max(axis=1)
    elif name == "expected":
        v = scen @ p
    elif name == "nominal":
        v = scen[:, 0]
    elif name == "teavar":
        ex = np.maximum(scen[:, None, :] - scen[:, :, None], 0.0) @ p  # (N, α index)
        v = (scen + ex / (1 - beta)).min(axis=1)
    elif name == "quantile":
        cov = ((lo[:, :, None, :] <= lo[:, :, :, None] + 1e-12) * p).sum(axis=-1)  # (N, F, cand)
        per = np.where(cov >= beta - 1e-9, lo, np.inf).min(axis=-1)  # (N, F)
        v = per.max(axis=1) if aggregate == "max" else per.mean(axis=1)
    else:
        raise ValueError(name)
    i = int(np.argmin(v))
    return float(v[i]), X[i]


# ------------------------------------------------------------------ per-(flow, scenario) reference models
def reference_lp(inst: TEInstance, name: str, beta: float = 0.99, form: str = "mean") -> tuple[float, object]:
    """The textbook LP with one loss variable per (flow, scenario), solved by scipy's linprog."""
    act = np.flatnonzero(inst.demand > 0)
    T, Q, F = inst.n_tunnels, inst.n_scenarios, act.size
    p = inst.scenarios.prob
    nl = F * Q
    extra = {"ffc": 1, "teavar": 1 + Q, "expected": 0, "nominal": 0}[name]
    n = T + nl + extra
    c = np.zeros(n)
    rows, rhs = [], []

    def ell(i: int, q: int) -> int:
        return T + i * Q + q

    inc = inst.incidence.toarray()
    for e in range(inst.topology.n_links):  # capacity
        r = np.zeros(n)
        r[:T] = inc[e] * inst.tunnel_demand
        rows.append(r)
        rhs.append(inst.topology.capacity[e])
    for i, f in enumerate(act):  # -ℓ - Σ x y <= -1
        for q in range(Q):
            r = np.zeros(n)
            r[ell(i, q)] = -1
            for t in inst.tunnels.tunnels_of(f):
                r[t] = -float(inst.scenarios.survival[q, t])
            rows.append(r)
            rhs.append(-1.0)
    w = 1.0 / F
    if name == "expected":
        for i in range(F):
            for q in range(Q):
                c[ell(i, q)] = w * p[q]
    elif name == "nominal":
        for i in range(F):
            c[ell(i, 0)] = w
    elif name == "ffc":
        z = T + nl
        c[z] = 1
        for q in range(Q):
            if form == "mean":
                r = np.zeros(n)
                r[z] = -1
                for i in range(F):
                    r[ell(i, q)] = w
                rows.append(r)
                rhs.append(0.0)
            else:
                for i in range(F):
                    r = np.zeros(n)
                    r[z] = -1
                    r[ell(i, q)] = 1
                    rows.append(r)
                    rhs.append(0.0)
    elif name == "teavar":
        a = T + nl
        c[a] = 1
        for q in range(Q):
            s = a + 1 + q
            c[s] = p[q] / (1 - beta)
            terms = (
                [[(ell(i, q), w) for i in range(F)]]
                if form == "mean"
                else [[(ell(i, q), 1.0)] for i in range(F)]
            )
            for term in terms:
                r = np.zeros(n)
                r[s] = -1
                r[a] = -1
                for j, v in term:
                    r[j] = v
                rows.append(r)
                rhs.append(0.0)
    bounds = (
        [(0, None)] * T + [(0, 1)] * nl + [(None, None)] * min(extra, 1) + [(0, None)] * max(extra - 1, 0)
    )
    res = linprog(c, A_ub=np.asarray(rows), b_ub=np.asarray(rhs), bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun), res


def reference_quantile_milp(inst: TEInstance, beta: float, aggregate: str = "max") -> float:
    """Per-(flow, scenario) quantile MILP by scipy.optimize.milp."""
    act = np.flatnonzero(inst.demand > 0)
    T, Q, F = inst.n_tunnels, inst.n_scenarios, act.size
    p = inst.scenarios.prob
    na = 1 if aggregate == "max" else F
    n = T + 2 * F * Q + na
    L0, Z0, A0 = T, T + F * Q, T + 2 * F * Q
    c = np.zeros(n)
    c[A0:] = 1.0 / na
    A, lo, hi = [], [], []
    inc = inst.incidence.toarray()
    for e in range(inst.topology.n_links):
        r = np.zeros(n)
        r[:T] = inc[e] * inst.tunnel_demand
        A.append(r), lo.append(-np.inf), hi.append(inst.topology.capacity[e])
    for i, f in enumerate(act):
        cov = np.zeros(n)
        for q in range(Q):
            r = np.zeros(n)
            r[L0 + i * Q + q] = 1
            for t in inst.tunnels.tunnels_of(f):
                r[t] = float(inst.scenarios.survival[q, t])
            A.append(r), lo.append(1.0), hi.append(np.inf)
            r = np.zeros(n)  # α - ℓ - z >= -1
            r[A0 + (0 if na == 1 else i)] = 1
            r[L0 + i * Q + q] = -1
            r[Z0 + i * Q + q] = -1
            A.append(r), lo.append(-1.0), hi.append(np.inf)
            cov[Z0 + i * Q + q] = p[q]
        A.append(cov), lo.append(beta - 1e-9), hi.append(np.inf)
    integrality = np.zeros(n)
    integrality[Z0:A0] = 1
    ub = np.concatenate([np.full(T, np.inf), np.ones(2 * F * Q + na)])
    from scipy.optimize import Bounds

    res = milp(
        c,
        constraints=LinearConstraint(sp.csr_matrix(np.asarray(A)), lo, hi),
        integrality=integrality,
        bounds=Bounds(np.zeros(n), ub),
        options={"mip_rel_gap": 1e-9},
    )
    assert res.status == 0, res.message
    return float(res.fun)
