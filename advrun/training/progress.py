"""A one-line progress display on a terminal; silent when stderr is not a TTY."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, enabled: bool = True, min_interval: float = 0.2) -> None:
        self.total = total
        self.enabled = enabled and sys.stderr.isatty()
        self.min_interval = min_interval
        self._last = 0.0

    def update(self, step: int, sps: float, recent_return: float | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.min_interval and step < self.total:
            return
        self._last = now
        frac = min(1.0, step / max(1, self.total))
        bar = "#" * int(frac * 30)
        ret = "-" if recent_return is None else f"{recent_return:.1f}"
        sys.stderr.write(
            f"\r[{bar:<30}] {step:>9}/{self.total} steps  {sps:>8.0f} SPS  return {ret:>8}"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
