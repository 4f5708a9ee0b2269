#!/usr/bin/env python
"""The action gap of DQN sweep members, per variant: what the AL operators exist to change.

The DQN logs ``charts/action_gap`` each iteration: the mean over the sampled states of
``Q(s, a*) - max_{a != a*} Q(s, a)`` of the online network (Bellemare et al. 2016,
"Increasing the Action Gap"). This script reads that series (and ``losses/q_values``,
the mean ``Q(s, a)`` of the sampled actions, for scale) from every member of one or
more ``advrun train -m`` sweep directories, and per (env, variant) reports

* ``gap``: the member's mean gap over the env steps ``[--from, --to]`` -- a window every
  member covers even when early stopping ends some runs sooner, so variants are
  compared at the same stage of training;
* ``rel``: ``gap / |q|`` over the same window (AL shrinks the Q-values of suboptimal
  actions, so the absolute gap alone mixes a wider gap with a larger Q scale);
* IQM over seeds with a 95% stratified-bootstrap CI (:mod:`advrun.sweeps.stats`).

Records go to ``--json`` (re-render with ``--from-json``); the markdown table to stdout
or between the ``--section`` markers of ``--markdown`` (as ``advrun report`` does);
``--png`` draws the mean gap curve per variant, one panel per env::

    python scripts/dqn_action_gap.py outputs/dqn_ablation --group-by name \\
        --window CartPole-v1=20000:60000 --window Acrobot-v1=20000:60000 \\
        --json docs/dqn_ablation/action_gap.json --png docs/dqn_ablation/action_gap.png
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from advrun.sweeps.markdown import splice
from advrun.sweeps.members import eval_curve, find_members
from advrun.sweeps.stats import iqm, stratified_bootstrap_ci

GAP, Q = "charts/action_gap", "losses/q_values"
CURVE_POINTS = 100  # gap curve points kept per member (evenly thinned) for the figure


def window_mean(steps: list[int], values: list[float], lo: int, hi: int) -> float:
    """Mean of ``values`` logged at steps in ``[lo, hi]`` (NaN when none)."""
    picked = [v for s, v in zip(steps, values, strict=True) if lo <= s <= hi]
    return float(np.mean(picked)) if picked else math.nan


def harvest(dirs: list[Path], group_by: str, windows: dict[str, tuple[int, int]]) -> list[dict]:
    records = []
    for sweep in dirs:
        for m in find_members(sweep):
            env = str(m.value("env.id"))
            lo, hi = windows.get(env, (0, 10**12))
            gap_steps, gaps = eval_curve(m.path, GAP)
            q_steps, qs = eval_curve(m.path, Q)
            gap = window_mean(gap_steps, gaps, lo, hi)
            q = window_mean(q_steps, qs, lo, hi)
            records.append(
                {
                    "env": env,
                    "variant": str(m.value(group_by)),
                    "seed": m.value("seed"),
                    "status": m.status,
                    "final_return": m.number("final_eval_return"),
                    "steps": m.summary.get("steps"),
                    "window": [lo, hi],
                    "gap": gap,
                    "q": q,
                    "rel": gap / abs(q) if q else math.nan,
                    "curve": [[s, v] for s, v in zip(gap_steps, gaps, strict=True)][
                        :: max(1, len(gaps) // CURVE_POINTS)
                    ],
                }
            )
    return records


def _ci(values: list[float]) -> str:
    finite = [v for v in values if math.isfinite(v)]
    point, lo, hi = stratified_bootstrap_ci([finite], iqm)
    return f"{point:.3g} [{lo:.3g}, {hi:.3g}]"


def table(records: list[dict]) -> str:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["env"], r["variant"])].append(r)
    lines = [
        "| env | variant | seeds | env-step window | action gap, IQM [95% CI] "
        "| gap / abs(Q), IQM [95% CI] | mean Q | per-seed gap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (env, variant), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: int(r["seed"]))
        lo, hi = rs[0]["window"]
        per_seed = ", ".join(f"{r['gap']:.3g}" for r in rs)
        lines.append(
            f"| {env} | {variant} | {len(rs)} | {lo:,}–{hi:,} | {_ci([r['gap'] for r in rs])} "
            f"| {_ci([r['rel'] for r in rs])} | {np.nanmean([r['q'] for r in rs]):.3g} "
            f"| {per_seed} |"
        )
    return "\n".join(lines)


def plot(records: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from advrun.sweeps.plot import save_figure

    envs = sorted({r["env"] for r in records})
    fig, axes = plt.subplots(1, len(envs), figsize=(5.5 * len(envs), 3.6), squeeze=False)
    for ax, env in zip(axes[0], envs, strict=True):
        by_variant: dict[str, list[dict]] = defaultdict(list)
        for r in records:
            if r["env"] == env and r["curve"]:
                by_variant[r["variant"]].append(r)
        for variant, rs in sorted(by_variant.items()):
            # mean over the seeds still running at each step (early stopping ends some)
            grid = np.linspace(0, max(r["curve"][-1][0] for r in rs), 60)
            curves = np.array(
                [
                    np.where(
                        grid <= r["curve"][-1][0],
                        np.interp(grid, *zip(*r["curve"], strict=True)),
                        np.nan,
                    )
                    for r in rs
                ]
            )
            ax.plot(grid, np.nanmean(curves, axis=0), label=f"{variant} ({len(rs)} seeds)")
        ax.axvspan(*next(r["window"] for r in records if r["env"] == env), alpha=0.08)
        ax.set_title(f"{env}: action gap (mean over the seeds still running)", fontsize=10)
        ax.set_xlabel("env steps")
        ax.set_ylabel("Q(s,a*) - second best")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep_dirs", type=Path, nargs="*")
    p.add_argument("--group-by", default="name", help="override/config key naming the variant")
    p.add_argument(
        "--window",
        action="append",
        default=[],
        help="ENV_ID=LO:HI env steps to average the gap over (default: all)",
    )
    p.add_argument("--json", type=Path, help="write the records here")
    p.add_argument("--from-json", type=Path, help="render from records written by --json")
    p.add_argument("--markdown", type=Path, help="splice the table into this .md (default: stdout)")
    p.add_argument("--section", default="action_gap", help="markdown block name")
    p.add_argument("--png", type=Path, help="draw the gap curves here")
    args = p.parse_args(argv)
    if args.from_json:
        records = json.loads(args.from_json.read_text())
    else:
        windows = {}
        for item in args.window:
            env, _, span = item.partition("=")
            lo, _, hi = span.partition(":")
            windows[env] = (int(lo), int(hi))
        records = harvest(args.sweep_dirs, args.group_by, windows)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(records, indent=1) + "\n")
    text = table(records)
    if args.markdown:  # between the markers of --section (advrun report's convention)
        command = "python scripts/dqn_action_gap.py " + " ".join(argv or sys.argv[1:])
        body = f"_Rendered by `{command}`._\n\n{text}\n"
        args.markdown.write_text(splice(args.markdown, args.section, body))
    else:
        print(text)
    if args.png:
        plot(records, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
