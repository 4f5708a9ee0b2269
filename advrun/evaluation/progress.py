"""Episode progress of ``advrun eval``: a tqdm bar on a terminal, silent otherwise.

tqdm rather than a hand-written ``\\r`` line, as for training (advrun.training.progress):
ETA, rate and redraw throttling come with it, and a line printed through logging or
``tqdm.write`` does not land on the bar's line."""

from __future__ import annotations

import sys
from typing import TextIO


class EvalProgress:
    """``eval |#####     | 12/100 episodes [00:04<00:30], mean return 231.4`` on
    ``stream`` (stderr), redrawn at most every ``min_interval`` seconds, only when
    ``stream`` is a TTY."""

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
        self._bar = None
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=label,
                file=self.stream,
                mininterval=min_interval,
                dynamic_ncols=True,
                bar_format="{desc} |{bar:20}| {n_fmt}/{total_fmt} episodes "
                "[{elapsed}<{remaining}]{postfix}",
            )

    def update(self, done: int, mean_return: float | None = None) -> None:
        if self._bar is None:
            return
        if mean_return is not None:
            self._bar.set_postfix_str(f"mean return {mean_return:.1f}", refresh=False)
        self._bar.update(max(0, min(done, self.total) - self._bar.n))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
