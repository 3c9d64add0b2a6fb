"""Small validation helpers shared by the domain objects (messages name field, value, expectation)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kplane.errors import InvalidScenarioError

__all__ = ["FrozenState", "frozen_array", "require_finite", "require_positive", "require_nonnegative"]


def frozen_array(values: ArrayLike, dtype: Any, field: str, ndim: int | None = None) -> NDArray[Any]:
    """Return a read-only copy of ``values`` as ``dtype``; raise naming ``field`` when impossible."""
    try:
        arr = np.array(values, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise InvalidScenarioError(f"{field} must be numeric ({np.dtype(dtype).name}): {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise InvalidScenarioError(
            f"{field} must be {ndim}-dimensional, got shape {arr.shape}"
        )
    arr.setflags(write=False)
    return arr


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask.ravel())[0])


def require_finite(arr: NDArray[Any], field: str, what: str = "entry") -> None:
    """Raise if ``arr`` holds NaN or infinity, naming the first offending index."""
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        idx = np.unravel_index(i, arr.shape)
        raise InvalidScenarioError(
            f"{field}: {what} {tuple(int(k) for k in idx) if arr.ndim > 1 else int(idx[0])} "
            f"must be finite, got {arr.ravel()[i].item()!r}"
        )


def require_positive(arr: NDArray[Any], field: str, unit: str, describe: Any = None) -> None:
    """Raise if any entry of ``arr`` is not > 0; ``describe(i)`` names entry ``i``."""
    require_finite(arr, field)
    bad = ~(arr > 0)
    if bad.any():
        i = _first_bad(bad)
        name = describe(i) if describe is not None else f"entry {i}"
        raise InvalidScenarioError(f"{field} of {name} must be > 0 {unit}, got {arr.ravel()[i].item()!r}")


def require_nonnegative(arr: NDArray[Any], field: str, unit: str, describe: Any = None) -> None:
    """Raise if any entry of ``arr`` is negative or not finite."""
    require_finite(arr, field)
    bad = arr < 0
    if bad.any():
        i = _first_bad(bad)
        name = describe(i) if describe is not None else f"entry {i}"
        raise InvalidScenarioError(f"{field} of {name} must be >= 0 {unit}, got {arr.ravel()[i].item()!r}")


class FrozenState:
    """Mixin: pickling support for frozen value objects with a read-only ``metadata`` mapping.

    ``MappingProxyType`` cannot be pickled, so the state carries a plain dict and restores the proxy
    (and read-only arrays) on load; objects can then cross process boundaries (process pools, Ray).
    """

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "metadata" in state:
            state["metadata"] = dict(state["metadata"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from types import MappingProxyType

        for value in state.values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        if "metadata" in state:
            state["metadata"] = MappingProxyType(dict(state["metadata"]))
        self.__dict__.update(state)
