"""Learning-rate schedules as pure functions of training progress.

``progress`` is the fraction of training done, clamped to ``[0, 1]``; with
``min_lr = base_lr * min_lr_ratio``:

* ``constant``: ``base_lr``
* ``linear``:   ``base_lr * (1 - progress * (1 - min_lr_ratio))`` -- from ``base_lr`` at 0
  down to ``min_lr`` at 1.
* ``cosine``:   ``min_lr + (base_lr - min_lr) * 0.5 * (1 + cos(pi * progress))``.
"""

from __future__ import annotations

import math

SCHEDULES: tuple[str, ...] = ("constant", "linear", "cosine")
"""Valid schedule names."""


def _name(value: object) -> str:
    """Plain string of a name that may arrive as a ``str`` Enum member."""
    return str(getattr(value, "value", value))


def lr_at(progress: float, *, base_lr: float, schedule: str, min_lr_ratio: float = 0.0) -> float:
    """Learning rate after ``progress`` (fraction of training done) under ``schedule``.

    Raises ``ValueError`` for an unknown schedule, a NaN progress, or ``min_lr_ratio``
    outside ``[0, 1]``.
    """
    key = _name(schedule).lower()
    if key not in SCHEDULES:
        raise ValueError(
            f"unknown lr schedule {_name(schedule)!r}; expected one of: {', '.join(SCHEDULES)}"
        )
    if key == "constant":
        return float(base_lr)
    if math.isnan(progress):
        raise ValueError("progress is NaN")
    if not 0.0 <= min_lr_ratio <= 1.0:
        raise ValueError(f"min_lr_ratio must be in [0, 1], got {min_lr_ratio}")
    p = min(max(float(progress), 0.0), 1.0)
    if key == "linear":
        return float(base_lr) * (1.0 - p * (1.0 - min_lr_ratio))
    min_lr = base_lr * min_lr_ratio
    return float(min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * p)))
