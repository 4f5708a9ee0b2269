"""Episode progress of a long evaluation: one line on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class EvalProgress:
    """``eval [#####.....] 12/100 episodes  mean return 231.4`` on ``stream`` (stderr),
    redrawn at most every ``min_interval`` seconds, only when ``stream`` is a TTY."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "eval",
        enabled: bool = True,
        stream: TextIO | None = None,
        min_interval: float = 0.2,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.min_interval = min_interval
        self._last = -float("inf")
        self._drawn = False

    def update(self, done: int, mean_return: float | None = None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.min_interval and done < self.total:
            return
        self._last = now
        frac = min(1.0, done / max(1, self.total))
        bar = "#" * int(frac * 20)
        ret = "" if mean_return is None else f"  mean return {mean_return:.1f}"
        self.stream.write(f"\r{self.label} [{bar:<20}] {done}/{self.total} episodes{ret}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
