#!/usr/bin/env python
"""Measure how reliably and how fast the shipped configs reach their targets.

Runs the installed ``advrun`` console script end to end (one subprocess per seed, so
the wall time includes start-up) and prints one row per run plus a median line:

    python scripts/solve_rates.py                       # cartpole x5, acrobot x3, pendulum x3
    python scripts/solve_rates.py --case pendulum --seeds 1 2 3
    python scripts/solve_rates.py --typed --seeds 1 2 3  # `advrun train env=X` as typed

A run counts as solved when its final eval return (20 deterministic episodes) reaches
the threshold. Exit status 1 when any run misses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# name: (overrides, threshold, default seeds)
CASES: dict[str, tuple[list[str], float, list[int]]] = {
    "cartpole": (["env=cartpole"], 475.0, [1, 2, 3, 4, 5]),
    "acrobot": (["experiment=ppo_acrobot"], -100.0, [1, 2, 3]),
    "pendulum": (["experiment=ppo_pendulum"], -250.0, [1, 2, 3]),
    "reinforce_cartpole": (["experiment=reinforce_cartpole"], 475.0, [1, 2, 3]),
    "a2c_cartpole": (["experiment=a2c_cartpole"], 475.0, [1, 2, 3]),
}
# `advrun train env=X` with nothing else: each shipped classic-control and Box2D env with
# the tuned settings conf/train.yaml picks for it (conf/tuned/ppo_<env>.yaml, if any).
TYPED = {
    "cartpole": 475.0,
    "acrobot": -100.0,
    "mountaincar": -110.0,
    "pendulum": -250.0,
    "lunarlander": 200.0,
}
for _env, _target in TYPED.items():
    CASES[f"typed_{_env}"] = ([f"env={_env}"], _target, [1, 2, 3])
DEFAULT_CASES = ["cartpole", "acrobot", "pendulum"]


def advrun_executable() -> str:
    local = Path(sys.executable).with_name("advrun")
    return str(local) if local.exists() else (shutil.which("advrun") or "advrun")


def run_one(overrides: list[str], seed: int, out: Path) -> dict:
    cmd = [
        advrun_executable(),
        "train",
        *overrides,
        f"seed={seed}",
        "progress=false",
        f"hydra.run.dir={out}",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    summary["command_wall_s"] = wall
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case",
        action="append",
        choices=sorted(CASES),
        help="which config to run (repeatable); default: " + ", ".join(DEFAULT_CASES),
    )
    parser.add_argument("--seeds", type=int, nargs="+", help="override the case's seeds")
    parser.add_argument(
        "--typed", action="store_true", help="every typed_<env> case: `advrun train env=X`"
    )
    args = parser.parse_args()
    cases = args.case or ([f"typed_{env}" for env in TYPED] if args.typed else DEFAULT_CASES)
    missed = 0
    with tempfile.TemporaryDirectory(prefix="advrun-solve-") as tmp:
        for name in cases:
            overrides, threshold, seeds = CASES[name]
            rows = []
            for seed in args.seeds or seeds:
                s = run_one(overrides, seed, Path(tmp) / f"{name}-{seed}")
                ok = s["final_eval_return"] >= threshold
                missed += not ok
                rows.append(s)
                print(
                    f"{name:<20} seed={seed:<3} final={s['final_eval_return']:>8.1f} "
                    f"steps={s['steps']:>8} train={s['wall_time_s']:>6.1f}s "
                    f"command={s['command_wall_s']:>6.1f}s {'solved' if ok else 'MISSED'}",
                    flush=True,
                )
            solved = sum(r["final_eval_return"] >= threshold for r in rows)
            print(
                f"{name:<20} solved {solved}/{len(rows)} (>= {threshold}); median steps "
                f"{statistics.median(r['steps'] for r in rows):.0f}, median train wall "
                f"{statistics.median(r['wall_time_s'] for r in rows):.1f}s, median command "
                f"wall {statistics.median(r['command_wall_s'] for r in rows):.1f}s",
                flush=True,
            )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
