"""The markdown of ``advrun report --markdown``: per split, a table of group statistics
(:mod:`advrun.sweeps.summary`), optionally the per-seed rows, and the split's curve PNG.

The rendered text sits between two marker comments named by ``--section``; re-rendering
into an existing file replaces only that block, so hand-written prose around it stays
and several studies can share one page.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from advrun.sweeps.records import Record
from advrun.sweeps.summary import GroupStats


def begin_marker(section: str) -> str:
    return f"<!-- advrun report:begin {section} -->"


def end_marker(section: str) -> str:
    return f"<!-- advrun report:end {section} -->"


def num(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}" if math.isfinite(x) else "–"


def steps(x: float | int | None) -> str:
    return f"{x:,.0f}" if x is not None and math.isfinite(x) else "–"


def _target(t: float | None) -> str:
    return f"{t:g}" if t is not None else "?"


def stats_table(group_by: str, rows: list[GroupStats]) -> list[str]:
    t = _target(rows[0].target) if rows else "?"
    head = (
        f"| {group_by} | runs | final (median) | final IQM [95% CI] | final mean ± std "
        f"| reached {t} | steps to {t} (median) | wall to {t} (median, s) | wall (median, s) |"
    )
    lines = [head, "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for g in rows:
        point, lo, hi = g.iqm
        reached = f"{g.solved}/{g.runs}" if g.target is not None else "–"
        lines.append(
            f"| {g.label} | {g.completed}/{g.runs} | {num(g.median)} | "
            f"{num(point)} [{num(lo)}, {num(hi)}] | {num(g.mean)} ± {num(g.std)} | {reached} | "
            f"{steps(g.steps_to_target)} | {num(g.wall_to_target)} | {num(g.wall)} |"
        )
    return lines


def seeds_table(group_by: str, groups: dict[str, list[Record]], target: float | None) -> list[str]:
    t = _target(target)
    lines = [
        f"| {group_by} | seed | status | final | best | steps | steps to {t} "
        f"| wall to {t} (s) | wall (s) |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for label, records in groups.items():
        for r in sorted(records, key=lambda r: (r.seed is None, r.seed or 0)):
            s, w = r.first_reach(target) if target is not None else (math.inf, math.inf)
            lines.append(
                f"| {label} | {r.seed} | {r.status} | {num(r.final)} | {num(r.best)} | "
                f"{steps(r.steps)} | {steps(s)} | {num(w)} | {num(r.wall_s)} |"
            )
    return lines


def figure_link(markdown: Path, png: Path, split: str) -> str:
    rel = os.path.relpath(png, markdown.parent).replace(os.sep, "/")
    return f"![{split}: IQM of eval return over seeds vs env steps, 95% bootstrap band]({rel})"


def splice(path: Path, section: str, body: str) -> str:
    """The file's new text: ``body`` between the section's markers, replacing the old
    block if there is one, else appended (a missing file gets the block alone)."""
    block = f"{begin_marker(section)}\n{body.rstrip()}\n{end_marker(section)}\n"
    if not path.is_file():
        return block
    text = path.read_text()
    begin, end = begin_marker(section), end_marker(section)
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        return head + block.rstrip("\n") + tail
    return text.rstrip("\n") + "\n\n" + block
