"""Crash-safe file writes: write a sibling temp file, fsync, then rename over.

``os.replace`` is atomic on POSIX and Windows, so a reader (or a crash) sees either
the whole old file or the whole new one, never a torn write.

Files get the permissions a plain ``open(path, "w")`` would give (``0o666`` minus the
umask), not ``mkstemp``'s private ``0o600``: on a shared cluster teammates must be able
to read a run's checkpoints and summary. JSON is strict (RFC 8259): a non-finite float
is written as ``null``, never as the bare ``NaN`` that ``JSON.parse`` and ``jq`` reject.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_umask: int | None = None


def _current_umask() -> int:
    """The process umask, read once. Linux exposes it in /proc without changing it;
    elsewhere set-and-restore (done once, at the first write, before any thread writes)."""
    global _umask
    if _umask is None:
        try:
            status = Path("/proc/self/status").read_text()
            _umask = int(re.search(r"^Umask:\s*([0-7]+)", status, re.M).group(1), 8)  # type: ignore[union-attr]
        except (OSError, AttributeError, ValueError):
            _umask = os.umask(0o022)
            os.umask(_umask)
    return _umask


def temp_name_pattern(path: Path) -> str:
    """Glob matching the temp files :func:`atomic_write` creates for ``path``."""
    return f".{path.name}.*.tmp"


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_current_umask())
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError) and not err.filename:
            err.filename = str(path)  # a failed write() names no file; the message should
        raise
    try:  # persist the rename itself
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def remove_stale_temps(directory: str | Path) -> list[Path]:
    """Delete temp files an interrupted :func:`atomic_write` left in ``directory`` (a
    SIGKILL between ``mkstemp`` and ``os.replace`` leaves ``.<name>.<random>.tmp``).

    Only call this while holding the directory's writer lock (the run-dir lock): then
    no other writer can have a temp file in flight there."""
    removed = []
    directory = Path(directory)
    if not directory.is_dir():
        return removed
    for tmp in directory.glob(".*.tmp"):
        try:
            tmp.unlink()
            removed.append(tmp)
        except FileNotFoundError:
            pass
    return removed


def strict_json(data: Any) -> Any:
    """``data`` with every non-finite float replaced by ``None`` (JSON ``null``)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: strict_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [strict_json(v) for v in data]
    return data


def atomic_write_json(path: str | Path, data: Any) -> None:
    text = json.dumps(strict_json(data), indent=2, sort_keys=True, allow_nan=False)
    payload = (text + "\n").encode()
    atomic_write(path, lambda fh: fh.write(payload))
