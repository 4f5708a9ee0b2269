"""One sweep member's life and record: failing it cleanly, and reading it back.

A failed member must not stop its sweep. Hydra's launchers treat the task's outcome
differently: the basic launcher and joblib record an ``Exception`` as a failed job and
raise it only after the whole batch, but a ``SystemExit`` (advrun's exit-2 path for bad
input) escapes the basic launcher's loop and ends the sweep at once; submitit and Ray
re-raise a member's exception in the sweep process when collecting results. So in
multirun mode a failing member *returns* ``NaN``: every launcher sees a normal return,
the Optuna sweeper records the trial as FAIL (it rejects a NaN objective) and samples
on, and the member's ``summary.json`` says ``status: failed`` with the error and its
overrides. ``advrun report`` and the ``report_failures`` callback read those back.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FAILED = "failed"
# A dir holding this file is a batch of seeds (advrun.seeds.layout): its own .hydra
# record is the batch command's, not a member's.
BATCH_MARKER = "batch.json"


def in_multirun() -> bool:
    """True inside a member of ``advrun train -m`` (any launcher)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def member_overrides() -> list[str]:
    """The member's own overrides (the sweep's plus the values it was given)."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    overrides = OmegaConf.to_container(HydraConfig.get().overrides.task, resolve=False)
    assert isinstance(overrides, list)
    return [str(o) for o in overrides]


def record_failure(run_dir: str | Path, error: BaseException, overrides: list[str]) -> str:
    """Write ``summary.json`` (status failed, error, overrides) and return the paragraph
    that was printed on stderr.

    A summary the trainer already wrote (e.g. ``diverged``, with its metrics) is kept
    and extended, so its step count and returns stay visible in the report."""
    from advrun.storage.atomic import atomic_write_json

    run_dir = Path(run_dir)
    path = run_dir / "summary.json"
    summary: dict[str, Any] = {}
    if path.is_file():
        try:
            summary = json.loads(path.read_text())
        except (OSError, ValueError):
            summary = {}
    if summary.get("status") in (None, "completed"):
        summary["status"] = FAILED
    summary.setdefault("final_eval_return", math.nan)
    summary.update(
        error=str(error),
        error_type=type(error).__name__,
        overrides=overrides,
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, summary)
    paragraph = (
        f"advrun: sweep member [{' '.join(overrides)}] failed ({type(error).__name__}): "
        f"{error} The other members go on; this one returns NaN and is marked "
        f"{summary['status']} in {path}."
    )
    sys.stderr.write(paragraph + "\n")
    sys.stderr.flush()
    if not _expected(error):
        log.error("member crashed:\n%s", "".join(traceback.format_exception(error)))
    return paragraph


def _expected(error: BaseException) -> bool:
    """Bad input and divergence are explained by their message; anything else is a crash
    whose traceback belongs in the member's log."""
    from advrun.config.errors import ConfigError
    from advrun.storage.checkpoint import CheckpointError
    from advrun.training.faults import TrainingDiverged

    return isinstance(error, (ConfigError, CheckpointError, TrainingDiverged))


# -- reading a sweep back --------------------------------------------------------------


@dataclass
class Member:
    """One member directory of a sweep."""

    path: Path
    overrides: list[str]
    summary: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "incomplete"))

    def value(self, key: str) -> Any:
        """The value of ``key`` for this member: its override if it has one, else the
        composed config (``advantage`` gives the option name, e.g. ``gae``)."""
        for item in self.overrides:
            name, _, value = item.lstrip("+~").partition("=")
            if name == key:
                return value
        node: Any = self.config
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        if isinstance(node, dict):
            return node.get("name", node.get("_target_", str(node)))
        return node

    def number(self, key: str) -> float:
        value = self.summary.get(key)
        try:
            return float(value) if value is not None else math.nan
        except (TypeError, ValueError):
            return math.nan


def find_members(sweep_dir: str | Path) -> list[Member]:
    """Every member under ``sweep_dir``: a directory with ``.hydra/overrides.yaml``
    (a batch of seeds' own dir is not one; its ``seed=<i>`` dirs are)."""
    import yaml

    sweep_dir = Path(sweep_dir)
    members = []
    for marker in sorted(sweep_dir.rglob(".hydra/overrides.yaml")):
        path = marker.parent.parent
        if (path / BATCH_MARKER).is_file():
            continue
        overrides = [str(o) for o in (yaml.safe_load(marker.read_text()) or [])]
        summary_path = path / "summary.json"
        summary: dict[str, Any] = {}
        if summary_path.is_file():
            try:
                summary = json.loads(summary_path.read_text())
            except ValueError:
                summary = {"status": "unreadable"}
        config_path = path / ".hydra" / "config.yaml"
        config: dict[str, Any] = {}
        if config_path.is_file():
            try:
                config = yaml.safe_load(config_path.read_text()) or {}
            except yaml.YAMLError:
                config = {}
        members.append(Member(path, overrides, summary, config))
    return members


def varying_overrides(members: list[Member]) -> list[list[str]]:
    """Each member's overrides minus those every member shares (the readable part)."""
    if not members:
        return []
    common = set(members[0].overrides).intersection(*(m.overrides for m in members[1:]))
    return [[o for o in m.overrides if o not in common] for m in members]


def eval_curve(run_dir: str | Path, tag: str = "eval/episodic_return") -> tuple[list, list]:
    """(steps, values) of one scalar tag from the member's TensorBoard events."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    if tag not in acc.Tags().get("scalars", []):
        return [], []
    events = acc.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]
