"""The FIFO drop-tail output port, by Lindley's recursion, and the forward rings.

A FIFO, work-conserving port fixes a packet's departure time when it joins:
``D_n = max(A_n, D_{n−1}) + s_n / c``. Port ``l`` keeps the departure times of the packets it
holds in ring ``dep_buf[dep_off[l]:dep_off[l + 1]]`` (capacity ``K_l``, the packet in
transmission included). On an arrival at time ``t`` the entries ``<= t`` have left and are
discarded; the remaining count is the occupancy the arrival sees, and the packet is dropped when
it is ``K_l`` (drop-tail). Nothing allocates.

Packets that continue after port ``l`` wait in its forward ring
``fwd_*[fwd_off[l]:fwd_off[l + 1]]`` with their arrival time at the next port; the ring is in
time order because departures are and the propagation delay is per link.
"""

from __future__ import annotations

from numba import njit

__all__ = ["fifo_join", "forward_pop", "forward_push"]


@njit(cache=True, inline="always")
def fifo_join(dep_buf, dep_off, dep_head, dep_len, last_dep, kcap, inv_cap, port, t, size):
    """Offer a packet of ``size`` bits to port ``l`` at time ``t``.

    Returns ``(departure, service_start, occupancy)``: the departure time and start of
    transmission of the packet and the number of packets at the port after it joined, or
    ``(-1.0, -1.0, K_l)`` when the port is full and the packet is dropped.
    """
    d0 = dep_off[port]
    cap = dep_off[port + 1] - d0
    n = dep_len[port]
    hd = dep_head[port]
    while n > 0 and dep_buf[d0 + hd] <= t:
        hd += 1
        if hd == cap:
            hd = 0
        n -= 1
    dep_head[port] = hd
    if n >= kcap[port]:
        dep_len[port] = n
        return -1.0, -1.0, n
    start = last_dep[port]
    if start < t:
        start = t
    dep = start + size * inv_cap[port]
    last_dep[port] = dep
    pos = hd + n
    if pos >= cap:
        pos -= cap
    dep_buf[d0 + pos] = dep
    dep_len[port] = n + 1
    return dep, start, n + 1


@njit(cache=True, inline="always")
def forward_push(fwd_time, fwd_path, fwd_hop, fwd_birth, fwd_size, fwd_off, fwd_head, fwd_len,
                 port, t_next, p, h, birth, size):
    """Append a packet (path ``p``, hop ``h``) reaching the next port at ``t_next``; return the new length."""
    f0 = fwd_off[port]
    cap = fwd_off[port + 1] - f0
    n = fwd_len[port]
    pos = fwd_head[port] + n
    if pos >= cap:
        pos -= cap
    slot = f0 + pos
    fwd_time[slot] = t_next
    fwd_path[slot] = p
    fwd_hop[slot] = h
    fwd_birth[slot] = birth
    fwd_size[slot] = size
    fwd_len[port] = n + 1
    return n + 1


@njit(cache=True, inline="always")
def forward_pop(fwd_off, fwd_head, fwd_len, port):
    """Remove the oldest packet of ring ``l``; return its slot and the slot of the next one (-1 if none)."""
    f0 = fwd_off[port]
    slot = f0 + fwd_head[port]
    hd = fwd_head[port] + 1
    if hd == fwd_off[port + 1] - f0:
        hd = 0
    fwd_head[port] = hd
    n = fwd_len[port] - 1
    fwd_len[port] = n
    return slot, (f0 + hd if n > 0 else -1)
