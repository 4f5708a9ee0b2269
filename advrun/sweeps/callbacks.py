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
