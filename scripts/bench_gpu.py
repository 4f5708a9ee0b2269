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

On a GPU machine:  python scripts/bench_gpu.py --device cuda --num-envs 4096
On CPU (smoke):    python scripts/bench_gpu.py --device cpu --num-envs 64 --train-steps 8192
"""

from __future__ import annotations

import argparse
import json
import logging
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


def train(device: str, num_envs: int, total_steps: int, solve: bool, seed: int) -> dict:
    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    logging.disable(logging.INFO)
    register_configs()
    overrides = [
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
        ["eval.interval=65536", "early_stop.target_return=475"]
        if solve
        else ["eval.interval=0", "eval.episodes=1", "early_stop.target_return=null"]
    )
    with (
        initialize_config_dir(conf_dir(), version_base="1.3"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        Trainer(to_train_config(compose("train", overrides=overrides)), tmp).run()
        return json.loads((Path(tmp) / "summary.json").read_text())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--num-envs", type=int, default=4096)
    p.add_argument("--env-steps", type=int, default=1000, help="steps per env-only timing")
    p.add_argument("--train-steps", type=int, default=5_000_000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"

    env_runs = [
        env_steps_per_s(args.num_envs, args.device, args.env_steps) for _ in range(args.repeats)
    ]
    train_runs = [
        train(args.device, args.num_envs, args.train_steps, False, s)
        for s in range(1, args.repeats + 1)
    ]
    solve_runs = [
        train(args.device, args.num_envs, 20_000_000, True, s) for s in range(1, args.repeats + 1)
    ]

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
        f"| time to solve, s (train time, eval excluded) | "
        f"{med(r['train_time_s'] for r in solve_runs):.2f} "
        f"({len(solved)}/{len(solve_runs)} solved, median "
        f"{med(r['steps'] for r in solve_runs):,.0f} steps) |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
