"""Parse and format rates with units at the CLI/file boundary (kplane is SI inside: bit/s)."""

from __future__ import annotations

import re

from kplane.errors import InvalidParameterError

__all__ = ["format_rate", "parse_rate"]

_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmMgGtT]?)(bps|bit/s|b/s)?\s*$")


def parse_rate(text: str | float) -> float:
    """Parse ``"10kbps"``, ``"40 kbit/s"``, ``"1.5Gbps"`` or a plain number (bit/s) to bit/s.

    Examples
    --------
    >>> parse_rate("10kbps")
    10000.0
    >>> parse_rate(2500)
    2500.0
    """
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = _RATE.match(text)
        if m is None:
            raise InvalidParameterError(
                f"rate {text!r} is not understood; expected a number with an optional unit such as "
                "'10kbps', '40 kbit/s', '1.5Gbps' (bit/s)"
            )
        value = float(m.group(1)) * _PREFIX[m.group(2).lower()]
    if not value > 0:
        raise InvalidParameterError(f"rate must be > 0 bit/s, got {text!r}")
    return value


def format_rate(bps: float) -> str:
    """Human-readable bit/s (``10 kbit/s``)."""
    for unit, scale in (("Tbit/s", 1e12), ("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.4g} {unit}"
    return f"{bps:.4g} bit/s"
