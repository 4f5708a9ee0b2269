"""Render a study from records into a markdown section and one curve PNG per split
(``advrun report --markdown``). Deterministic: sorted splits and groups, a fixed
bootstrap seed, PNGs without date metadata, so the same records and command give
byte-identical files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from advrun.sweeps import markdown as md
from advrun.sweeps.records import Record
from advrun.sweeps.summary import group_stats, split_and_group, split_target


def _xy(r: Record) -> tuple[np.ndarray, np.ndarray]:
    """(steps, returns) of a record's eval curve."""
    return np.array([p[0] for p in r.curve], float), np.array([p[2] for p in r.curve])


def png_path(prefix: Path, split: str) -> Path:
    """``<prefix>_<split>.png`` with the split value made file-name safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", split).strip("_") or "all"
    return prefix.with_name(f"{prefix.name}_{safe}.png")


def render(
    records: list[Record],
    *,
    split_by: str | None,
    group_by: str,
    markdown: Path,
    prefix: Path | None,
    command: str,
    sources: list[str],
    section: str = "results",
    target: float | None = None,
    seeds: bool = False,
    reps: int = 2000,
) -> list[Path]:
    """Write the section into ``markdown`` (and the PNGs unless ``prefix`` is None);
    return the files written."""
    written: list[Path] = []
    body = [
        f"_Rendered by `{command}` from the per-seed records in "
        + ", ".join(f"`{s}`" for s in sources)
        + "; that command regenerates this section and its figures byte for byte "
        f"(bootstrap: {reps} resamples, seed 0)._",
        "",
    ]
    for split, groups in split_and_group(records, split_by, group_by).items():
        members = [r for rs in groups.values() for r in rs]
        name = f"{split_by} = {split}" if split_by else "all runs"
        tgt = split_target(members, target)
        body.append(f"#### {name}" if split_by else "#### All runs")
        body.append("")
        rows = [group_stats(label, rs, tgt, reps) for label, rs in groups.items()]
        body.extend(md.stats_table(group_by, rows))
        body.append("")
        if seeds:
            body.extend(md.seeds_table(group_by, groups, tgt))
            body.append("")
        if prefix is not None:
            from advrun.sweeps.plot import plot_iqm_curves

            out = png_path(prefix, split)
            curves = [(label, [_xy(r) for r in rs if r.curve]) for label, rs in groups.items()]
            title = f"{name}: eval return, IQM over seeds, 95% bootstrap band"
            plot_iqm_curves(curves, group_by, title, out, target=tgt, reps=min(reps, 1000))
            written.append(out)
            body.append(md.figure_link(markdown, out, name))
            body.append("")
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(md.splice(markdown, section, "\n".join(body)))
    written.append(markdown)
    return written
