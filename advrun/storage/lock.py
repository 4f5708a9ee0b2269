"""One writer per run directory.

Two processes writing one run dir interleave ``train.log``, mix two runs' events in one
TensorBoard run and replace each other's ``summary.json`` and checkpoints. A run (and a
resume) therefore holds ``<run dir>/.lock`` for its whole life: an exclusive
``flock`` on that file, plus a JSON record of the holder (pid, host, start time,
command) for the message a second writer gets.

``flock`` locks belong to the open file and die with the process, so a lock left by a
killed run (SIGKILL, OOM killer, power loss) is free again at once: the next writer
takes it over and logs that it did. The file itself stays (deleting it would race with
a writer that just opened it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

try:  # POSIX only; elsewhere the lock degrades to a no-op with a warning.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"


class RunDirLocked(RuntimeError):
    """Another live process holds the run directory."""

    def __init__(self, run_dir: Path, holder: dict[str, Any]) -> None:
        self.run_dir = run_dir
        self.holder = holder
        super().__init__(describe_holder(holder))


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "a process whose details could not be read"
    started = holder.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "?"
    cmd = " ".join(holder.get("argv", [])) or "?"
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started {when} ({cmd})"


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 65536)
        data = json.loads(raw.decode() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def live_holder(run_dir: str | Path) -> dict[str, Any] | None:
    """The holder record when a live process holds ``run_dir``'s lock, else None.
    Only probes: a stale lock is left for the next writer to take over (and log)."""
    path = Path(run_dir) / LOCK_NAME
    if fcntl is None or not path.is_file():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class RunDirLock:
    """Exclusive, non-blocking writer lock on a run directory (a context manager)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._fd: int | None = None
        self.took_over: dict[str, Any] | None = None

    def acquire(self) -> RunDirLock:
        """Take the lock or raise :class:`RunDirLocked` naming the holder."""
        if fcntl is None:  # pragma: no cover - Windows
            log.warning("run-dir locking needs fcntl (POSIX); %s is not locked", self.run_dir)
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunDirLocked(self.run_dir, holder) from None
        previous = _read_holder(fd)
        if previous:
            # The file outlived its holder (flock died with it): a stale lock.
            self.took_over = previous
            log.info("took over the stale lock of %s", describe_holder(previous))
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.time(),
            "argv": [Path(sys.argv[0]).name, *sys.argv[1:]],
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(record) + "\n").encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # a released lock has no holder record
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> RunDirLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
