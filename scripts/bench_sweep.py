"""Wall time of one sweep with Hydra's basic launcher (members one after another) vs the
``parallel`` preset (joblib/loky, one process per member), interleaved, median of N.

    python scripts/bench_sweep.py                     # 4 CartPole members, 2M steps, 3 repeats
    python scripts/bench_sweep.py --members 2 --total-steps 512 --repeats 1   # smoke test

Each sweep is a fresh ``advrun train -m`` process, so both sides pay the same start-up;
the order alternates between repeats so drift on the machine hits both. Run it on a
quiet machine with at least ``--members`` free cores; the speedup is bounded by
min(members, cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sweep_command(args: argparse.Namespace, parallel: bool, sweep_dir: Path) -> list[str]:
    seeds = ",".join(str(s) for s in range(1, args.members + 1))
    cmd = [
        sys.executable,
        "-m",
        "advrun",
        "train",
        "-m",
        f"seed={seeds}",
        "env=cartpole",
        f"total_steps={args.total_steps}",
        "early_stop.target_return=null",
        "eval.interval=0",
        f"eval.episodes={args.eval_episodes}",
        "checkpoint_interval=0",
        "progress=false",
        "device=cpu",
        "torch_threads=1",
        f"hydra.sweep.dir={sweep_dir}",
    ]
    if parallel:
        cmd += ["hydra/launcher=parallel"]
        if args.n_jobs:  # default: the preset's n_jobs=-1, one worker per core
            cmd.append(f"hydra.launcher.n_jobs={args.n_jobs}")
    return cmd


def run_sweep(args: argparse.Namespace, parallel: bool, sweep_dir: Path) -> tuple[float, float]:
    """(sweep wall seconds, mean member wall seconds); fails loudly on a failed member."""
    start = time.perf_counter()
    done = subprocess.run(sweep_command(args, parallel, sweep_dir), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"sweep failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    summaries = [json.loads(p.read_text()) for p in sweep_dir.glob("*/summary.json")]
    if len(summaries) != args.members or any(s["status"] != "completed" for s in summaries):
        sys.exit(f"expected {args.members} completed members in {sweep_dir}")
    return wall, statistics.mean(s["wall_time_s"] for s in summaries)


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=4, help="sweep members (seeds), default 4")
    # Members must be long next to a worker's ~3 s start-up (torch import) for parallel
    # sweeps to pay off: 2M CartPole steps is ~25 s a member, 1.84x on 2 cores; 1M
    # (~12 s) gives 1.70x and 100k (~1.3 s) is slower in parallel (docs/benchmarks.md).
    p.add_argument(
        "--total-steps",
        type=int,
        default=2_000_000,
        help="env steps per member (default %(default)s)",
    )
    p.add_argument("--eval-episodes", type=int, default=20, help="default %(default)s")
    p.add_argument(
        "--repeats", type=int, default=3, help="sweeps per launcher (median), default %(default)s"
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="joblib workers (default: the preset's, one per core)",
    )
    p.add_argument("--out", type=Path, default=None, help="keep sweep dirs here (default: tmp)")
    args = p.parse_args(argv)

    root = args.out or Path(tempfile.mkdtemp(prefix="advrun_bench_"))
    times: dict[str, list[float]] = {"basic": [], "parallel": []}
    member: dict[str, list[float]] = {"basic": [], "parallel": []}
    for r in range(args.repeats):
        order = ["basic", "parallel"] if r % 2 == 0 else ["parallel", "basic"]
        for name in order:
            wall, per_member = run_sweep(args, name == "parallel", root / f"{name}_{r}")
            times[name].append(wall)
            member[name].append(per_member)
            print(
                f"repeat {r + 1}/{args.repeats} {name:<8} {wall:7.2f} s "
                f"(member wall {per_member:.2f} s)",
                flush=True,
            )

    basic, parallel = statistics.median(times["basic"]), statistics.median(times["parallel"])
    print(
        f"\n{args.members} members x {args.total_steps} CartPole steps, median of {args.repeats}:"
    )
    print(
        f"  basic launcher          {basic:7.2f} s   "
        f"member {statistics.median(member['basic']):.2f} s"
    )
    print(
        f"  hydra/launcher=parallel {parallel:7.2f} s   member "
        f"{statistics.median(member['parallel']):.2f} s"
    )
    print(f"  speedup {basic / parallel:.2f}x")
    return {"basic_s": basic, "parallel_s": parallel, "speedup": basic / parallel}


if __name__ == "__main__":
    main()
