"""Progress of a run on a terminal: a tqdm bar that log lines never share a line with.

The hand-written ``\\r`` line this replaces was overwritten by Hydra's log lines in the
middle (``[#####   ] 20480/61440 steps ... return -1047.1[2026-11-25 ...][INFO] - step
20480 eval ...``). tqdm (small, pure Python, already pulled in by the sweep and report
dependencies) draws the bar on stderr, and :func:`tqdm.contrib.logging.logging_redirect_tqdm`
swaps the console handlers of the root and ``hydra`` loggers for ones that print through
``tqdm.write``: the bar is cleared, the log line printed on its own line, the bar drawn
again below it. Python warnings are routed through logging meanwhile for the same reason.
The file handler (``train.log``) is left as it is.

Off a terminal (stderr not a TTY: CI, ``| tee``, sweeps, ``nohup``) there is no bar and
nothing but log lines; an evaluation that runs long still logs how far it is every
``EVAL_LOG_EVERY_S`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from typing import TextIO

log = logging.getLogger(__name__)

# Off a terminal, a long evaluation logs its progress this often (seconds).
EVAL_LOG_EVERY_S = 10.0


def _fmt(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f}"


class Progress:
    """Steps done of ``total`` with SPS, ETA, the latest eval return and the mean return
    of recent training episodes; during an evaluation, the episodes it has finished."""

    def __init__(
        self,
        total: int,
        enabled: bool = True,
        *,
        initial: int = 0,
        stream: TextIO | None = None,
        mininterval: float = 0.2,
    ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.eval_return: float | None = None
        self.recent_return: float | None = None
        self._eval_started: float | None = None
        self._eval_logged = 0.0
        self._stack = contextlib.ExitStack()
        self._bar = None
        if self.enabled:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = tqdm(
                total=total,
                initial=initial,
                unit="step",
                unit_scale=True,
                dynamic_ncols=True,
                file=self.stream,
                mininterval=mininterval,
                smoothing=0.1,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, "
                "{rate_fmt}]{postfix}",
            )
            loggers = [logging.getLogger(), logging.getLogger("hydra")]
            self._stack.enter_context(logging_redirect_tqdm(loggers=loggers))
            logging.captureWarnings(True)
            self._stack.callback(logging.captureWarnings, False)

    def _postfix(self, extra: str = "") -> None:
        if self._bar is None:
            return
        text = f"eval {_fmt(self.eval_return)}  train {_fmt(self.recent_return)}"
        self._bar.set_postfix_str(f"{text}{extra}", refresh=bool(extra))

    def update(self, step: int, sps: float, recent_return: float | None) -> None:
        """The run is at ``step``; ``recent_return`` is the mean return of the latest
        training episodes (``sps`` is kept for callers; tqdm measures its own rate)."""
        self.recent_return = recent_return
        if self._bar is None:
            return
        self._postfix()
        self._bar.update(max(0, min(step, self.total) - self._bar.n))

    def eval_started(self, episodes: int) -> None:
        self._eval_started = time.monotonic()
        self._eval_logged = self._eval_started
        self.eval_episodes(0, episodes)

    def eval_episodes(self, done: int, total: int) -> None:
        """``done`` of ``total`` evaluation episodes have finished."""
        if self._bar is not None:
            self._postfix(f"  evaluating {done}/{total} episodes")
            return
        now = time.monotonic()
        if self._eval_started is not None and now - self._eval_logged >= EVAL_LOG_EVERY_S:
            self._eval_logged = now
            log.info(
                "evaluating: %d/%d episodes finished (%.0f s)",
                done,
                total,
                now - self._eval_started,
            )

    def eval_finished(self, mean_return: float) -> None:
        self._eval_started = None
        self.eval_return = mean_return
        self._postfix()

    def close(self) -> None:
        if self._bar is not None:
            self._postfix()
            self._bar.close()
            self._bar = None
        self._stack.close()
