"""Early stopping on evaluation returns."""

from __future__ import annotations

import math


class EarlyStopper:
    """Stop once ``mean >= target`` or after ``patience`` evaluations without an
    improvement larger than ``min_delta`` over the best so far."""

    def __init__(self, target: float | None, patience: int | None, min_delta: float = 0.0) -> None:
        self.target = target
        self.patience = patience
        self.min_delta = min_delta
        self.best = -math.inf
        self.stale = 0
        self.reason = ""

    def should_stop(self, mean: float) -> bool:
        if self.target is not None and mean >= self.target:
            self.reason = "target_return"
            return True
        if mean > self.best + self.min_delta:
            self.best, self.stale = mean, 0
        else:
            self.stale += 1
        if self.patience is not None and self.stale >= self.patience:
            self.reason = "patience"
            return True
        return False

    def state_dict(self) -> dict[str, float | int | str]:
        return {"best": self.best, "stale": self.stale, "reason": self.reason}

    def load_state_dict(self, state: dict[str, float | int | str]) -> None:
        self.best = float(state["best"])
        self.stale = int(state["stale"])
        self.reason = str(state["reason"])
