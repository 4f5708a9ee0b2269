"""Per-member records of a sweep: what ``advrun report --records`` writes and
``--from-records`` reads, so a study's tables and figures can be re-rendered from a
small committed JSON file without the run directories.

One record per member::

    {"overrides": [...], "keys": {"env.id": "CartPole-v1", "advantage": "gae", ...},
     "seed": 1, "status": "completed", "target": 475.0, "final": 480.9, "best": 480.9,
     "steps": 81920, "wall_s": 7.0, "curve": [[step, wall_s, return], ...]}

``keys`` holds the member's overrides (``advantage=gae`` gives ``"advantage": "gae"``)
and a few config values (env id, component names, seed) as strings, so ``--split-by``
and ``--group-by`` work on either. A curve point's ``wall_s`` is seconds since the
member's TensorBoard writer was created (its first event), read from the event's wall
time; a resumed run's curve counts from its first start.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advrun.sweeps.members import Member

# Config values every record carries (besides its overrides): enough to split and group
# a study by environment and component without the run directory.
CONFIG_KEYS = ("env.id", "algo", "advantage", "optimizer", "seed", "total_steps")
VERSION = 1


@dataclass
class Record:
    """One sweep member, reduced to what a report needs."""

    overrides: list[str]
    keys: dict[str, str]
    seed: int | None
    status: str
    target: float | None
    final: float
    best: float
    steps: int | None
    wall_s: float
    curve: list[tuple[int, float, float]] = field(default_factory=list)

    def value(self, key: str) -> str:
        return self.keys.get(key, "None")

    def matches(self, where: list[str]) -> bool:
        """True if every ``key=value`` in ``where`` holds for this record."""
        return all(self.value(k) == v for k, _, v in (w.partition("=") for w in where))

    @property
    def ok(self) -> bool:
        return self.status == "completed" and math.isfinite(self.final)

    def first_reach(self, target: float) -> tuple[float, float]:
        """(steps, wall seconds) of the first evaluation with return >= ``target``;
        ``(inf, inf)`` if no evaluation reached it."""
        for step, wall, value in self.curve:
            if value >= target:
                return float(step), float(wall)
        return math.inf, math.inf


def _num(x: Any) -> float:
    try:
        return float(x) if x is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def _curve(run_dir: Path) -> list[tuple[int, float, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    if "eval/episodic_return" not in acc.Tags().get("scalars", []):
        return []
    start = acc.FirstEventTimestamp()
    return [
        (int(e.step), round(e.wall_time - start, 2), round(float(e.value), 3))
        for e in acc.Scalars("eval/episodic_return")
    ]


def from_member(member: Member, extra_keys: tuple[str, ...] = ()) -> Record:
    """The record of one member directory (its summary.json, config and TB events);
    ``extra_keys`` are config keys to keep besides ``CONFIG_KEYS`` (e.g. ``algo.epochs``
    when members that did not override it are compared with members that did)."""
    keys: dict[str, str] = {}
    for key in (*CONFIG_KEYS, *extra_keys):
        value = member.value(key)
        if isinstance(value, bool):  # as an override spells it: true/false
            keys[key] = str(value).lower()
        elif isinstance(value, str | int | float) and not str(value).startswith("{"):
            keys[key] = str(value)
    for item in member.overrides:
        name, _, value = item.lstrip("+~").partition("=")
        # A multirun member's overrides spell booleans as Python does (True).
        keys[name] = value.lower() if value in ("True", "False") else value
    seed = member.summary.get("seed", member.value("seed"))
    target = member.value("env.target_return")
    steps = member.summary.get("steps")
    return Record(
        overrides=list(member.overrides),
        keys=keys,
        seed=int(seed) if seed is not None else None,
        status=member.status,
        target=float(target) if isinstance(target, int | float) else None,
        final=round(_num(member.summary.get("final_eval_return")), 3),
        best=round(_num(member.summary.get("best_eval_return")), 3),
        steps=int(steps) if steps is not None else None,
        wall_s=round(_num(member.summary.get("wall_time_s")), 2),
        curve=_curve(member.path) if member.status == "completed" else [],
    )


def _jsonable(x: float) -> float | None:
    return x if math.isfinite(x) else None


def write_records(path: Path, records: list[Record], source: str = "") -> Path:
    """Compact JSON, one record per line (small diffs when a study is re-run)."""
    lines = []
    for r in records:
        row = {
            "overrides": r.overrides,
            "keys": r.keys,
            "seed": r.seed,
            "status": r.status,
            "target": r.target,
            "final": _jsonable(r.final),
            "best": _jsonable(r.best),
            "steps": r.steps,
            "wall_s": _jsonable(r.wall_s),
            "curve": [list(p) for p in r.curve],
        }
        lines.append(json.dumps(row, separators=(",", ":"), sort_keys=True))
    head = json.dumps({"version": VERSION, "source": source}, separators=(",", ":"))
    text = head[:-1] + ',"records":[\n' + ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def read_records(path: Path) -> list[Record]:
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or "records" not in data:
        raise ValueError(f"{path} is not an advrun records file (no 'records' list)")
    out = []
    for row in data["records"]:
        out.append(
            Record(
                overrides=list(row.get("overrides", [])),
                keys={str(k): str(v) for k, v in row.get("keys", {}).items()},
                seed=row.get("seed"),
                status=str(row.get("status", "incomplete")),
                target=row.get("target"),
                final=_num(row.get("final")),
                best=_num(row.get("best")),
                steps=row.get("steps"),
                wall_s=_num(row.get("wall_s")),
                curve=[(int(s), float(w), float(v)) for s, w, v in row.get("curve", [])],
            )
        )
    return out
