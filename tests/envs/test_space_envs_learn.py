"""A policy *learns* on each structured space, through the real ``advrun train`` path.

``test_space_envs.py`` shows that every space runs; here PPO must solve a tiny cue task
on each of a Dict observation (vector + small image), a Discrete observation, a
MultiDiscrete action and a MultiBinary action, well beyond what a policy that ignores
the cue can earn. The envs are in ``tests/envs/user_envs/cue_envs.py``; all last 16
steps and pay at most 1 a step, so the optimum is 16.

In every task the target is drawn afresh each step, independently of all past actions,
so *any* policy that does not read the cue (the uniform random policy included) matches
a component with ``n`` choices with probability ``1 / n``: its expected return is fixed
by arithmetic (``RANDOM`` below; ``test_random_policy_earns_the_hand_computed_return``
checks the arithmetic by simulation). The threshold, 15 of 16, is above the best return
of any policy that reads only part of the cue (``PARTIAL``), so passing it needs every
leaf and every action component.

Learner: PPO with its default network and step sizes, except that each step's reward
depends on that step's action only (a contextual bandit), so ``advantage.gamma=0``
credits exactly that reward, and ``advantage.normalize=false`` keeps the advantages
``r - V`` (already within [-1, 1]) unscaled: once the task is solved they are ~0, and
standardising them blows that noise up to unit size. With normalisation on, the Dict
task was solved by 2k steps and then lost again (eval 16 -> 7 by 8k steps, seed 2).
Four epochs of four minibatches let the image leaf's CNN learn in ~1.5k steps.

Measured (seeds 1, 2, 3; deterministic eval every 512 steps): Discrete obs, MultiDiscrete
and MultiBinary actions reach 16.0 by 1,024 steps, the Dict task by 1,536; all end at
16.0. The budgets (2,048; Dict 4,096) leave a factor >= 2 on the steps. The same runs
with ``optimizer.lr=1e-12`` (an untrained policy) end at 0.0 to 11.9 (deterministic) and
fail. The Dict run (a Nature CNN) takes 8-18 s on two shared cores: ``slow``; the
others take ~2 s each.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("user_envs_on_path")

OPTIMUM = 16.0  # 16 steps x 1
THRESHOLD = 15.0

ENVS: dict[str, list[str]] = {
    # {"cue": one_hot(hi), "image": bright square left/right = lo}; Discrete(4) = 2*hi+lo.
    "dict_obs": ["env.make=cue_envs:make_split"],
    # Observation Discrete(3) = the target; action Discrete(3).
    "discrete_obs": [
        "env.make=cue_envs:make",
        "+env.kwargs.obs=discrete",
        "+env.kwargs.act=discrete",
    ],
    # Observation one-hot cue; action MultiDiscrete([3, 2]), reward = fraction matched.
    "multi_discrete_act": [
        "env.make=cue_envs:make",
        "+env.kwargs.obs=box",
        "+env.kwargs.act=multi_discrete",
    ],
    # Observation one-hot cue; action MultiBinary(3), reward = fraction of bits matched.
    "multi_binary_act": [
        "env.make=cue_envs:make",
        "+env.kwargs.obs=box",
        "+env.kwargs.act=multi_binary",
    ],
}

# Expected return of any cue-blind policy (the uniform random one among them).
RANDOM: dict[str, float] = {
    "dict_obs": 16 * (1 / 4),  # 1 of 4 targets -> 4.0
    "discrete_obs": 16 * (1 / 3),  # 1 of 3 -> 5.33
    "multi_discrete_act": 16 * (1 / 3 + 1 / 2) / 2,  # mean(1/3, 1/2) = 5/12 -> 6.67
    "multi_binary_act": 16 * (1 / 2),  # each bit 1/2 -> 8.0
}

# Best return of a policy that reads only part of the cue (so THRESHOLD needs all of it).
PARTIAL: dict[str, float] = {
    # One leaf gives one of the two bits; the other is a coin: 16 x 1/2 = 8.
    "dict_obs": 16 * (1 / 2),
    # Right on 2 of the 3 states, wrong on the third: 16 x 2/3 = 10.67.
    "discrete_obs": 16 * (2 / 3),
    # One component right, the other a guess: 16 x (1 + 1/2) / 2 = 12 (the 3-way one
    # guessed: 16 x (1 + 1/3) / 2 = 10.67).
    "multi_discrete_act": 16 * (1 + 1 / 2) / 2,
    # Two bits right, one a coin: 16 x (2 + 1/2) / 3 = 13.33.
    "multi_binary_act": 16 * (2 + 1 / 2) / 3,
}

STEPS = {
    "dict_obs": 4096,
    "discrete_obs": 2048,
    "multi_discrete_act": 2048,
    "multi_binary_act": 2048,
}

LEARNER = [
    "algo=ppo",
    "advantage.gamma=0",
    "advantage.normalize=false",
    "algo.epochs=4",
    "algo.minibatches=4",
]


def test_thresholds_need_the_whole_cue() -> None:
    for name in ENVS:
        assert RANDOM[name] < PARTIAL[name] < THRESHOLD < OPTIMUM, name


@pytest.mark.parametrize("name", list(ENVS))
def test_random_policy_earns_the_hand_computed_return(name: str) -> None:
    import cue_envs

    make = cue_envs.make_split if name == "dict_obs" else cue_envs.make
    kwargs = {k.split(".")[-1]: v for k, v in (a.split("=") for a in ENVS[name][1:])}
    env = make(**kwargs)
    env.action_space.seed(0)
    env.reset(seed=0)
    returns = []
    for _ in range(1000):
        env.reset()
        total, done = 0.0, False
        while not done:
            _, reward, done, _, _ = env.step(env.action_space.sample())
            total += reward
        returns.append(total)
    # Per-step reward variance <= 1/4, so the mean of 1000 16-step returns has a
    # standard error <= sqrt(16 / 4 / 1000) = 0.063; 0.3 is ~5 of them.
    assert np.mean(returns) == pytest.approx(RANDOM[name], abs=0.3)


def _train(cli, name: str, seed: int, run: Path) -> dict:
    cli(
        [
            "train",
            "env=custom",
            *ENVS[name],
            *LEARNER,
            f"total_steps={STEPS[name]}",
            f"seed={seed}",
            "eval.interval=0",
            "eval.episodes=10",
            "eval.deterministic=true",
            "checkpoint_interval=0",
            "progress=false",
            "device=cpu",
            f"hydra.run.dir={run}",
        ]
    )
    return json.loads((run / "summary.json").read_text())


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n == "dict_obs" else n for n in ENVS],
)
def test_ppo_learns_the_cue(name: str, cli, tmp_path: Path) -> None:
    summary = _train(cli, name, seed=1, run=tmp_path / "run")
    assert summary["steps"] == STEPS[name]
    final = summary["final_eval_return"]
    assert final >= THRESHOLD, (name, final, RANDOM[name], json.dumps(summary, indent=1))
