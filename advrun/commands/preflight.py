"""Checks that must happen before Hydra touches the disk."""

from __future__ import annotations

import os
from pathlib import Path

from advrun.config.errors import ConfigError

DIR_KEYS = ("hydra.run.dir", "hydra.sweep.dir")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def check_output_dirs(args: list[str]) -> None:
    """Fail with a clean message when the run's output directory cannot be created.

    Hydra creates the directory before the task starts and reports a failure as a
    traceback; this names the key instead. Without an explicit directory the runs
    land under ``./outputs``, so the working directory must be writable."""
    targets = [
        (k, Path(a.split("=", 1)[1]))
        for a in args
        for k in DIR_KEYS
        if a.lstrip("+").startswith(k + "=")
    ]
    if not targets:
        targets = [("hydra.run.dir", Path.cwd() / "outputs")]
    for key, path in targets:
        base = _nearest_existing(path.expanduser().absolute())
        if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
            raise ConfigError(
                key,
                f"advrun cannot create {path}: {base} is "
                f"{'not a directory' if not base.is_dir() else 'not writable'}.",
                f"pass a writable location, e.g. {key}=/tmp/advrun/run, or run from a "
                "writable working directory.",
            )
