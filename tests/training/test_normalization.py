"""Observation and reward normalisation through training, checkpoints and ``advrun eval``;
uint8 observation buffers."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from advrun.collect.adapters import adapt
from advrun.collect.collector import Collector
from advrun.commands.evaluate import evaluate_checkpoint
from advrun.config.schema import EvalCommandConfig
from advrun.networks import build_actor_critic

NORM = {"network.normalize_obs": "true", "env.normalize_reward": "true"}


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def test_pendulum_smoke_with_obs_and_reward_normalisation(train_run, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", env="pendulum", total_steps=512, **NORM)
    state = _last(run)
    model = state["model"]
    assert {"obs_norm.mean", "obs_norm.var", "obs_norm.count"} <= set(model)
    # 512 steps in 2 envs; the stats saw every real (non-dummy) observation.
    assert 400 < model["obs_norm.count"].item() <= 512 + 1
    assert model["obs_norm.mean"].shape == (3,)
    assert not torch.allclose(model["obs_norm.var"], torch.ones(3, dtype=torch.float64))
    scaler = state["collector"]["reward_scaler"]
    assert scaler["count"].item() > 400 and scaler["returns"].shape == (2,)


def test_eval_uses_the_saved_obs_statistics(train_run, tmp_path: Path) -> None:
    run = train_run(
        tmp_path / "run", env="pendulum", total_steps=1024, algo__rollout_steps=64, **NORM
    )
    cfg = EvalCommandConfig(run=str(run), which="last", episodes=2)
    with_stats = evaluate_checkpoint(cfg)
    np.testing.assert_array_equal(with_stats, evaluate_checkpoint(cfg))  # deterministic

    # Drop the statistics (reset to mean 0 / var 1): the same weights now act on raw
    # observations and the returns change.
    state = _last(run)
    state["model"]["obs_norm.mean"].zero_()
    state["model"]["obs_norm.var"].fill_(1.0)
    dropped = tmp_path / "dropped.pt"
    torch.save(state, dropped)
    without = evaluate_checkpoint(EvalCommandConfig(checkpoint=str(dropped), episodes=2))
    assert not np.allclose(with_stats, without)


@pytest.mark.parametrize("backend", ["gymnasium", "torch"])
def test_resume_is_exact_with_normalisation(backend: str, train_run, cli, tmp_path: Path) -> None:
    opts = {
        **NORM,
        "env": "pendulum",
        "env.backend": backend,
        "env.num_envs": 4,
        "algo.rollout_steps": 32,
        "eval.interval": 0,
        "early_stop.target_return": "null",
        "env.max_episode_steps": 40,
        # Pendulum's tuned settings anneal lr over total_steps, which a resume that
        # raises total_steps changes by design; this test is about the statistics.
        "tuned": "null",
    }
    whole = _last(train_run(tmp_path / "whole", total_steps=1024, **opts))
    half = train_run(tmp_path / "half", total_steps=512, **opts)
    cli(["train", f"resume={half}", "total_steps=1024", "progress=false"])
    resumed = _last(half)
    for name, value in whole["model"].items():
        assert torch.equal(value, resumed["model"][name]), f"{backend}: {name} differs"
    for key, value in whole["collector"]["reward_scaler"].items():
        assert torch.equal(value, resumed["collector"]["reward_scaler"][key]), key


class _Frames(gym.Env):
    """Tiny image env with uint8 observations."""

    observation_space = gym.spaces.Box(0, 255, (2, 6, 6), dtype=np.uint8)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        self.t += 1
        return self.observation_space.sample(), 1.0, False, self.t >= 5, {}


def test_uint8_observations_stay_uint8_in_rollouts() -> None:
    envs = gym.vector.SyncVectorEnv(
        [_Frames] * 3, autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP
    )
    model = build_actor_critic(
        envs.single_observation_space,
        envs.single_action_space,
        hidden_sizes=[8],
        activation="tanh",
        shared=False,
        orthogonal_init=True,
        log_std_init=0.0,
    )
    collector = Collector(adapt(envs, torch.device("cpu")), torch.device("cpu"), seed=0)

    def policy(obs):
        action, log_prob, value = model.act(obs)
        return action, {"log_probs": log_prob, "values": value}

    rollout = collector.collect(policy, 12)
    stats = rollout.episodes
    assert rollout.obs.dtype == torch.uint8 and rollout.obs.shape == (12, 3, 2, 6, 6)
    assert collector.state_dict()["next_obs"].dtype == torch.uint8
    assert stats.returns == [5.0] * 6
    envs.close()
