"""``simulationResults.txt`` and ``flowSimulationResults.txt`` lines: the per-pair (per-flow) labels.

Eleven fields per entry: AvgBw (kbit/tu), PktsGen and PktsDrop (packets/tu), AvgDelay, AvgLnDelay,
p10, p20, p50, p80, p90 (tu) and Jitter (tu²). An exact ``-1`` is "no value" (NaN); without a mean
delay every delay label of the entry is NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kplane.network.io._datanet_parse import RESULT_FIELDS, Where, _entries, _nonneg, _number, _split_body

__all__ = ["ResultsRow", "parse_flow_results_line", "parse_results_line"]


@dataclass
class ResultsRow:
    """One ``simulationResults.txt`` line in SI units; ``values[:, k]`` is field k, (n·n, 11)."""

    global_results: tuple[float, float, float]
    values: NDArray[np.float64] = field(repr=False)


def _result_fields(entry: str, where: Where, fld: str, offdiag: bool) -> list[float]:
    f = entry.split(",")
    if len(f) != len(RESULT_FIELDS):
        raise where.error(f"expected {len(RESULT_FIELDS)} fields {', '.join(RESULT_FIELDS)}, got "
                          f"{len(f)}", fld)
    if not offdiag:
        for tok in f:
            _number(tok, where, fld)
        return [math.nan] * len(RESULT_FIELDS)
    out = [_nonneg(tok, where, f"{fld} {name}", mask=True) if k != 4 else math.nan
           for k, (tok, name) in enumerate(zip(f, RESULT_FIELDS, strict=True))]
    ln = _number(f[4], where, f"{fld} AvgLnDelay")  # may be negative; exactly -1 = no value
    out[4] = math.nan if ln == -1 else ln
    pk, dr, dl, ln = out[1], out[2], out[3], out[4]
    if dr > pk * (1 + 1e-5) + 1e-12:
        raise where.error(f"PktsDrop {f[2]} exceeds PktsGen {f[1]}", f"{fld} PktsDrop")
    pct = out[5:10]
    for a, b, name in zip(pct[:-1], pct[1:], RESULT_FIELDS[6:10], strict=True):
        if b < a - 1e-6 * abs(a):
            raise where.error(f"delay percentiles must not decrease, {name} = {b:g} < {a:g}", f"{fld} {name}")
    if math.isnan(dl):
        out[4:11] = [math.nan] * 7  # no mean delay: the delay labels are masked
    elif dl > 0 and not math.isnan(ln) and ln > math.log(dl) + 1e-4:
        raise where.error(f"AvgLnDelay {ln:g} exceeds ln(AvgDelay) = {math.log(dl):g} (impossible)",
                          f"{fld} AvgLnDelay")
    return out


def parse_results_line(line: str, n: int, where: Where) -> ResultsRow:
    """``global_packets,global_losses,global_delay|e;e;...;`` with 11 fields per pair.

    Returned values are in SI units: AvgBw kbit/tu → bit/s (×1000); packets and drops stay rates
    (per second); delays in s, jitter in s²; masked (-1) values are NaN.
    """
    head, entries = _split_body(line, where, n * n, "result")
    g = head.split(",")
    if len(g) != 3:
        raise where.error(f"expected 'global_packets,global_losses,global_delay', got {head!r}", "global")
    glob = tuple(_nonneg(t, where, name, mask=True)
                 for t, name in zip(g, ("global_packets", "global_losses", "global_delay"), strict=True))
    values = _fast_results(entries, n)
    if values is None:
        values = np.full((n * n, len(RESULT_FIELDS)), np.nan)
        for idx, entry in enumerate(entries):
            s, d = divmod(idx, n)
            values[idx] = _result_fields(entry, where, f"pair {s}→{d}", s != d)
    values[:, 0] *= 1000.0
    return ResultsRow(global_results=glob, values=values)  # type: ignore[arg-type]


def _fast_results(entries: list[str], n: int) -> NDArray[np.float64] | None:
    """Vectorised version of :func:`_result_fields` over a whole line; None when any entry fails a
    check (the field-by-field parser then raises the precise error)."""
    width = len(RESULT_FIELDS)
    if any(e.count(",") != width - 1 for e in entries):
        return None
    try:
        v = np.array(list(map(float, ",".join(entries).split(","))), dtype=float).reshape(n * n, width)
    except ValueError:
        return None
    if not np.isfinite(v).all():
        return None
    off = ~np.eye(n, dtype=bool).ravel()
    x = v[off]
    labels = np.delete(x, 4, axis=1)
    if ((labels < 0) & (labels != -1)).any():
        return None
    x[x == -1] = np.nan
    pk, dr, dl, ln = x[:, 1], x[:, 2], x[:, 3], x[:, 4]
    pct = x[:, 5:10]
    with np.errstate(invalid="ignore", divide="ignore"):
        if (dr > pk * (1 + 1e-5) + 1e-12).any():
            return None
        if (pct[:, 1:] < pct[:, :-1] - 1e-6 * np.abs(pct[:, :-1])).any():
            return None
        masked = np.isnan(dl)
        log_dl = np.log(np.where(dl > 0, dl, 1.0))
        if (~masked & (dl > 0) & ~np.isnan(ln) & (ln > log_dl + 1e-4)).any():
            return None
    x[masked, 4:] = np.nan
    out = np.full((n * n, width), np.nan)
    out[off] = x
    return out


def parse_flow_results_line(line: str, n: int, n_flows: NDArray[np.int64], where: Where) -> dict[str, Any]:
    """A ``flowSimulationResults.txt`` line: the 11 result fields per flow (flows split by ``:``)."""
    body = line.split("|")[-1]
    entries = _entries(body, where, n * n, "flow result")
    pairs, rows = [], []
    for idx, entry in enumerate(entries):
        s, d = divmod(idx, n)
        flows = entry.split(":")
        expect = max(1, int(n_flows[s, d]))
        if len(flows) != expect:
            raise where.error(f"expected {expect} flow(s) as in traffic.txt, got {len(flows)}",
                              f"pair {s}→{d}")
        for j, flow in enumerate(flows):
            vals = _result_fields(flow, where, f"pair {s}→{d} flow {j}", s != d and n_flows[s, d] > 0)
            if s != d and n_flows[s, d] > 0:
                pairs.append((s, d))
                rows.append(vals)
    arr = np.array(rows, dtype=float).reshape(-1, len(RESULT_FIELDS))
    return {"pairs": np.array(pairs, dtype=np.int64).reshape(-1, 2), "measured_rate": arr[:, 0] * 1000.0,
            "packet_rate": arr[:, 1], "drop_rate": arr[:, 2], "mean_delay": arr[:, 3],
            "mean_log_delay": arr[:, 4], "percentiles": arr[:, 5:10], "jitter": arr[:, 10]}
