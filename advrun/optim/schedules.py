"""Annealing schedules as pure functions of training progress.

Used for the learning rate (``optimizer.schedule``) and for PPO's clip range
(``algo.clip_schedule``; RL Baselines3 Zoo's Atari preset decays both linearly).
``progress`` is the fraction of training done, clamped to ``[0, 1]``; with
``end = start * end_ratio``:

* ``constant``: ``start``
* ``linear``:   ``start * (1 - progress * (1 - end_ratio))`` -- from ``start`` at 0
  down to ``end`` at 1.
* ``cosine``:   ``end + (start - end) * 0.5 * (1 + cos(pi * progress))``.

Each schedule registers itself in :data:`SCHEDULES` (``fn(p, start, end_ratio) -> value``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from advrun.registry import Registry

Schedule = Callable[[float, float, float], float]

SCHEDULES: Registry[Schedule] = Registry("schedule", "optimizer.schedule")


@SCHEDULES.register("constant", summary="no annealing")
def _constant(p: float, start: float, end_ratio: float) -> float:
    return start


@SCHEDULES.register("linear", summary="straight line from the start value to the end value")
def _linear(p: float, start: float, end_ratio: float) -> float:
    return start * (1.0 - p * (1.0 - end_ratio))


@SCHEDULES.register("cosine", summary="half a cosine from the start value to the end value")
def _cosine(p: float, start: float, end_ratio: float) -> float:
    end = start * end_ratio
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * p))


def _name(value: object) -> str:
    """Plain string of a name that may arrive as a ``str`` Enum member."""
    return str(getattr(value, "value", value))


def anneal(progress: float, *, start: float, schedule: str, end_ratio: float = 0.0) -> float:
    """Value after ``progress`` (fraction of training done) under ``schedule``.

    Raises ``ValueError`` for an unknown schedule, a NaN progress, or ``end_ratio``
    outside ``[0, 1]``.
    """
    key = _name(schedule).lower()
    fn = SCHEDULES[key]
    if key == "constant":
        return float(start)
    if math.isnan(progress):
        raise ValueError("progress is NaN")
    if not 0.0 <= end_ratio <= 1.0:
        raise ValueError(f"the end ratio must be in [0, 1], got {end_ratio}")
    p = min(max(float(progress), 0.0), 1.0)
    return float(fn(p, float(start), end_ratio))


def lr_at(progress: float, *, base_lr: float, schedule: str, min_lr_ratio: float = 0.0) -> float:
    """Learning rate after ``progress``: :func:`anneal` from ``base_lr`` down to
    ``base_lr * min_lr_ratio``."""
    return anneal(progress, start=base_lr, schedule=schedule, end_ratio=min_lr_ratio)
