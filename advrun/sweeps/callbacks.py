"""``hydra/callbacks=report_failures``: after a multirun, name the failed members.

Members never stop the sweep (they return NaN, see ``advrun.sweeps.members``), so
without this callback a sweep with failures exits 0 and the failures are only in the
members' own stderr paragraphs and ``summary.json``. With it, the sweep ends with one
list of failed members and their overrides and exits with status 4, so scripts and CI
notice. Only members written during this sweep count (a reused ``hydra.sweep.dir``,
e.g. a resumed Optuna study, keeps older members).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

EXIT_MEMBERS_FAILED = 4


class ReportFailures(Callback):
    def __init__(self) -> None:
        self.started = time.time()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.started = time.time()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from advrun.sweeps.members import find_members

        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        failed = [
            m
            for m in find_members(sweep_dir)
            if m.status != "completed"
            and (m.path / ".hydra" / "overrides.yaml").stat().st_mtime >= self.started - 1
        ]
        if not failed:
            return
        lines = [f"advrun: {len(failed)} sweep member(s) failed in {sweep_dir}:"]
        for m in failed:
            error = m.summary.get("error", "no summary.json (killed?)")
            lines.append(f"  [{m.status}] {' '.join(m.overrides)}\n      {error}")
        lines.append(f"The others finished; compare them with: advrun report {sweep_dir}")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
        # Only when the sweep itself succeeded: never hide the sweep's own exception.
        if sys.exc_info()[0] is None:
            raise SystemExit(EXIT_MEMBERS_FAILED)


def fixed_keys(task_overrides: list[str]) -> list[str]:
    """The keys of the command-line overrides that every member shares (``a=1`` in
    ``-m a=1 b=2,3``), or ``[]`` when none is swept (the member dirs would then be
    nameless). Hydra's ``override_dirname`` names a member by all of them
    (``progress=False,seed=1,total_steps=4096``); only the swept ones tell members apart."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(task_overrides)
    if not any(o.is_sweep_override() for o in parsed):
        return []
    return [o.key_or_group for o in parsed if not o.is_sweep_override()]


class SweepEnd(Callback):
    """Shipped in ``conf/train.yaml`` for every ``advrun train -m``: members are named by
    their swept overrides only, and the sweep ends with its dir and the commands to
    compare the members (``advrun report <dir>``, TensorBoard)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from omegaconf import OmegaConf, open_dict, read_write

        task = [str(o) for o in config.hydra.overrides.task]
        try:
            fixed = fixed_keys(task)
        except Exception:  # a syntax Hydra itself will report; keep its default names
            return
        if not fixed:
            return
        exclude = list(OmegaConf.select(config, "hydra.job.config.override_dirname.exclude_keys"))
        exclude += [k for k in fixed if k not in exclude]
        override = "hydra.job.config.override_dirname.exclude_keys=[" + ",".join(exclude) + "]"
        # Members are composed again from hydra.overrides.hydra (as in advrun.sweeps.optuna).
        with read_write(config), open_dict(config):
            config.hydra.overrides.hydra.append(override)
            config.hydra.job.config.override_dirname.exclude_keys = exclude

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from advrun.commands.run_end import sweep_end_lines

        sweep_dir = Path(str(config.hydra.sweep.dir))
        if sweep_dir.is_dir():
            sys.stdout.write("\n".join(sweep_end_lines(sweep_dir)) + "\n")
            sys.stdout.flush()
