#!/usr/bin/env python
"""advrun vs Stable-Baselines3 (RL Zoo's tuned PPO or DQN), side by side, on CartPole-v1 or
(PPO, ``--env``) Acrobot-v1, Pendulum-v1 and LunarLander-v3.

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
(commit ce95481, the entry behind the zoo's published 500 ± 0 at 5e4 steps),
``CartPole-v1``: 1 env, lr 2.3e-3, batch 64, buffer 1e5, learning_starts 1000, gamma
0.99, target_update_interval 10, train_freq 256, gradient_steps 128,
exploration_fraction 0.16, final eps 0.04, 5e4 timesteps, MlpPolicy (256-256). (An older
entry, commit 019107e: lr 2.5e-4, batch 512, target every 5000, train_freq 16, 4
gradient steps, 2e5 steps, 64-64, solved 2 of 5 seeds within its 2e5 steps here.)
advrun runs ``advrun train algo=dqn env=cartpole`` (its own defaults; add
``--advrun-args network.dueling=true algo.operator=al`` for the variants).

``--env acrobot|pendulum|lunarlander`` (PPO only; ``ENVS`` below). SB3 runs RL Zoo's PPO
entry of the env (``hyperparams/ppo.yml`` at commit 208b6fd, ``ZOO_PPO``; the zoo's
LunarLander-v2 entry is used for v3): Acrobot-v1 with VecNormalize (observations and
rewards) over 16 envs, Pendulum-v1 with gSDE over 4 envs. Its eval uses the training
VecNormalize statistics, frozen, as advrun evaluates with its running observation
normalisation frozen. advrun runs ``advrun train env=<env>`` as typed (for Pendulum and
LunarLander that picks ``conf/tuned/ppo_gae_<env>.yaml``); ``--advrun-args
experiment=ppo_<env>`` runs the zoo-faithful preset instead. SB3 trains for the zoo's
``n_timesteps``, advrun for its config's ``total_steps`` (its lr schedule decays over
it, so the bench leaves it alone); both stop at the env's target (Acrobot -100,
Pendulum -250, LunarLander 200); only the time to the target is measured (no speed
runs, no command timing).

``--jobs N`` runs N trials at a time in worker processes, each limited to one torch
thread (SB3 included: its default would start one OpenMP thread per core in every
worker); ``--jobs 1`` (default) runs them one by one with SB3 on torch's default thread
count, as before.

    pip install -e ".[bench]"          # + ".[box2d]" for LunarLander
    python scripts/bench_sb3.py --seeds 1 2 3 4 5
    python scripts/bench_sb3.py --algo dqn --seeds 1 2 3 4 5 --eval-every 5000
    python scripts/bench_sb3.py --env acrobot --seeds 1 2 3 4 5 --jobs 10
    # several envs in one run (one pool of trials); LunarLander on the first 3 seeds:
    python scripts/bench_sb3.py --env acrobot pendulum lunarlander --seeds 1 2 3 4 5 \
        --env-seeds lunarlander=3 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVAL_EPISODES = 20

# RL Baselines3 Zoo, hyperparams/ppo.yml at this commit (the entries below copy its
# values; "lin_X" is the zoo's linear schedule from X at the start to 0 at the end).
ZOO_COMMIT = "208b6fdf3a9aa24de44b2e068c6e5f6a07d97fcc"
ZOO_PPO: dict[str, dict[str, Any]] = {
    "CartPole-v1": {
        "n_envs": 8,
        "n_timesteps": 1e5,
        "n_steps": 32,
        "batch_size": 256,
        "gae_lambda": 0.8,
        "gamma": 0.98,
        "n_epochs": 20,
        "ent_coef": 0.0,
        "learning_rate": "lin_0.001",
        "clip_range": "lin_0.2",
    },
    "Acrobot-v1": {
        "normalize": True,
        "n_envs": 16,
        "n_timesteps": 1e6,
        "n_steps": 256,
        "gae_lambda": 0.94,
        "gamma": 0.99,
        "n_epochs": 4,
        "ent_coef": 0.0,
    },
    "Pendulum-v1": {
        "n_envs": 4,
        "n_timesteps": 1e5,
        "n_steps": 1024,
        "gae_lambda": 0.95,
        "gamma": 0.9,
        "n_epochs": 10,
        "ent_coef": 0.0,
        "learning_rate": 1e-3,
        "clip_range": 0.2,
        "use_sde": True,
        "sde_sample_freq": 4,
    },
    # The zoo's LunarLander-v2 entry (gymnasium 1.x ships v3: same dynamics, bug fixes).
    "LunarLander-v3": {
        "n_envs": 16,
        "n_timesteps": 1e6,
        "n_steps": 1024,
        "batch_size": 64,
        "gae_lambda": 0.98,
        "gamma": 0.999,
        "n_epochs": 4,
        "ent_coef": 0.01,
    },
}


@dataclass(frozen=True)
class ZooPPO:
    """A zoo entry split into what the env wrapper and ``PPO(...)`` each take."""

    n_envs: int
    budget: int  # the zoo's n_timesteps
    normalize: bool  # VecNormalize (obs and reward, SB3's defaults) around the train envs
    kwargs: dict[str, Any]  # PPO keyword arguments, schedules as callables


def linear(start: float) -> Callable[[float], float]:
    """SB3's schedule convention: ``progress_remaining`` goes 1 -> 0, so the value goes
    ``start`` -> 0 linearly (the zoo's ``lin_<start>``)."""
    return lambda progress_remaining: progress_remaining * start


def zoo_ppo(entry: dict[str, Any]) -> ZooPPO:
    """Translate a ``ZOO_PPO`` entry the way the zoo does: ``lin_X`` strings become
    linear schedules, ``n_envs``/``n_timesteps``/``normalize`` leave the PPO kwargs
    (``normalize: true`` = VecNormalize of observations and rewards, its discount the
    entry's gamma: 0.99 for Acrobot, also VecNormalize's default)."""
    kwargs = dict(entry)
    n_envs = int(kwargs.pop("n_envs"))
    budget = int(kwargs.pop("n_timesteps"))
    normalize = bool(kwargs.pop("normalize", False))
    for key, value in kwargs.items():
        if isinstance(value, str) and value.startswith("lin_"):
            kwargs[key] = linear(float(value[len("lin_") :]))
    return ZooPPO(n_envs, budget, normalize, kwargs)


@dataclass(frozen=True)
class BenchEnv:
    """One env of ``--env``: its id, solved threshold, default eval spacing and the
    advrun overrides that stand for "advrun" there."""

    env_id: str
    target: float
    eval_every: int
    advrun: tuple[str, ...]


ENVS: dict[str, BenchEnv] = {
    # CartPole: advrun's default config (no env= override, as the table in
    # docs/benchmarks.md was measured), SB3's zoo entry; eval every 4096 steps.
    "cartpole": BenchEnv("CartPole-v1", 475.0, 4096, ()),
    # The others: `advrun train env=<env>` as typed (the conf/tuned/ file, if any).
    "acrobot": BenchEnv("Acrobot-v1", -100.0, 8192, ("env=acrobot",)),
    "pendulum": BenchEnv("Pendulum-v1", -250.0, 4096, ("env=pendulum",)),
    "lunarlander": BenchEnv("LunarLander-v3", 200.0, 16384, ("env=lunarlander",)),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _eval_envs(env_id: str = "CartPole-v1"):
    from advrun.envs import make_vec_env

    return make_vec_env(env_id, EVAL_EPISODES)


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
    seed: int,
    mode: str,
    eval_every: int,
    sps_steps: int,
    algo: str,
    extra: list[str],
    env: str = "cartpole",
) -> dict[str, Any]:
    import logging

    from hydra import compose, initialize_config_dir

    from advrun.config import conf_dir, register_configs, to_train_config
    from advrun.training.trainer import Trainer

    logging.disable(logging.INFO)
    register_configs()
    spec = ENVS[env]
    if mode == "solve":
        overrides = [
            f"eval.interval={eval_every}",
            f"eval.episodes={EVAL_EPISODES}",
            f"early_stop.target_return={spec.target}",
        ]
        if env == "cartpole":
            # DQN's exploration schedule is a fraction of total_steps: advrun keeps its
            # default 2e5-step budget (SB3 gets the zoo's 5e4; the clock stops at 475).
            overrides.insert(2, f"total_steps={200_000 if algo == 'dqn' else 1_000_000}")
        # Elsewhere the config keeps its own total_steps: its lr schedule decays over
        # it, so overriding the budget would change what is measured.
    else:
        overrides = [
            f"total_steps={sps_steps}",
            "eval.interval=0",
            "eval.episodes=1",
            "early_stop.target_return=null",
        ]
    overrides = [*spec.advrun, *overrides, f"seed={seed}", "progress=false"]
    overrides += ["checkpoint_interval=0"]
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
    solved = summary["final_eval_return"] >= spec.target
    return {
        "train_time_s": summary["train_time_s"],
        "steps": summary["steps"],
        "solved": solved if mode == "solve" else None,
        "sps": summary["steps"] / summary["train_time_s"],
    }


def _sb3_model(algo: str, seed: int, env_id: str = "CartPole-v1") -> Any:
    """RL Zoo's tuned model of ``algo`` for ``env_id`` (the module docstring)."""
    from stable_baselines3 import DQN, PPO
    from stable_baselines3.common.env_util import make_vec_env

    if algo == "dqn":
        return DQN(
            "MlpPolicy",
            make_vec_env("CartPole-v1", n_envs=1, seed=seed),
            learning_rate=2.3e-3,
            batch_size=64,
            buffer_size=100_000,
            learning_starts=1000,
            gamma=0.99,
            target_update_interval=10,
            train_freq=256,
            gradient_steps=128,
            exploration_fraction=0.16,
            exploration_final_eps=0.04,
            policy_kwargs={"net_arch": [256, 256]},
            seed=seed,
            verbose=0,
            device="cpu",
        )
    zoo = zoo_ppo(ZOO_PPO[env_id])
    envs = make_vec_env(env_id, n_envs=zoo.n_envs, seed=seed)
    if zoo.normalize:
        from stable_baselines3.common.vec_env import VecNormalize

        envs = VecNormalize(envs, gamma=zoo.kwargs.get("gamma", 0.99))
    return PPO("MlpPolicy", envs, seed=seed, verbose=0, device="cpu", **zoo.kwargs)


# The zoo's training budgets for CartPole-v1 (the solve clock stops at the target).
SB3_BUDGET = {"ppo": 100_000, "dqn": 50_000}


def worker_sb3(
    seed: int,
    mode: str,
    eval_every: int,
    sps_steps: int,
    algo: str,
    extra: list[str],
    env: str = "cartpole",
) -> dict[str, Any]:
    from stable_baselines3.common.callbacks import BaseCallback

    spec = ENVS[env]
    model = _sb3_model(algo, seed, spec.env_id)
    eval_envs = _eval_envs(spec.env_id)
    # VecNormalize: evaluate on observations normalised with the training statistics,
    # read at each eval and not updated by it (normalize_obs only reads them).
    norm = model.get_vec_normalize_env()
    prep = norm.normalize_obs if norm is not None else (lambda o: o)

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
                lambda o: model.predict(prep(o), deterministic=True)[0],
                eval_envs,
                seed=seed + 10_000 + self.evals,
            )
            self.evals += 1
            self.eval_time += time.perf_counter() - start
            if mean >= spec.target:
                self.solved_at = self.num_timesteps
                return False
            return True

    clock = SolveClock()
    if mode != "solve":
        budget = sps_steps
    elif env == "cartpole":
        budget = SB3_BUDGET[algo]
    else:
        budget = zoo_ppo(ZOO_PPO[spec.env_id]).budget
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


@dataclass(frozen=True)
class Trial:
    """One subprocess: a library's solve or speed run of one seed."""

    lib: str
    seed: int
    mode: str


def trial_order(seeds: list[int], modes: tuple[str, ...]) -> list[Trial]:
    """Seed by seed, each mode for both libraries, the library order alternating with
    the seed (advrun first on the 1st, 3rd, ... seed), so drifting machine load hits
    both alike; with ``--jobs`` the pool starts them in this order."""
    trials = []
    for i, seed in enumerate(seeds):
        order = ["advrun", "sb3"] if i % 2 == 0 else ["sb3", "advrun"]
        trials += [Trial(lib, seed, mode) for mode in modes for lib in order]
    return trials


def run_worker(
    lib: str,
    seed: int,
    mode: str,
    eval_every: int,
    sps_steps: int,
    algo: str,
    extra: list[str],
    env: str = "cartpole",
    threads: int | None = None,
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
        "--env",
        env,
        *(["--threads", str(threads)] if threads else []),
        *(["--advrun-args", *extra] if extra else []),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} seed {seed} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def command_wall(repeats: int, algo: str, extra: list[str]) -> list[float]:
    # The console script beside this interpreter, else the one on PATH (an install that
    # is not a virtualenv's, e.g. a machine's system Python with advrun on PYTHONPATH).
    local = Path(sys.executable).with_name("advrun")
    advrun = str(local) if local.exists() else (shutil.which("advrun") or "advrun")
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


def solve_times(rows: list[dict]) -> list[float]:
    """Training seconds to the target per trial; an unsolved trial counts as infinite,
    so a median over mostly-unsolved trials is inf, not the time of a failed run."""
    return [r["train_time_s"] if r["solved"] else float("inf") for r in rows]


def env_table(
    env: str, seeds: list[int], results: dict[str, list[dict]], extra: list[str]
) -> list[str]:
    """The ``--env`` summary (non-CartPole): median time to the target, solved counts,
    the SB3/advrun ratio of the medians, median env-steps, and per-seed times."""
    spec = ENVS[env]
    a_t, s_t = median(solve_times(results["advrun"])), median(solve_times(results["sb3"]))
    ratio = s_t / a_t if a_t > 0 else float("nan")
    solved = {lib: sum(bool(r["solved"]) for r in rows) for lib, rows in results.items()}
    n = len(seeds)

    def per_seed(lib: str) -> str:
        return ", ".join(
            f"{r['train_time_s']:.1f}" + ("" if r["solved"] else " (unsolved)")
            for r in results[lib]
        )

    advrun_cfg = " ".join([*spec.advrun, *extra])
    return [
        f"| {spec.env_id} (target {spec.target:g}) | advrun `{advrun_cfg}` | "
        f"SB3 + zoo PPO | SB3 / advrun |",
        "|---|---|---|---|",
        f"| time to target, s (median) | {a_t:,.2f} | {s_t:,.2f} | **{ratio:.2f}x** |",
        f"| solved | {solved['advrun']}/{n} | {solved['sb3']}/{n} | |",
        f"| env-steps to target (median) | "
        f"{median([r['steps'] for r in results['advrun']]):,.0f} | "
        f"{median([r['steps'] for r in results['sb3']]):,.0f} | |",
        f"| per seed {seeds}, s | {per_seed('advrun')} | {per_seed('sb3')} | |",
    ]


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] + " Needs the bench extra: pip install -e '.[bench]'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds per library")
    p.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help="env steps between evaluations (default: the env's, cartpole 4096, acrobot "
        "8192, pendulum 4096, lunarlander 16384)",
    )
    p.add_argument("--sps-steps", type=int, default=100_000, help="budget of the no-eval speed run")
    p.add_argument(
        "--command-repeats", type=int, default=3, help="end-to-end `advrun train` timings"
    )
    p.add_argument(
        "--env",
        choices=sorted(ENVS),
        nargs="+",
        default=["cartpole"],
        help="environment(s); several non-CartPole envs run as one pool of trials",
    )
    p.add_argument(
        "--env-seeds",
        nargs="*",
        default=[],
        metavar="ENV=N",
        help="run ENV on the first N of --seeds only (e.g. lunarlander=3)",
    )
    p.add_argument("--jobs", type=int, default=1, help="trials run at once (1 torch thread each)")
    p.add_argument("--worker", choices=sorted(WORKERS), help="internal: subprocess entry")
    p.add_argument("--seed", type=int, help="internal: the worker's seed")
    p.add_argument("--mode", choices=["solve", "sps"], help="internal: the worker's measurement")
    p.add_argument("--threads", type=int, help="internal: the worker's torch thread count")
    p.add_argument("--algo", choices=["ppo", "dqn"], default="ppo", help="algorithm compared")
    p.add_argument(
        "--advrun-args", nargs="*", default=[], help="extra advrun overrides (key=value)"
    )
    args = p.parse_args()
    extra = list(args.advrun_args)
    envs: list[str] = list(dict.fromkeys(args.env))
    if args.algo == "dqn" and envs != ["cartpole"]:
        p.error("--algo dqn is CartPole only")
    if "cartpole" in envs and len(envs) > 1:
        p.error("--env cartpole runs alone (it adds speed runs and command timings)")
    if args.worker and len(envs) > 1:
        p.error("--worker takes one --env")
    seeds_of = {env: list(args.seeds) for env in envs}
    for item in args.env_seeds:
        name, _, count = item.partition("=")
        if name not in seeds_of or not count.isdigit() or int(count) < 1:
            p.error(f"--env-seeds {item!r}: want ENV=N with ENV one of --env and N >= 1")
        seeds_of[name] = seeds_of[name][: int(count)]

    def eval_every_of(env: str) -> int:
        return args.eval_every or ENVS[env].eval_every

    spacing = ", ".join(f"{env} {eval_every_of(env)}" for env in envs)

    if args.worker:  # subprocess entry
        os.environ.setdefault("PYTHONHASHSEED", "0")
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        result = WORKERS[args.worker](
            args.seed, args.mode, eval_every_of(envs[0]), args.sps_steps, args.algo, extra, envs[0]
        )
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return 0

    cartpole = envs == ["cartpole"]
    threads = 1 if args.jobs > 1 else None
    modes = ("solve", "sps") if cartpole else ("solve",)
    trials = [(env, trial) for env in envs for trial in trial_order(seeds_of[env], modes)]
    if not cartpole or args.jobs > 1:
        print(
            f"{', '.join(envs)}: {len(trials)} trials, {args.jobs} at a time; torch threads: "
            + (
                "1 per worker, advrun and SB3 alike"
                if threads
                else f"advrun 1, SB3 torch default ({os.cpu_count()} cores)"
            )
            + f"; eval every {spacing} steps",
            flush=True,
        )

    def run(job: tuple[str, Trial]) -> dict:
        env, trial = job
        r = run_worker(
            trial.lib,
            trial.seed,
            trial.mode,
            eval_every_of(env),
            args.sps_steps,
            args.algo,
            extra,
            env,
            threads,
        )
        print(
            f"  {env:<11} {trial.lib:<7} seed={trial.seed} {trial.mode:<5} "
            + " ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
            ),
            flush=True,
        )
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        done = dict(zip(trials, pool.map(run, trials), strict=True))

    def results_of(env: str) -> dict[str, dict[str, list[dict]]]:
        out: dict[str, dict[str, list[dict]]] = {lib: {"solve": [], "sps": []} for lib in WORKERS}
        for key, trial in trials:  # per library and mode, in seed order
            if key == env:
                out[trial.lib][trial.mode].append(done[(key, trial)])
        return out

    if not cartpole:
        print(
            f"\nPPO, eval every {spacing} steps ({EVAL_EPISODES} deterministic episodes, "
            "eval time excluded), SB3 "
            "budget the zoo's, advrun its config's total_steps, "
            f"{args.jobs} trial(s) at a time, torch threads: "
            + ("1 each" if threads else f"advrun 1, SB3 default ({os.cpu_count()} cores)")
            + f", load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        for env in envs:
            solve = {lib: rows["solve"] for lib, rows in results_of(env).items()}
            print(
                f"\n{ENVS[env].env_id}: seeds {seeds_of[env]}, SB3 budget "
                f"{zoo_ppo(ZOO_PPO[ENVS[env].env_id]).budget:,} steps"
            )
            print("\n".join(env_table(env, seeds_of[env], solve, extra)))
        return 0

    results = results_of("cartpole")
    eval_every = eval_every_of("cartpole")
    walls = command_wall(args.command_repeats, args.algo, extra)

    rows = []
    for label, fn in (
        ("time to solve, s (median)", lambda lib: median(solve_times(results[lib]["solve"]))),
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

    target = ENVS["cartpole"].target
    print(
        f"\n{args.algo.upper()} on CartPole-v1 (advrun args: {' '.join(extra) or 'none'}), "
        f"seeds {args.seeds}, eval every {eval_every} steps "
        f"({EVAL_EPISODES} deterministic episodes), torch threads: "
        + (
            "1 per worker, advrun and SB3 alike"
            if threads
            else f"advrun 1 (its default), SB3 torch default ({os.cpu_count()} cores)"
        )
    )
    print(f"| metric | advrun | SB3 + zoo {args.algo.upper()} | advrun advantage |")
    print("|---|---|---|---|")
    for label, a, s, ratio in rows:
        print(f"| {label} | {a:,.2f} | {s:,.2f} | {ratio:.2f}x |")
    print(
        f"| solved (eval >= {target:.0f}) | {solved['advrun']}/{len(args.seeds)} | "
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
