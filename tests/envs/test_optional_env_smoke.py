"""Tiny end-to-end runs of the MuJoCo and Atari presets (the dev extra installs both)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from advrun.envs.factory import make_vec_env


@pytest.mark.parametrize("training", [True, False])
def test_atari_preprocessing_gives_stacked_uint8_frames(training: bool) -> None:
    envs = make_vec_env("ALE/Pong-v5", 2, preprocess="atari", training=training)
    try:
        assert envs.single_observation_space.shape == (4, 84, 84)
        assert envs.single_observation_space.dtype == np.uint8
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
    finally:
        envs.close()


@pytest.mark.parametrize("vectorization", ["auto", "sync"])
def test_atari_training_envs_end_at_a_lost_life_and_clip_rewards(vectorization: str) -> None:
    """Both pipelines (ale-py's native vector env and gymnasium's wrappers over opencv)
    give life-loss episodes and sign-clipped rewards in training, whole games in eval."""

    def play(training: bool) -> tuple[int, set[float]]:
        envs = make_vec_env(
            "ALE/Breakout-v5",
            1,
            vectorization=vectorization,
            preprocess="atari",
            training=training,
        )
        try:
            envs.reset(seed=0)
            ends, rewards = 0, set()
            for i in range(400):  # FIRE now and then, else move right: loses lives fast
                _, r, term, trunc, _ = envs.step(np.array([1 if i % 10 == 0 else 3]))
                ends += int(term[0] or trunc[0])
                rewards.add(float(r[0]))
            return ends, rewards
        finally:
            envs.close()

    train_ends, train_rewards = play(training=True)
    eval_ends, _ = play(training=False)
    assert train_ends >= 4 * max(eval_ends, 1)  # 5 lives per game
    assert train_rewards <= {-1.0, 0.0, 1.0}


@pytest.mark.parametrize("vectorization", ["auto", "sync"])
def test_atari_smoke_run(train_run, tmp_path: Path, vectorization: str) -> None:
    run = train_run(
        tmp_path / "pong",
        experiment="ppo_pong",
        total_steps=256,
        env__num_envs=2,
        algo__rollout_steps=64,
        algo__minibatches=2,
        eval__episodes=1,
        env__max_episode_steps=100,
        env__vectorization=vectorization,
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 256
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["collector"]["next_obs"].dtype == torch.uint8
    assert "encoder.fc.weight" in state["model"]


def test_mujoco_smoke_run(train_run, tmp_path: Path) -> None:
    run = train_run(
        tmp_path / "hopper",
        experiment="ppo_hopper",
        total_steps=256,
        algo__rollout_steps=64,
        env__num_envs=2,
        eval__episodes=1,
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["env_id"] == "Hopper-v5"
    model = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["model"]
    assert model["obs_norm.mean"].shape == (11,)
