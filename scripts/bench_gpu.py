#!/usr/bin/env python
"""Throughput of the torch-native env backend, and of training on it, on one device.

Prints three figures (median of ``--repeats``) for CartPole-v1 on ``--device``:

1. env-only steps/s of advrun's ``CartPoleTorch`` with ``--num-envs`` envs (random
   actions), next to gymnasium's native numpy CartPole vector env with the same
   number of envs on the host;
2. training env-steps/s of ``advrun train env.backend=torch device=<device>`` with
   ``--num-envs`` envs (rollouts and learning on the device, no evaluation);
3. time to solve (first 20-episode deterministic eval >= 475, eval time excluded)
   with the same settings.

On a GPU machine:  python scripts/bench_gpu.py --device cuda --num-envs 4096 --solve-envs 256
(at 4096 envs PPO needs millions of steps to solve; ``--solve-envs`` sizes the solve runs)
On CPU (smoke):    python scripts/bench_gpu.py --device cpu --num-envs 64 --train-steps 8192

``--compile MODE[,MODE...]`` (modes of ``compile=``: default, reduce-overhead,
max-autotune-no-cudagraphs) instead runs eager and each mode side by side, repeat by
repeat, and prints one row per variant with its ratio to eager:

* env-steps/s of the whole training run (no evaluation), compile included;
* steady env-steps/s: the iterations after the first ``WARM_ITERATIONS`` (compile and
  CUDA-graph recording done), to show what a long run approaches;
* time to solve (train time, compile and warm-up included, eval excluded).

Every run starts from a cleared ``torch._dynamo`` state, so each pays its own tracing
and compile as a fresh process does; inductor's on-disk cache stays warm after the first
run of a mode, as it is for a user's second run. A variant that fails is reported and
the others go on. ``--budget-s`` (default 170) ends the benchmark at the first run, from
the second round on, whose previous round's time would not fit (the table gives each
variant's repeats). The GPU A/B, meant to take about 3 minutes on one H200 (untimed
there yet; rollouts of 4096 x 16 = 65,536 steps, 32 of them per throughput run, so no
short last rollout adds a shape to compile):

  python scripts/bench_gpu.py --device cuda --num-envs 4096 --compile default,reduce-overhead
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def env_steps_per_s(num_envs: int, device: str, steps: int) -> tuple[float, float]:
    import gymnasium as gym

    from advrun.envs.torch_envs import make_torch_vec_env

    envs = make_torch_vec_env("CartPole-v1", num_envs, device=device)
    envs.reset(seed=0)
    gen = torch.Generator(device=device).manual_seed(0)
    actions = torch.randint(0, 2, (steps, num_envs), generator=gen, device=device)
    envs.step(actions[0])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for t in range(steps):
        envs.step(actions[t])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    torch_sps = steps * num_envs / (time.perf_counter() - start)

    ref = gym.make_vec("CartPole-v1", num_envs, vectorization_mode="vector_entry_point")
    ref.reset(seed=0)
    host_actions = np.random.default_rng(0).integers(0, 2, (steps, num_envs))
    start = time.perf_counter()
    for t in range(steps):
        ref.step(host_actions[t])
    numpy_sps = steps * num_envs / (time.perf_counter() - start)
    return torch_sps, numpy_sps


# Iterations (rollout + update) a compiled run needs before it is warm: the first
# rollout compiles the policy step, the first update the training forward and backward.
WARM_ITERATIONS = 3


def train(
    device: str,
    num_envs: int,
    total_steps: int,
    solve: bool,
    seed: int,
    compile_mode: str | None = None,
) -> dict:
    """One run's ``summary.json``, plus ``steady_sps``: env steps per second of the
    iterations after the first :data:`WARM_ITERATIONS` (timed around ``iterate``)."""
    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    logging.disable(logging.INFO)
    register_configs()
    torch._dynamo.reset()  # each run compiles from scratch, as a new process would
    overrides = [
        f"compile={compile_mode or 'null'}",
        "env.backend=torch",
        f"device={device}",
        f"env.num_envs={num_envs}",
        "algo.rollout_steps=16",
        f"seed={seed}",
        "progress=false",
        "checkpoint_interval=0",
        f"total_steps={total_steps}",
    ]
    overrides += (
        # One eval per rollout at 4096 envs, every few rollouts with fewer.
        [f"eval.interval={max(16 * num_envs, 16384)}", "early_stop.target_return=475"]
        if solve
        else ["eval.interval=0", "eval.episodes=1", "early_stop.target_return=null"]
    )
    with (
        initialize_config_dir(conf_dir(), version_base="1.3"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        trainer = Trainer(to_train_config(compose("train", overrides=overrides)), tmp)
        timed: list[tuple[int, float]] = []
        iterate = trainer.algorithm.iterate

        def timed_iterate(budget: int, progress: float):
            start = time.perf_counter()
            it = iterate(budget, progress)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            timed.append((it.steps, time.perf_counter() - start))
            return it

        trainer.algorithm.iterate = timed_iterate  # type: ignore[method-assign]
        trainer.run()
        summary = json.loads((Path(tmp) / "summary.json").read_text())
    steady = timed[WARM_ITERATIONS:]
    summary["steady_sps"] = (
        sum(n for n, _ in steady) / sum(t for _, t in steady) if steady else math.nan
    )
    return summary


def solve_envs(args: argparse.Namespace) -> int:
    """Envs of the time-to-solve runs: ``--solve-envs``, else ``--num-envs``."""
    return args.solve_envs or args.num_envs


def compare(args: argparse.Namespace, modes: list[str]) -> list[str]:
    """Eager and each compile mode, round by round (round ``r`` runs every variant with
    seed ``r``), for ``--repeats`` rounds. From the second round on, a variant's run
    starts only when its previous round's time still fits in ``--budget-s``; the first
    that does not ends the benchmark (later rounds are faster: caches are warm). A
    variant that raises is tried no more and noted under the table. Returns the rows."""
    variants: list[str | None] = [None, *modes]
    runs: dict[str | None, list[tuple[dict, dict]]] = {v: [] for v in variants}
    errors: dict[str | None, str] = {}
    took: dict[str | None, float] = {}
    start = time.perf_counter()
    for r in range(args.repeats):
        for v in variants:
            if v in errors:
                continue
            if r and args.budget_s and time.perf_counter() - start + took[v] > args.budget_s:
                break
            run_start = time.perf_counter()
            try:
                thru = train(args.device, args.num_envs, args.train_steps, False, r + 1, v)
                solve = train(args.device, solve_envs(args), args.solve_steps, True, r + 1, v)
            except Exception as err:  # one broken mode must not cost the others' figures
                first = (str(err).splitlines() or [""])[0][:200]
                errors[v] = f"round {r + 1}: {type(err).__name__}: {first}"
                continue
            took[v] = time.perf_counter() - run_start
            runs[v].append((thru, solve))
            print(  # as it ends, so a run cut short by a time limit still reports
                f"round {r + 1} {v or 'eager'}: {thru['sps']:,.0f} env-steps/s "
                f"(steady {thru['steady_sps']:,.0f}); solve {solve['train_time_s']:.2f} s, "
                f"final {solve['final_eval_return']:.1f} at {solve['steps']:,} steps; "
                f"{took[v]:.0f} s",
                flush=True,
            )
        else:
            continue
        break
    med = statistics.median
    base = runs[None]
    rows = [
        "| variant | repeats | env-steps/s (run, compile incl.) | x eager | steady env-steps/s "
        "| x eager | time to solve, s (compile incl.) | x eager (speed-up) | solved | steps |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for v in variants:
        name = v or "eager"
        if not runs[v]:
            rows.append(f"| {name} | 0 | failed |")
            continue
        sps = med(t["sps"] for t, _ in runs[v])
        steady = med(t["steady_sps"] for t, _ in runs[v])
        solve = med(s["train_time_s"] for _, s in runs[v])
        solved = sum(s["final_eval_return"] >= 475 for _, s in runs[v])
        steps = med(s["steps"] for _, s in runs[v])
        ratios = ["-", "-", "-"]
        if base:
            b_sps = med(t["sps"] for t, _ in base)
            b_steady = med(t["steady_sps"] for t, _ in base)
            b_solve = med(s["train_time_s"] for _, s in base)
            ratios = [f"{sps / b_sps:.2f}", f"{steady / b_steady:.2f}", f"{b_solve / solve:.2f}"]
        rows.append(
            f"| {name} | {len(runs[v])} | {sps:,.0f} | {ratios[0]} | {steady:,.0f} | "
            f"{ratios[1]} | {solve:.2f} | {ratios[2]} | {solved}/{len(runs[v])} | "
            f"{steps:,.0f} |"
        )
    rows += [f"\n{v or 'eager'} failed in {why}" for v, why in errors.items()]
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--num-envs", type=int, default=4096)
    p.add_argument("--env-steps", type=int, default=1000, help="steps per env-only timing")
    p.add_argument("--train-steps", type=int, default=5_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--solve-steps", type=int, default=20_000_000, help="step budget of a time-to-solve run"
    )
    p.add_argument(
        "--solve-envs",
        type=int,
        default=None,
        help="envs of the time-to-solve runs (default --num-envs; fewer envs learn in fewer steps)",
    )
    p.add_argument(
        "--compile",
        default=None,
        help="comma-separated compile= modes to compare with eager (e.g. default,reduce-overhead)",
    )
    p.add_argument(
        "--budget-s",
        type=float,
        default=170.0,
        help="with --compile: start no repeat round that would end past this (0: no limit)",
    )
    args = p.parse_args()
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    if args.compile:
        from advrun.networks.compiled import COMPILE_MODES

        modes = [m.strip() for m in args.compile.split(",") if m.strip()]
        unknown = [m for m in modes if m not in COMPILE_MODES]
        if unknown:
            p.error(f"--compile: {unknown} not in {', '.join(COMPILE_MODES)}")
        if args.train_steps == p.get_default("train_steps"):
            # Whole rollouts (16 rows, as train() sets): a short last one would be one
            # more minibatch shape, compiled inside the steady window.
            args.train_steps = 32 * 16 * args.num_envs
        rows = compare(args, modes)
        print(
            f"device: {args.device} ({name}); torch {torch.__version__}; CartPole-v1 x "
            f"{args.num_envs} envs, PPO, {args.train_steps:,} steps per throughput run; "
            f"medians over the repeats shown"
        )
        print("\n".join(rows))
        return 0

    # Each run is printed as it ends, so a run cut short by a time limit still reports
    # what it measured.
    env_runs, train_runs, solve_runs = [], [], []
    solve_n = solve_envs(args)
    for _ in range(args.repeats):
        env_runs.append(env_steps_per_s(args.num_envs, args.device, args.env_steps))
        print(
            f"env-only: torch {env_runs[-1][0]:,.0f}/s, numpy {env_runs[-1][1]:,.0f}/s", flush=True
        )
    for s in range(1, args.repeats + 1):
        train_runs.append(train(args.device, args.num_envs, args.train_steps, False, s))
        r = train_runs[-1]
        print(f"train seed {s}: {r['steps']:,} steps, {r['sps']:,.0f} steps/s", flush=True)
    for s in range(1, args.repeats + 1):
        solve_runs.append(train(args.device, solve_n, args.solve_steps, True, s))
        r = solve_runs[-1]
        print(
            f"solve seed {s}: final {r['final_eval_return']:.1f} at {r['steps']:,} steps, "
            f"train {r['train_time_s']:.2f} s",
            flush=True,
        )

    med = statistics.median
    print(
        f"device: {args.device} ({name}); torch {torch.__version__}; "
        f"CartPole-v1 x {args.num_envs} envs; medians of {args.repeats}"
    )
    print(
        f"| env-only steps/s, advrun CartPoleTorch on {args.device} | "
        f"{med(r[0] for r in env_runs):,.0f} |"
    )
    print(
        f"| env-only steps/s, gymnasium numpy CartPole (host) | "
        f"{med(r[1] for r in env_runs):,.0f} |"
    )
    print(
        f"| training env-steps/s (advrun PPO, no eval) | {med(r['sps'] for r in train_runs):,.0f} |"
    )
    solved = [r for r in solve_runs if r["final_eval_return"] >= 475]
    print(
        f"| time to solve, s (train time, eval excluded; {solve_n} envs) | "
        f"{med(r['train_time_s'] for r in solve_runs):.2f} "
        f"({len(solved)}/{len(solve_runs)} solved, median "
        f"{med(r['steps'] for r in solve_runs):,.0f} steps) |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
