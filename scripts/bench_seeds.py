#!/usr/bin/env python
"""Wall time of N CartPole seeds four ways: one batch command (its default worker
processes, and held to one process), N sequential commands, and a parallel-launcher
sweep; plus one big batch.

    python scripts/bench_seeds.py                      # 8 seeds, 1 repeat, + a 64-seed batch
    python scripts/bench_seeds.py --repeats 3          # median of 3 per way
    python scripts/bench_seeds.py --device cuda --count 8 --big 1024   # GPU, torch envs

(a) ``advrun train env=cartpole seeds=[1..N]`` (``seeds_workers=auto``: one worker
process per core); (a1) the same held to one process (``seeds_workers=1``); (b)
``advrun train env=cartpole seed=i`` for i = 1..N, one after another; (c) ``advrun
train -m env=cartpole seed=1,..,N hydra/launcher=parallel``; (d) one batch of
``--big`` seeds. Every command is the installed console script (start-up included, as
a user pays it), with the default config (``progress=false``; ``--device cuda`` adds
``device=cuda env.backend=torch``). "Solved" counts members whose ``summary.json``
``final_eval_return`` >= 475. The table quotes the load average, since the machine may
be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 475.0


def _advrun() -> list[str]:
    exe = shutil.which("advrun")
    return [exe] if exe else [sys.executable, "-m", "advrun"]


def _timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([*_advrun(), *args], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(
            f"exit {done.returncode}: advrun {' '.join(args)}\n{done.stderr[-2000:]}\n"
        )
    return wall


def solved(root: Path) -> tuple[int, int]:
    """(members with final_eval_return >= 475, members) under ``root``."""
    returns = []
    for path in sorted(root.rglob("summary.json")):
        data = json.loads(path.read_text())
        value = data.get("final_eval_return")
        returns.append(float(value) if value is not None else float("nan"))
    return sum(r >= TARGET for r in returns), len(returns)


def batch_record(batch_dir: Path) -> dict | None:
    """The batch's ``batch.json`` (its mode and seconds per phase), if it wrote one."""
    path = batch_dir / "batch.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _env_parts(worker: dict) -> float:
    """The profile's env-step seconds (already inside collect and eval)."""
    return sum(v for k, v in worker.get("profile", {}).items() if k.startswith("env steps"))


def common(device: str, extra: list[str]) -> list[str]:
    args = ["env=cartpole", "progress=false", f"device={device}"]
    if device == "cuda":
        args.append("env.backend=torch")
    return [*args, *extra]


def batch(seeds: list[int], out: Path, base: list[str], cwd: Path) -> float:
    listed = ",".join(map(str, seeds))
    return _timed(["train", *base, f"seeds=[{listed}]", f"hydra.run.dir={out}"], cwd)


def batch_one_process(seeds: list[int], out: Path, base: list[str], cwd: Path) -> float:
    """(a) held to one process (``seeds_workers=1``): the batching alone, one core."""
    return batch(seeds, out, [*base, "seeds_workers=1"], cwd)


def sequential(seeds: list[int], out: Path, base: list[str], cwd: Path) -> float:
    return sum(
        _timed(["train", *base, f"seed={s}", f"hydra.run.dir={out / str(s)}"], cwd) for s in seeds
    )


def parallel(seeds: list[int], out: Path, base: list[str], cwd: Path) -> float:
    listed = ",".join(map(str, seeds))
    args = ["train", "-m", *base, f"seed={listed}", "hydra/launcher=parallel"]
    return _timed([*args, f"hydra.sweep.dir={out}"], cwd)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=8, help="seeds in (a)-(c) (default 8)")
    p.add_argument("--big", type=int, default=64, help="seeds in the big batch (d); 0 skips")
    p.add_argument("--repeats", type=int, default=1, help="runs per way; the median is shown")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--skip", default="", help="ways to skip, e.g. b,c (a GPU has no use for c)")
    p.add_argument("--out", type=Path, default=None, help="keep the run dirs here")
    p.add_argument("extra", nargs="*", help="more overrides for every run (e.g. total_steps=20000)")
    args = p.parse_args(argv)
    seeds = list(range(1, args.count + 1))
    base = common(args.device, args.extra)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_seeds_"))
    cwd = out
    cwd.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    ways = {"a": batch, "a1": batch_one_process, "b": sequential, "c": parallel}
    walls: dict[str, list[float]] = {k: [] for k in ways}
    counts: dict[str, list[tuple[int, int]]] = {k: [] for k in ways}
    skip = set(args.skip.split(",")) - {""}
    for rep in range(args.repeats):
        for key, way in ways.items():
            if key in skip:
                continue
            where = out / f"{key}{rep}"
            walls[key].append(way(seeds, where, base, cwd))
            counts[key].append(solved(where))
            print(f"# {key} repeat {rep}: {walls[key][-1]:.1f} s", file=sys.stderr, flush=True)
    big_wall, big_solved = None, None
    if args.big:
        where = out / "d"
        big_wall = batch(list(range(1, args.big + 1)), where, base, cwd)
        big_solved = solved(where)
    load_after = os.getloadavg()

    def med(key: str) -> float:
        return statistics.median(walls[key]) if walls[key] else float("nan")

    a = med("a")
    labels = {
        "a": f"(a) one command, seeds=[1..{args.count}] (seeds_workers=auto)",
        "a1": f"(a1) one process, seeds=[1..{args.count}] seeds_workers=1",
        "b": f"(b) {args.count} sequential commands",
        "c": f"(c) -m hydra/launcher=parallel, {args.count} seeds",
    }
    print(f"device {args.device}; overrides: {' '.join(base)}; repeats {args.repeats} (median)")
    cpus = os.cpu_count()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({cpus} CPUs)")
    print("| way | wall s | / (a) | all solved (>= 475) |")
    print("|---|---|---|---|")
    for key in ways:
        if key in skip:
            continue
        solved_text = ", ".join(f"{s}/{n}" for s, n in counts[key])
        print(f"| {labels[key]} | {med(key):.1f} | {med(key) / a:.2f} | {solved_text} |")
    if big_wall is not None and big_solved is not None:
        big = f"{big_solved[0]}/{big_solved[1]}"
        print(f"| (d) one command, seeds=[1..{args.big}] | {big_wall:.1f} | - | {big} |")
    for label, where in (("(a), last repeat", out / f"a{args.repeats - 1}"), ("(d)", out / "d")):
        record = batch_record(where)
        if record:
            phases = ", ".join(f"{k} {v:.1f}" for k, v in record.get("profile", {}).items())
            print(f"{label}: mode {record.get('mode', '?')}; seconds by phase: {phases}")
            for worker in record.get("workers", []):
                busy = sum(worker.get("profile", {}).values()) - _env_parts(worker)
                print(f"  worker seeds {worker.get('seeds')}: {busy:.1f} s in its rounds")
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
