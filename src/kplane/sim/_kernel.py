"""The event loop of the packet-level simulator (numba, compiled once and cached on disk).

Model
-----
- **Sources.** The independent Poisson flows of all paths are merged into one Poisson process of
  rate ``Λ = Σ_p a_p`` (packets/s); each arrival belongs to path ``p`` with probability
  ``a_p / Λ`` (Walker alias table, O(1)). This is the same process in distribution as one
  exponential clock per flow, with one pending event instead of one per flow. The packet size is
  drawn from the path's size distribution (alias table again).
- **Ports.** Link ``l`` is an output port holding at most ``K_l`` packets, the packet in
  transmission included (system capacity; the datanet/OMNeT++ convention, see
  :mod:`kplane.sim`). A packet that finds ``K_l`` packets there is dropped (drop-tail). Service
  is FIFO and work-conserving; a packet of ``s`` bits is transmitted in ``s / c_l`` seconds and
  reaches the next port ``d_l`` seconds (propagation) after its last bit left.
- **FIFO ports by Lindley's recursion.** A FIFO port's departure times are fixed when packets
  join it: ``D_n = max(A_n, D_{n−1}) + s_n / c_l``. The port keeps the departure times of the
  packets it holds in a ring (:mod:`kplane.sim._fifo`); when a packet arrives, the entries
  ``<= A_n`` have left and are discarded, and the remaining count is the occupancy that decides
  the drop. A packet with another hop to go is put in the port's *forward ring* with its arrival
  time at the next port, ``D_n + d_l``; those times are increasing, so each port is one event
  source whose next event is the head of its forward ring. A packet on its last hop needs no
  further event: its delivery time ``D_n + d_l`` is known and recorded at once. Events are
  processed in global time order (:mod:`kplane.sim._clock`), so every port sees its arrivals in
  time order and the recursion is exact. Events per packet = number of hops.
- **Independence mode.** With ``independent_sizes`` a packet's size is drawn again at every hop
  (Kleinrock's independence assumption made exact: with exponential sizes the network is a
  Jackson network). Off by default: a packet keeps its size, as in a real network.
- **Event sources.** The merged arrival process keeps its next time in a scalar; the heap
  (:mod:`kplane.sim._clock`) holds one entry per port with packets to forward (source ``l``:
  the head of port ``l``'s forward ring). The next event is the earlier of the two (a forward
  ring first on a tie).

Measurement
-----------
Packets generated in ``[t_warm, t_end)`` are *measured*: their delivery (end-to-end delay) or drop
is recorded against their path, whenever it happens. Sources keep running after ``t_end`` so that
measured packets still in the network see steady-state conditions; the run stops at the first
event after ``t_end`` at which no measured packet is left. Port statistics cover exactly the
window ``[t_warm, t_end]``: arrivals and drops by arrival time, and the time integrals of the
occupancy and of the busy state as the sum over packets of ``|[A_n, D_n] ∩ window|`` and
``|[D_n − s_n/c_l, D_n] ∩ window|``.

Per path the kernel accumulates counts, shifted sums ``Σ(d − d₀)`` and ``Σ(d − d₀)²`` (``d₀`` =
the path's smallest possible delay, which keeps the variance free of cancellation), ``Σ ln d``,
min, max, a log-spaced delay histogram and per-batch sums for batch means
(:mod:`kplane.sim._measure`). Memory is fixed at build time: nothing grows with simulated time.

State layout
------------
Clock: ``htime, hseq, hsrc, hstate``. ``istate``: ``[n_events, n_packets, measured_in_flight,
phase, n_hops, done]`` with phase 0 = warm-up, 1 = measuring, 2 = draining. ``fstate``: ``[now,
next arrival]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from kplane.sim._clock import clock_pop_root, clock_push, clock_replace_root
from kplane.sim._fifo import fifo_join, forward_pop, forward_push
from kplane.sim._measure import record_delivery
from kplane.sim._rng import rng_exponential
from kplane.sim._source import draw_path, draw_size

__all__ = ["run_kernel", "I_EVENTS", "I_PACKETS", "I_IN_FLIGHT", "I_PHASE", "I_HOPS", "I_DONE"]

I_EVENTS, I_PACKETS, I_IN_FLIGHT, I_PHASE, I_HOPS, I_DONE = range(6)


@njit(cache=True)
def run_kernel(
    until, t_warm, t_end, inv_batch_len, n_batches, n_bins, independent_sizes,
    # network (read-only)
    inv_cap, prop, kcap, dep_off, fwd_off,
    path_off, path_links, path_class, path_ref, path_loglo, path_inv_w,
    flow_path, flow_prob, flow_alias, inv_total_rate,
    size_off, size_val, size_prob, size_alias,
    # state (updated in place)
    rng, istate, fstate, htime, hseq, hsrc, hstate,
    dep_buf, dep_head, dep_len, last_dep,
    fwd_time, fwd_path, fwd_hop, fwd_birth, fwd_size, fwd_head, fwd_len,
    occ_area, busy_area, link_arr, link_drop, link_max,
    p_gen, p_drop, p_stats, p_batch, hist, spill, b_sum, b_cnt,
):
    """Process events with time < ``until``; return True when the run is complete."""
    n_events = istate[I_EVENTS]
    n_packets = istate[I_PACKETS]
    in_flight = istate[I_IN_FLIGHT]
    phase = istate[I_PHASE]
    n_hops = istate[I_HOPS]
    done = istate[I_DONE] != 0
    t = fstate[0]
    t_arr = fstate[1]

    while not done:
        # the next event: the merged source's next arrival, or the earliest forward ring
        if hstate[0] > 0 and htime[0] <= t_arr:
            e = hsrc[0]
            t = htime[0]
        elif t_arr < np.inf:
            e = -1
            t = t_arr
        else:
            done = True
            break
        if phase == 0 and t >= t_warm:
            phase = 1
        if phase == 1 and t >= t_end:
            phase = 2
        if phase == 2 and in_flight == 0:
            done = True
            break
        if t >= until:
            break
        n_events += 1

        # ------------------------------------------------------------ which packet joins which port
        if e < 0:
            # a new packet of the merged Poisson source
            n_packets += 1
            p = draw_path(rng, flow_path, flow_prob, flow_alias)
            size = draw_size(rng, path_class[p], size_off, size_val, size_prob, size_alias)
            t_arr = t + rng_exponential(rng) * inv_total_rate
            measured = phase == 1
            if measured:
                p_gen[p] += 1
                in_flight += 1
            birth = t
            h = 0
        else:
            # the oldest forwarded packet of port e reaches its next port
            slot, nxt = forward_pop(fwd_off, fwd_head, fwd_len, e)
            p = fwd_path[slot]
            h = fwd_hop[slot] + 1
            birth = fwd_birth[slot]
            size = fwd_size[slot]
            if independent_sizes:
                size = draw_size(rng, path_class[p], size_off, size_val, size_prob, size_alias)
            if nxt >= 0:
                clock_replace_root(htime, hseq, hsrc, hstate, fwd_time[nxt])
            else:
                clock_pop_root(htime, hseq, hsrc, hstate)
            measured = t_warm <= birth < t_end
        q = path_off[p] + h
        port = path_links[q]

        # ------------------------------------------------------------ FIFO drop-tail port at time t
        dep, start, n = fifo_join(dep_buf, dep_off, dep_head, dep_len, last_dep, kcap, inv_cap, port, t, size)
        if phase == 1:
            link_arr[port] += 1
            if dep < 0.0:
                link_drop[port] += 1
            elif n > link_max[port]:
                link_max[port] = n
        if dep < 0.0:
            if measured:
                p_drop[p] += 1
                in_flight -= 1
            continue
        n_hops += 1
        lo = t if t > t_warm else t_warm
        hi = dep if dep < t_end else t_end
        if hi > lo:
            occ_area[port] += hi - lo
            lo = start if start > t_warm else t_warm
            if hi > lo:
                busy_area[port] += hi - lo
        t_next = dep + prop[port]

        if q + 1 == path_off[p + 1]:
            # last hop: delivered at t_next
            if measured:
                batch = int((birth - t_warm) * inv_batch_len)
                record_delivery(p, t_next - birth, batch, path_ref, path_loglo, path_inv_w, n_bins, n_batches,
                                p_stats, p_batch, hist, spill, b_sum, b_cnt)
                in_flight -= 1
        else:
            if forward_push(fwd_time, fwd_path, fwd_hop, fwd_birth, fwd_size, fwd_off, fwd_head, fwd_len,
                            port, t_next, p, h, birth, size) == 1:
                clock_push(htime, hseq, hsrc, hstate, port, t_next)

    istate[I_EVENTS] = n_events
    istate[I_PACKETS] = n_packets
    istate[I_IN_FLIGHT] = in_flight
    istate[I_PHASE] = phase
    istate[I_HOPS] = n_hops
    istate[I_DONE] = 1 if done else 0
    fstate[0] = t
    fstate[1] = t_arr
    return done
