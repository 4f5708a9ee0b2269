"""Readable descriptions of gymnasium spaces, and random observations to test with."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

MAX_LISTED = 64
"""Bounds with more entries than this are summarised (min/max) instead of listed."""

UNBOUNDED = 1e6
"""Bounds beyond this count as unbounded when sampling (CartPole's velocity bounds are
float32's largest value, where uniform samples would be meaningless)."""


def _bound(values: np.ndarray) -> Any:
    """One number when every entry is equal, the list when short, else min/max."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size and np.all(flat == flat[0]):
        return _number(flat[0])
    if flat.size <= MAX_LISTED:
        return [_number(v) for v in flat]
    return {"min": _number(flat.min()), "max": _number(flat.max())}


def _number(value: float) -> float | int | str:
    """JSON-safe: +-inf become the strings "inf"/"-inf"; integral values stay ints."""
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return int(value) if float(value).is_integer() else float(value)


def describe_space(space: spaces.Space) -> dict[str, Any]:
    """``{"type": "Discrete", "n": 2}`` or ``{"type": "Box", "shape": [...], "dtype":
    ..., "low": ..., "high": ...}`` (other spaces: type and repr)."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": _bound(space.low),
            "high": _bound(space.high),
        }
    return {"type": type(space).__name__, "repr": repr(space)}


def random_observations(space: spaces.Space, n: int, seed: int = 0) -> np.ndarray:
    """``n`` observations spread over ``space``: uniform within bounds, normal with std 3
    along unbounded dimensions (beyond :data:`UNBOUNDED`), any pixel value for uint8."""
    rng = np.random.default_rng(seed)
    if not isinstance(space, spaces.Box):
        raise TypeError(f"random observations need a Box space, got {space!r}")
    shape = (n, *space.shape)
    if space.dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    low = np.broadcast_to(space.low, space.shape).astype(np.float64)
    high = np.broadcast_to(space.high, space.shape).astype(np.float64)
    finite = (np.abs(low) < UNBOUNDED) & (np.abs(high) < UNBOUNDED)
    uniform = rng.uniform(np.where(finite, low, 0.0), np.where(finite, high, 1.0), size=shape)
    normal = 3.0 * rng.standard_normal(shape)
    return np.where(finite, uniform, normal).astype(np.float32)
