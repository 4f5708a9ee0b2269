#!/usr/bin/env python
"""advrun vs Stable-Baselines3 (RL Zoo's tuned PPO or DQN) on CartPole-v1, side by side.

Every trial runs in a fresh subprocess (so peak RSS is per run), and the two
libraries alternate seed by seed (advrun, sb3, sb3, advrun, ...) so machine noise
hits both alike. Same evaluation protocol for both: every ``--eval-every`` env steps
(at the first update boundary past each multiple), 20 deterministic episodes on a
separate 20-env CartPole vector env, one episode per env; evaluation time is
excluded from both training clocks. Measured per trial:

* time to solve: training seconds until the first eval mean >= 475
* training env-steps/s over a fixed budget with no evaluation (``--sps-steps``)
* peak RSS of the process

plus the end-to-end wall time of the command ``advrun train env=cartpole``.

``--algo ppo`` (default). SB3 hyperparameters: rl-baselines3-zoo
``hyperparams/ppo.yml``, ``CartPole-v1``: 8 envs, n_steps 32, batch 256, 20 epochs,
gamma 0.98, GAE lambda 0.8, ent 0, lr linear 1e-3, clip linear 0.2, 1e5 timesteps.
advrun runs its default config (``advrun train env=cartpole``).

``--algo dqn``. SB3 hyperparameters: rl-baselines3-zoo ``hyperparams/dqn.yml``
(commit 019107e), ``CartPole-v1``: 1 env, lr 2.5e-4, batch 512, buffer 1e5,
learning_starts 0, gamma 0.99, target_update_interval 5000, train_freq 16,
gradient_steps 4, exploration_fraction 0.06, final eps 0.11, 2e5 timesteps, MlpPolicy
(64-64). advrun runs ``advrun train algo=dqn env=cartpole`` (its own defaults; add
``--advrun-args network.dueling=true algo.operator=al`` for the variants).

    pip install -e ".[bench]"
    python scripts/bench_sb3.py --seeds 1 2 3 4 5
    python scripts/bench_sb3.py --algo dqn --seeds 1 2 3 4 5 --eval-every 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 475.0
EVAL_EPISODES = 20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _eval_envs():
    from advrun.envs import make_vec_env

    return make_vec_env("CartPole-v1", EVAL_EPISODES)


def _returns(act, envs, seed: int) -> float:
    """Mean return of one episode per sub-env, actions from ``act(obs) -> actions``."""
    import numpy as np

    obs, _ = envs.reset(seed=seed)
    total = np.zeros(envs.num_envs)
    done = np.zeros(envs.num_envs, dtype=bool)
    while not done.all():
        obs, reward, term, trunc, _ = envs.step(act(obs))
        total += np.where(done, 0.0, reward)
        done |= term | trunc
    return float(total.mean())


# -- workers (run in a subprocess) ---------------------------------------------------
def worker_advrun(
    seed: int, mode: str, eval_every: int, sps_steps: int, algo: str, extra: list[str]
) -> dict[str, Any]:
    import logging

    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    logging.disable(logging.INFO)
    register_configs()
    if mode == "solve":
        # DQN's exploration schedule is a fraction of total_steps: give it the same
        # 2e5-step budget as the zoo gives SB3 (and as advrun's default).
        budget = 200_000 if algo == "dqn" else 1_000_000
        overrides = [
            f"eval.interval={eval_every}",
            f"eval.episodes={EVAL_EPISODES}",
            f"total_steps={budget}",
            f"early_stop.target_return={TARGET}",
        ]
    else:
        overrides = [
            f"total_steps={sps_steps}",
            "eval.interval=0",
            "eval.episodes=1",
            "early_stop.target_return=null",
        ]
    overrides += [f"seed={seed}", "progress=false", "checkpoint_interval=0"]
    if algo == "dqn":
        overrides += ["algo=dqn"]
    overrides += extra
    with (
        initialize_config_dir(conf_dir(), version_base="1.3"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        cfg = to_train_config(compose("train", overrides=overrides))
        trainer = Trainer(cfg, tmp)
        trainer.run()
        summary = json.loads((Path(tmp) / "summary.json").read_text())
    solved = summary["final_eval_return"] >= TARGET
    return {
        "train_time_s": summary["train_time_s"],
        "steps": summary["steps"],
        "solved": solved if mode == "solve" else None,
        "sps": summary["steps"] / summary["train_time_s"],
    }


def _sb3_model(algo: str, seed: int) -> Any:
    """RL Zoo's tuned CartPole-v1 model of ``algo`` (the module docstring)."""
    from stable_baselines3 import DQN, PPO
    from stable_baselines3.common.env_util import make_vec_env

    def linear(start: float):
        return lambda progress_remaining: progress_remaining * start

    if algo == "dqn":
        return DQN(
            "MlpPolicy",
            make_vec_env("CartPole-v1", n_envs=1, seed=seed),
            learning_rate=2.5e-4,
            batch_size=512,
            buffer_size=100_000,
            learning_starts=0,
            gamma=0.99,
            target_update_interval=5000,
            train_freq=16,
            gradient_steps=4,
            exploration_fraction=0.06,
            exploration_final_eps=0.11,
            seed=seed,
            verbose=0,
            device="cpu",
        )
    return PPO(
        "MlpPolicy",
        make_vec_env("CartPole-v1", n_envs=8, seed=seed),
        n_steps=32,
        batch_size=256,
        gae_lambda=0.8,
        gamma=0.98,
        n_epochs=20,
        ent_coef=0.0,
        learning_rate=linear(1e-3),
        clip_range=linear(0.2),
        seed=seed,
        verbose=0,
        device="cpu",
    )


# The zoo's training budgets for CartPole-v1 (the solve clock stops at the target).
SB3_BUDGET = {"ppo": 100_000, "dqn": 200_000}


def worker_sb3(
    seed: int, mode: str, eval_every: int, sps_steps: int, algo: str, extra: list[str]
) -> dict[str, Any]:
    from stable_baselines3.common.callbacks import BaseCallback

    model = _sb3_model(algo, seed)
    eval_envs = _eval_envs()

    class SolveClock(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.eval_time = 0.0
            self.next_eval = eval_every
            self.solved_at: int | None = None
            self.evals = 0

        def _on_step(self) -> bool:
            if mode != "solve" or self.num_timesteps < self.next_eval:
                return True
            start = time.perf_counter()
            self.next_eval += eval_every
            mean = _returns(
                lambda o: model.predict(o, deterministic=True)[0],
                eval_envs,
                seed=seed + 10_000 + self.evals,
            )
            self.evals += 1
            self.eval_time += time.perf_counter() - start
            if mean >= TARGET:
                self.solved_at = self.num_timesteps
                return False
            return True

    clock = SolveClock()
    budget = SB3_BUDGET[algo] if mode == "solve" else sps_steps
    start = time.perf_counter()
    model.learn(total_timesteps=budget, callback=clock)
    train_time = time.perf_counter() - start - clock.eval_time
    steps = model.num_timesteps
    return {
        "train_time_s": train_time,
        "steps": clock.solved_at or steps,
        "solved": clock.solved_at is not None if mode == "solve" else None,
        "sps": steps / train_time,
    }


WORKERS = {"advrun": worker_advrun, "sb3": worker_sb3}


def run_worker(
    lib: str, seed: int, mode: str, eval_every: int, sps_steps: int, algo: str, extra: list[str]
) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        lib,
        "--seed",
        str(seed),
        "--mode",
        mode,
        "--eval-every",
        str(eval_every),
        "--sps-steps",
        str(sps_steps),
        "--algo",
        algo,
        *(["--advrun-args", *extra] if extra else []),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} seed {seed} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def command_wall(repeats: int, algo: str, extra: list[str]) -> list[float]:
    advrun = str(Path(sys.executable).with_name("advrun"))
    times = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(
                [
                    advrun,
                    "train",
                    "env=cartpole",
                    *(["algo=dqn"] if algo == "dqn" else []),
                    *extra,
                    f"seed={i + 1}",
                    "progress=false",
                    f"hydra.run.dir={tmp}/run",
                ],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] + " Needs the bench extra: pip install -e '.[bench]'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds per library")
    p.add_argument("--eval-every", type=int, default=4096, help="env steps between evaluations")
    p.add_argument("--sps-steps", type=int, default=100_000, help="budget of the no-eval speed run")
    p.add_argument(
        "--command-repeats", type=int, default=3, help="end-to-end `advrun train` timings"
    )
    p.add_argument("--worker", choices=sorted(WORKERS), help="internal: subprocess entry")
    p.add_argument("--seed", type=int, help="internal: the worker's seed")
    p.add_argument("--mode", choices=["solve", "sps"], help="internal: the worker's measurement")
    p.add_argument("--algo", choices=["ppo", "dqn"], default="ppo", help="algorithm compared")
    p.add_argument(
        "--advrun-args", nargs="*", default=[], help="extra advrun overrides (key=value)"
    )
    args = p.parse_args()
    extra = list(args.advrun_args)

    if args.worker:  # subprocess entry
        os.environ.setdefault("PYTHONHASHSEED", "0")
        result = WORKERS[args.worker](
            args.seed, args.mode, args.eval_every, args.sps_steps, args.algo, extra
        )
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return 0

    results: dict[str, dict[str, list[dict]]] = {lib: {"solve": [], "sps": []} for lib in WORKERS}
    for i, seed in enumerate(args.seeds):
        order = ["advrun", "sb3"] if i % 2 == 0 else ["sb3", "advrun"]
        for mode in ("solve", "sps"):
            for lib in order:
                r = run_worker(lib, seed, mode, args.eval_every, args.sps_steps, args.algo, extra)
                results[lib][mode].append(r)
                print(
                    f"  {lib:<7} seed={seed} {mode:<5} "
                    + " ".join(
                        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
                    ),
                    flush=True,
                )
    walls = command_wall(args.command_repeats, args.algo, extra)

    def solve_times(lib: str) -> list[float]:
        return [r["train_time_s"] if r["solved"] else float("inf") for r in results[lib]["solve"]]

    rows = []
    for label, fn in (
        ("time to solve, s (median)", lambda lib: median(solve_times(lib))),
        (
            "env-steps to solve (median)",
            lambda lib: median([r["steps"] for r in results[lib]["solve"]]),
        ),
        (
            "training env-steps/s (median)",
            lambda lib: median([r["sps"] for r in results[lib]["sps"]]),
        ),
        (
            "peak RSS, MB (median)",
            lambda lib: median(
                [r["peak_rss_mb"] for r in results[lib]["solve"] + results[lib]["sps"]]
            ),
        ),
    ):
        a, s = fn("advrun"), fn("sb3")
        better = s / a if "steps/s" not in label else a / s
        rows.append((label, a, s, better))
    solved = {lib: sum(bool(r["solved"]) for r in results[lib]["solve"]) for lib in WORKERS}

    print(
        f"\n{args.algo.upper()} on CartPole-v1 (advrun args: {' '.join(extra) or 'none'}), "
        f"seeds {args.seeds}, eval every {args.eval_every} steps "
        f"({EVAL_EPISODES} deterministic episodes), torch threads: advrun 1 (its "
        f"default), SB3 torch default ({os.cpu_count()} cores)"
    )
    print(f"| metric | advrun | SB3 + zoo {args.algo.upper()} | advrun advantage |")
    print("|---|---|---|---|")
    for label, a, s, ratio in rows:
        print(f"| {label} | {a:,.2f} | {s:,.2f} | {ratio:.2f}x |")
    print(
        f"| solved (eval >= {TARGET:.0f}) | {solved['advrun']}/{len(args.seeds)} | "
        f"{solved['sb3']}/{len(args.seeds)} | |"
    )
    print(
        f"\n`advrun train env=cartpole{' algo=dqn' if args.algo == 'dqn' else ''}` end-to-end "
        f"command wall time: median "
        f"{median(walls):.2f}s over {len(walls)} runs ({', '.join(f'{w:.2f}' for w in walls)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
