"""What ``advrun train`` says when it ends: one summary line and where to look next.

A run that finished used to print nothing but a dict in a log line, and the run dir only
after Ctrl-C. Every single run now ends with::

    completed (target_return): final eval return 480.9 ± 10.4, best 490.2 at step 40,960;
      61,440 steps in 4.2 s   (one line)
    run dir: outputs/runs/2026-11-26/01-22-20_CartPole-v1_4e036e
      tensorboard --logdir outputs/runs/2026-11-26/01-22-20_CartPole-v1_4e036e
      advrun eval run=outputs/runs/2026-11-26/01-22-20_CartPole-v1_4e036e

and a sweep with its dir and ``advrun report <dir>``. The line is built from
``summary.json`` only, so it says exactly what the run recorded.
"""

from __future__ import annotations

import json
import math
import os
import shlex
from pathlib import Path
from typing import Any


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies under it (what the user
    typed, e.g. ``outputs/runs/...``), else absolute; shell-quoted when needed."""
    p = Path(path).resolve()
    cwd = Path.cwd().resolve()
    text = os.path.relpath(p, cwd) if p.is_relative_to(cwd) else str(p)
    return shlex.quote(text)


def _number(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.1f}" if abs(x) < 1e4 else f"{x:,.0f}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def summary_line(summary: dict[str, Any]) -> str:
    """``<status> (<stop reason>): final eval return M ± S, best B at step K; N steps in
    T`` from a run's ``summary.json`` dict."""
    status = summary.get("status", "unknown")
    reason = summary.get("stop_reason") or ""
    head = f"{status} ({reason})" if reason and reason != status else status
    final = summary.get("final_eval_return")
    std = summary.get("final_eval_return_std")
    final_text = _number(final) + (f" ± {_number(std)}" if _number(std) != "-" else "")
    best = summary.get("best_eval_return")
    best_text = (
        f", best {_number(best)} at step {summary.get('best_step', 0):,}"
        if best is not None
        else ""
    )
    steps = int(summary.get("steps", 0))
    wall = float(summary.get("wall_time_s", 0.0))
    line = (
        f"{head}: final eval return {final_text}{best_text}; {steps:,} steps in {_duration(wall)}"
    )
    if summary.get("reason") and status != "completed":
        line += f" ({summary['reason']})"
    return line


def read_summary(run_dir: str | Path) -> dict[str, Any] | None:
    path = Path(run_dir) / "summary.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def next_steps(run_dir: str | Path, status: str | None) -> list[str]:
    """The run dir and the exact commands to look at it (and to continue it, when it
    did not complete and left a checkpoint)."""
    shown = shown_path(run_dir)
    lines = [f"run dir: {shown}", f"  tensorboard --logdir {shown}"]
    has_checkpoint = (Path(run_dir) / "checkpoints" / "last.pt").is_file()
    if has_checkpoint:
        lines.append(f"  advrun eval run={shown}")
    if status not in (None, "completed") and has_checkpoint:
        lines.append(f"  advrun train resume={shown}")
    return lines


def sweep_end_lines(sweep_dir: str | Path) -> list[str]:
    shown = shown_path(sweep_dir)
    return [
        f"sweep dir: {shown}",
        f"  advrun report {shown}",
        f"  tensorboard --logdir {shown}",
    ]
