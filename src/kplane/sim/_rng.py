"""A small, explicit random-number generator for the simulation kernel (xoshiro256+).

The kernel never touches a global RNG: its whole random state is a ``uint64`` array of four words
that travels with the simulation state, so the same seed gives the same packet trace in any process,
thread or chunking of the run. Seeds are expanded with :class:`numpy.random.SeedSequence`.

References
----------
D. Blackman and S. Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 47(4), 2021.
The ``+`` scrambler's weak low bits are discarded: doubles use the top 53 bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["rng_state", "rng_uniform", "rng_exponential"]

_SH17 = np.uint64(17)
_SH45 = np.uint64(45)
_SH19 = np.uint64(19)
_SH11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0


def rng_state(seed: int) -> NDArray[np.uint64]:
    """The four-word state for ``seed`` (expanded with SeedSequence; never all zero)."""
    state = np.asarray(np.random.SeedSequence(int(seed)).generate_state(4, dtype=np.uint64), dtype=np.uint64)
    if not state.any():
        state[0] = np.uint64(0x9E3779B97F4A7C15)
    return state


@njit(inline="always", cache=True)
def rng_uniform(s: NDArray[np.uint64]) -> float:
    """A double in [0, 1) (top 53 bits of one xoshiro256+ output); advances ``s``."""
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    result = s0 + s3
    t = s1 << _SH17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _SH45) | (s3 >> _SH19)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return float(result >> _SH11) * _TWO_M53


@njit(inline="always", cache=True)
def rng_exponential(s: NDArray[np.uint64]) -> float:
    """An Exp(1) variate by inversion, ``-log(1 - U)`` with ``U`` in [0, 1)."""
    return -np.log(1.0 - rng_uniform(s))
