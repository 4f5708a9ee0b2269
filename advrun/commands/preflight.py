"""Checks that must happen before Hydra touches the disk.

Hydra creates the run directory and writes ``.hydra/`` into it before the task starts,
and reports a failure there as a traceback. So the places a run will write are checked
here first: each must be creatable and writable (a dangling symlink is named as such),
and a directory another advrun process is writing is refused before Hydra overwrites its
``.hydra/`` record.
"""

from __future__ import annotations

import os
from pathlib import Path

from advrun.config.errors import ConfigError
from advrun.storage.lock import describe_holder, live_holder

DIR_KEYS = ("hydra.run.dir", "hydra.sweep.dir")


def _nearest_existing(key: str, path: Path) -> Path:
    """The deepest existing ancestor of ``path`` (itself included); a dangling symlink
    on the way is an error, since ``os.makedirs`` cannot go through it."""
    for candidate in (path, *path.parents):
        if candidate.is_symlink() and not candidate.exists():
            raise ConfigError(
                key,
                f"{candidate} is a symlink to {os.readlink(candidate)}, which does not exist.",
                f"create the directory it points to, remove the link, or pass another "
                f"location, e.g. {key}=/tmp/advrun/run.",
            )
        if candidate.exists():
            return candidate
    return Path("/")


def _check_writable(key: str, path: Path) -> None:
    base = _nearest_existing(key, path.expanduser().absolute())
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise ConfigError(
            key,
            f"advrun cannot create {path}: {base} is "
            f"{'not a directory' if not base.is_dir() else 'not writable'}.",
            f"pass a writable location, e.g. {key}=/tmp/advrun/run, or run from a "
            "writable working directory.",
        )


def in_use_error(key: str, run_dir: Path, holder: dict) -> ConfigError:
    """The message for a run dir another live advrun process is writing."""
    return ConfigError(
        key,
        f"{run_dir} is in use by another advrun process ({describe_holder(holder)}); "
        "two writers would mix their checkpoints, logs and summaries.",
        "wait for it to finish (or stop it), or write this run elsewhere (a new run "
        "gets its own directory unless hydra.run.dir names one).",
    )


def _check_not_in_use(key: str, run_dir: Path) -> None:
    holder = live_holder(run_dir)
    if holder is not None:
        raise in_use_error(key, run_dir, holder)


def _check_resume_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        raise ConfigError(
            "resume",
            f"{run_dir} is not a directory.",
            "pass the directory of an advrun run, e.g. resume=outputs/runs/<date>/<run>.",
        )
    if not (run_dir / "checkpoints" / "last.pt").is_file():
        raise ConfigError(
            "resume",
            f"{run_dir} has no checkpoints/last.pt to continue from.",
            "pass the directory of an advrun run that saved a checkpoint (runs save "
            "last.pt every checkpoint_interval steps and at the end).",
        )
    for place in (run_dir, run_dir / "checkpoints"):
        if not os.access(place, os.W_OK | os.X_OK):
            raise ConfigError(
                "resume",
                f"{place} is not writable, so the resumed run could not save or log.",
                "make the run directory writable again (or copy it somewhere writable and "
                "resume the copy).",
            )


def check_output_dirs(args: list[str]) -> None:
    """Fail with a clean message when the run's output directory cannot be written.

    Without an explicit directory the runs land under ``./outputs``, so the working
    directory must be writable. ``resume=<dir>`` must be an existing, writable run."""
    values = {a.lstrip("+").split("=", 1)[0]: a.split("=", 1)[1] for a in args if "=" in a}
    resume = values.get("resume")
    if resume and resume != "null":
        _check_resume_dir(Path(resume).expanduser())
        _check_not_in_use("resume", Path(resume).expanduser())
        return
    targets = [(k, Path(values[k])) for k in DIR_KEYS if k in values]
    if not targets:
        targets = [("hydra.run.dir", Path.cwd() / "outputs")]
    for key, path in targets:
        _check_writable(key, path)
        if key == "hydra.run.dir" and "${" not in str(path):
            _check_not_in_use(key, path.expanduser())
