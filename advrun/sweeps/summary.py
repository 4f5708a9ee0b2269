"""Per-group statistics of a study, computed from :class:`~advrun.sweeps.records.Record`
lists: what the tables of ``advrun report --markdown`` show.

For each group (the values of ``--group-by``, e.g. the estimator) within a split (the
values of ``--split-by``, e.g. the env):

- final return: median, IQM with a 95% percentile-bootstrap CI (fixed seed, so the same
  records give the same digits), mean ± sample std (ddof 1) over completed runs;
- solved: runs whose eval return reached the target at some evaluation, out of all runs;
- steps / wall to target: the median over *all* runs of the first evaluation at or above
  the target, an unsolved run counting as +inf (so the median is inf, shown as "–",
  when half or more of the runs never reached it);
- wall: median wall-clock seconds of the whole run (with early stop: to the stop).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from advrun.sweeps.records import Record
from advrun.sweeps.stats import iqm, stratified_bootstrap_ci

BOOTSTRAP_SEED = 0


@dataclass
class GroupStats:
    label: str
    runs: int  # all records in the group
    completed: int
    median: float
    iqm: tuple[float, float, float]  # point, low, high
    mean: float
    std: float
    target: float | None
    solved: int
    steps_to_target: float
    wall_to_target: float
    wall: float


def _median(xs: list[float]) -> float:
    """Median that keeps +inf (``np.median`` of [1, inf] is inf, of [1, 2, inf] is 2)."""
    return float(np.median(xs)) if xs else math.nan


def group_stats(
    label: str, records: list[Record], target: float | None, reps: int = 2000
) -> GroupStats:
    finals = [r.final for r in records if r.ok]
    iqm_ci = stratified_bootstrap_ci([finals], iqm, reps=reps, seed=BOOTSTRAP_SEED)
    reach = [r.first_reach(target) for r in records] if target is not None else []
    return GroupStats(
        label=label,
        runs=len(records),
        completed=len(finals),
        median=_median(finals),
        iqm=iqm_ci,
        mean=float(np.mean(finals)) if finals else math.nan,
        std=float(np.std(finals, ddof=1)) if len(finals) > 1 else math.nan,
        target=target,
        solved=sum(math.isfinite(s) for s, _ in reach),
        steps_to_target=_median([s for s, _ in reach]),
        wall_to_target=_median([w for _, w in reach]),
        wall=_median([r.wall_s for r in records if r.ok]),
    )


def split_and_group(
    records: list[Record], split_by: str | None, group_by: str
) -> dict[str, dict[str, list[Record]]]:
    """``{split value: {group value: records}}``, both levels sorted by value (one split,
    named "all", without ``split_by``)."""
    out: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        split = r.value(split_by) if split_by else "all"
        out[split][r.value(group_by)].append(r)

    def order(item: tuple[str, object]) -> tuple[int, float, str]:
        """Numbers in numeric order (5 before 10), then names alphabetically."""
        try:
            return 0, float(item[0]), ""
        except ValueError:
            return 1, 0.0, item[0]

    return {s: dict(sorted(g.items(), key=order)) for s, g in sorted(out.items(), key=order)}


def split_target(records: list[Record], override: float | None) -> float | None:
    """The target of a split: ``--target`` if given, else the records' own (the env's
    solved threshold) when they agree, else none."""
    if override is not None:
        return override
    targets = {r.target for r in records if r.target is not None}
    return targets.pop() if len(targets) == 1 else None


def default_group_key(records: list[Record], split_by: str | None) -> str:
    """The first override key, other than seed and the split key, whose value differs
    between records."""
    keys: list[str] = []
    for r in records:
        for item in r.overrides:
            key = item.lstrip("+~").partition("=")[0]
            if key not in keys and key not in ("seed", split_by):
                keys.append(key)
    for key in keys:
        if len({r.value(key) for r in records}) > 1:
            return key
    return "seed"
