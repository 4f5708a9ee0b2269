"""Turn SIGINT/SIGTERM/SIGHUP into a request to stop at the next safe point.

The handlers are installed before the trainer is built and stay until its last write,
so a signal at any moment (building the envs, mid-update, during an evaluation, during
the final save) is seen. The trainer checks :attr:`StopSignals.received` between
updates: it saves ``last.pt``, flushes TensorBoard, writes ``summary.json`` with status
``interrupted`` and exits with ``128 + signal``. An evaluation or a save in progress
is finished first (cutting an evaluation short would make a resumed run differ from an
uninterrupted one). A signal that arrives once training has finished lets the final
evaluation and save complete, and the run ends ``completed``.

SIGHUP (the terminal was closed) is treated like SIGTERM. A second Ctrl-C stops at
once with :class:`KeyboardInterrupt`; the trainer still records that in ``summary.json``.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
