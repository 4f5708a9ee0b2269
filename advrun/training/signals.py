"""Turn SIGINT/SIGTERM into a request to stop at the next safe point.

The trainer checks :attr:`StopSignals.received` between updates, saves
``last.pt``, flushes TensorBoard, writes ``summary.json`` with status
``interrupted`` and exits with ``128 + signal``. A second Ctrl-C stops at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        self.received = signum

    def __enter__(self) -> StopSignals:
        # Signal handlers can only be installed from the main thread (some launchers
        # run jobs elsewhere; those keep the default behaviour).
        if threading.current_thread() is threading.main_thread():
            for sig in HANDLED:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
